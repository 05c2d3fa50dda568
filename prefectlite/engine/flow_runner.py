"""Running a whole flow: the event-driven walk, the flow's state, and the schedule loop.

:class:`FlowRunner` checks the parameters and ``task_states`` before anything runs, then
walks the graph with :mod:`prefectlite.engine.walk`: it submits every ready run to the
executor (at most ``executor.max_in_flight`` at a time; the ``LocalExecutor`` takes one, so a
local run goes depth-first), waits for *any* submitted run to finish, records its state, and
submits what that released. A mapped task is expanded when its mapped inputs are known.

A ``Retrying`` state is not waited for: the run goes on a timer heap and is submitted again
at its ``start_time`` while other tasks keep running. With an executor that resolves futures
on its workers (``dask.distributed``), a task is submitted as soon as its upstream tasks are
*submitted*, with their futures as inputs, and only mapped inputs (whose width is needed
here) are waited for; retries then happen in place on the worker, since dependents already
hold the future. Finished states given in
``task_states`` are not run again (the basis of resuming). ``Ctrl-C`` (``KeyboardInterrupt``)
stops the walk and returns a ``Cancelled`` flow state that keeps every state reached so far;
it is not re-raised, so a script can inspect or resume the run.

The flow's final state comes from its reference tasks (the terminal tasks by default; the
children of a mapped reference task count one by one): ``Failed`` if any failed,
``Success`` if all succeeded (skips count as success), ``Running`` if some never finished.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import walk as _walk
from prefectlite.engine.run_context import fill_flow_context
from prefectlite.engine.runner import ENDRUN, Runner, call_state_handlers
from prefectlite.engine.state import (
    Cancelled,
    Failed,
    Mapped,
    Paused,
    Pending,
    Resume,
    Retrying,
    Running,
    Scheduled,
    State,
    Success,
)
from prefectlite.engine.task_runner import (
    TaskRunner,
    fill_mapped_result,
    run_task,
    run_task_with_runner,
)
from prefectlite.exceptions import ParameterError, TaskNotInFlowError
from prefectlite.executors.base import Executor
from prefectlite.utilities import context as _context
from prefectlite.utilities.logging import configure_logging

logger = logging.getLogger("prefectlite.FlowRunner")
_RUN_OPTIONS = ("parameters", "run_on_schedule", "executor", "task_states", "context",
                "journal", "resume", "resume_wait", "task_contexts",
                "task_runner_state_handlers", "state")
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
        fill_flow_context(self.flow, context, parameters, self.logger)
        slugs = self.flow.slugs
        given = dict(task_contexts)
        task_contexts.clear()
        for task in self.flow.tasks:
            task_contexts[task] = {**(given.get(task) or {}), "task_name": task.name,
                                   "task_slug": slugs[task]}
        state, context = super().initialize_run(state=state, context=context)
        return FlowRunnerInitializeResult(state, task_states, context, task_contexts)

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
        self.logger.info("Beginning Flow run for '%s'", self.flow.name)
        run_context = {k: v for k, v in _context.snapshot().items() if k not in _PER_RUN_KEYS}
        run_context.update(context or {})
        if executor is None:
            executor = getattr(self.flow, "executor", None) or _local_executor()
        self._observers = list(observers)
        self._wait_for_retries = wait_for_retries
        task_states = check_task_states(self.flow, task_states)  # mistakes raise at once
        self.flow.validate()
        try:
            state, task_states, run_context, task_contexts = self.initialize_run(
                state=state, task_states=task_states, context=run_context,
                task_contexts=dict(task_contexts or {}), parameters=dict(parameters or {}),
            )
            with _context.context(**run_context):
                state = self.check_flow_is_pending_or_running(state)
                state = self.check_flow_reached_start_time(state)
                state = self.set_flow_to_running(state)
                state = self.get_flow_run_state(
                    state, task_states=task_states, task_contexts=task_contexts,
                    return_tasks=return_tasks,
                    task_runner_state_handlers=task_runner_state_handlers, executor=executor,
                )
        except ENDRUN as end:
            state = end.state
        except Exception as exc:
            self.logger.exception("Unexpected error while running flow: %r", exc)
            if run_context.get("raise_on_exception"):
                raise
            failed = Failed(message=f"Unexpected error while running flow: {exc!r}",
                            result=exc)
            state = self.handle_state_change(state or Pending(), failed)
        for observer in self._observers:
            observer.flow_run_finished(self.flow, state)
        return state

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
        """Walk the flow through ``executor`` (see the module docstring); the flow's state
        comes from :meth:`determine_final_state`."""
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
        for observer in self._observers:
            observer.flow_run_started(flow, ctx)
        walk = _walk.Walk(_walk.make_plan(flow), resolves_futures=executor.resolves_futures)
        walker = _Walker(walk, executor, ctx, self._observers)
        walker.retry_in_walk = self._wait_for_retries
        walker.task_contexts = task_contexts
        walker.runner_handlers = list(task_runner_state_handlers or ())
        if self.task_runner_cls is not TaskRunner:  # the plain engine call is faster
            walker.runner_cls = self.task_runner_cls
        try:
            with executor.start():
                walker.run(task_states)
        except KeyboardInterrupt:
            self.logger.warning("Flow run %r interrupted; returning a Cancelled state.",
                                flow.name)
            return Cancelled(message="Flow run was interrupted (KeyboardInterrupt); the "
                             "states of the tasks that finished are kept.",
                             result=_task_states(walk.states, return_tasks),
                             context={"flow_run_id": ctx.get("flow_run_id")})
        states = walk.states

        def flat(tasks: Iterable[Task]) -> list[State]:
            out: list[State] = []
            for t in tasks:
                s = states.get(t) or Pending(_NOT_EVALUATED)
                out.extend(s.map_states if isinstance(s, Mapped) else [s])
            return out

        final = self.determine_final_state(
            state, key_states=flat(flow.reference_tasks()),
            return_states=_task_states(states, return_tasks),
            terminal_states=flat(flow.terminal_tasks()),
        )
        if "flow_run_id" in ctx:
            final.context.setdefault("flow_run_id", ctx["flow_run_id"])
        return final

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


class RunObserver:
    """Receives the events of a flow run on the driver (the run journal is one).

    Every method does nothing here; override what you need. ``task_run_finished`` is called
    for every state a run ends in, ``Retrying`` included, with ``map_index=None`` for a whole
    task (a mapped task's ``Mapped`` state comes right after its last child's). An exception
    raised by an observer stops the run: an observer that records the run must not lose it
    silently.
    """

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        """The run begins; ``context`` has ``flow_run_id``, ``parameters``, ..."""

    def task_run_finished(self, task: Task, map_index: int | None, state: State) -> None:
        """A run of ``task`` (child ``map_index`` of a mapped task) ended in ``state``."""

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        """The run ended in ``state`` (its ``result`` maps tasks to states)."""


def _local_executor() -> Executor:
    from prefectlite.engine.defaults import get_default_executor_class

    executor: Executor = get_default_executor_class()()  # LocalExecutor unless configured
    return executor


class _Walker:
    """Drives one walk through one executor (the loop of the module docstring)."""

    def __init__(
        self, walk: _walk.Walk, executor: Executor, ctx: dict[str, Any],
        observers: list[RunObserver],
    ) -> None:
        self.walk, self.executor, self.ctx, self.observers = walk, executor, ctx, observers
        self.in_flight: dict[Any, _walk.Run] = {}
        self.retries: list[tuple[float, int, _walk.Run, State]] = []
        self.seq = itertools.count()
        self.base_ctx: dict[Task, dict[str, Any]] = {}
        self.prepared: dict[Task, Any] = {}
        self.cap = getattr(executor, "max_in_flight", None)
        self.ships = getattr(executor, "ships_work", False)
        #: wait for Retrying / Scheduled runs here (flow.run) rather than keep their state
        self.retry_in_walk = True
        self.task_contexts: dict[Task, dict[str, Any]] = {}
        self.runner_handlers: list[Callable[..., Any]] = []
        self.runner_cls: type | None = None

    def run(self, preset: dict[Task, State]) -> None:
        walk = self.walk
        self.preset_children = {t: s for t, s in preset.items() if isinstance(s, Mapped)}
        walk.start({t: s for t, s in preset.items() if s.is_finished() and not (
            isinstance(s, Mapped) and _walk.rerun_width(s) is not None)})
        self.pending_states = {t: s for t, s in preset.items() if not s.is_finished()}
        while walk.ready or self.in_flight or self.retries:
            while walk.ready and (self.cap is None or len(self.in_flight) < self.cap):
                self._start(walk.ready.pop())
            self._due_retries()
            if self.in_flight:
                for future in self.executor.wait_any(list(self.in_flight), self._timeout()):
                    run = self.in_flight.pop(future)
                    self._record(run, self.executor.result(future))
            elif self.retries and not walk.ready:
                time.sleep(max(0.0, self.retries[0][0] - time.monotonic()))

    def _timeout(self) -> float | None:
        if not self.retries:
            return None
        return max(0.0, self.retries[0][0] - time.monotonic())

    def _due_retries(self) -> None:
        now = time.monotonic()
        while self.retries and self.retries[0][0] <= now:
            _, _, run, state = heapq.heappop(self.retries)
            task, index = run
            if index is None and task in self.walk.plan.mapped and task not in self.walk.children:
                self._expand(task)  # a mapped task given a Scheduled state: now map it
            else:
                self._submit(run, state)

    def _start(self, run: _walk.Run) -> None:
        task, index = run
        state = self.pending_states.get(task) if index is None else self._child_preset(run)
        if state is not None and not_ready(state):
            self._record(run, state, submitted=False)  # kept, or waited for (retry heap)
        elif index is None and task in self.walk.plan.mapped and task not in self.walk.children:
            self._expand(task)
        else:
            self._submit(run, state)

    def _child_preset(self, run: _walk.Run) -> State | None:
        task, index = run
        preset = self.preset_children.get(task)
        if preset is None or index is None or len(preset.map_states) != len(
                self.walk.children.get(task, ())):
            return None  # a preset of another width is run again from scratch
        return preset.map_states[index]

    def _expand(self, task: Task) -> None:
        preset = self.preset_children.get(task)  # a Mapped state given to run again
        given = _walk.rerun_width(preset) if preset is not None else None
        width = _walk.map_width(self.walk, task, given)
        if task.state_handlers:
            width = self._parent_transition(task, width)
        if isinstance(width, State):
            self.walk.finish_task(task, width)
            self._tell(task, None, width)
            return
        done = []
        if preset is not None and len(preset.map_states) == width:
            done = [(i, s) for i, s in enumerate(preset.map_states)
                    if s is not None and s.is_finished()]
        self.walk.expand(task, width, done)
        if task in self.walk.states:  # nothing left to run: zero width, or all given
            self._tell(task, None, self.walk.states[task])
        available = self.walk.available.get(task)
        if self.walk.resolves_futures and available and all(available):
            self.walk.task_submitted(task)

    @staticmethod
    def _parent_transition(task: Task, width: int | State) -> int | State:
        """Call ``task``'s state handlers for its parent run, as Prefect 1 does before any
        child runs: ``Pending -> Mapped`` (or the state it ends in without mapping). A
        handler that returns another state than ``Mapped`` ends the task in it, unmapped."""
        from prefectlite.engine.task_steps import transition

        new = width if isinstance(width, State) else Mapped(
            message="Ready to proceed with mapping.", n_map_states=width)
        new = transition(task, Pending(), new)
        return width if isinstance(new, Mapped) and not isinstance(width, State) else new

    def _submit(self, run: _walk.Run, state: State | None) -> None:
        task, index = run
        walk, plan = self.walk, self.walk.plan
        edges = plan.wire_edges[task] if self.ships else plan.in_edges[task]
        upstream = {w: walk.upstream_state(e, index) for w, e in zip(edges, plan.in_edges[task])}
        ctx = self._context(task, index, state)
        prepared = self.prepared.get(task)
        if prepared is None:
            prepared = self.prepared[task] = self.executor.prepare_task(task)
        if self.runner_handlers or self.runner_cls is not None:
            future = self.executor.submit(
                run_task_with_runner, self.runner_cls, self.runner_handlers, prepared,
                upstream, plan.constants.get(task, {}), ctx, state, extra_context=ctx)
        else:
            future = self.executor.submit(
                run_task, prepared, upstream, plan.constants.get(task, {}), ctx, state,
                extra_context=ctx,
            )
        self.in_flight[future] = run
        if walk.resolves_futures:
            walk.futures[run] = future
            if index is None:
                walk.task_submitted(task)
            else:
                walk.child_submitted(task, index)

    def _context(self, task: Task, index: int | None, state: State | None) -> dict[str, Any]:
        base = self.base_ctx.get(task)
        if base is None:
            base = self.base_ctx[task] = {
                **self.ctx, "task_name": task.name,
                "task_slug": self.walk.plan.slugs[task],
                "task_full_name": task.name, "task_tags": task.tags, "logger": task.logger,
                **self.task_contexts.get(task, {}),
            }
        if index is None and state is None and not self.walk.resolves_futures:
            return base
        ctx = dict(base)
        if self.walk.resolves_futures and self.retry_in_walk:  # dependents hold this run's future
            ctx["_retry_inline"] = True
        if index is not None:
            ctx["map_index"], ctx["task_full_name"] = index, f"{task.name}[{index}]"
        if isinstance(state, Retrying):
            ctx["task_run_count"] = state.run_count + 1
        return ctx

    def _record(self, run: _walk.Run, state: State, submitted: bool = True) -> None:
        task, index = run
        if self.walk.resolves_futures and submitted:
            del self.walk.futures[run]
        if self.retry_in_walk and isinstance(state, Scheduled) and _waitable(state):
            start = state.start_time or datetime.datetime.now(datetime.UTC)
            delay = (start - datetime.datetime.now(datetime.UTC)).total_seconds()
            due = time.monotonic() + max(0.0, delay)
            heapq.heappush(self.retries, (due, next(self.seq), run, state))
        elif index is None:
            self.walk.finish_task(task, state)
        else:
            self.walk.finish_child(task, index, state)
        self._tell(task, index, state)
        if index is not None and task in self.walk.states:  # the last child: parent done
            self._tell(task, None, self.walk.states[task])

    def _tell(self, task: Task, index: int | None, state: State) -> None:
        for observer in self.observers:
            observer.task_run_finished(task, index, state)


def not_ready(state: State) -> bool:
    """Whether a task given this state may not run yet: ``Paused``, or ``Scheduled`` /
    ``Retrying`` without a start time or with one still to come (Prefect 1's rule)."""
    if not isinstance(state, Scheduled) or isinstance(state, Resume):
        return False
    start = state.start_time
    return start is None or start > datetime.datetime.now(datetime.UTC)


def _waitable(state: State) -> bool:
    return not isinstance(state, (Paused, Resume)) and state.start_time is not None


def check_parameters(flow: Flow, parameters: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` for unknown names or missing required Parameters."""
    known = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"Flow.run received the following unexpected parameters: {', '.join(unknown)}. "
            f"Flow {flow.name!r} has no parameter(s) {', '.join(map(repr, unknown))}; its "
            f"parameters are: {', '.join(sorted(known)) or '(none)'}."
        )
    missing = sorted(n for n, p in known.items() if p.required and n not in parameters)
    if missing:
        raise ParameterError(
            "Flow.run did not receive the following required parameters: "
            f"{', '.join(missing)}. Flow {flow.name!r} needs a value for the required parameter(s) "
            f"{', '.join(map(repr, missing))}: pass them to flow.run(name=value) or "
            "flow.run(parameters={...})."
        )


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


def _task_states(states: dict[Task, State], tasks: Iterable[Task]) -> dict[Task, State]:
    return {t: states.get(t) or Pending(message=_NOT_EVALUATED) for t in tasks}


def final_state(flow: Flow, states: dict[Task, State]) -> State:
    """The flow's state from its tasks' states, as :meth:`FlowRunner.determine_final_state`
    decides it (without the flow's ``terminal_state_handler``)."""
    def flat(tasks: Iterable[Task]) -> list[State]:
        out: list[State] = []
        for t in tasks:
            s = states.get(t) or Pending(message=_NOT_EVALUATED)
            out.extend(s.map_states if isinstance(s, Mapped) else [s])
        return out

    if not all(s.is_finished() for s in flat(flow.terminal_tasks())):
        return Running(message="Running flow.")
    key = flat(flow.reference_tasks())
    if any(s.is_failed() for s in key):
        return Failed(message="Some reference tasks failed.")
    if all(s.is_successful() for s in key):
        return Success(message="All reference tasks succeeded.")
    return Success(message="No reference tasks failed.")


def _with_all_tasks(flow: Flow, state: State) -> State:
    """``flow.run()`` always returns a state whose result maps every task to a state."""
    if not isinstance(state.result, dict):
        state.result = {}
    result = state.result
    for task in flow.tasks:
        if task not in result:
            result[task] = Pending(message=_NOT_EVALUATED)
    return state


def run_flow(flow: Flow, **kwargs: Any) -> State:
    """What ``Flow.run`` does: once, or on the flow's schedule until it runs out or Ctrl-C.

    Unlike a bare ``FlowRunner.run``, retries are waited for within the run and every
    task's state is returned. ``journal`` (``True``, a path, or a ``RunStore``) records the
    run in the run journal; ``resume`` (a run id, or ``"latest"``) reruns what a journaled
    run did not finish, once (see :mod:`prefectlite.persistence.resume`); a run another
    process is resuming is refused, or waited for with ``resume_wait=True`` (or seconds).
    """
    names = {p.name for p in flow.parameters()}  # a Parameter's name wins over an option
    options = {k: kwargs.pop(k) for k in _RUN_OPTIONS
               if k in kwargs and (k == "parameters" or k not in names)}
    parameters = {**(options.get("parameters") or {}), **kwargs}
    check_parameters(flow, parameters)
    configure_logging()
    state = options.get("state") or Scheduled(
        message="Flow run scheduled.", start_time=datetime.datetime.now(datetime.UTC))
    runner = FlowRunner(flow)
    run_kwargs: dict[str, Any] = dict(
        parameters=parameters, executor=options.get("executor"),
        task_states=options.get("task_states"), context=options.get("context"),
        task_contexts=options.get("task_contexts"),
        task_runner_state_handlers=options.get("task_runner_state_handlers"),
        state=state, return_tasks=flow.tasks, wait_for_retries=True)
    start = getattr(state, "start_time", None) or datetime.datetime.now(datetime.UTC)
    run_kwargs["context"] = {**(run_kwargs["context"] or {}), "scheduled_start_time": start}
    on_schedule = options.get("run_on_schedule")
    journal, resume = options.get("journal"), options.get("resume")
    if journal or resume is not None:
        from prefectlite.persistence.resume import journaled_run

        run_kwargs = journaled_run(flow, run_kwargs, journal, resume,
                                   wait=options.get("resume_wait") or False)
        if resume is not None:
            on_schedule = False  # a resumed run finishes one run; it does not start a schedule
    else:
        from prefectlite.persistence.checkpoint import run_context

        run_kwargs["context"] = run_context(flow, run_kwargs["context"])
    if on_schedule is None and flow.schedule is not None:
        from prefectlite import settings

        on_schedule = settings.current_config().get("flows", {}).get("run_on_schedule", True)
    if flow.schedule is None or on_schedule is False:
        return _with_all_tasks(flow, runner.run(**run_kwargs))
    from prefectlite.engine.scheduling import run_on_schedule

    return run_on_schedule(flow, runner, run_kwargs)
