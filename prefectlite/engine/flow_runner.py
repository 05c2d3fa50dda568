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
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import walk as _walk
from prefectlite.engine.state import (
    Cancelled,
    Failed,
    Finished,
    Mapped,
    Pending,
    Retrying,
    Running,
    State,
    Success,
)
from prefectlite.engine.task_runner import run_task
from prefectlite.exceptions import ParameterError, TaskNotInFlowError
from prefectlite.executors.base import Executor
from prefectlite.utilities.logging import configure_logging

logger = logging.getLogger("prefectlite.FlowRunner")
_RUN_OPTIONS = ("parameters", "run_on_schedule", "executor", "task_states", "context",
                "journal", "resume")


class FlowRunner:
    """Runs a flow once. ``FlowRunner(flow).run(...)`` is what ``flow.run()`` calls."""

    def __init__(self, flow: Flow, state_handlers: Iterable[Callable[..., Any]] | None = None):
        self.flow = flow
        self.state_handlers = list(state_handlers or [])

    def run(
        self,
        state: State | None = None,
        task_states: dict[Task, State] | None = None,
        return_tasks: Iterable[Task] | None = None,
        parameters: dict[str, Any] | None = None,
        executor: Executor | None = None,
        context: dict[str, Any] | None = None,
        observers: Iterable[RunObserver] = (),
    ) -> State:
        """Run the flow and return its final state, whose ``result`` maps tasks to states.

        ``observers`` are told of the run's progress (see :class:`RunObserver`).
        """
        flow = self.flow
        parameters = dict(parameters or {})
        check_parameters(flow, parameters)
        task_states = check_task_states(flow, task_states)
        if return_tasks is not None:
            return_tasks = list(return_tasks)
            missing = [t for t in return_tasks if t not in flow.tasks]
            if missing:
                raise TaskNotInFlowError(
                    f"return_tasks names {missing[0]!r}, which is not a task of flow "
                    f"{flow.name!r}; pass tasks of this flow (or leave it out for all)."
                )
        flow.validate()
        executor = executor or flow.executor or _local_executor()
        ctx = self._flow_context(parameters, context)
        old = state or Pending()
        running = self._transition(old, Running(message="Running flow."))
        if not isinstance(running, Running):
            return running
        observers = list(observers)
        for observer in observers:
            observer.flow_run_started(flow, ctx)
        logger.info("Beginning flow run for %r", flow.name)
        walk = _walk.Walk(_walk.make_plan(flow), eager=executor.resolves_futures)
        try:
            with executor.start():
                _Walker(walk, executor, ctx, observers).run(task_states)
            final = final_state(flow, walk.states)
        except KeyboardInterrupt:
            logger.warning("Flow run %r interrupted; returning a Cancelled state.", flow.name)
            final = Cancelled(message="Flow run was interrupted (KeyboardInterrupt); the "
                              "states of the tasks that finished are kept.")
        except Exception as exc:
            logger.error("Unexpected error while running flow %r: %r", flow.name, exc,
                         exc_info=True)
            final = Failed(message=f"Unexpected error while running flow: {exc!r}")
        result = _task_states(flow, walk.states, return_tasks)
        final = final.copy(result=result, context={"flow_run_id": ctx["flow_run_id"]})
        final = self._transition(running, final)
        for observer in observers:
            observer.flow_run_finished(flow, final)
        log = logger.info if final.is_successful() else logger.error
        log("Flow run %s: %s", type(final).__name__.upper(), final.message)
        return final

    def _flow_context(self, parameters: dict[str, Any], extra: dict[str, Any] | None) -> dict:
        import pendulum

        from prefectlite.utilities import context as _context

        now = pendulum.now("UTC")
        ctx = {
            **{k: v for k, v in _context.snapshot().items() if k != "flow"},
            "flow_name": self.flow.name, "flow_result": self.flow.result,
            "flow_run_id": str(uuid.uuid4()),
            "parameters": parameters, "date": now, "scheduled_start_time": now,
            "today": now.strftime("%Y-%m-%d"),
            "yesterday": now.subtract(days=1).strftime("%Y-%m-%d"),
            "tomorrow": now.add(days=1).strftime("%Y-%m-%d"),
            "task_run_count": 1, "task_loop_count": 1, "map_index": None,
        }
        ctx.update(extra or {})
        return ctx

    def _transition(self, old: State, new: State) -> State:
        for handler in [*self.flow.state_handlers, *self.state_handlers]:
            try:
                new = handler(self.flow, old, new) or new
            except Exception as exc:
                logger.error("Flow state handler %r raised %r", handler, exc, exc_info=True)
                return Failed(message=f"Exception raised while calling flow state handler "
                              f"{getattr(handler, '__qualname__', handler)!r}: {exc!r}",
                              result=exc)
        return new


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

    return get_default_executor_class()()  # LocalExecutor unless configured otherwise


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
            self._submit(run, state)

    def _start(self, run: _walk.Run) -> None:
        task, index = run
        if index is None and task in self.walk.plan.mapped and task not in self.walk.children:
            self._expand(task)
        else:
            self._submit(run, self.pending_states.get(task) if index is None else None)

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
        if self.walk.eager and available and all(available):
            self.walk.task_submitted(task)

    @staticmethod
    def _parent_transition(task: Task, width: int | State) -> int | State:
        """Call ``task``'s state handlers for its parent run, as Prefect 1 does before any
        child runs: ``Pending -> Mapped`` (or the state it ends in without mapping). A
        handler that returns another state than ``Mapped`` ends the task in it, unmapped."""
        from prefectlite.engine.task_runner import _transition

        new = width if isinstance(width, State) else Mapped(
            message="Ready to proceed with mapping.", n_map_states=width)
        new = _transition(task, Pending(), new)
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
        future = self.executor.submit(
            run_task, prepared, upstream, plan.constants.get(task, {}), ctx, state,
            extra_context=ctx,
        )
        self.in_flight[future] = run
        if walk.eager:
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
            }
        if index is None and state is None and not self.walk.eager:
            return base
        ctx = dict(base)
        if self.walk.eager:  # dependents already hold this run's future: retry in place
            ctx["_retry_inline"] = True
        if index is not None:
            ctx["map_index"], ctx["task_full_name"] = index, f"{task.name}[{index}]"
        if isinstance(state, Retrying):
            ctx["task_run_count"] = state.run_count + 1
        return ctx

    def _record(self, run: _walk.Run, state: State) -> None:
        task, index = run
        if self.walk.eager:
            del self.walk.futures[run]
        if isinstance(state, Retrying):
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
    """Check that every key of ``task_states`` is a task of ``flow`` and every value a State."""
    task_states = dict(task_states or {})
    for task, state in task_states.items():
        if task not in flow.tasks:
            raise TaskNotInFlowError(
                f"task_states names {task!r}, which is not a task of flow {flow.name!r}."
            )
        if not isinstance(state, State):
            raise TypeError(f"task_states[{task!r}] must be a State, got {state!r}.")
    return task_states


def _task_states(
    flow: Flow, states: dict[Task, State], return_tasks: Iterable[Task] | None
) -> dict[Task, State]:
    tasks = flow.sorted_tasks() if return_tasks is None else list(return_tasks)
    return {t: states.get(t) or Pending(message="Task run did not start.") for t in tasks}


def final_state(flow: Flow, states: dict[Task, State]) -> State:
    """The flow's state from its reference tasks' states (see the module docstring)."""
    reference: list[State] = []
    for task in flow.reference_tasks():
        state = states.get(task)
        if state is None or not state.is_finished():
            return Running(message="Not all reference tasks finished.")
        reference.extend(state.map_states if isinstance(state, Mapped) else [state])
    if any(s.is_failed() for s in reference):
        return Failed(message="Some reference tasks failed.")
    if all(s.is_successful() for s in reference):
        return Success(message="All reference tasks succeeded.")
    return Finished(message="Reference tasks finished, but not all of them succeeded.")


def run_flow(flow: Flow, **kwargs: Any) -> State:
    """What ``Flow.run`` does: once, or on the flow's schedule until it runs out or Ctrl-C.

    ``journal`` (``True``, a path, or a ``RunStore``) records the run in the run journal;
    ``resume`` (a run id, or ``"latest"``) reruns what a journaled run did not finish, once
    (see :mod:`prefectlite.engine.resume`).
    """
    options = {k: kwargs.pop(k) for k in _RUN_OPTIONS if k in kwargs}
    parameters = {**(options.get("parameters") or {}), **kwargs}
    configure_logging()
    runner = FlowRunner(flow)
    run_kwargs: dict[str, Any] = dict(
        parameters=parameters, executor=options.get("executor"),
        task_states=options.get("task_states"), context=options.get("context"))
    on_schedule = options.get("run_on_schedule")
    journal, resume = options.get("journal"), options.get("resume")
    if journal or resume is not None:
        from prefectlite.engine.resume import journaled_run

        run_kwargs = journaled_run(flow, run_kwargs, journal, resume)
        if resume is not None:
            on_schedule = False  # a resumed run finishes one run; it does not start a schedule
    else:
        from prefectlite.engine.checkpoint import run_context

        run_kwargs["context"] = run_context(flow, run_kwargs["context"])
    if on_schedule is None and flow.schedule is not None:
        from prefectlite import settings

        on_schedule = settings.current_config().get("flows", {}).get("run_on_schedule", True)
    if flow.schedule is None or on_schedule is False:
        return runner.run(**run_kwargs)
    from prefectlite.engine.scheduling import run_on_schedule

    return run_on_schedule(flow, runner, run_kwargs)
