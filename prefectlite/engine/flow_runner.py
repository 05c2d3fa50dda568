"""Running a whole flow once: its checks, its walk, and the flow's final state.

:class:`FlowRunner` checks the parameters and ``task_states`` before anything runs, then
walks the graph through the executor (:mod:`prefectlite.engine.walker`: ready task runs are
submitted as their upstream runs finish, retries are scheduled on a timer heap, mapped
tasks are expanded when their inputs are known), telling its observers
(:class:`~prefectlite.engine.observers.RunObserver`) of every state. Finished states given
in ``task_states`` are not run again (the basis of resuming). ``Ctrl-C``
(``KeyboardInterrupt``) stops the walk and returns a ``Cancelled`` flow state that keeps
every state reached so far; it is not re-raised, so a script can inspect or resume the run.

The flow's final state comes from its reference tasks (the terminal tasks by default; the
children of a mapped reference task count one by one): ``Failed`` if any failed,
``Success`` if all succeeded (skips count as success), ``Running`` if some never finished.

``flow.run()`` (once or on a schedule, with the run journal) is set up by
:mod:`prefectlite.engine.run_setup`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import interrupts
from prefectlite.engine import walk as _walk
from prefectlite.engine.collector import during_run
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.run_context import fill_flow_context
from prefectlite.engine.runner import ENDRUN, Runner, call_state_handlers
from prefectlite.engine.state import (
    Cancelled,
    Failed,
    Mapped,
    Pending,
    Running,
    Scheduled,
    State,
    Success,
)
from prefectlite.engine.task_runner import TaskRunner, fill_mapped_result
from prefectlite.engine.walker import Walker
from prefectlite.exceptions import ParameterError, TaskNotInFlowError
from prefectlite.executors.base import Executor
from prefectlite.utilities import context as _context
from prefectlite.utilities.errors import safe_repr

logger = logging.getLogger("prefectlite.FlowRunner")
__all__ = ["FlowRunner", "FlowRunnerInitializeResult", "check_task_states", "final_state"]
_NOT_EVALUATED = "Task not evaluated by FlowRunner."


class FlowRunnerInitializeResult(NamedTuple):
    """What :meth:`FlowRunner.initialize_run` returns (Prefect 1's named tuple)."""

    state: State
    task_states: dict[Task, State]
    context: dict[str, Any]
    task_contexts: dict[Task, dict[str, Any]]


#: context keys of an enclosing run that a new flow run must not inherit
_PER_RUN_KEYS = ("flow", "flow_run_id", "task_name", "task_slug", "task_full_name",
                 "task_tags", "task_run_name", "task_loop_result", "logger", "resume")


class FlowRunner(Runner):
    """Runs a flow once: ``FlowRunner(flow).run(...)`` returns the flow's final state.

    As in Prefect 1, one call is one *pass* over the flow: a task that ends ``Retrying``
    (or was given a ``Scheduled`` state whose time has not come, or ``Paused``) keeps that
    state, its dependents stay ``Pending`` and the flow stays ``Running``; pass the returned
    ``state.result`` back as ``task_states`` to go on. ``flow.run()`` instead waits for
    retries inside the same walk (``wait_for_retries=True``). ``state_handlers`` are called
    as ``handler(flow_runner, old_state, new_state)`` after the flow's own handlers. A
    ``task_runner_cls`` (a :class:`~prefectlite.engine.task_runner.TaskRunner` subclass)
    runs each task through its ``run(state=, upstream_states=, context=, inputs=)``; Prefect
    1's per-step TaskRunner methods do not exist here to be overridden.

    Examples
    --------
    >>> from prefectlite import Flow, task
    >>> @task
    ... def one():
    ...     return 1
    >>> with Flow("f") as flow:
    ...     x = one()
    >>> state = FlowRunner(flow).run(return_tasks=[x])
    >>> state.message, state.result[x].result
    ('All reference tasks succeeded.', 1)
    """

    def __init__(
        self, flow: Flow, task_runner_cls: type | None = None,
        state_handlers: Iterable[Callable[..., Any]] | None = None,
    ):
        self.flow = flow
        self.task_runner_cls = task_runner_cls or TaskRunner
        super().__init__(state_handlers=state_handlers)
        self._observers: list[RunObserver] = []
        self._wait_for_retries = False
        self._reached: State | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {getattr(self.flow, 'name', None)}>"

    def call_runner_target_handlers(self, old_state: State, new_state: State) -> State:
        """Call the flow's own state handlers, ``handler(flow, old, new)``."""
        self.logger.debug("Flow %r: Handling state change from %s to %s", self.flow.name,
                          type(old_state).__name__, type(new_state).__name__)
        for handler in self.flow.state_handlers:
            try:
                new_state = handler(self.flow, old_state, new_state) or new_state
            except Exception as exc:
                self.logger.error("Flow %r: state handler %s raised %r", self.flow.name,
                                  getattr(handler, "__qualname__", handler), exc)
                raise
        return new_state

    def initialize_run(  # type: ignore[override]
        self, state: State | None, task_states: dict[Task, State], context: dict[str, Any],
        task_contexts: dict[Task, dict[str, Any]], parameters: dict[str, Any],
    ) -> FlowRunnerInitializeResult:
        """Fill the run's context (see :mod:`prefectlite.engine.run_context`) and give every
        task its ``task_name`` and ``task_slug``; no state means ``Pending()``."""
        try:
            fill_flow_context(self.flow, context, parameters, self.logger)
        except ParameterError as exc:  # a typed Parameter's value does not fit: run nothing
            self.logger.error("Flow run FAILED: %s", exc)
            raise ENDRUN(Failed(message=str(exc), result=exc)) from None
        slugs = self.flow.slugs
        given = dict(task_contexts)
        task_contexts.clear()
        for task in self.flow.tasks:
            task_contexts[task] = {**(given.get(task) or {}), "task_name": task.name,
                                   "task_slug": slugs[task]}
        state, context = super().initialize_run(state=state, context=context)
        return FlowRunnerInitializeResult(state, task_states, context, task_contexts)

    @during_run
    def run(
        self,
        state: State | None = None,
        task_states: dict[Task, State] | None = None,
        return_tasks: Iterable[Task] | None = None,
        parameters: dict[str, Any] | None = None,
        task_runner_state_handlers: Iterable[Callable[..., Any]] | None = None,
        executor: Executor | None = None,
        context: dict[str, Any] | None = None,
        task_contexts: dict[Task, dict[str, Any]] | None = None,
        *,
        observers: Iterable[RunObserver] = (),
        wait_for_retries: bool = False,
    ) -> State:
        """Run the flow once and return its state; ``state.result`` maps each of
        ``return_tasks`` (none by default) to its state.

        ``parameters`` override ``context["parameters"]``; ``task_states`` gives tasks a
        starting state (finished ones are not run again); ``executor`` defaults to the
        flow's, else a ``LocalExecutor``. prefectlite additions: ``observers`` are told of
        the run's progress (see :class:`RunObserver`); ``wait_for_retries`` runs retries and
        scheduled tasks in this run, as ``flow.run()`` does, instead of returning
        ``Running``.
        """
        self._observers = list(observers)
        self._wait_for_retries = wait_for_retries
        task_states = check_task_states(self.flow, task_states)  # mistakes raise at once
        self.flow.validate()
        run_context = {k: v for k, v in _context.snapshot().items() if k not in _PER_RUN_KEYS}
        run_context.update(context or {})
        executor, self._reached = _executor(self.flow, executor), state
        try:
            state = self._one_pass(state, task_states, run_context, dict(task_contexts or {}),
                                   dict(parameters or {}), return_tasks, executor,
                                   task_runner_state_handlers)
        except ENDRUN as end:
            state = end.state
        except Exception as exc:
            state = self._unexpected(self._reached, exc, run_context)
        for observer in self._observers:
            observer.flow_run_finished(self.flow, state)
        return state

    def _one_pass(
        self, state: State | None, task_states: dict[Task, State], context: dict[str, Any],
        task_contexts: dict[Task, dict[str, Any]], parameters: dict[str, Any],
        return_tasks: Iterable[Task] | None, executor: Executor,
        task_runner_state_handlers: Iterable[Callable[..., Any]] | None,
    ) -> State:
        """Prefect 1's steps of a flow run, inside the run's context (``_reached``: the
        state an unexpected error fails from)."""
        state, task_states, context, task_contexts = self.initialize_run(
            state=state, task_states=task_states, context=context,
            task_contexts=task_contexts, parameters=parameters)
        with _context.context(**context):
            self._begin(task_states)
            state = self.check_flow_is_pending_or_running(state)
            state = self.check_flow_reached_start_time(state)
            state = self._reached = self.set_flow_to_running(state)
            return self.get_flow_run_state(
                state, task_states=task_states, task_contexts=task_contexts,
                return_tasks=return_tasks, executor=executor,
                task_runner_state_handlers=task_runner_state_handlers)

    def _begin(self, task_states: dict[Task, State]) -> None:
        """Tell the observers the run starts, then log its first line (after them, so that
        an observer that records the run's log, the journal, has it)."""
        ctx = _context.snapshot()
        for observer in self._observers:
            observer.flow_run_started(self.flow, ctx)
            observer.task_states_given(task_states)
        self.logger.info("Beginning Flow run for '%s'", self.flow.name)

    def _unexpected(self, state: State | None, exc: Exception,
                    run_context: dict[str, Any]) -> State:
        self.logger.exception("Unexpected error while running flow: %s", safe_repr(exc))
        if run_context.get("raise_on_exception"):
            raise exc
        failed = Failed(message=f"Unexpected error while running flow: {safe_repr(exc)}",
                        result=exc)
        return self.handle_state_change(state or Pending(), failed)

    @call_state_handlers
    def check_flow_reached_start_time(self, state: State) -> State:
        """End the run (keeping ``state``) if it is ``Scheduled`` for a later time."""
        start = state.start_time if isinstance(state, Scheduled) else None
        if start is not None and start > datetime.datetime.now(datetime.UTC):
            self.logger.debug("Flow %r: start_time has not been reached; ending run.",
                              self.flow.name)
            raise ENDRUN(state)
        return state

    @call_state_handlers
    def check_flow_is_pending_or_running(self, state: State) -> State:
        """End the run (keeping ``state``) unless the flow is Pending or Running."""
        if state.is_finished():
            self.logger.info("Flow run has already finished.")
            raise ENDRUN(state)
        if not (state.is_pending() or state.is_running()):
            self.logger.info("Flow is not ready to run.")
            raise ENDRUN(state)
        return state

    @call_state_handlers
    def set_flow_to_running(self, state: State) -> State:
        """Pending becomes ``Running("Running flow.")``; Running stays; others end the run."""
        if state.is_pending():
            return Running(message="Running flow.")
        if state.is_running():
            return state
        raise ENDRUN(state)

    @call_state_handlers
    def get_flow_run_state(
        self, state: State, task_states: dict[Task, State],
        task_contexts: dict[Task, dict[str, Any]], return_tasks: Iterable[Task] | None,
        task_runner_state_handlers: Iterable[Callable[..., Any]] | None,
        executor: Executor,
    ) -> State:
        """Walk the flow through ``executor`` (see :mod:`prefectlite.engine.walker`); the
        flow's state comes from :meth:`determine_final_state`."""
        if not state.is_running():
            self.logger.info("Flow is not in a Running state.")
            raise ENDRUN(state)
        flow = self.flow
        return_tasks = list(dict.fromkeys(return_tasks or ()))
        if any(t not in flow.tasks for t in return_tasks):
            raise ValueError("Some tasks in return_tasks were not found in the flow.")
        ctx = _context.snapshot()
        if not self._wait_for_retries:  # Prefect 1 keeps caches only across flow.run()s
            ctx["_no_cache_memory"] = True
        walker = self._walker(executor, ctx, task_contexts, task_runner_state_handlers)
        try:
            with interrupts.marking_sigint(), executor.start(), _limiter(executor, ctx):
                walker.run(task_states)
        except KeyboardInterrupt:
            self.logger.warning("Flow run %r interrupted; returning a Cancelled state.",
                                flow.name)
            return Cancelled(message="Flow run was interrupted (KeyboardInterrupt); the "
                             "states of the tasks that finished are kept.",
                             result=_task_states(walker.walk.states, return_tasks),
                             context={"flow_run_id": ctx.get("flow_run_id")})
        states = walker.walk.states
        final = self.determine_final_state(
            state, key_states=_flat(states, flow.reference_tasks()),
            return_states=_task_states(states, return_tasks),
            terminal_states=_flat(states, flow.terminal_tasks()),
        )
        if "flow_run_id" in ctx:
            final.context.setdefault("flow_run_id", ctx["flow_run_id"])
        return final

    def _walker(self, executor: Executor, ctx: dict[str, Any],
                task_contexts: dict[Task, dict[str, Any]],
                runner_handlers: Iterable[Callable[..., Any]] | None) -> Walker:
        walker = Walker(_walk.Walk(_walk.make_plan(self.flow),
                                   resolves_futures=executor.resolves_futures),
                        executor, ctx, self._observers)
        walker.retry_in_walk = self._wait_for_retries
        walker.task_contexts = task_contexts
        walker.runner_handlers = list(runner_handlers or ())
        if self.task_runner_cls is not TaskRunner:  # the plain engine call is faster
            walker.runner_cls = self.task_runner_cls
        return walker

    def determine_final_state(
        self, state: State, key_states: Iterable[State], return_states: dict[Task, State],
        terminal_states: Iterable[State],
    ) -> State:
        """The flow's state after a pass: still ``state`` (Running) if a terminal task has
        not finished, else ``Failed`` if a reference task failed, else ``Success``; then the
        flow's ``terminal_state_handler(flow, state, reference_states)`` may replace it."""
        key_states = list(key_states)
        if not all(s.is_finished() for s in terminal_states):
            self.logger.info("Flow run RUNNING: terminal tasks are incomplete.")
            state.result = return_states
        elif any(s.is_failed() for s in key_states):
            self.logger.info("Flow run FAILED: some reference tasks failed.")
            state = Failed(message="Some reference tasks failed.", result=return_states)
        elif all(s.is_successful() for s in key_states):
            self.logger.info("Flow run SUCCESS: all reference tasks succeeded")
            state = Success(message="All reference tasks succeeded.", result=return_states)
        else:
            self.logger.info("Flow run SUCCESS: no reference tasks failed")
            state = Success(message="No reference tasks failed.", result=return_states)
        handler = getattr(self.flow, "terminal_state_handler", None)
        if handler is not None:
            new = handler(self.flow, state, set(key_states))
            if new is not None:
                return new  # type: ignore[no-any-return]
        return state


def _executor(flow: Flow, given: Executor | None) -> Executor:
    """The executor of a run: the one given, else the flow's, else the default one."""
    if given is not None:
        return given
    from prefectlite.engine.defaults import get_default_executor_class

    executor: Executor = getattr(flow, "executor", None) or get_default_executor_class()()
    return executor


def check_task_states(flow: Flow, task_states: dict[Task, State] | None) -> dict[Task, State]:
    """Check that every key of ``task_states`` is a task of ``flow`` and every value a State.

    A ``Mapped`` state given without a result gets its children's results, as Prefect 1's
    flow runner does before handing it downstream.
    """
    task_states = dict(task_states or {})
    for task, state in task_states.items():
        if task not in flow.tasks:
            raise TaskNotInFlowError(
                f"task_states names {task!r}, which is not a task of flow {flow.name!r}."
            )
        if not isinstance(state, State):
            raise TypeError(f"task_states[{task!r}] must be a State, got {state!r}.")
        fill_mapped_result(state)
    return task_states


@contextlib.contextmanager
def _limiter(executor: Executor, ctx: dict[str, Any]) -> Iterator[None]:
    """Slots for the run's tag concurrency limits (``ctx["task_concurrency"]``), kept in the
    context as ``_task_limiter`` for the task runs (see :mod:`prefectlite.engine.limits`)."""
    limits = ctx.get("task_concurrency")
    if not limits:
        yield
        return
    with executor.limiter(limits) as limiter:
        ctx["_task_limiter"] = limiter
        try:
            yield
        finally:
            ctx.pop("_task_limiter", None)


def not_evaluated() -> State:
    """The state of a task the run did not reach: ``Pending``, as Prefect 1 says it."""
    return Pending(message=_NOT_EVALUATED)


def _task_states(states: dict[Task, State], tasks: Iterable[Task]) -> dict[Task, State]:
    return {t: states.get(t) or not_evaluated() for t in tasks}


def final_state(flow: Flow, states: dict[Task, State]) -> State:
    """The flow's state from its tasks' states, as :meth:`FlowRunner.determine_final_state`
    decides it (without the flow's ``terminal_state_handler``)."""
    if not all(s.is_finished() for s in _flat(states, flow.terminal_tasks())):
        return Running(message="Running flow.")
    key = _flat(states, flow.reference_tasks())
    if any(s.is_failed() for s in key):
        return Failed(message="Some reference tasks failed.")
    if all(s.is_successful() for s in key):
        return Success(message="All reference tasks succeeded.")
    return Success(message="No reference tasks failed.")


def _flat(states: dict[Task, State], tasks: Iterable[Task]) -> list[State]:
    """The states of ``tasks``, a mapped task's children one by one."""
    out: list[State] = []
    for t in tasks:
        s = states.get(t) or not_evaluated()
        out.extend(s.map_states if isinstance(s, Mapped) else [s])
    return out
