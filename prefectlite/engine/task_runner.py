"""Running one task (or one mapped child) to a final ``State``.

:func:`run_task` is the function every executor runs. It is a module-level function of its
inputs only (the task, the upstream states keyed by edge, the constants, the context), so it
pickles and runs the same in a thread, a process or on a Dask worker. It never raises for
anything a task does: exceptions and signals become states. Each step below is a plain
function returning a final ``State`` or ``None`` ("go on"); state handlers run in one place,
:func:`_transition`, on every change of state.

1. upstream check: every upstream state must be finished (else the task stays ``Pending``);
   a skipped upstream skips the task when ``skip_on_upstream_skip`` is set.
2. trigger: ``task.trigger(upstream_states)`` (``False`` or ``TRIGGERFAIL`` → ``TriggerFailed``).
3. inputs: upstream results by edge key (flattened where asked) plus constants.
4. target / cache: a stored ``target`` (read back as ``Cached``), or a valid ``Cached``
   state from an earlier run (``cache_for``; in journaled runs also from the run journal),
   replaces the run.
5. run: ``task.run(**inputs)`` in a worker thread when ``timeout`` is set, with ``print``
   sent to the task logger when ``log_stdout`` is set. ``LOOP`` runs it again at once with
   ``context.task_loop_result``/``task_loop_count`` (at most ``MAX_LOOPS`` times).
6. retry: a failed run with retries left becomes ``Retrying(start_time=now + retry_delay)``;
   the flow runner resubmits it when that time comes, running other tasks meanwhile (with
   ``context["_retry_inline"]``, set for executors whose dependents already hold this
   run's future, the retry is waited for and run here instead).
7. persist: a successful result is written with its ``Result`` when the task (``target``,
   ``checkpoint``) or the run (``context["_persist"]``) asks; see
   :mod:`prefectlite.persistence.checkpoint`. Plain runs of plain tasks skip steps 4 and 7 after
   one attribute test each.

Timeouts: Python cannot stop a thread, so a timed-out function keeps running in its (daemon)
thread until it returns on its own; the task is ``TimedOut`` at once and the flow goes on.
This is the same on every executor (in a process-based executor, that thread lives in the
worker process). A task that must really be stopped should check for its deadline itself.
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import io
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from prefectlite.core.edge import Edge
from prefectlite.core.task import Task
from prefectlite.engine import mapping, signals
from prefectlite.engine.result.base import NoResult
from prefectlite.engine.runner import ENDRUN, Runner
from prefectlite.engine.state import (
    Cached,
    Failed,
    Looped,
    Mapped,
    Pending,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefectlite.exceptions import TaskTimeoutSignal
from prefectlite.persistence import checkpoint
from prefectlite.utilities import context as _context
from prefectlite.utilities.executors import call_in_thread_with_timeout

__all__ = ["ENDRUN", "MAX_LOOPS", "TaskRunner", "run_task", "run_task_with_runner"]
logger = logging.getLogger("prefectlite.TaskRunner")
MAX_LOOPS = 10_000
UPSTREAM_SKIPPED = ("Upstream task was skipped; set skip_on_upstream_skip=False on this task to "
                    "run it anyway.")
_UTC = datetime.UTC
_CACHE: dict[str, list[State]] = {}  # cache key -> Cached states, for this process


def run_task(
    task: Task,
    upstream_states: dict[Edge, Any],
    constants: dict[str, Any],
    context: dict[str, Any],
    state: State | None = None,
) -> State:
    """Run ``task`` once (with its retries decided, not waited for) and return its state.

    ``upstream_states`` maps each incoming edge to the upstream ``State`` (a list of child
    states stands for a mapped upstream). ``context`` becomes ``prefectlite.context``.
    """
    if state is not None:
        if _not_runnable(state):  # finished, running, or not yet due: kept as it is
            return state
        if isinstance(state, Resume):  # a resumed task passes manual_only (see triggers)
            context = {**context, "resume": True}
    token = _context.install(context)
    try:
        if any(type(s) is list for s in upstream_states.values()):
            upstream_states = {e: _as_state(s) for e, s in upstream_states.items()}
        new = _check_upstream(task, upstream_states) or _check_trigger(task, upstream_states)
        if new is not None:
            return _finish(task, state, new, context)
        try:
            inputs = _inputs(upstream_states, constants)
        except TypeError as exc:
            return _finish(task, state, Failed(message=str(exc), result=exc), context)
        target = task.target
        if target is not None:  # a stored target stands in for the run
            new = checkpoint.check_target(task, inputs, context)
            if new is not None:
                return _finish(task, state, new, context)
        new = _check_cache(task, inputs, context)
        if new is not None:
            return _finish(task, state, new, context)
        started = time.time() if "_persist" in context else None
        running: State | None = None
        if task.state_handlers or "_runner" in context:  # else the state is not even built
            running = _transition(task, state or Pending(), Running(message="Starting task run."))
            if not isinstance(running, Running):  # a handler decided otherwise
                return _finish(task, state, running, context)
        if logger.isEnabledFor(logging.INFO):
            logger.info("Task %r: Starting task run...", _full_name(context, task))
        new = _run_with_loops(task, inputs, context, running)
        new = _retry_or_final(task, new, context)
        while isinstance(new, Retrying) and context.get("_retry_inline"):
            context = _wait_for_retry(task, new, context)
            new = _retry_or_final(task, _run_with_loops(task, inputs, context, new), context)
        if started is not None or target is not None or task.checkpoint:
            new = checkpoint.persist(task, new, inputs, context, started)
        _remember_cache(task, new, inputs, context)
        return _finish(task, running, new, context)
    finally:
        _context.restore(token)


def _not_runnable(state: State) -> bool:
    """Prefect 1's readiness checks on a given state: a finished (not cached, not mapped)
    or running task is not run again; a ``Paused`` one, or one ``Scheduled`` without a start
    time or for later, waits."""
    if state.is_pending():
        if not isinstance(state, Scheduled) or isinstance(state, Resume):
            return False
        start = state.start_time
        return start is None or start > datetime.datetime.now(_UTC)
    if state.is_running():
        return True
    return state.is_finished() and not state.is_cached() and not state.is_mapped()


def run_task_with_runner(
    runner_cls: type[TaskRunner] | None, handlers: list[Callable[..., Any]], task: Task,
    upstream_states: dict[Edge, Any], constants: dict[str, Any], context: dict[str, Any],
    state: State | None = None,
) -> State:
    """Run one task through ``runner_cls(task, state_handlers=handlers).run(...)`` (a
    :class:`TaskRunner` by default): how ``FlowRunner(task_runner_cls=...)`` and
    ``FlowRunner.run(task_runner_state_handlers=...)`` reach each task."""
    runner = (runner_cls or TaskRunner)(task, state_handlers=handlers)
    return runner.run(state=state, upstream_states=upstream_states, context=context,
                      inputs=constants)


def fill_mapped_result(state: State) -> State:
    """Give a ``Mapped`` state made without a result its children's results (in place, as
    Prefect 1's flow runner does before handing such a state downstream); return it."""
    if isinstance(state, Mapped) and state._result is NoResult and state.map_states:
        state.result = [getattr(child, "result", None) for child in state.map_states]
    return state


def _as_state(value: Any) -> State:
    if isinstance(value, list):  # children of a mapped upstream, resolved by an executor
        return Mapped(message="Mapped tasks finished.", map_states=value,
                      result=[child.result for child in value])
    return value  # type: ignore[no-any-return]


def _flat_states(upstream_states: dict[Edge, State]) -> list[State]:
    states: list[State] = []
    for st in upstream_states.values():
        if isinstance(st, Mapped):
            states.extend(st.map_states)
        else:
            states.append(st)
    return states


# -- steps -----------------------------------------------------------------------------


def _check_upstream(task: Task, upstream_states: dict[Edge, State]) -> State | None:
    if not upstream_states:
        return None
    states = _flat_states(upstream_states)  # a reduce waits for every mapped child
    if not all(s.is_finished() for s in states):
        return Pending(message="Not all upstream states are finished; waiting.")
    if task.skip_on_upstream_skip and any(s.is_skipped() for s in states):
        return Skipped(message=UPSTREAM_SKIPPED)
    return None


def _check_trigger(task: Task, upstream_states: dict[Edge, State]) -> State | None:
    trigger = task.trigger
    try:
        if not trigger(upstream_states):
            return TriggerFailed(message=f"Trigger {_name(trigger)} was False.")
    except signals.PrefectStateSignal as sig:
        return sig.state
    except Exception as exc:
        if _context.context.get("raise_on_exception"):
            raise
        return TriggerFailed(
            message=f"Trigger {_name(trigger)} raised {exc!r}; fix the trigger function.",
            result=exc,
        )
    return None


def _inputs(upstream_states: dict[Edge, State], constants: dict[str, Any]) -> dict[str, Any]:
    inputs = dict(constants)
    for edge, st in upstream_states.items():
        if edge.key is not None:
            # a mapped child already received its (flattened) element
            flat = edge.flattened and not edge.mapped
            inputs[edge.key] = mapping.flattened_value(st) if flat else st.result
    return inputs


def _cache_key(task: Task, ctx: dict[str, Any]) -> str:
    return task.cache_key or f"{ctx.get('flow_name')}:{ctx.get('task_slug') or task.name}"


def _check_cache(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State | None:
    if task.cache_for is None:
        return None
    from prefectlite.engine import cache_validators

    validator = task.cache_validator or cache_validators.duration_only
    parameters = ctx.get("parameters") or {}
    for candidate in reversed(_CACHE.get(_cache_key(task, ctx), ())):
        try:
            if validator(candidate, inputs, parameters):
                return candidate.copy(message="Task run used a cached result.")
        except Exception as exc:
            return Failed(message=f"Cache validator {_name(validator)} raised {exc!r}.",
                          result=exc)
    if ctx.get("journal"):  # journaled runs share caches across processes (checkpoint)
        return checkpoint.check_persisted_cache(task, _cache_key(task, ctx), inputs, ctx,
                                                validator)
    return None


def _remember_cache(task: Task, state: State, inputs: dict[str, Any], ctx: dict[str, Any]) -> None:
    if task.cache_for is None or type(state) is not Success or "_no_cache_memory" in ctx:
        return
    cached = Cached(
        message="Task run used a cached result.", result=state._result, cached_inputs=inputs,
        cached_parameters=dict(ctx.get("parameters") or {}),
        cached_result_expiration=datetime.datetime.now(_UTC) + task.cache_for,
    )
    _CACHE.setdefault(_cache_key(task, ctx), []).append(cached)


def _run_with_loops(
    task: Task, inputs: dict[str, Any], ctx: dict[str, Any], old: State | None
) -> State:
    loops = ctx.get("task_loop_count", 1)
    while True:
        new = _run_once(task, inputs, ctx)
        if not isinstance(new, Looped):
            return new
        old = _transition(task, old, new)
        if loops >= MAX_LOOPS:
            return Failed(
                message=f"Task {_full_name(ctx, task)!r} looped {loops} times, the most "
                f"allowed (prefectlite.engine.task_runner.MAX_LOOPS); end the loop by "
                "returning instead of raising LOOP."
            )
        loops += 1
        ctx = {**ctx, "task_loop_count": loops, "task_loop_result": new.result}
        _context.install(ctx)


def _run_once(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    try:
        name = _run_name(task, inputs, ctx)
        if name is not None:
            ctx = {**ctx, "task_run_name": name}
            _context.install(ctx)
        call = _stdout_to_log(task, inputs) if task.log_stdout else _call(task, inputs)
        result = call_in_thread_with_timeout(call, task.timeout, ctx) if task.timeout else call()
        return Success(message="Task run succeeded.", result=result)
    except signals.PrefectStateSignal as sig:
        return sig.state
    except TaskTimeoutSignal as exc:
        return TimedOut(message=f"Task timed out after {task.timeout} seconds.", result=exc)
    except Exception as exc:
        if ctx.get("raise_on_exception"):
            raise
        return Failed(message=f"Error during execution of task: {exc!r}", result=exc)


def _call(task: Task, inputs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: task.run(**inputs)


def _run_name(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> str | None:
    template = task.task_run_name
    if template is None:
        return None
    values = {**ctx, **inputs}
    try:
        if not callable(template):
            return template.format(**values)
        # Prefect 1 passes the inputs and context as keywords; Prefect 3's take none
        return template(**values) if _takes_arguments(template) else template()
    except Exception as exc:
        raise ValueError(
            f"task_run_name {template!r} of {task!r} could not be formatted ({exc!r}); it may "
            "use the task's inputs and context keys such as {map_index}."
        ) from exc


def _takes_arguments(fn: Callable[..., Any]) -> bool:
    try:
        return bool(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return True


def _wait_for_retry(task: Task, state: Retrying, ctx: dict[str, Any]) -> dict[str, Any]:
    """Sleep until ``state.start_time``; return the context of the next attempt."""
    now = datetime.datetime.now(_UTC)
    delay = ((state.start_time or now) - now).total_seconds()
    if delay > 0:
        time.sleep(delay)
    ctx = {**ctx, "task_run_count": state.run_count + 1}
    _context.install(ctx)
    return ctx


class _LogWriter(io.TextIOBase):
    def __init__(self, log: logging.Logger) -> None:
        self.log, self.pending = log, ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.log.info(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.log.info(self.pending)
            self.pending = ""


class _StdoutRouter:
    """Stands in for ``sys.stdout`` while ``log_stdout`` tasks run.

    ``contextlib.redirect_stdout`` swaps the process-wide ``sys.stdout``: two tasks
    overlapping in threads would catch each other's lines and leave ``sys.stdout`` pointing
    at a finished task's writer. The router sends each write to the writer of the current
    thread's task (a context variable), and everything else to the real stream.
    """

    def __init__(self) -> None:
        self.real: Any = None
        self.users = 0
        self.lock = threading.Lock()
        self.writer: ContextVar[_LogWriter | None] = ContextVar("prefectlite_stdout",
                                                                 default=None)

    def write(self, text: str) -> int:
        return (self.writer.get() or self.real).write(text)

    def flush(self) -> None:
        (self.writer.get() or self.real).flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, ...
        return getattr(self.real, name)

    @contextlib.contextmanager
    def to(self, writer: _LogWriter) -> Iterator[None]:
        with self.lock:
            if self.users == 0:
                self.real, sys.stdout = sys.stdout, self
            self.users += 1
        token = self.writer.set(writer)
        try:
            yield
        finally:
            self.writer.reset(token)
            writer.flush()
            with self.lock:
                self.users -= 1
                if self.users == 0 and sys.stdout is self:
                    sys.stdout = self.real


_STDOUT = _StdoutRouter()


def _stdout_to_log(task: Task, inputs: dict[str, Any]) -> Callable[[], Any]:
    def call() -> Any:
        with _STDOUT.to(_LogWriter(task.logger)):
            return task.run(**inputs)

    return call


def _retry_or_final(task: Task, state: State, ctx: dict[str, Any]) -> State:
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
                    "retry on exception types.", _full_name(ctx, task), type(state.result).__name__)
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


def _transition(task: Task, old: State | None, new: State) -> State:
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
                message=f"Exception raised while calling state handler {_name(handler)}: "
                f"{exc!r}",
                result=exc,
            )
    return new


def _finish(task: Task, old: State | None, new: State, ctx: dict[str, Any]) -> State:
    if task.state_handlers or "_runner" in ctx:
        new = _transition(task, old, new)
    if task.on_failure is not None and new.is_failed():
        try:
            task.on_failure(task, new)
        except Exception as exc:
            logger.error("Task %r: on_failure %s raised %r", _full_name(ctx, task),
                         _name(task.on_failure), exc, exc_info=True)
    if logger.isEnabledFor(logging.INFO):
        logger.info("Task %r: Finished task run for task with final state: %r",
                    _full_name(ctx, task), type(new).__name__)
    error = new.result if isinstance(new, Failed) else None
    if isinstance(error, Exception) and logger.isEnabledFor(logging.ERROR):
        logger.error("Task %r: %s", _full_name(ctx, task), new.message, exc_info=error)
    return new


def _full_name(ctx: dict[str, Any], task: Task) -> str:
    return str(ctx.get("task_run_name") or ctx.get("task_full_name") or task.name)


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


class TaskRunner(Runner):
    """Prefect 1's way to run one task outside a flow, e.g. in a unit test.

    ``run()`` takes the task's starting ``state``, its ``upstream_states`` by edge (a task
    bound to keyword ``x`` gets ``Edge(upstream, task, key="x")``), a ``context`` and, a
    prefectlite addition, plain ``inputs`` by name. ``state_handlers`` are called as
    ``handler(task_runner, old_state, new_state)`` on every change of state, after the
    task's own.

    Examples
    --------
    >>> from prefectlite import task
    >>> @task
    ... def double(x):
    ...     return 2 * x
    >>> TaskRunner(double).run(inputs={"x": 4}).result
    8
    """

    def __init__(
        self, task: Task, state_handlers: list[Callable[..., Any]] | None = None,
        flow_result: Any = None,
    ):
        self.task = task
        self.flow_result = flow_result
        super().__init__(state_handlers=state_handlers)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.task.name}>"

    def run(
        self,
        state: State | None = None,
        upstream_states: dict[Edge, State] | None = None,
        context: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> State:
        """Run the task once and return its state (an error never escapes, except inside
        :func:`~prefectlite.utilities.debug.raise_on_exception`)."""
        task = self.task
        ctx = {**_context.snapshot(), "task_name": task.name, "task_slug": task.slug,
               "task_full_name": task.name, "task_tags": task.tags, "logger": task.logger,
               "map_index": None, "task_loop_count": 1,
               "task_run_count": state.run_count + 1 if isinstance(state, Retrying) else 1,
               "flow_result": self.flow_result, **(context or {})}
        if self.state_handlers:
            ctx["_runner"] = self
        while isinstance(state, State) and state.is_meta_state():
            state = state.state  # type: ignore[attr-defined]
        upstream_states = {edge: fill_mapped_result(up)
                           for edge, up in (upstream_states or {}).items()}
        return run_task(task, upstream_states, inputs or {}, ctx, state)
