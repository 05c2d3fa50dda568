"""``LocalDaskExecutor``: a local pool of threads or processes, configured the Dask way.

It runs each submission on a ``concurrent.futures`` pool it owns for one run: threads,
processes (started with ``spawn``, safe next to threads), or inline (``synchronous``). Dask's
``get`` is a batch call and not an event API, so dask only supplies the configuration
(``num_workers``, ``dask.config`` keys). ``max_in_flight`` is twice the pool size; the flow
runner keeps the rest in its last-in-first-out ready list, so a mapped pipeline goes
depth-first. Records of the ``prefectlite`` logger made in pool processes come back through a
queue, stamped with their task run (:mod:`prefectlite.utilities.log_records`).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import logging.handlers
import os
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

import cloudpickle

from prefectlite.engine.state import Failed
from prefectlite.executors.base import Executor, resolve
from prefectlite.executors.dask.book import RunBook, _lost, _not_started
from prefectlite.executors.dask.naming import require_dask, task_name
from prefectlite.executors.dask.shipping import _pickle_call, _Pickled, _run_payload, _ship
from prefectlite.utilities.futures import DoneFuture, call_now
from prefectlite.utilities.log_records import stamp_task_run

__all__ = ["LocalDaskExecutor"]

logger = logging.getLogger("prefectlite.executors.dask")
LOGGER = "prefectlite"
_SCHEDULERS = {
    "threads": "threads", "threading": "threads", "processes": "processes",
    "multiprocessing": "processes", "synchronous": "synchronous", "sync": "synchronous",
    "single-threaded": "synchronous",
}


def _init_process(queue: Any, level: int) -> None:
    """Pool process initializer: send ``prefectlite`` records to the driver via ``queue``,
    and exit when the driver dies."""
    log = logging.getLogger(LOGGER)
    log.setLevel(level)
    handler = logging.handlers.QueueHandler(queue)
    handler.addFilter(stamp_task_run)
    log.addHandler(handler)
    _exit_with_parent()


def _exit_with_parent() -> None:
    """(pool process) Watch the driver in a daemon thread and exit as soon as it is gone.

    A driver killed with ``kill -9`` cannot shut its pool down; without this its worker
    processes would live on, orphaned, finishing (or hanging in) tasks nobody waits for.
    The watcher blocks on the parent's sentinel, which becomes ready when it exits.
    """
    import multiprocessing
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="prefectlite-watch-driver", daemon=True).start()


class _Redispatch(logging.Handler):
    """Driver side of the queue: hand each record to the driver's logger of the same name."""

    def emit(self, record: logging.LogRecord) -> None:
        _redispatch(record)


def _redispatch(record: logging.LogRecord) -> None:
    if record.name == LOGGER or record.name.startswith(LOGGER + "."):
        logging.getLogger(record.name).handle(record)



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
        self._pool: cf.Executor | None = None
        self._size = 1
        self._book: RunBook | None = None
        self._logs: tuple[Any, logging.handlers.QueueListener] | None = None

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
        return {**self.__dict__, "_pool": None, "_book": None, "_logs": None}

    @contextmanager
    def start(self) -> Iterator[None]:
        """Open the pool for one run; shut it down after (without waiting, on an error)."""
        import dask.config
        from dask.system import CPU_COUNT

        with dask.config.set(self.dask_config):
            size = self.num_workers or dask.config.get("num_workers", None) or CPU_COUNT
            self._size, self._book = size, RunBook()
            if self.scheduler != "synchronous":
                self.max_in_flight = 2 * size
                self._pool = self._make_pool(size)
            clean = False
            try:
                yield
                clean = True
            finally:
                if self._pool is not None:
                    self._pool.shutdown(wait=clean, cancel_futures=not clean)
                self._stop_log_listener()
                self._pool, self._book = None, None

    @contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Tag limits: threading semaphores, or a manager's for the process pool."""
        if self.scheduler != "processes":
            with super().limiter(limits) as shared:
                yield shared
            return
        import multiprocessing

        from prefectlite.engine.limits import Limiter

        with multiprocessing.get_context("spawn").Manager() as manager:
            yield Limiter(limits, make=lambda _tag, n: manager.BoundedSemaphore(n))

    def _make_pool(self, size: int) -> cf.Executor:
        if self.scheduler == "threads":
            return cf.ThreadPoolExecutor(size, thread_name_prefix="prefectlite-dask")
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        if self._logs is None:
            queue = ctx.Queue()
            listener = logging.handlers.QueueListener(queue, _Redispatch())
            listener.start()
            self._logs = (queue, listener)
        level = logging.getLogger(LOGGER).getEffectiveLevel()
        return cf.ProcessPoolExecutor(size, mp_context=ctx, initializer=_init_process,
                                      initargs=(self._logs[0], level))

    def _stop_log_listener(self) -> None:
        # A pool process killed while writing a record can leave a torn message in the
        # queue, on which the listener's reader blocks for good: wait a little, then let
        # its (daemon) thread go rather than hang the run or interpreter exit.
        if self._logs is not None:
            queue, listener = self._logs
            self._logs = None
            thread = listener._thread
            listener.enqueue_sentinel()
            if thread is not None:
                thread.join(timeout=5)
            listener._thread = None
            queue.close()
            if thread is not None and thread.is_alive():
                logger.warning("Log records of a dead pool process could not be read; "
                               "some worker log lines may be missing.")
                queue.cancel_join_thread()
            else:
                queue.join_thread()

    def prepare_task(self, task: Any) -> Any:
        """Processes: the task pickled once (threads and inline runs need no pickling)."""
        return _ship(task) if self.scheduler == "processes" else task

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future[Any] | DoneFuture:
        if self._book is None:
            raise _not_started(self)
        name = task_name(extra_context, fn)
        future: cf.Future[Any] | DoneFuture
        if self._pool is None:
            future = call_now(fn, *args, **kwargs)
        elif self.scheduler == "threads":
            future = self._pool.submit(fn, *args, **kwargs)
        else:
            future = self._submit_pickled(name, fn, args, kwargs)
        self._book.track(future, name)
        return future

    def _submit_pickled(self, name: str, fn: Callable[..., Any], args: tuple,
                        kwargs: dict[str, Any]) -> cf.Future[Any] | DoneFuture:
        payload = _pickle_call(name, fn, args, kwargs)
        if isinstance(payload, Failed):
            return DoneFuture(payload)
        assert self._pool is not None
        try:
            return self._pool.submit(_run_payload, name, payload)
        except cf.BrokenExecutor:  # a process died earlier: start a fresh pool, once
            logger.warning("A worker process died; starting a new process pool.")
            self._pool.shutdown(wait=False)
            self._pool = self._make_pool(self._size)
            return self._pool.submit(_run_payload, name, payload)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        if self._book is None:
            raise _not_started(self)
        return self._book.take(futures, timeout)

    def result(self, future: Any) -> Any:
        """The value of a done future; a lost computation becomes a ``Failed`` state."""
        name = self._book.names.pop(future, "?") if self._book else "?"
        try:
            value = future.result()
        except Exception as exc:  # run_task never raises: the pool or its process failed
            dead = isinstance(exc, cf.BrokenExecutor)
            return _lost(name, "its worker process died" if dead else "it could not run", exc)
        return cloudpickle.loads(value) if type(value) is _Pickled else value

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future | DoneFuture)

