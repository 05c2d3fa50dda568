"""Cache policies of eager tasks (Prefect 3's ``prefect.cache_policies``).

A policy turns a task run into a *cache key*; a later run with the same key (in this process
or another, while the stored record has not expired) does not run, it returns the stored
value in a ``Cached`` state. Keys combine with ``+``; ``INPUTS - "debug"`` ignores one input.

``INPUTS``           the task's arguments (hashed; a value that cannot be hashed disables
                     caching for that run, with a warning)
``TASK_SOURCE``      the source code of the task's function
``FLOW_PARAMETERS``  the parameters of the flow run
``RUN_ID``           the flow run (so a key lives only within one flow run)
``DEFAULT``          ``INPUTS + TASK_SOURCE + RUN_ID``
``NO_CACHE``         never cached
``CacheKeyFnPolicy(cache_key_fn=f)``  ``f(context, parameters)`` returns the key (or ``None``)

Caching needs the result to be stored, so giving a task a ``cache_policy``, a
``cache_key_fn`` or a ``result_storage_key`` turns ``persist_result`` on for it; without them
(or with ``persist_result=False``) a task is never looked up. Records are files in the task's
``result_storage`` (default: ``storage/`` under the prefectlite home directory), or in the
policy's ``key_storage`` (``policy.configure(key_storage=path)``).

Examples
--------
>>> from prefectlite.cache_policies import INPUTS, TASK_SOURCE
>>> INPUTS + TASK_SOURCE
CompoundCachePolicy(policies=[Inputs(exclude=[]), TaskSource()])
>>> INPUTS - "debug"
Inputs(exclude=['debug'])
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT", "FLOW_PARAMETERS", "INPUTS", "NO_CACHE", "RUN_ID", "TASK_SOURCE",
           "CacheKeyFnPolicy", "CachePolicy", "CompoundCachePolicy", "FlowParameters",
           "Inputs", "NoCache", "RunId", "TaskSource", "hash_objects"]


def _json_default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):  # pydantic models: their own serialisation decides
        return dump(mode="json")
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=repr)
    if isinstance(obj, bytes):
        return obj.hex()
    raise TypeError(type(obj).__name__)


def hash_objects(*objects: Any) -> str | None:
    """A stable hash of ``objects`` (JSON where possible, else cloudpickle); ``None`` when
    they can be neither."""
    try:
        data = json.dumps(objects, sort_keys=True, default=_json_default).encode()
    except (TypeError, ValueError):
        try:
            import cloudpickle

            data = cloudpickle.dumps(objects)
        except Exception:
            return None
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class CachePolicy:
    """Base of every policy: :meth:`compute_key`, ``+`` and :meth:`configure`."""

    key_storage: Any = None
    isolation_level: Any = None
    lock_manager: Any = None

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        """The key of one task run (``None``: this run is not cached)."""
        raise NotImplementedError

    def configure(self, key_storage: Any = None, lock_manager: Any = None,
                  isolation_level: Any = None) -> CachePolicy:
        """A copy of the policy that keeps its records in ``key_storage`` (a directory or a
        :class:`~prefectlite.filesystems.LocalFileSystem`) and locks keys with
        ``lock_manager`` at ``isolation_level``."""
        new = copy.copy(self)
        if key_storage is not None:
            new.key_storage = key_storage
        if lock_manager is not None:
            new.lock_manager = lock_manager
        if isolation_level is not None:
            new.isolation_level = isolation_level
        return new

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        mine = self.policies if isinstance(self, CompoundCachePolicy) else [self]
        theirs = other.policies if isinstance(other, CompoundCachePolicy) else [other]
        return CompoundCachePolicy(policies=[*mine, *theirs]).configure(
            self.key_storage or other.key_storage, self.lock_manager or other.lock_manager,
            self.isolation_level or other.isolation_level)

    def __sub__(self, name: str) -> CachePolicy:
        if not isinstance(name, str):
            raise TypeError(f"Only an input's name can be subtracted from a cache policy, got "
                            f"{name!r}.")
        return CompoundCachePolicy(policies=[self, Inputs(exclude=[name])])

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = object.__hash__


class Inputs(CachePolicy):
    """The task run's arguments, except those named in ``exclude``."""

    def __init__(self, exclude: list[str] | None = None) -> None:
        self.exclude = list(exclude or [])

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        kept = {k: v for k, v in sorted(inputs.items()) if k not in self.exclude}
        key = hash_objects(kept)
        if key is None:
            task = getattr(task_ctx, "task", None)
            warnings.warn(
                f"The inputs of task {getattr(task, 'name', '?')!r} could not be hashed, so "
                "this run is not cached; exclude the input (INPUTS - 'name') or give the task "
                "a cache_key_fn.", UserWarning, stacklevel=2)
        return key

    def __sub__(self, name: str) -> CachePolicy:
        if not isinstance(name, str):
            raise TypeError(f"Only an input's name can be subtracted from a cache policy, got "
                            f"{name!r}.")
        return Inputs(exclude=[*self.exclude, name]).configure(
            self.key_storage, self.lock_manager, self.isolation_level)

    def __repr__(self) -> str:
        return f"Inputs(exclude={self.exclude!r})"


class TaskSource(CachePolicy):
    """The source code of the task's function (its bytecode when the source is missing)."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        fn = getattr(getattr(task_ctx, "task", None), "fn", None)
        if fn is None:
            return None
        try:
            source: Any = inspect.getsource(fn)
        except (OSError, TypeError):
            source = getattr(getattr(fn, "__code__", None), "co_code", repr(fn))
        return hash_objects(source if isinstance(source, str) else source.hex())


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        return hash_objects(dict(sorted((flow_parameters or {}).items())))


class RunId(CachePolicy):
    """The id of the flow run (a key shared only by the runs of one flow run)."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        flow_run = getattr(task_ctx, "flow_run", None)
        return None if flow_run is None else str(flow_run.id)


class NoCache(CachePolicy):
    """Never cache."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        return None


class CacheKeyFnPolicy(CachePolicy):
    """The key is ``cache_key_fn(context, parameters)`` (what ``@task(cache_key_fn=...)``
    gives): ``context`` is the :class:`~prefectlite.context.TaskRunContext`, ``parameters``
    the task's inputs."""

    def __init__(self, cache_key_fn: Callable[[Any, dict[str, Any]], str | None]) -> None:
        if not callable(cache_key_fn):
            raise TypeError(f"cache_key_fn={cache_key_fn!r} is not callable; give a function "
                            "(context, parameters) -> str.")
        self.cache_key_fn = cache_key_fn

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        key = self.cache_key_fn(task_ctx, inputs)
        return None if key is None else str(key)

    def __repr__(self) -> str:
        return f"CacheKeyFnPolicy(cache_key_fn={self.cache_key_fn!r})"


class CompoundCachePolicy(CachePolicy):
    """Several policies: the key combines theirs (``None`` when every one gives ``None``)."""

    def __init__(self, policies: list[CachePolicy]) -> None:
        self.policies = list(policies)

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> str | None:
        keys = [p.compute_key(task_ctx, inputs, flow_parameters, **kwargs)
                for p in self.policies]
        if any(isinstance(p, Inputs) for p in self.policies) and any(
                k is None for p, k in zip(self.policies, keys, strict=True)
                if isinstance(p, Inputs)):
            return None  # inputs that cannot be hashed: no key at all
        kept = [k for k in keys if k is not None]
        return hash_objects(*kept) if kept else None

    def __sub__(self, name: str) -> CachePolicy:
        policies = [p - name if isinstance(p, Inputs) else p for p in self.policies]
        if not any(isinstance(p, Inputs) for p in policies):
            policies.append(Inputs(exclude=[name]))
        return CompoundCachePolicy(policies).configure(
            self.key_storage, self.lock_manager, self.isolation_level)

    def __repr__(self) -> str:
        return f"CompoundCachePolicy(policies={self.policies!r})"


INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
NO_CACHE = NoCache()
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID
