"""The task runner's persistence steps: targets, result writing, and the persisted cache.

:mod:`prefectlite.engine.task_runner` calls into this module only when a task or the run
asks for persistence, so a plain run of plain tasks never gets here. The run's context
says what the run wants (``run_flow`` fills these keys in):

``checkpointing``     write every successful task's result (Prefect 1's name)
``default_result``    the ``Result`` of tasks without ``result=``: the flow's ``result``, or in
                      a journaled run a ``LocalResult`` under the journal's ``results/``
``journal``           path of the run journal (journaled runs): persisted cache lookups, and
                      start time / run count stamped into each state's ``context``
``_persist``          present when any of the above is on: the one key the task runner tests

Rules, per task run:

1. **Target** (before the cache): when ``task.target`` is set and something exists at the
   rendered target, the task is not run; its state is ``Cached`` with the value read back.
   A target that exists but cannot be read is logged and overwritten by a new run.
2. **Write** (after a successful run): the result is written when ``task.checkpoint`` is not
   ``False`` and the task has a ``target``, or ``checkpoint=True`` with a result, or the run
   has ``checkpointing`` on. A ``None`` result is written only in journaled runs (so that a
   resumed run need not run the task again); otherwise it is skipped, as in Prefect 1. The
   result used is ``task.result``, else ``default_result`` (a target alone gets a
   ``LocalResult``); with a target, the target is the location. A write that fails makes
   the task ``Failed`` with a message naming the location.
3. **Persisted cache** (journaled runs, tasks with ``cache_for``): after an in-process miss,
   entries recorded in the journal by earlier runs, in any process, are tried newest first.
   An entry is keyed on the cache key *and a hash of the task's code*, so editing a task
   invalidates its entries; the task's ``cache_validator`` decides as usual.

Templates (``target``, ``Result(location=...)``) are formatted with the flow parameters,
then the context (``flow_name``, ``task_name``, ``task_slug``, ``map_index``,
``flow_run_id``, ``today``, ``parameters``, ...), then the task's inputs, as in Prefect 1.
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
from prefectlite.engine.result.base import Result, ResultNotImplementedError
from prefectlite.engine.state import Cached, Failed, State, Success
from prefectlite.persistence.records import CACHE_COLUMNS, PYTHON, pickle_or_none

logger = logging.getLogger("prefectlite.TaskRunner")
_UTC = datetime.UTC


def format_kwargs(inputs: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """What location templates may use: parameters, then the context, then the inputs.

    Examples
    --------
    >>> kw = format_kwargs({"x": 1}, {"task_name": "inc", "parameters": {"day": "mon"}})
    >>> "{day}/{task_name}-{x}-{parameters[day]}".format(**kw)
    'mon/inc-1-mon'
    """
    return {**(ctx.get("parameters") or {}), **ctx, **inputs}


def result_for(task: Task, ctx: dict[str, Any]) -> Result | None:
    """The Result a task writes with: its own, else its flow's, else the run's default."""
    result: Result | None = task.result
    if result is None:
        result = ctx.get("flow_result")
    if result is None:
        result = ctx.get("default_result")
    return result


def _at(result: Result, template: Any) -> Result:
    """A copy of ``result`` whose location template is ``template`` (a str or a callable)."""
    new = result.copy()
    if isinstance(template, str):
        new.location, new._formatter = template, None
    else:
        new.location, new._formatter = None, template
    return new


def _target_result(task: Task, ctx: dict[str, Any]) -> Result:
    result = result_for(task, ctx)
    if result is None:
        from prefectlite.engine.results import LocalResult

        result = LocalResult()
    return _at(result, task.target)


def _name(task: Task, ctx: dict[str, Any]) -> str:
    return ctx.get("task_full_name") or task.name


# -- 1. targets ---------------------------------------------------------------------------


def check_target(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State | None:
    """``Cached`` with the stored value when the task's target exists, else ``None``."""
    result = _target_result(task, ctx)
    kwargs = format_kwargs(inputs, ctx)
    try:
        location = result.format(**kwargs).location
        assert location is not None
        if not result.exists(location):
            return None
    except Exception as exc:
        return Failed(
            message=f"Task {_name(task, ctx)!r}: target {task.target!r} could not be checked "
            f"({exc!r}); a target may use parameters, context keys (task_name, map_index, "
            "today, ...) and the task's inputs.",
            result=exc,
        )
    try:
        found = result.read(location)
    except Exception as exc:
        logger.warning("Task %r: target %s exists but cannot be read (%s); running the task "
                       "again, which replaces it.", _name(task, ctx), location, exc)
        return None
    return Cached(message=f"Result found at task target {location}.", result=found,
                  cached_parameters=dict(ctx.get("parameters") or {}))


# -- 2. writing results --------------------------------------------------------------------


def persist(task: Task, state: State, inputs: dict[str, Any], ctx: dict[str, Any],
            started: float | None) -> State:
    """Write a successful run's result when the task or the run asks for it (rule 2)."""
    changes: dict[str, Any] = {}
    if ctx.get("journal"):
        changes["context"] = {**state.context, "start_time": started,
                              "run_count": ctx.get("task_run_count", 1)}
        if task.cache_for is not None:
            changes["cached_inputs"] = inputs
    if (type(state) is Success and state._result.location is None and _wants_write(task, ctx)
            and (state.result is not None or ctx.get("journal"))):
        result = _target_result(task, ctx) if task.target is not None else result_for(task, ctx)
        if result is not None:
            kwargs = format_kwargs(inputs, ctx)
            try:
                changes["result"] = result.write(state.result, **kwargs)
            except ResultNotImplementedError:
                pass  # a plain Result persists nothing (Prefect 1 behaviour)
            except Exception as exc:
                if not _unasked(task, result, exc):
                    return Failed(message=_write_failed(task, result, kwargs, ctx, exc),
                                  result=exc)
                logger.warning("Task %r: its result cannot be stored in the run journal (%r); "
                               "it stays in memory, and a resumed run runs the task again.",
                               _name(task, ctx), exc)
    return state.copy(**changes) if changes else state


def _unasked(task: Task, result: Result, exc: Exception) -> bool:
    """A value the journal's default result cannot serialize (a lock, a connection, ...).

    Nobody asked for this result to be stored, so failing the task would make journaling
    break flows that work without it; an I/O error, or any error of a result the task or
    flow asked for, fails the task instead.
    """
    from prefectlite.engine.results.journal_result import JournalResult

    return (isinstance(result, JournalResult) and not isinstance(exc, OSError)
            and task.target is None and task.result is None and not task.checkpoint)


def _wants_write(task: Task, ctx: dict[str, Any]) -> bool:
    if task.checkpoint is False:
        return False
    return bool(task.target is not None or ctx.get("checkpointing") or task.checkpoint)


def _write_failed(task: Task, result: Result, kwargs: dict[str, Any], ctx: dict[str, Any],
                  exc: Exception) -> str:
    try:
        where = result.format(**kwargs).location
        path = getattr(result, "path", None)
        where = path(where) if path is not None and where is not None else where
    except Exception:
        where = None
    to = f" to {where}" if where else ""
    return (f"Task {_name(task, ctx)!r} ran, but its result could not be written{to} with "
            f"{type(result).__name__}: {exc!r}. Make that place writable (and check free disk "
            "space), or set checkpoint=False on the task to keep its result in memory only.")


# -- 3. the persisted cache ------------------------------------------------------------------


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
                          validator: Any) -> State | None:
    """A ``Cached`` state from the journal's cache (rule 3), or ``None``."""
    try:
        store = _store(ctx["journal"])
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


# -- the run's settings ------------------------------------------------------------------------


def run_context(flow: Any, context: dict[str, Any] | None, journaled: bool = False
                ) -> dict[str, Any] | None:
    """The run context with the persistence keys of the module docstring filled in.

    ``checkpointing`` comes from the context if given, else from the configuration's
    ``flows.checkpointing`` (``PREFECTLITE__FLOWS__CHECKPOINTING``); its default
    (``"journal"``) turns it on exactly for journaled runs.
    """
    from prefectlite import settings

    checkpointing = (context or {}).get("checkpointing")
    if checkpointing is None:
        checkpointing = settings.checkpointing()
        checkpointing = journaled if checkpointing is None else checkpointing
    if not (checkpointing or journaled or flow.result is not None):
        return context  # nothing to add: the task runner's one check stays false
    ctx = dict(context or {})
    ctx["checkpointing"] = bool(checkpointing)
    if ctx.get("default_result") is None and flow.result is not None:
        ctx["default_result"] = flow.result
    if checkpointing or journaled:
        ctx["_persist"] = True  # its presence is the task runner's one check
    return ctx
