"""Running one task (or one mapped child) to a final ``State``.

:func:`run_task` is the function every executor runs. It is a module-level function of its
inputs only (the task, the upstream states keyed by edge, the constants, the context), so it
pickles and runs the same in a thread, a process or on a Dask worker. It never raises for
anything a task does: exceptions and signals become states. Each step below is a plain
function returning a final ``State`` or ``None`` ("go on"); state handlers run in one place,
:func:`~prefectlite.engine.task_steps.transition`, on every change of state. The steps live in
:mod:`prefectlite.engine.task_steps`, shared with the ``async def`` runner of the eager API;
this module calls the task (step 5) in the current thread.

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
   :mod:`prefectlite.engine.checkpointing`. Plain runs of plain tasks skip steps 4 and 7 after
   one attribute test each.

Timeouts: Python cannot stop a thread, so a timed-out function keeps running in its (daemon)
thread until it returns on its own; the task is ``TimedOut`` at once and the flow goes on.
This is the same on every executor (in a process-based executor, that thread lives in the
worker process). A task that must really be stopped should check for its deadline itself.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from prefectlite.core.edge import Edge
from prefectlite.core.task import Task
from prefectlite.engine import task_steps as steps
from prefectlite.engine.result.base import NoResult
from prefectlite.engine.runner import ENDRUN, Runner
from prefectlite.engine.state import Failed, Mapped, Resume, Retrying, Scheduled, State, Success
from prefectlite.engine.task_stdout import prints_to_log
from prefectlite.engine.task_steps import UPSTREAM_SKIPPED, logger
from prefectlite.utilities import context as _context
from prefectlite.utilities.executors import call_in_thread_with_timeout

__all__ = ["ENDRUN", "MAX_LOOPS", "UPSTREAM_SKIPPED", "TaskRunner", "logger", "run_task",
           "run_task_with_runner"]
MAX_LOOPS = 10_000
_UTC = datetime.UTC


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
        new = (steps.check_upstream(task, upstream_states)
               or steps.check_trigger(task, upstream_states))
        if new is not None:
            return steps.finish(task, state, new, context)
        try:
            inputs = steps.gather_inputs(upstream_states, constants)
        except TypeError as exc:
            return steps.finish(task, state, Failed(message=str(exc), result=exc), context)
        return _drive(task, inputs, steps.run_steps(
            task, inputs, context, state, MAX_LOOPS, bool(context.get("_retry_inline"))))
    except BaseException as exc:  # a task never takes the run down (Ctrl-C does)
        new = steps.escaped_error(task, exc, context)
        steps.logger.error("%s", new.message, exc_info=exc)
        return new
    finally:
        _context.restore(token)


def _drive(task: Task, inputs: dict[str, Any], run: Any) -> State:
    """Serve the requests of :func:`~prefectlite.engine.task_steps.run_steps` in this thread."""
    try:
        kind, value = next(run)
        while True:
            if kind is steps.RUN:
                limiter = value.get("_task_limiter") if task.tags else None
                if limiter is None:
                    kind, value = run.send(_run_once(task, inputs, value))
                else:  # tag concurrency limits: hold the tags' slots while the task runs
                    with limiter.slots(task.tags):
                        attempt = _run_once(task, inputs, value)
                    kind, value = run.send(attempt)
            else:  # WAIT: an in-place retry (executors whose dependents hold this future)
                time.sleep(value)
                kind, value = next(run)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


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


def _run_once(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    """One attempt (step 5): call the task, in a thread when it has a ``timeout``."""
    try:
        ctx = steps.named_context(task, inputs, ctx)
        call = _stdout_to_log(task, inputs) if task.log_stdout else _call(task, inputs)
        result = call_in_thread_with_timeout(call, task.timeout, ctx) if task.timeout else call()
        return Success(message="Task run succeeded.", result=result)
    except steps.ATTEMPT_ERRORS as exc:
        return steps.attempt_error(task, exc, ctx)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt, GeneratorExit, ...
        return steps.escaped_error(task, exc, ctx)


def _call(task: Task, inputs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: task.run(**inputs)


def _stdout_to_log(task: Task, inputs: dict[str, Any]) -> Callable[[], Any]:
    def call() -> Any:
        with prints_to_log(task.logger):
            return task.run(**inputs)

    return call


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
