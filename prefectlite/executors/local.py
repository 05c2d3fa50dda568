"""``LocalExecutor`` (each call at once, in the calling thread) and ``LocalThreadPoolExecutor``
(a pool of threads, without Dask).

``LocalExecutor`` is the simplest executor and the default: no pool, no pickling, exceptions
and breakpoints behave as in plain Python. As in Prefect 1, ``submit`` returns the function's
value itself (already computed) and ``wait`` hands values back unchanged, so the "future" of
a local run is its result. See :mod:`prefectlite.executors.base`.

``LocalThreadPoolExecutor`` runs calls on a ``concurrent.futures.ThreadPoolExecutor`` made on
the first submission of a run; its futures are ``concurrent.futures`` futures. It is what the
eager API's default ``ThreadPoolTaskRunner`` runs on, and works for ``flow.run`` too.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from prefectlite.executors.base import Executor, resolve

__all__ = ["LocalExecutor", "LocalThreadPoolExecutor"]


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
        if max_workers is not None and (isinstance(max_workers, bool)
                                        or not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"{type(self).__name__}(max_workers={max_workers!r}): give a "
                             "positive int, or None for the default.")
        self.max_workers = max_workers
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
                raise RuntimeError(f"{type(self).__name__} is not started: submit work inside "
                                   "`with executor.start():` (flow.run does this for you).")
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


def _cpus() -> int | None:
    import os

    return os.cpu_count()
