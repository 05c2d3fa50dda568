"""The loop of one flow run: submit ready task runs, record each as it finishes.

:class:`Walker` drives a :class:`prefectlite.engine.walk.Walk` (the bookkeeping: what waits,
what is ready, what finished) through one executor: it submits every ready run to the
executor (at most ``executor.max_in_flight`` at a time; the ``LocalExecutor`` takes one, so a
local run goes depth-first), waits for *any* submitted run to finish, records its state, and
submits what that released. A mapped task is expanded when its mapped inputs are known.

A ``Retrying`` state is not waited for: the run goes on a timer heap and is submitted again
at its ``start_time`` while other tasks keep running. With an executor that resolves futures
on its workers (``dask.distributed``), a task is submitted as soon as its upstream tasks are
*submitted*, with their futures as inputs, and only mapped inputs (whose width is needed
here) are waited for; retries then happen in place on the worker, since dependents already
hold the future. Every state a run ends in is told to the run's observers
(:class:`prefectlite.engine.observers.RunObserver`).
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine import walk as _walk
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.state import Mapped, Paused, Pending, Resume, Retrying, Scheduled, State
from prefectlite.engine.task_runner import run_task, run_task_with_runner
from prefectlite.engine.task_steps import transition
from prefectlite.executors.base import Executor

__all__ = ["Walker", "not_ready"]


class Walker:
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


def _waitable(state: Scheduled) -> bool:
    return not isinstance(state, (Paused, Resume)) and state.start_time is not None
