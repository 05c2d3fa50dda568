"""One run of an eager flow and the context its code sees.

A :class:`FlowRun` exists from the moment a ``@flow`` function is called until its final
state is known. While the flow's body runs, ``prefectlite.context`` holds the run's keys
(``flow_name``, ``flow_run_id``, ``flow_run_name``, ``parameters``, ``logger``, the Prefect 1
date keys) plus ``_eager_run``, the run itself. That one key is how a task call knows what to
do (``Task.__call__`` looks it up only when no ``with Flow()`` block is active): with it the
task runs now, in this run; without it there is nowhere to run. Each task run gets a copy of
the run's context with its own keys (``task_name``, ``task_run_name``, ``task_run_id``,
``map_index``, ``task_run_count``, ...), which the engine's ``run_task`` installs while the
task runs, so nested calls, ``get_run_logger()`` and Prefect 1's ``context`` reads all work
inside tasks, in any thread.

Task runs are named ``"{task name}-{n}"``, ``n`` counting the runs of that task name in this
flow run (``add_one-0``, ``add_one-1``); flow runs get two-word names (``"olive-poodle"``).

Tag concurrency limits (the configuration's ``[task_concurrency]`` table, see
:mod:`prefectlite.engine.limits`) are held as in a graph run: while the run's task runner is
started, ``_task_limiter`` in every task run's context holds the slots, made by the runner's
executor (``Executor.limiter``), so submitted runs, wherever they run, and direct calls share
them. A subflow whose tasks run in this process shares its parent's threading slots; one on a
process pool or Dask keeps its own.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prefectlite.eager import task_calls
from prefectlite.eager.journal import EagerJournal, open_journal
from prefectlite.eager.loggers import FLOW_RUN_LOGGER, RunLogger
from prefectlite.utilities import context as _context
from prefectlite.utilities.names import generate_slug

if TYPE_CHECKING:
    from prefectlite.core.task import Task
    from prefectlite.eager.flows import EagerFlow
    from prefectlite.eager.futures import PrefectFuture
    from prefectlite.eager.task_runners import TaskRunner

__all__ = ["FlowRun", "current_run"]

# keys of an enclosing Prefect 1 run (or flow build) that must not leak into an eager run
_NOT_INHERITED = frozenset({
    "flow", "task_name", "task_slug", "task_full_name", "task_run_name", "task_run_id",
    "map_index", "task_run_count", "task_loop_count", "task_loop_result", "task_tags",
    "_retry_inline", "resume", "logger", "journal_slug",
})


class FlowRun:
    """One run of an :class:`~prefectlite.flows.EagerFlow` (see the module docstring)."""

    __slots__ = ("_counters", "_effective", "_lock", "_prune_at", "children", "ctx", "flow",
                 "futures", "id", "is_async", "journal", "log_prints", "logger", "name",
                 "parameters", "parent", "state", "task_ctx", "task_runner", "unawaited")

    def __init__(self, flow: EagerFlow, parameters: dict[str, Any], parent: FlowRun | None,
                 is_async: bool = False) -> None:
        self.id = uuid.uuid4()
        self.flow, self.parameters, self.parent, self.is_async = flow, parameters, parent, is_async
        self.name = flow.run_name(parameters) or generate_slug(2)
        self.task_runner: TaskRunner = flow.task_runner.duplicate()
        self.logger = RunLogger(FLOW_RUN_LOGGER, "Flow", self.name, {
            "flow_run_name": self.name, "flow_run_id": str(self.id), "flow_name": flow.name})
        inherited = parent.log_prints if parent is not None else False
        self.log_prints: bool = inherited if flow.log_prints is None else flow.log_prints
        self.futures: list[PrefectFuture] = []  # submitted, maybe not finished
        self._prune_at = 1024
        self._lock = threading.Lock()
        self.unawaited: list[tuple[Any, str]] = []  # (coroutine, task name) of async calls
        self.children: list[FlowRun] = []
        self._counters: dict[str, itertools.count[int]] = {}
        self._effective: dict[int, tuple[Task, Task]] = {}
        self.state: Any = None
        self.ctx: dict[str, Any] = {}
        self.task_ctx: dict[str, Any] = {}
        self.journal: EagerJournal | None = (
            open_journal(flow.journal) if flow.journal is not None
            else parent.journal if parent is not None else None)
        if parent is not None:
            parent.children.append(self)

    def __repr__(self) -> str:
        return f"<FlowRun {self.name!r} of flow {self.flow.name!r}>"

    def lineage(self) -> list[FlowRun]:
        """This run, its parent, its parent's parent, ..."""
        runs: list[FlowRun] = []
        run: FlowRun | None = self
        while run is not None:
            runs.append(run)
            run = run.parent
        return runs

    def build_context(self) -> None:
        """Make the context of the body and the base of every task run's context."""
        import pendulum

        outer = _context.snapshot()
        now = pendulum.now("UTC")
        self.ctx = {k: v for k, v in outer.items() if k not in _NOT_INHERITED}
        self.ctx.update({
            "flow_name": self.flow.name, "flow_run_id": str(self.id),
            "flow_run_name": self.name, "parameters": self.parameters, "logger": self.logger,
            "date": now, "scheduled_start_time": now, "today": now.strftime("%Y-%m-%d"),
            "yesterday": now.subtract(days=1).strftime("%Y-%m-%d"),
            "tomorrow": now.add(days=1).strftime("%Y-%m-%d"), "_eager_run": self,
        })
        self.task_ctx = {**self.ctx, "task_run_count": 1, "task_loop_count": 1,
                         "map_index": None, "_retry_inline": True}

    @contextlib.contextmanager
    def task_runner_started(self) -> Iterator[None]:
        """The run's task runner started, with the run's tag concurrency limits held."""
        from prefectlite import settings
        from prefectlite.engine.limits import ThreadLimiter, check_limits

        limits = check_limits(settings.current_config().get("task_concurrency"))
        with self.task_runner:
            if not limits:
                yield
                return
            above = self.parent.task_ctx.get("_task_limiter") if self.parent else None
            shares = (isinstance(above, ThreadLimiter) and above.limits == limits
                      and not self.task_runner.ships_work)
            slots = contextlib.nullcontext(above) if shares else self.task_runner.limiter(limits)
            with slots as limiter:
                self.task_ctx["_task_limiter"] = limiter
                try:
                    yield
                finally:
                    self.task_ctx.pop("_task_limiter", None)

    # -- task runs -----------------------------------------------------------------------

    def track(self, future: PrefectFuture) -> None:
        """Remember a submitted run (the flow run waits for it before it ends).

        Finished ones are dropped from time to time, so a long flow that submits and reads
        futures one by one does not keep them all alive.
        """
        futures = self.futures
        futures.append(future)
        if len(futures) >= self._prune_at:
            with self._lock:  # tasks running in threads may submit too
                futures[:] = [f for f in futures if not f._cell.done()]
                self._prune_at = max(1024, 2 * len(futures))

    def next_task_run_name(self, task: Task) -> str:
        """``"{task name}-{n}"``: the n-th run of a task of that name in this flow run."""
        counter = self._counters.get(task.name)
        if counter is None:  # setdefault: two threads may get here at once
            counter = self._counters.setdefault(task.name, itertools.count())
        return f"{task.name}-{next(counter)}"

    def task_context(self, task: Task, run_name: str, task_run_id: uuid.UUID,
                     map_index: int | None = None, inputs: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
        """The context one task run sees (a copy of the run's, plus the task's keys)."""
        return {**self.task_ctx, "task_name": task.name, "task_slug": task.name,
                "task_full_name": run_name, "task_run_name": run_name,
                "task_run_id": task_run_id, "task_tags": task.tags, "logger": task.logger,
                "map_index": map_index, "journal_slug": run_name, "task_parameters": inputs,
                "task": task}

    def effective_task(self, task: Task) -> Task:
        """``task``, or a copy that logs its prints when it inherits the flow's ``log_prints``."""
        if not self.log_prints or task.log_stdout or getattr(task, "log_prints", None) is False:
            return task
        found = self._effective.get(id(task))
        if found is None or found[0] is not task:
            found = self._effective[id(task)] = (task, task.copy(log_stdout=True))
        return found[1]

    # -- what Task.__call__ / .submit / .map hand over -----------------------------------

    def call_task(self, task: Task, args: tuple, kwargs: dict[str, Any], **options: Any) -> Any:
        """``task(...)`` inside this run: run it now (see :mod:`.task_calls`)."""
        return task_calls.call(self, task, args, kwargs, **options)

    def submit_task(self, task: Task, args: tuple, kwargs: dict[str, Any]) -> Any:
        """``task.submit(...)`` inside this run: a future on the run's task runner."""
        return task_calls.submit(self, task, args, kwargs)

    def map_task(self, task: Task, args: tuple, kwargs: dict[str, Any]) -> Any:
        """``task.map(...)`` inside this run: one future per element."""
        return task_calls.map_task(self, task, args, kwargs)


def current_run() -> FlowRun | None:
    """The eager flow run whose code is running here, if any."""
    run = _context.snapshot().get("_eager_run")
    return run if isinstance(run, FlowRun) else None
