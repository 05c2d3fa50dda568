"""``prefectlite.context``: one module for both styles' run context.

Prefect 1 code uses the module as *the* context object: ``prefectlite.context.get("logger")``,
``prefectlite.context.flow_name``, ``with prefectlite.context(key=value):``,
``"key" in prefectlite.context``. Every such use is passed on to the context mapping of
:mod:`prefectlite.utilities.context` (so ``isinstance(prefectlite.context, Context)`` holds).

Prefect 3 code imports from it: :func:`get_run_context` returns a :class:`FlowRunContext` in
the body of an eager flow and a :class:`TaskRunContext` inside one of its tasks (both are
snapshots describing the run: ``.flow_run.name``, ``.task_run.id``, ``.parameters``, ...);
``FlowRunContext.get()`` / ``TaskRunContext.get()`` return the one of that kind or ``None``;
:func:`with_context` wraps a function so it runs with the caller's context (for thread or
process pools started inside a task).

Examples
--------
>>> import prefectlite.context
>>> with prefectlite.context(answer=42):
...     prefectlite.context.answer, prefectlite.context.get("answer")
(42, 42)
>>> from prefectlite.context import get_run_context
>>> get_run_context()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
prefectlite.eager.exceptions.MissingContextError: No run context available. ...
"""

from __future__ import annotations

import contextlib as _contextlib
import contextvars as _contextvars
import functools as _functools
import sys as _sys
import types as _types
from collections.abc import Callable, Iterator
from typing import Any

from prefectlite.utilities import context as _ctx
from prefectlite.utilities.context import Context

__all__ = ["FlowRunContext", "TaskRunContext", "get_run_context", "with_context"]


class _RunInfo(_types.SimpleNamespace):
    """A flow run or task run as its code sees it (``.id``, ``.name``, ...)."""


class _RunContextBase:
    """Common part of :class:`FlowRunContext` and :class:`TaskRunContext`."""

    def __init__(self, values: dict[str, Any]) -> None:
        run = values.get("_eager_run")  # none for a task run outside of any flow
        self.flow = run.flow if run is not None else None
        self.flow_run = None if run is None else _RunInfo(
            id=run.id, name=run.name, flow_name=run.flow.name, parameters=run.parameters,
            parent_flow_run_id=run.parent.id if run.parent is not None else None,
            run_count=values.get("flow_run_count", 1), tags=list(values.get("tags", ())))
        self.task_runner = run.task_runner if run is not None else None
        self.log_prints = run.log_prints if run is not None else False

    @classmethod
    def get(cls) -> Any:
        """The context of this kind that is current, or ``None``."""
        values = _ctx.snapshot()
        is_task = "task_name" in values and "task_run_id" in values
        if values.get("_eager_run") is None and not is_task:
            return None
        if (cls is TaskRunContext) != is_task:
            return None
        return cls(values)

    def serialize(self) -> dict[str, Any]:
        """The context as a plain dictionary."""
        return dict(vars(self))


class FlowRunContext(_RunContextBase):
    """The body of an eager flow run: ``flow``, ``flow_run`` (``id``, ``name``,
    ``parameters``, ...), ``parameters``, ``task_runner``, ``log_prints``."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.parameters = self.flow_run.parameters if self.flow_run is not None else {}


class TaskRunContext(_RunContextBase):
    """A task run inside an eager flow: ``task``, ``task_run`` (``id``, ``name``,
    ``run_count``, ``task_key``, ...), ``parameters`` (the task's inputs), plus the flow's."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.task = values.get("task")
        self.parameters = dict(values.get("task_parameters") or {})
        self.task_run = _RunInfo(
            id=values.get("task_run_id"), name=values.get("task_run_name"),
            task_key=values.get("task_name"), run_count=values.get("task_run_count", 1),
            flow_run_id=getattr(self.flow_run, "id", None),
            tags=sorted(values.get("task_tags") or ()),
            task_inputs=self.parameters)


def get_run_context() -> FlowRunContext | TaskRunContext:
    """The context of the task run or flow run whose code is running (Prefect 3).

    Raises
    ------
    MissingContextError
        Outside of any eager flow or task run.
    """
    found = TaskRunContext.get() or FlowRunContext.get()
    if found is None:
        from prefectlite.eager.exceptions import MissingContextError

        raise MissingContextError(
            "No run context available. You are not in a flow or task run context.")
    return found  # type: ignore[no-any-return]


def with_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` wrapped to run with the context of the caller of ``with_context``.

    Use it for functions handed to a thread pool inside a task, so ``get_run_logger()`` and
    ``prefectlite.context`` work there too. (A process pool cannot carry the context; the
    wrapped function then runs without it.)
    """
    snapshot = _contextvars.copy_context()

    @_functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return snapshot.copy().run(fn, *args, **kwargs)
        except RuntimeError:  # the snapshot is being used by another thread right now
            return fn(*args, **kwargs)

    return wrapper


"""The module is the Prefect 1 context object too"""


@_contextlib.contextmanager
def _block(module: Any, block: Any) -> Iterator[Any]:
    with block:
        yield module  # `with prefectlite.context(x=1) as c:` gives prefectlite.context

_OWN = frozenset(globals()) | {"_OWN", "_ContextModule", "_block"}


class _ContextModule(_types.ModuleType):
    """This module's class: Prefect 1's context operations go to the context mapping."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _block(self, _ctx.context(*args, **kwargs))

    def __getitem__(self, key: str) -> Any:
        return _ctx.context[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _ctx.context[key] = value

    def __delitem__(self, key: str) -> None:
        del _ctx.context[key]

    def __contains__(self, key: object) -> bool:
        return key in _ctx.context

    def __iter__(self) -> Iterator[str]:
        return iter(_ctx.context)

    def __len__(self) -> int:
        return len(_ctx.context)

    def __eq__(self, other: object) -> bool:
        return other is self or _ctx.context == other

    __hash__ = _types.ModuleType.__hash__

    def __getattr__(self, key: str) -> Any:  # a context key, or a mapping method
        return getattr(_ctx.context, key)

    def __setattr__(self, key: str, value: Any) -> None:
        if key in _OWN or key.startswith("__"):
            super().__setattr__(key, value)
        else:
            setattr(_ctx.context, key, value)

    def __delattr__(self, key: str) -> None:
        if key in _OWN or key.startswith("__"):
            super().__delattr__(key)
        else:
            delattr(_ctx.context, key)

    def __reduce__(self) -> Any:
        return _ctx.context.__reduce__()

    def __repr__(self) -> str:
        return repr(_ctx.context)


_sys.modules[__name__].__class__ = _ContextModule
Context.register(_ContextModule)
