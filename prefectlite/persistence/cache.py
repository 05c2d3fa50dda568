"""The persisted cache: task runs cached in the run journal, for any process to use.

In journaled runs, tasks with ``cache_for`` have their successful, written runs recorded in
the journal's ``cache`` table (:func:`cache_row`, written by the
:class:`~prefectlite.persistence.recorder.JournalRecorder`). After an in-process cache miss,
the task runner asks the run's :class:`JournalCache` (put into the run's context as
``_journal_cache`` by :func:`prefectlite.persistence.runs.journaled_run`), which tries the
entries recorded by earlier runs, in any process, newest first. An entry is keyed on the
cache key *and a hash of the task's code* (:func:`code_hash`, also what a resumed run
compares), so editing a task invalidates its entries; the task's ``cache_validator``
decides as usual.
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import inspect
import logging
import threading
import time
from typing import Any

import cloudpickle

from prefectlite.core.task import Task
from prefectlite.engine.state import Cached, Failed, State
from prefectlite.persistence.records import CACHE_COLUMNS, PYTHON, pickle_or_none

logger = logging.getLogger("prefectlite.TaskRunner")
_UTC = datetime.UTC


class JournalCache:
    """The persisted cache of the journal at ``path``, as the task runner asks it.

    A small value: it goes with the run's context to every worker, which opens its own
    read connection.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"JournalCache({self.path!r})"

    def lookup(self, task: Task, key: str, inputs: dict[str, Any], ctx: dict[str, Any],
               validator: Any) -> State | None:
        """A ``Cached`` state from the journal's cache, or ``None``."""
        return check_persisted_cache(task, key, inputs, ctx, validator, self.path)


def _name(task: Task, ctx: dict[str, Any]) -> str:
    return ctx.get("task_full_name") or task.name


_CODE_HASHES: dict[Any, str] = {}


def code_hash(task: Task) -> str:
    """A hash of the code of ``task.run``: its bytecode, constants and names.

    Copies of one task share it; editing the function's body changes it, while moving it
    (line numbers) does not. The bytecode is used rather than the source because a worker
    process that received the function by value (cloudpickle) has no source to read.
    """
    run = task.run
    fn = inspect.unwrap(getattr(run, "__func__", run))
    code = getattr(fn, "__code__", None)
    key = code if code is not None else type(task)
    digest = _CODE_HASHES.get(key)
    if digest is None:
        text = _code_text(code) if code is not None else repr(fn)
        owner = f"{type(task).__module__}.{type(task).__qualname__}\n"
        digest = hashlib.blake2b((owner + text).encode(), digest_size=16).hexdigest()
        _CODE_HASHES[key] = digest
    return digest


def _code_text(code: Any) -> str:
    return f"{code.co_code.hex()}|{_const_text(code.co_consts)}|{code.co_names}"


def _const_text(value: Any) -> str:
    """A text of a code constant that is the same in every process (no hash order).

    Examples
    --------
    >>> _const_text((1, frozenset({"b", "a"})))
    "(1,frozenset('a','b'),)"
    """
    if inspect.iscode(value):
        return _code_text(value)
    if isinstance(value, tuple):
        return "(" + "".join(_const_text(v) + "," for v in value) + ")"
    if isinstance(value, frozenset):
        return "frozenset(" + ",".join(sorted(_const_text(v) for v in value)) + ")"
    return repr(value)


_STORES: dict[str, Any] = {}
_STORES_LOCK = threading.Lock()


@atexit.register
def _close_stores() -> None:
    with _STORES_LOCK:
        while _STORES:
            _STORES.popitem()[1].close()


def _store(path: str) -> Any:
    """This process's (read) connection to the journal at ``path``; the last few are kept."""
    from prefectlite.persistence.journal import RunStore

    with _STORES_LOCK:
        store = _STORES.pop(path, None)
        if store is None or store.closed:
            store = RunStore(path)
        _STORES[path] = store  # most recently used last
        while len(_STORES) > 4:
            _STORES.pop(next(iter(_STORES))).close()
        return store


def check_persisted_cache(task: Task, key: str, inputs: dict[str, Any], ctx: dict[str, Any],
                          validator: Any, path: str) -> State | None:
    """A ``Cached`` state from the cache of the journal at ``path``, or ``None``."""
    try:
        store = _store(path)
        rows = store.cache_entries(key, code_hash(task), inputs_hash(inputs))
    except Exception as exc:  # the cache only saves work: never fail a task over it
        logger.warning("Task %r: cannot look up its cache in the run journal (%s).",
                       _name(task, ctx), exc)
        return None
    parameters = ctx.get("parameters") or {}
    for row in rows:
        entry = dict(zip(CACHE_COLUMNS, row))
        candidate = _candidate(entry)
        if candidate is None:
            continue
        try:
            if not validator(candidate, inputs, parameters):
                continue
        except Exception as exc:
            return Failed(message=f"Cache validator raised {exc!r}.", result=exc)
        try:
            value = store.stored_result(entry["result_kind"], entry["result_location"],
                                        entry["result_checksum"], entry["result_inline"])
        except Exception as exc:
            logger.warning("Task %r: cached result %s cannot be read (%s); trying older "
                           "entries.", _name(task, ctx), entry["result_location"], exc)
            continue
        return candidate.copy(result=value, message="Task run used a cached result (from the "
                              f"run journal, flow run {entry['flow_run_id']}).")
    return None


def _candidate(entry: dict[str, Any]) -> Cached | None:
    try:
        parameters = cloudpickle.loads(entry["parameters"])
        inputs = cloudpickle.loads(entry["inputs"])
    except Exception:  # e.g. written by code that no longer imports
        return None
    expiration = datetime.datetime.fromtimestamp(entry["expires"], _UTC)
    return Cached(cached_inputs=inputs, cached_parameters=parameters,
                  cached_result_expiration=expiration)


def cache_row(task: Task, key: str, state: State, run_id: str, parameters: dict[str, Any],
              kind: int) -> tuple[Any, ...] | None:
    """A row of the journal's ``cache`` table for a successful, written run of ``task``.

    ``None`` when the inputs or parameters cannot be pickled (the run is not cached then).
    """
    params, inputs = pickle_or_none(dict(parameters)), pickle_or_none(dict(state.cached_inputs))
    if params is None or inputs is None:
        return None
    now = time.time()
    result = state._result
    assert task.cache_for is not None
    return (key, code_hash(task), PYTHON, now, now + task.cache_for.total_seconds(),
            run_id, params, inputs, inputs_hash(state.cached_inputs), kind, result.location,
            getattr(result, "checksum", None), getattr(result.serializer, "name", None),
            getattr(result, "inline", None))


def inputs_hash(inputs: dict[str, Any]) -> str | None:
    """A hash of a task run's inputs (to find matching cache entries first), if picklable.

    Examples
    --------
    >>> inputs_hash({"x": 1}) == inputs_hash({"x": 1}) != inputs_hash({"x": 2})
    True
    """
    data = pickle_or_none(dict(sorted(inputs.items())))
    return None if data is None else hashlib.blake2b(data, digest_size=16).hexdigest()
