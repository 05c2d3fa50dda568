"""``LocalDaskExecutor``: a local pool of threads or processes, configured the Dask way.

It runs each submission on a pool it owns for one run: a ``concurrent.futures`` thread pool,
a :class:`~prefectlite.executors.LocalProcessPoolExecutor` (``spawn``ed processes, safe next
to threads; records of the ``prefectlite`` logger made there come back to the driver), or
inline (``synchronous``). Dask's ``get`` is a batch call and not an event API, so dask only
supplies the configuration (``num_workers``, ``dask.config`` keys). ``max_in_flight`` is
twice the pool size; the flow runner keeps the rest in its last-in-first-out ready list, so
a mapped pipeline goes depth-first.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from prefectlite.executors.base import Executor, not_started, resolve
from prefectlite.executors.dask.book import RunBook
from prefectlite.executors.dask.naming import require_dask
from prefectlite.executors.local import LocalProcessPoolExecutor
from prefectlite.executors.shipping import _ship, lost, task_name
from prefectlite.utilities.futures import DoneFuture, call_now

__all__ = ["LocalDaskExecutor"]

_SCHEDULERS = {
    "threads": "threads", "threading": "threads", "processes": "processes",
    "multiprocessing": "processes", "synchronous": "synchronous", "sync": "synchronous",
    "single-threaded": "synchronous",
}


class LocalDaskExecutor(Executor):
    """Run tasks on a local pool of threads or processes, configured the Dask way.

    Parameters
    ----------
    scheduler
        ``"threads"`` (default), ``"processes"`` or ``"synchronous"`` (also Dask's aliases
        ``"threading"``, ``"multiprocessing"``, ``"sync"``, ``"single-threaded"``).
    num_workers
        Pool size; default ``dask.config`` ``num_workers``, else the number of CPUs.
    **kwargs
        Set in ``dask.config`` while the executor runs (as in Prefect 1).

    Examples
    --------
    >>> ex = LocalDaskExecutor(num_workers=2)
    >>> with ex.start():
    ...     futures = [ex.submit(pow, 2, n) for n in (3, 4)]
    ...     ex.wait(futures)
    [8, 16]
    """

    def __init__(self, scheduler: str = "threads", num_workers: int | None = None,
                 **kwargs: Any) -> None:
        require_dask("LocalDaskExecutor", ("dask",))
        self.scheduler = self._normalize_scheduler(scheduler)
        self.num_workers = num_workers
        self.dask_config = kwargs
        self.max_in_flight: int | None = 1 if self.scheduler == "synchronous" else None
        self.ships_work = self.scheduler == "processes"
        self._threads: cf.ThreadPoolExecutor | None = None
        self._procs: LocalProcessPoolExecutor | None = None  # processes
        self._book: RunBook | None = None

    def __repr__(self) -> str:
        return f"<Executor: LocalDaskExecutor ({self.scheduler})>"

    @staticmethod
    def _normalize_scheduler(scheduler: str) -> str:
        """Dask's name for a scheduler alias: ``"threads"``, ``"processes"`` or
        ``"synchronous"`` (``ValueError`` for anything else)."""
        key = scheduler.lower()
        if key not in _SCHEDULERS:
            raise ValueError(f"Unknown scheduler {scheduler!r} for LocalDaskExecutor: use "
                             "'threads', 'processes' or 'synchronous'.")
        return _SCHEDULERS[key]

    def wait(self, futures: Any) -> Any:
        """Resolve futures (possibly inside lists, tuples, sets and dicts) to values."""
        return resolve(self, futures)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_threads": None, "_procs": None, "_book": None}

    @property
    def _pool(self) -> cf.Executor | None:
        """The run's ``concurrent.futures`` pool (as in Prefect 1; ``None`` outside a run)."""
        return self._procs.pool() if self._procs is not None else self._threads

    @contextmanager
    def start(self) -> Iterator[None]:
        """Open the pool for one run; shut it down after (without waiting, on an error)."""
        import dask.config
        from dask.system import CPU_COUNT

        with dask.config.set(self.dask_config):
            size = self.num_workers or dask.config.get("num_workers", None) or CPU_COUNT
            self._book = RunBook()
            if self.scheduler != "synchronous":
                self.max_in_flight = 2 * size
            try:
                with self._pools(size):
                    yield
            finally:
                self._threads, self._procs, self._book = None, None, None

    @contextmanager
    def _pools(self, size: int) -> Iterator[None]:
        """The run's thread pool, or its process pool (a ``LocalProcessPoolExecutor``)."""
        if self.scheduler == "processes":
            self._procs = LocalProcessPoolExecutor(size)
            with self._procs.start():
                self._procs.pool()  # opened when the run starts, as in Prefect 1
                yield
            return
        if self.scheduler == "threads":
            self._threads = cf.ThreadPoolExecutor(size, thread_name_prefix="prefectlite-dask")
        clean = False
        try:
            yield
            clean = True
        finally:
            if self._threads is not None:
                self._threads.shutdown(wait=clean, cancel_futures=not clean)

    @contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Tag limits: threading semaphores, or a manager's for the process pool."""
        chosen = LocalProcessPoolExecutor().limiter if self.scheduler == "processes" \
            else super().limiter
        with chosen(limits) as shared:
            yield shared

    def prepare_task(self, task: Any) -> Any:
        """Processes: the task pickled once (threads and inline runs need no pickling)."""
        return _ship(task) if self.scheduler == "processes" else task

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future[Any] | DoneFuture:
        if self._book is None:
            raise not_started(self)
        name = task_name(extra_context, fn)
        future: cf.Future[Any] | DoneFuture
        if self._procs is not None:
            future = self._procs.submit(fn, *args, extra_context=extra_context, **kwargs)
        elif self._threads is not None:
            future = self._threads.submit(fn, *args, **kwargs)
        else:
            future = call_now(fn, *args, **kwargs)
        self._book.track(future, name)
        return future

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        if self._book is None:
            raise not_started(self)
        return self._book.take(futures, timeout)

    def result(self, future: Any) -> Any:
        """The value of a done future; a lost computation becomes a ``Failed`` state."""
        name = self._book.names.pop(future, "?") if self._book else "?"
        if self._procs is not None:
            return self._procs.result(future)
        try:
            return future.result()
        except Exception as exc:  # run_task never raises: the pool failed
            return lost(name, "it could not run", exc)

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future | DoneFuture)
