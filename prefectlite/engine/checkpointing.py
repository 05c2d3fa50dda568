"""The task runner's result steps: targets and result writing (steps 4 and 7 of run_task).

:mod:`prefectlite.engine.task_runner` calls into this module only when a task or the run
asks for it, so a plain run of plain tasks never gets here. The run's context says what the
run wants (:func:`run_context` fills these keys in; a journaled run, see
:mod:`prefectlite.persistence.runs`, adds the journal's):

``checkpointing``     write every successful task's result (Prefect 1's name)
``default_result``    the ``Result`` of tasks without ``result=``: the flow's ``result``, or in
                      a journaled run a ``JournalResult`` kept in the journal
``journal``           path of the run journal (journaled runs): start time / run count are
                      stamped into each state's ``context``, and ``None`` results are written
``_journal_cache``    journaled runs: the persisted cache (an object with ``lookup(task,
                      key, inputs, ctx, validator)``, see :mod:`prefectlite.persistence.cache`)
                      that the task runner asks after an in-process cache miss
``_record_inputs``    journaled runs: called with each task run's inputs, returns the bytes
                      the journal keeps for ``prefectlite runs replay``, carried in the
                      state's ``context["_inputs"]`` (:mod:`prefectlite.persistence.inputs`)
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

Templates (``target``, ``Result(location=...)``) are formatted with the flow parameters,
then the context (``flow_name``, ``task_name``, ``task_slug``, ``map_index``,
``flow_run_id``, ``today``, ``parameters``, ...), then the task's inputs, as in Prefect 1.
"""

from __future__ import annotations

import logging
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine.result.base import Result, ResultNotImplementedError
from prefectlite.engine.state import Cached, Failed, State, Success

logger = logging.getLogger("prefectlite.TaskRunner")


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
        record_inputs = ctx.get("_record_inputs")  # what `runs replay` calls the task with
        if record_inputs is not None:
            changes["context"]["_inputs"] = record_inputs(inputs, ctx)
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
