"""Task runners: where the task runs that an eager flow *submits* (``task.submit``, ``.map``).

A task called directly (``add(1, 2)``) runs at once in the caller's thread whatever the runner;
only submitted runs go to the runner. Each flow run uses its own copy of its flow's runner
(:meth:`TaskRunner.duplicate`), entered when the run starts and left when it ends, after every
submitted run has finished (a subflow's runner is its own, not its parent's).

Every runner here is an adapter over an executor of :mod:`prefectlite.executors` (the same
ones ``flow.run`` uses): entering the runner starts its ``executor``, ``submit(fn, task,
inputs, context)`` submits ``fn(task, inputs, context)`` to it and returns a
``concurrent.futures.Future`` (or, for a run already finished, a
:class:`~prefectlite.utilities.futures.DoneFuture`) whose value is the run's final
:class:`~prefectlite.states.State`, filled through the executor's ``add_done_callback``.
``fn`` is a module-level function that never raises for a task's errors (it runs the
engine's ``run_task``), so it can be shipped to another process. A subclass may instead
override ``submit`` itself, keeping that contract.

``ThreadPoolTaskRunner(max_workers=)``
    The default: :class:`~prefectlite.executors.LocalThreadPoolExecutor`, a thread pool made
    on the first submission. ``max_workers`` defaults to Python's ``ThreadPoolExecutor``
    default (``min(32, CPUs + 4)``); Prefect 3's is unbounded.
``ProcessPoolTaskRunner(max_workers=, initializer=, initargs=)``
    :class:`~prefectlite.executors.LocalProcessPoolExecutor`, a pool of ``spawn``ed
    processes made on the first submission (default size: one per CPU).
``SequentialTaskRunner``
    :class:`~prefectlite.executors.LocalExecutor`: each submission runs at once, in the
    submitting thread (for debugging).
``DaskTaskRunner``
    A Dask executor of :mod:`prefectlite.executors.dask`: a temporary or existing
    ``distributed`` cluster (the arguments of Prefect's ``prefect-dask`` runner), or any
    executor given as ``executor=LocalDaskExecutor(...)`` (or ``LocalExecutor()``, ...).
    dask is imported when it starts.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

from prefectlite.eager.states import Crashed, State, from_engine
from prefectlite.engine.state import State as EngineState
from prefectlite.utilities.futures import DoneFuture

if TYPE_CHECKING:  # imported when a runner is made: `import prefectlite` stays light
    from prefectlite.executors.base import Executor
    from prefectlite.executors.local import LocalProcessPoolExecutor, LocalThreadPoolExecutor

__all__ = [
    "ConcurrentTaskRunner", "DaskTaskRunner", "ProcessPoolTaskRunner", "SequentialTaskRunner",
    "TaskRunner", "ThreadPoolTaskRunner",
]

RunFn = Callable[[Any, dict[str, Any], dict[str, Any]], State]


class TaskRunner:
    """Base class of task runners: an adapter over ``executor`` (see the module docstring)."""

    def __init__(self, executor: Executor | None = None) -> None:
        self.executor = executor
        self._needs_start = executor is not None and _needs_start(executor)
        self._started: Any = None
        self._prepared: dict[int, tuple[Any, Any]] = {}

    @property
    def name(self) -> str:
        """The runner's class name, as shown in logs."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name}>"

    def duplicate(self) -> Self:
        """A fresh, unstarted runner with the same settings (one per flow run)."""
        new = copy.copy(self)
        new.executor = copy.copy(self.executor)  # executors copy unstarted
        new._started, new._prepared = None, {}
        return new

    def __enter__(self) -> Self:
        if self.executor is not None:
            self._started = self.executor.start()
            self._started.__enter__()
            self._prepared = {}
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Wait for the runs still going, then release what the runner holds."""
        started, self._started = self._started, None
        if started is not None:
            started.__exit__(*exc_info)

    @property
    def ships_work(self) -> bool:
        """Whether submitted runs are pickled to another process (the executor's say)."""
        return bool(self.executor is not None and self.executor.ships_work)

    @contextlib.contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Slots for tag concurrency ``limits``, shared by one flow run's task runs wherever
        they run: the executor's (``Executor.limiter``; threading semaphores without one)."""
        if self.executor is not None:
            with self.executor.limiter(limits) as limiter:
                yield limiter
            return
        from prefectlite.engine.limits import ThreadLimiter

        yield ThreadLimiter(limits)

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> cf.Future[State] | DoneFuture:
        """Start ``fn(task, inputs, context)``; its future's value is the run's state."""
        executor = self.executor
        if executor is None:
            raise NotImplementedError(f"{self.name} must implement submit() or run on an "
                                      "executor (TaskRunner(executor=...)).")
        if self._started is None and self._needs_start:
            raise RuntimeError(f"{self.name} is not started: it is entered by the flow run "
                               "that uses it (or use `with runner:`).")
        found = self._prepared.get(id(task))
        if found is None or found[0] is not task:
            found = self._prepared[id(task)] = (task, executor.prepare_task(task))
        shipped_ctx = context if not executor.ships_work else {
            k: v for k, v in context.items() if k != "_eager_run"}
        try:
            future = executor.submit(fn, found[1], inputs, shipped_ctx, extra_context=context)
        except Exception as exc:  # fn does not raise for task errors: this is a crash
            return DoneFuture(error=exc)
        return self._bridge(future, str(context.get("task_run_name", "?")))

    def _bridge(self, future: Any, name: str) -> cf.Future[State] | DoneFuture:
        """A future holding the eager state of the executor's ``future``: a
        :class:`DoneFuture` when it finished as it was submitted."""
        executor, lock = self.executor, threading.Lock()
        box: dict[str, Any] = {}

        def finished(done: Any) -> None:
            try:
                value = executor.result(done)  # type: ignore[union-attr]
                if isinstance(value, EngineState):  # e.g. a Failed for a lost Dask run
                    value = from_engine(value)
            except BaseException as exc:  # the executor lost the run
                value = Crashed(message=f"Task run {name!r} was lost by {executor!r}: "
                                f"{exc!r}", data=exc)
            with lock:
                cell = box.get("cell")
                if cell is None:
                    box["value"] = value
                    return
            cell.set_result(value)

        executor.add_done_callback(future, finished)  # type: ignore[union-attr]
        with lock:
            if "value" in box:
                return DoneFuture(box["value"])
            cell = box["cell"] = cf.Future()
            cell.set_running_or_notify_cancel()
        return cell


def _is_executor(obj: Any) -> bool:
    from prefectlite.executors.base import Executor

    return isinstance(obj, Executor)


def _needs_start(executor: Executor) -> bool:
    """Whether ``executor`` sets anything up in ``start()`` (else it may be used unstarted)."""
    from prefectlite.executors.base import Executor

    return type(executor).start is not Executor.start


class SequentialTaskRunner(TaskRunner):
    """Run every submitted task at once, in the submitting thread (a ``LocalExecutor``).

    Examples
    --------
    >>> SequentialTaskRunner().submit(lambda t, i, c: i["x"], None, {"x": 3}, {}).result()
    3
    """

    def __init__(self) -> None:
        from prefectlite.executors.local import LocalExecutor

        super().__init__(LocalExecutor())


class ThreadPoolTaskRunner(TaskRunner):
    """Run submitted tasks on a pool of ``max_workers`` threads (made on first use).

    Examples
    --------
    >>> with ThreadPoolTaskRunner(max_workers=2) as runner:
    ...     runner.submit(lambda t, i, c: i["x"] * 2, None, {"x": 4}, {}).result()
    8
    """

    executor: LocalThreadPoolExecutor

    def __init__(self, max_workers: int | None = None) -> None:
        from prefectlite.executors.local import LocalThreadPoolExecutor

        try:
            executor = LocalThreadPoolExecutor(max_workers)
        except ValueError:
            raise ValueError(f"ThreadPoolTaskRunner(max_workers={max_workers!r}): give a "
                             "positive int, or None for the default.") from None
        super().__init__(executor)

    @property
    def max_workers(self) -> int | None:
        """The most tasks running at once (``None``: Python's default)."""
        return self.executor.max_workers

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name} (max_workers={self.max_workers})>"


ConcurrentTaskRunner = ThreadPoolTaskRunner  # Prefect 2's name for the same idea


class ProcessPoolTaskRunner(TaskRunner):
    """Run submitted tasks in a pool of ``max_workers`` processes (default: one per CPU).

    An adapter over :class:`~prefectlite.executors.LocalProcessPoolExecutor`: the task, its
    inputs and its context are sent with cloudpickle, so tasks defined in a script work; the
    processes are started fresh (``spawn``), never forked from a process running threads;
    ``initializer(*initargs)`` runs first in each. A task in another process cannot call or
    submit further tasks; its log lines come back to this process's loggers. A task, input
    or result that does not pickle fails that task run with a message naming it.

    Examples
    --------
    >>> ProcessPoolTaskRunner(max_workers=2)
    <TaskRunner: ProcessPoolTaskRunner (max_workers=2)>
    """

    executor: LocalProcessPoolExecutor

    def __init__(self, max_workers: int | None = None,
                 initializer: Callable[..., Any] | None = None, initargs: tuple = ()) -> None:
        from prefectlite.executors.local import LocalProcessPoolExecutor

        try:
            executor = LocalProcessPoolExecutor(max_workers, initializer, initargs)
        except (TypeError, ValueError) as exc:
            raise type(exc)(str(exc).replace("LocalProcessPoolExecutor",
                                             "ProcessPoolTaskRunner")) from None
        super().__init__(executor)

    @property
    def max_workers(self) -> int | None:
        """The most tasks running at once (``None``: one per CPU)."""
        return self.executor.max_workers

    @property
    def initializer(self) -> Callable[..., Any] | None:
        """Called with ``initargs`` first in each new process (``None``: nothing)."""
        return self.executor.initializer

    @property
    def initargs(self) -> tuple:
        return self.executor.initargs

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name} (max_workers={self.max_workers})>"


class DaskTaskRunner(TaskRunner):
    """Run submitted tasks on Dask, through prefectlite's Dask executors.

    Parameters
    ----------
    address, cluster_class, cluster_kwargs, adapt_kwargs, client_kwargs
        As for :class:`prefectlite.executors.DaskExecutor` (and Prefect's ``DaskTaskRunner``):
        connect to the scheduler at ``address``, or start a temporary cluster for each run.
    executor
        Any executor instead, e.g. ``LocalDaskExecutor(scheduler="processes")``.

    Futures of a run are resolved on the driver (the run waits for a task's inputs before
    submitting it), so tasks submitted on Dask only receive plain values. Tasks run in other
    processes cannot call further tasks, and must be picklable (cloudpickle).

    Examples
    --------
    >>> DaskTaskRunner(address="tcp://127.0.0.1:8786")
    <TaskRunner: DaskTaskRunner (<Executor: DaskExecutor (tcp://127.0.0.1:8786)>)>
    """

    def __init__(self, address: str | None = None, cluster_class: Any = None,
                 cluster_kwargs: dict[str, Any] | None = None,
                 adapt_kwargs: dict[str, Any] | None = None,
                 client_kwargs: dict[str, Any] | None = None, executor: Any = None) -> None:
        if executor is None:
            from prefectlite.executors.dask import DaskExecutor

            executor = DaskExecutor(address=address, cluster_class=cluster_class,
                                    cluster_kwargs=cluster_kwargs, adapt_kwargs=adapt_kwargs,
                                    client_kwargs=client_kwargs)
        elif any(v is not None for v in (address, cluster_class, cluster_kwargs, adapt_kwargs,
                                          client_kwargs)):
            raise ValueError("DaskTaskRunner: give either executor= or the cluster options "
                             "(address, cluster_class, ...), not both.")
        elif not _is_executor(executor):
            raise TypeError(f"DaskTaskRunner(executor={executor!r}): give an executor of "
                            "prefectlite.executors, e.g. LocalDaskExecutor().")
        super().__init__(executor)

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name} ({self.executor!r})>"
