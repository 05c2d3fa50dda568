"""Task runners: where the task runs that an eager flow *submits* (``task.submit``, ``.map``).

A task called directly (``add(1, 2)``) runs at once in the caller's thread whatever the runner;
only submitted runs go to the runner. Each flow run uses its own copy of its flow's runner
(:meth:`TaskRunner.duplicate`), entered when the run starts and left when it ends, after every
submitted run has finished (a subflow's runner is its own, not its parent's).

The contract is one method: ``submit(fn, task, inputs, context)`` starts
``fn(task, inputs, context)`` somewhere and returns a ``concurrent.futures.Future`` (or, for
a run already finished, a :class:`DoneCell`) whose value is the run's final
:class:`~prefectlite.states.State`. ``fn`` is a module-level function that
never raises (it runs the engine's ``run_task``), so it can be shipped to another process.

``ThreadPoolTaskRunner(max_workers=)``
    The default: a thread pool made on the first submission. ``max_workers`` defaults to
    Python's ``ThreadPoolExecutor`` default (``min(32, CPUs + 4)``); Prefect 3's is unbounded.
``SequentialTaskRunner``
    Runs each submission at once, in the submitting thread (for debugging).
``DaskTaskRunner``
    Submits to a Dask executor of :mod:`prefectlite.executors.dask`: a temporary or existing
    ``distributed`` cluster (the arguments of Prefect's ``prefect-dask`` runner), or any
    executor given as ``executor=LocalDaskExecutor(...)``. dask is imported when it starts.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import threading
from collections.abc import Callable
from typing import Any, Self

from prefectlite.eager.states import Crashed, State, from_engine

__all__ = [
    "ConcurrentTaskRunner", "DaskTaskRunner", "DoneCell", "ProcessPoolTaskRunner",
    "SequentialTaskRunner", "TaskRunner", "ThreadPoolTaskRunner",
]

RunFn = Callable[[Any, dict[str, Any], dict[str, Any]], State]


class TaskRunner:
    """Base class of task runners (see the module docstring for the contract)."""

    @property
    def name(self) -> str:
        """The runner's class name, as shown in logs."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name}>"

    def duplicate(self) -> Self:
        """A fresh, unstarted runner with the same settings (one per flow run)."""
        return copy.copy(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Wait for the runs still going, then release what the runner holds."""

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> cf.Future[State]:
        """Start ``fn(task, inputs, context)``; its future's value is the run's state."""
        raise NotImplementedError(f"{self.name} must implement submit()")


class DoneCell:
    """A finished stand-in for a ``concurrent.futures.Future`` (no lock, no condition).

    Runs that end as they are submitted (sequential runner, upstream not ready) get one; it
    answers the few methods futures and waits use, and costs one small object.
    """

    __slots__ = ("_error", "_value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error

    def done(self) -> bool:
        return True

    def running(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def result(self, timeout: float | None = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return self._error

    def add_done_callback(self, fn: Callable[[Any], Any]) -> None:
        fn(self)


def _done(fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]) -> Any:
    try:
        return DoneCell(fn(task, inputs, context))
    except BaseException as exc:  # fn does not raise for task errors: this is a crash
        return DoneCell(error=exc)


class SequentialTaskRunner(TaskRunner):
    """Run every submitted task at once, in the submitting thread.

    Examples
    --------
    >>> SequentialTaskRunner().submit(lambda t, i, c: i["x"], None, {"x": 3}, {}).result()
    3
    """

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> Any:
        return _done(fn, task, inputs, context)


class ThreadPoolTaskRunner(TaskRunner):
    """Run submitted tasks on a pool of ``max_workers`` threads (made on first use).

    Examples
    --------
    >>> with ThreadPoolTaskRunner(max_workers=2) as runner:
    ...     runner.submit(lambda t, i, c: i["x"] * 2, None, {"x": 4}, {}).result()
    8
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (isinstance(max_workers, bool)
                                        or not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"ThreadPoolTaskRunner(max_workers={max_workers!r}): give a "
                             "positive int, or None for the default.")
        self.max_workers = max_workers
        self._pool: cf.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name} (max_workers={self.max_workers})>"

    def duplicate(self) -> Self:
        return type(self)(self.max_workers)

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> cf.Future[State]:
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = cf.ThreadPoolExecutor(self.max_workers,
                                                       thread_name_prefix="prefectlite-task")
                pool = self._pool
        return pool.submit(fn, task, inputs, context)

    def __exit__(self, *exc_info: Any) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:  # after an interrupt, drop what has not started and go
            interrupted = exc_info and exc_info[0] is not None
            pool.shutdown(wait=not interrupted, cancel_futures=bool(interrupted))


ConcurrentTaskRunner = ThreadPoolTaskRunner  # Prefect 2's name for the same idea


def _run_shipped(payload: bytes) -> State:
    """In a worker process: unpickle ``(fn, task, inputs, context)`` and run it."""
    import cloudpickle

    fn, task, inputs, context = cloudpickle.loads(payload)
    return fn(task, inputs, context)  # type: ignore[no-any-return]


class ProcessPoolTaskRunner(ThreadPoolTaskRunner):
    """Run submitted tasks in a pool of ``max_workers`` processes (default: one per CPU).

    The task, its inputs and its context are sent with cloudpickle, so tasks defined in a
    script work; the processes are started fresh (``spawn``), never forked from a process
    running threads; ``initializer(*initargs)`` runs first in each. A task in another
    process cannot call or submit further tasks, and its log lines are written by that
    process.
    """

    def __init__(self, max_workers: int | None = None,
                 initializer: Callable[..., Any] | None = None, initargs: tuple = ()) -> None:
        super().__init__(max_workers)
        self.initializer, self.initargs = initializer, tuple(initargs)
        self._processes: cf.ProcessPoolExecutor | None = None

    def duplicate(self) -> Self:
        return type(self)(self.max_workers, self.initializer, self.initargs)

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> cf.Future[State]:
        import multiprocessing

        import cloudpickle

        with self._lock:
            if self._processes is None:
                self._processes = cf.ProcessPoolExecutor(
                    self.max_workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=self.initializer, initargs=self.initargs)
            pool = self._processes
        shipped = {k: v for k, v in context.items() if k != "_eager_run"}
        return pool.submit(_run_shipped, cloudpickle.dumps((fn, task, inputs, shipped)))

    def __exit__(self, *exc_info: Any) -> None:
        with self._lock:
            pool, self._processes = self._processes, None
        if pool is not None:
            interrupted = exc_info and exc_info[0] is not None
            pool.shutdown(wait=not interrupted, cancel_futures=bool(interrupted))


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
        self.executor = executor
        self._started: Any = None
        self._prepared: dict[int, tuple[Any, Any]] = {}

    def __repr__(self) -> str:
        return f"<TaskRunner: {self.name} ({self.executor!r})>"

    def duplicate(self) -> Self:
        return type(self)(executor=copy.copy(self.executor))  # executors copy unstarted

    def __enter__(self) -> Self:
        self._started = self.executor.start()
        self._started.__enter__()
        self._prepared = {}
        return self

    def __exit__(self, *exc_info: Any) -> None:
        started, self._started = self._started, None
        if started is not None:
            started.__exit__(*exc_info)

    def _in_process(self) -> bool:
        return getattr(self.executor, "scheduler", None) in ("threads", "synchronous")

    def submit(self, fn: RunFn, task: Any, inputs: dict[str, Any], context: dict[str, Any]
               ) -> cf.Future[State]:
        if self._started is None:
            raise RuntimeError("DaskTaskRunner is not started: it is entered by the flow run "
                               "that uses it (or use `with runner:`).")
        found = self._prepared.get(id(task))
        if found is None or found[0] is not task:
            found = self._prepared[id(task)] = (task, self.executor.prepare_task(task))
        shipped_ctx = context if self._in_process() else {
            k: v for k, v in context.items() if k != "_eager_run"}
        future = self.executor.submit(fn, found[1], inputs, shipped_ctx, extra_context=context)
        return self._bridge(future, str(context.get("task_run_name", "?")))

    def _bridge(self, future: Any, name: str) -> cf.Future[State]:
        """A ``concurrent.futures.Future`` holding the eager state of an executor's future."""
        cell: cf.Future[State] = cf.Future()
        cell.set_running_or_notify_cancel()

        def finished(done: Any) -> None:
            try:
                value = done.result() if self.executor.resolves_futures else \
                    self.executor.result(done)
            except BaseException as exc:
                value = Crashed(message=f"Task run {name!r} was lost on Dask: {exc!r}", data=exc)
            cell.set_result(value if isinstance(value, State) else from_engine(value))

        future.add_done_callback(finished)
        return cell
