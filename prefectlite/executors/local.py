"""``LocalExecutor`` (each call at once, in the calling thread), ``LocalThreadPoolExecutor``
(a pool of threads) and ``LocalProcessPoolExecutor`` (a pool of processes), without Dask.

``LocalExecutor`` is the simplest executor and the default: no pool, no pickling, exceptions
and breakpoints behave as in plain Python. As in Prefect 1, ``submit`` returns the function's
value itself (already computed) and ``wait`` hands values back unchanged, so the "future" of
a local run is its result. See :mod:`prefectlite.executors.base`.

``LocalThreadPoolExecutor`` runs calls on a ``concurrent.futures.ThreadPoolExecutor`` made on
the first submission of a run; its futures are ``concurrent.futures`` futures. It is what the
eager API's default ``ThreadPoolTaskRunner`` runs on, and works for ``flow.run`` too.

``LocalProcessPoolExecutor`` runs calls on a ``concurrent.futures.ProcessPoolExecutor`` of
processes started fresh (``spawn``), made on the first submission of a run. Work is pickled
with cloudpickle (:mod:`prefectlite.executors.shipping`), so tasks defined in a script work;
what does not pickle fails that task with a message naming it. It is what the eager
``ProcessPoolTaskRunner`` runs on, and what ``LocalDaskExecutor("processes")`` uses.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from prefectlite.engine.state import Failed
from prefectlite.executors.base import Executor, not_started, resolve
from prefectlite.utilities.futures import DoneFuture

__all__ = ["LocalExecutor", "LocalProcessPoolExecutor", "LocalThreadPoolExecutor"]


class LocalExecutor(Executor):
    """Run every task immediately, one at a time, in the current thread.

    Examples
    --------
    >>> ex = LocalExecutor()
    >>> with ex.start():
    ...     value = ex.submit(pow, 2, 10)
    ...     value, ex.wait([value, {"x": 3}])
    (1024, [1024, {'x': 3}])
    """

    max_in_flight = 1  # inline anyway: finishing each run first makes the walk depth-first

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``fn(*args, **kwargs)`` now and return its value."""
        return fn(*args, **kwargs)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        return list(futures)

    def result(self, future: Any) -> Any:
        return future

    def add_done_callback(self, future: Any, fn: Callable[[Any], Any]) -> None:
        """The "future" is the value, computed already: ``fn(future)`` at once."""
        fn(future)

    def wait(self, futures: Any) -> Any:
        """Values are already computed: returned unchanged."""
        return futures


class LocalThreadPoolExecutor(Executor):
    """Run tasks on a pool of ``max_workers`` threads, without Dask.

    ``max_workers`` defaults to Python's ``ThreadPoolExecutor`` default
    (``min(32, CPUs + 4)``). The pool is made on the first submission of each run and shut
    down when the run ends (without waiting, after an error).

    Examples
    --------
    >>> ex = LocalThreadPoolExecutor(max_workers=2)
    >>> with ex.start():
    ...     ex.wait([ex.submit(pow, 2, n) for n in (3, 4)])
    [8, 16]
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = _check_workers(self, max_workers)
        self.thread_name_prefix = "prefectlite-task"
        self._pool: cf.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running = False

    @property
    def max_in_flight(self) -> int | None:  # type: ignore[override]
        """Twice the pool's size: enough to keep it busy, bounding what a wide map holds."""
        return 2 * (self.max_workers or min(32, (_cpus() or 1) + 4))

    def __repr__(self) -> str:
        return f"<Executor: {type(self).__name__} (max_workers={self.max_workers})>"

    def __getstate__(self) -> dict[str, Any]:
        return {"max_workers": self.max_workers, "thread_name_prefix": self.thread_name_prefix}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["max_workers"])  # type: ignore[misc]
        self.thread_name_prefix = state["thread_name_prefix"]

    @contextmanager
    def start(self) -> Iterator[None]:
        """One run: submissions are accepted; the pool is shut down at the end."""
        self._running, clean = True, False
        try:
            yield
            clean = True
        finally:
            with self._lock:
                pool, self._pool, self._running = self._pool, None, False
            if pool is not None:  # after an interrupt, drop what has not started and go
                pool.shutdown(wait=clean, cancel_futures=not clean)

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future[Any]:
        """Start ``fn(*args, **kwargs)`` on the pool."""
        pool = self._pool
        if pool is None:
            pool = self._make_pool()
        return pool.submit(fn, *args, **kwargs)

    def _make_pool(self) -> cf.ThreadPoolExecutor:
        with self._lock:
            if not self._running:
                raise not_started(self)
            if self._pool is None:
                self._pool = cf.ThreadPoolExecutor(self.max_workers,
                                                   thread_name_prefix=self.thread_name_prefix)
            return self._pool

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        done, _ = cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any) -> Any:
        return future.result()

    def wait(self, futures: Any) -> Any:
        """Resolve futures (possibly inside lists, tuples, sets and dicts) to values."""
        return resolve(self, futures)

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future)


def _check_workers(executor: Executor, max_workers: Any) -> int | None:
    """``max_workers`` if it is a positive int or ``None``, else a ``ValueError``."""
    if max_workers is not None and (isinstance(max_workers, bool)
                                    or not isinstance(max_workers, int) or max_workers < 1):
        raise ValueError(f"{type(executor).__name__}(max_workers={max_workers!r}): give a "
                         "positive int, or None for the default.")
    return max_workers


def _cpus() -> int | None:
    import os

    return os.cpu_count()


class LocalProcessPoolExecutor(Executor):
    """Run tasks in a pool of ``max_workers`` processes (default: one per CPU), without Dask.

    The processes are started fresh with ``mp_context`` (default ``"spawn"``: safe next to
    threads, unlike ``"fork"``), on the first submission of each run, and shut down when the
    run ends (without waiting, after an error); ``initializer(*initargs)`` runs first in
    each. Tasks, arguments and results travel with cloudpickle; one that does not pickle
    fails its task with a message naming the task and the object. Records of the
    ``prefectlite`` logger made in the processes are handled by this process's loggers. A
    process that dies fails its task run, and the next submission starts a new pool.

    Examples
    --------
    >>> ex = LocalProcessPoolExecutor(max_workers=2)
    >>> with ex.start():
    ...     ex.wait([ex.submit(pow, 2, n) for n in (3, 4)])
    [8, 16]
    """

    ships_work = True

    def __init__(self, max_workers: int | None = None,
                 initializer: Callable[..., Any] | None = None, initargs: tuple = (),
                 mp_context: str = "spawn") -> None:
        import multiprocessing

        self.max_workers = _check_workers(self, max_workers)
        if initializer is not None and not callable(initializer):
            raise TypeError(f"{type(self).__name__}(initializer={initializer!r}): give a "
                            "function (called in each new process), or None.")
        if mp_context not in multiprocessing.get_all_start_methods():
            raise ValueError(f"{type(self).__name__}(mp_context={mp_context!r}): use one of "
                             f"{multiprocessing.get_all_start_methods()}.")
        self.initializer, self.initargs = initializer, tuple(initargs)
        self.mp_context = mp_context
        self._pool: cf.ProcessPoolExecutor | None = None
        self._logs: Any = None
        self._names: dict[Any, str] | None = None
        self._lock = threading.Lock()

    @property
    def max_in_flight(self) -> int | None:  # type: ignore[override]
        """Twice the pool's size: enough to keep it busy, bounding what a wide map holds."""
        return 2 * (self.max_workers or _cpus() or 1)

    def __repr__(self) -> str:
        return f"<Executor: {type(self).__name__} (max_workers={self.max_workers})>"

    def __getstate__(self) -> dict[str, Any]:
        return {"max_workers": self.max_workers, "initializer": self.initializer,
                "initargs": self.initargs, "mp_context": self.mp_context}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    @contextmanager
    def start(self) -> Iterator[None]:
        """One run: submissions are accepted; the pool is shut down at the end."""
        self._names, clean = {}, False
        try:
            yield
            clean = True
        finally:
            with self._lock:
                pool, self._pool, self._names = self._pool, None, None
                logs, self._logs = self._logs, None
            if pool is not None:  # after an interrupt, drop what has not started and go
                pool.shutdown(wait=clean, cancel_futures=not clean)
            if logs is not None:
                logs.stop()

    @contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Tag limits as semaphores of a ``multiprocessing`` manager, shared by the workers."""
        import multiprocessing

        from prefectlite.engine.limits import Limiter

        with multiprocessing.get_context(self.mp_context).Manager() as manager:
            yield Limiter(limits, make=lambda _tag, n: manager.BoundedSemaphore(n))

    def prepare_task(self, task: Any) -> Any:
        """The task pickled once (an unpicklable one fails each submission, named)."""
        from prefectlite.executors.shipping import _ship

        return _ship(task)

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future[Any] | DoneFuture:
        """Start ``fn(*args, **kwargs)`` in a pool process; a ``Failed`` state, as a finished
        future, when something does not pickle."""
        from prefectlite.executors.shipping import _pickle_call, _run_payload, task_name

        names = self._names
        if names is None:
            raise not_started(self)
        name = task_name(extra_context, fn)
        payload = _pickle_call(name, fn, args, kwargs)
        if isinstance(payload, Failed):
            return DoneFuture(payload)
        pool = self.pool()
        try:
            future = pool.submit(_run_payload, name, payload)
        except cf.BrokenExecutor:  # a process died earlier: start a fresh pool, once
            logging.getLogger("prefectlite.executors").warning(
                "A worker process died; starting a new process pool.")
            future = self.pool(broken=pool).submit(_run_payload, name, payload)
        names[future] = name
        return future

    def pool(self, broken: cf.ProcessPoolExecutor | None = None) -> cf.ProcessPoolExecutor:
        """The run's ``concurrent.futures`` pool, made now if need be (in place of ``broken``,
        when given); inside ``start()`` only."""
        import multiprocessing

        from prefectlite.executors.process_logs import LogQueue, init_process

        with self._lock:
            if self._names is None:
                raise not_started(self)
            if broken is not None and self._pool is broken:
                broken.shutdown(wait=False)
                self._pool = None
            if self._pool is None:
                ctx = multiprocessing.get_context(self.mp_context)
                if self._logs is None:
                    self._logs = LogQueue(ctx)
                self._pool = cf.ProcessPoolExecutor(
                    self.max_workers, mp_context=ctx, initializer=init_process,
                    initargs=self._logs.initargs(self.initializer, self.initargs))
            return self._pool

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        finished = [f for f in futures if not isinstance(f, cf.Future)]
        if finished:  # refused submissions: finished as they were made
            return finished
        done, _ = cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any) -> Any:
        """The value of a done future; a lost computation becomes a ``Failed`` state."""
        from prefectlite.executors.shipping import _Pickled, lost

        names = self._names
        name = names.pop(future, "?") if names is not None else "?"
        try:
            value = future.result()
        except Exception as exc:  # the call never raises: the pool or its process failed
            dead = isinstance(exc, cf.BrokenExecutor)
            return lost(name, "its worker process died" if dead else "it could not run", exc)
        if type(value) is _Pickled:
            import cloudpickle

            return cloudpickle.loads(value)
        return value

    def wait(self, futures: Any) -> Any:
        """Resolve futures (possibly inside lists, tuples, sets and dicts) to values."""
        return resolve(self, futures)

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future | DoneFuture)
