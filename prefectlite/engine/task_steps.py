"""The steps of one task run, shared by the synchronous and the asynchronous runner.

:func:`prefectlite.engine.task_runner.run_task` (a task in a thread, a process or on a Dask
worker) and :func:`prefectlite.eager.async_tasks.run_task_async` (an ``async def`` task on
the caller's event loop) differ only in how one attempt calls the task and how a retry
waits. Everything else is here, once:

* steps 1–3 as functions returning a final ``State`` or ``None`` ("go on"):
  :func:`check_upstream`, :func:`check_trigger`, :func:`gather_inputs`;
* steps 4–7 as one generator, :func:`run_steps`: target and cache, the ``Running``
  transition, the attempts with ``LOOP``, retries, persisting and caching the result, the
  final handlers and log lines. It *yields* what it needs from its driver:

  ``(RUN, context)``   run the task once with this context (the driver installs nothing;
                       :func:`named_context` and :func:`attempt_error` are the parts of an
                       attempt every driver shares) and send back the attempt's state;
  ``(WAIT, seconds)``  wait this long before an in-place retry, then ``next()``;

  and returns the final state (``StopIteration.value``);
* :func:`transition` and :func:`finish`: state handlers, ``on_failure`` and the log lines.

Keeping the generator free of I/O is what makes a ``LOOP``, a retry or a cache hit behave the
same whichever way the task is called.
"""

from __future__ import annotations

import datetime
import inspect
import logging
import time
from collections.abc import Callable, Generator
from typing import Any

from prefectlite.core.edge import Edge
from prefectlite.core.task import Task
from prefectlite.engine import checkpointing, mapping, signals
from prefectlite.engine.interrupts import is_driver_interrupt
from prefectlite.engine.state import (
    Cached,
    Failed,
    Looped,
    Mapped,
    Pending,
    Retrying,
    Running,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefectlite.exceptions import TaskTimeoutSignal
from prefectlite.utilities import context as _context
from prefectlite.utilities.errors import safe_repr

__all__ = [
    "ATTEMPT_ERRORS", "CACHE", "RUN", "UPSTREAM_SKIPPED", "WAIT", "attempt_error", "cache_key",
    "check_cache", "check_trigger", "check_upstream", "escaped_error", "finish", "full_name",
    "gather_inputs", "logger", "named_context", "remember_cache", "retry_or_final", "run_steps",
    "transition",
]

logger = logging.getLogger("prefectlite.TaskRunner")
UPSTREAM_SKIPPED = ("Upstream task was skipped; set skip_on_upstream_skip=False on this task to "
                    "run it anyway.")
CACHE: dict[str, list[State]] = {}  # cache key -> Cached states, for this process
RUN, WAIT = "run", "wait"
#: what an attempt turns into a state (:func:`attempt_error`); anything else propagates
ATTEMPT_ERRORS = (signals.PrefectStateSignal, TaskTimeoutSignal, Exception)
Request = tuple[str, Any]
_UTC = datetime.UTC


# -- steps 1-3 ---------------------------------------------------------------------------


def _flat_states(upstream_states: dict[Edge, State]) -> list[State]:
    states: list[State] = []
    for st in upstream_states.values():
        if isinstance(st, Mapped):
            states.extend(st.map_states)
        else:
            states.append(st)
    return states


def check_upstream(task: Task, upstream_states: dict[Edge, State]) -> State | None:
    """Step 1: ``Pending`` while an upstream is unfinished; ``Skipped`` after a skip."""
    if not upstream_states:
        return None
    states = _flat_states(upstream_states)  # a reduce waits for every mapped child
    if not all(s.is_finished() for s in states):
        return Pending(message="Not all upstream states are finished; waiting.")
    if task.skip_on_upstream_skip and any(s.is_skipped() for s in states):
        return Skipped(message=UPSTREAM_SKIPPED)
    return None


def check_trigger(task: Task, upstream_states: dict[Edge, State]) -> State | None:
    """Step 2: the task's trigger (``False`` or an error → ``TriggerFailed``)."""
    trigger = task.trigger
    try:
        if not trigger(upstream_states):
            return TriggerFailed(message=f"Trigger {name_of(trigger)} was False.")
    except signals.PrefectStateSignal as sig:
        return sig.state
    except Exception as exc:
        if _context.context.get("raise_on_exception"):
            raise
        return TriggerFailed(
            message=f"Trigger {name_of(trigger)} raised {safe_repr(exc)}; fix the trigger "
            "function.",
            result=exc,
        )
    return None


def gather_inputs(upstream_states: dict[Edge, State], constants: dict[str, Any]
                  ) -> dict[str, Any]:
    """Step 3: the task's inputs, upstream results by edge key plus the constants."""
    inputs = dict(constants)
    for edge, st in upstream_states.items():
        if edge.key is not None:
            # a mapped child already received its (flattened) element
            flat = edge.flattened and not edge.mapped
            inputs[edge.key] = mapping.flattened_value(st) if flat else st.result
    return inputs


# -- step 4: cache -----------------------------------------------------------------------


def cache_key(task: Task, ctx: dict[str, Any]) -> str:
    """The key a task's cached states are kept under (``cache_key``, or flow and slug)."""
    return task.cache_key or f"{ctx.get('flow_name')}:{ctx.get('task_slug') or task.name}"


def check_cache(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State | None:
    """A valid ``Cached`` state standing in for the run (``cache_for``), or ``None``."""
    if task.cache_for is None:
        return None
    from prefectlite.engine import cache_validators

    validator: Callable[..., Any] | None = task.cache_validator  # None if a user unset it
    validator = validator or cache_validators.duration_only
    parameters = ctx.get("parameters") or {}
    for candidate in reversed(CACHE.get(cache_key(task, ctx), ())):
        try:
            if validator(candidate, inputs, parameters):
                return candidate.copy(message="Task run used a cached result.")
        except Exception as exc:
            return Failed(message=f"Cache validator {name_of(validator)} raised "
                          f"{safe_repr(exc)}.",
                          result=exc)
    journal_cache = ctx.get("_journal_cache")  # journaled runs: a cache across processes
    if journal_cache is None:
        return None
    found: State | None = journal_cache.lookup(task, cache_key(task, ctx), inputs, ctx,
                                               validator)
    return found


def remember_cache(task: Task, state: State, inputs: dict[str, Any], ctx: dict[str, Any]
                   ) -> None:
    """Keep a successful run of a ``cache_for`` task as a ``Cached`` state."""
    if task.cache_for is None or type(state) is not Success or "_no_cache_memory" in ctx:
        return
    cached = Cached(
        message="Task run used a cached result.", result=state._result, cached_inputs=inputs,
        cached_parameters=dict(ctx.get("parameters") or {}),
        cached_result_expiration=datetime.datetime.now(_UTC) + task.cache_for,
    )
    CACHE.setdefault(cache_key(task, ctx), []).append(cached)


# -- steps 4-7 ---------------------------------------------------------------------------


def run_steps(task: Task, inputs: dict[str, Any], ctx: dict[str, Any], old: State | None,
              max_loops: int, wait_retries: bool = False) -> Generator[Request, Any, State]:
    """Steps 4–7 of a task run whose inputs are known (see the module docstring).

    ``old`` is the state the task starts from; ``max_loops`` bounds ``LOOP``; with
    ``wait_retries`` a failed attempt with retries left is retried here (after a ``WAIT``),
    else the run ends ``Retrying`` for the flow runner to resubmit.
    """
    target = task.target
    new = checkpointing.check_target(task, inputs, ctx) if target is not None else None
    new = new or check_cache(task, inputs, ctx)
    if new is not None:
        return finish(task, old, new, ctx)
    started = time.time() if "_persist" in ctx else None
    running: State | None = None
    if task.state_handlers or "_runner" in ctx:  # else the state is not even built
        running = transition(task, old or Pending(), Running(message="Starting task run."))
        if not isinstance(running, Running):  # a handler decided otherwise
            return finish(task, old, running, ctx)
    if logger.isEnabledFor(logging.INFO):
        logger.info("Task %r: Starting task run...", full_name(ctx, task))
    new = retry_or_final(task, (yield from _attempts(task, ctx, running, max_loops)), ctx)
    while isinstance(new, Retrying) and wait_retries:
        now = datetime.datetime.now(_UTC)
        yield WAIT, max(0.0, ((new.start_time or now) - now).total_seconds())
        ctx = {**ctx, "task_run_count": new.run_count + 1}
        _context.install(ctx)
        new = retry_or_final(task, (yield from _attempts(task, ctx, new, max_loops)), ctx)
    if started is not None or target is not None or task.checkpoint:
        new = checkpointing.persist(task, new, inputs, ctx, started)
    remember_cache(task, new, inputs, ctx)
    return finish(task, running, new, ctx)


def _attempts(task: Task, ctx: dict[str, Any], old: State | None, max_loops: int
              ) -> Generator[Request, Any, State]:
    """Step 5: attempts until one does not ``LOOP`` (at most ``max_loops`` in all)."""
    loops = ctx.get("task_loop_count", 1)
    while True:
        new = yield RUN, ctx
        if not isinstance(new, Looped):
            return new  # type: ignore[no-any-return]
        old = transition(task, old, new)
        if loops >= max_loops:
            return Failed(
                message=f"Task {full_name(ctx, task)!r} looped {loops} times, the most "
                f"allowed (prefectlite.engine.task_runner.MAX_LOOPS); end the loop by "
                "returning instead of raising LOOP."
            )
        loops += 1
        ctx = {**ctx, "task_loop_count": loops, "task_loop_result": new.result}
        _context.install(ctx)


def named_context(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """The context of one attempt: with ``task_run_name`` (installed) when the task has one."""
    template = task.task_run_name
    if template is None:
        return ctx
    values = {**ctx, **inputs}
    try:
        if not callable(template):
            name = template.format(**values)
        else:  # Prefect 1 passes the inputs and context as keywords; Prefect 3's take none
            name = template(**values) if _takes_arguments(template) else template()
    except Exception as exc:
        raise ValueError(
            f"task_run_name {template!r} of {task!r} could not be formatted ({exc!r}); it may "
            "use the task's inputs and context keys such as {map_index}."
        ) from exc
    ctx = {**ctx, "task_run_name": name}
    _context.install(ctx)
    return ctx


def _takes_arguments(fn: Any) -> bool:
    try:
        return bool(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return True


def attempt_error(task: Task, exc: BaseException, ctx: dict[str, Any]) -> State:
    """The state of an attempt that raised ``exc``: a signal's state, ``TimedOut``, or
    ``Failed`` (re-raised inside ``raise_on_exception``)."""
    if isinstance(exc, signals.PrefectStateSignal):
        return exc.state
    if isinstance(exc, TaskTimeoutSignal):
        return TimedOut(message=f"Task timed out after {task.timeout} seconds.", result=exc)
    if ctx.get("raise_on_exception"):
        raise exc
    return Failed(message=f"Error during execution of task: {safe_repr(exc)}", result=exc)


def escaped_error(task: Task, exc: BaseException, ctx: dict[str, Any]) -> State:
    """The state of a task whose attempt, or whole run, raised a ``BaseException`` that is
    not an ``Exception`` (``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit``, ...):
    ``Failed``, naming the task, so that the flow run goes on. Re-raised when it is Ctrl-C
    in the driver (see :mod:`prefectlite.engine.interrupts`) or inside
    ``raise_on_exception``; a Prefect signal gives its state."""
    if is_driver_interrupt(exc) or _context.context.get("raise_on_exception"):
        raise exc
    if isinstance(exc, signals.PrefectStateSignal):
        return exc.state
    message = (f"Task {full_name(ctx, task)!r} raised {safe_repr(exc)}; the task failed and "
               "the flow run goes on.")
    return Failed(message=message, result=exc)


def retry_or_final(task: Task, state: State, ctx: dict[str, Any]) -> State:
    """Step 6: a failed attempt with retries left becomes ``Retrying`` (after the delay)."""
    run_count = ctx.get("task_run_count", 1)
    if isinstance(state, Retrying):
        return state.copy(run_count=run_count)
    if not state.is_failed() or isinstance(state, TriggerFailed):
        return state
    if run_count > task.max_retries:
        return state
    retry_on = task.retry_on
    if retry_on and state.result is not None and not isinstance(state.result, tuple(retry_on)):
        logger.info("Task %r: Skipping retry. Exception of type %r is not an instance of the "
                    "retry on exception types.", full_name(ctx, task), type(state.result).__name__)
        return state
    delay = task.retry_delay or datetime.timedelta(0)
    if task.retry_policy is not None:  # per-retry delays or a condition (eager tasks)
        decided = task.retry_policy(task, run_count, state)
        if decided is None:
            return state
        delay = decided
    start = datetime.datetime.now(_UTC) + delay
    return Retrying(
        message=f"Retrying task (after attempt {run_count} of {task.max_retries + 1}): "
        f"{state.message}",
        result=state._result, start_time=start, run_count=run_count,
    )


# -- transitions, handlers, logging ------------------------------------------------------


def transition(task: Task, old: State | None, new: State) -> State:
    """Call the task's state handlers, then the task runner's (``context["_runner"]``), for
    ``old -> new``; return the state they settle on."""
    if old is None:
        old = Pending()
    runner = _context.context.get("_runner")
    calls = [(h, task) for h in task.state_handlers]
    if runner is not None:
        calls += [(h, runner) for h in runner.state_handlers]
    for handler, subject in calls:
        try:
            new = handler(subject, old, new) or new
        except signals.PrefectStateSignal as sig:
            new = sig.state
        except Exception as exc:
            if _context.context.get("raise_on_exception"):
                raise
            return Failed(
                message=f"Exception raised while calling state handler {name_of(handler)}: "
                f"{safe_repr(exc)}",
                result=exc,
            )
    return new


def finish(task: Task, old: State | None, new: State, ctx: dict[str, Any]) -> State:
    """The last transition of a run: handlers, ``on_failure``, the final log lines."""
    if task.state_handlers or "_runner" in ctx:
        new = transition(task, old, new)
    if task.on_failure is not None and new.is_failed():
        try:
            task.on_failure(task, new)
        except Exception as exc:
            logger.error("Task %r: on_failure %s raised %r", full_name(ctx, task),
                         name_of(task.on_failure), exc, exc_info=True)
    if logger.isEnabledFor(logging.INFO):
        logger.info("Task %r: Finished task run for task with final state: %r",
                    full_name(ctx, task), type(new).__name__)
    error = new.result if isinstance(new, Failed) else None
    if (isinstance(error, BaseException) and not isinstance(error, signals.PrefectSignal)
            and logger.isEnabledFor(logging.ERROR)):
        logger.error("Task %r: %s", full_name(ctx, task), new.message, exc_info=error)
    return new


def full_name(ctx: dict[str, Any], task: Task) -> str:
    """The name log lines give a task run (run name, full name with map index, or name)."""
    return str(ctx.get("task_run_name") or ctx.get("task_full_name") or task.name)


def name_of(obj: Any) -> str:
    """A function's qualified name for messages."""
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
