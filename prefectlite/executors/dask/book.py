"""One run's bookkeeping, shared by both executors (``start()`` makes it fresh, so an
executor is reusable).

``RunBook.done``
    futures that finished and that ``wait_any`` has not reported yet, appended under a
    condition variable by done-callbacks (pools) or, on distributed, by one watcher on the
    client's event loop per batch of submissions (``unwatched``, handed over by
    ``wait_any``): ``wait_any`` never polls every in-flight future, and reports each
    completion once (membership by ``id``, no hashing). On distributed, ``wait_any`` lingers
    up to ``DaskExecutor.linger`` after the first completion to collect more.
``RunBook.names``
    future -> task name, for the ``Failed`` message when a future itself errors (a pool
    process or a worker lost for good, a cancelled future).
``RunBook.batch`` / ``fetched`` (distributed)
    the futures ``wait_any`` last returned, and the states fetched for them: the first
    ``result()`` after a ``wait_any`` fetches the whole batch in one round trip.
``RunBook.token`` / ``count`` (distributed)
    keys are ``<task>[-<map index>]-<run token>-<counter>``: unique without a ``uuid4`` per
    submission, and grouped by task name on the dashboard.
``RunBook.shipped`` (distributed)
    prepared task -> the future of the key that holds its pickled bytes on the cluster: each
    task crosses the network once, and the scheduler keeps one copy.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from prefectlite.executors.dask.naming import map_index
from prefectlite.executors.shipping import ShippedTask

__all__ = ["RunBook"]


class RunBook:
    """One run's bookkeeping (see the module docstring)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.done: list[Any] = []
        self.names: dict[Any, str] = {}
        self.batch: list[Any] = []
        self.fetched: dict[Any, Any] = {}
        self.shipped: dict[ShippedTask, Any] = {}
        self.token = uuid.uuid4().hex
        self.count = itertools.count()
        self.unwatched: list[Any] = []

    def key(self, ctx: Mapping[str, Any]) -> str:
        """Like :func:`task_key`, with a per-run token and a counter (no ``uuid4`` per key)."""
        name = str(ctx.get("task_name") or ctx.get("task_full_name") or "prefectlite")
        index = map_index(ctx)
        prefix = name if index is None else f"{name}-{index}"
        return f"{prefix}-{self.token}-{next(self.count)}"

    def track(self, future: Any, name: str) -> Any:
        """Remember ``future``'s task name and hear when it finishes."""
        self.names[future] = name
        future.add_done_callback(self.finished)
        return future

    def track_later(self, future: Any, name: str) -> Any:
        """Like :meth:`track`, for a distributed future: :meth:`watch` hears of it."""
        self.names[future] = name
        self.unwatched.append(future)
        return future

    def watch(self, client: Any) -> None:
        """Hear when the futures given to :meth:`track_later` finish, with one call into
        the client's event loop for all of them (``add_done_callback`` costs a cross-thread
        call per future, and runs each callback through a thread pool)."""
        futures, self.unwatched = self.unwatched, []
        if futures:
            client.loop.add_callback(_watch, futures, self.finished)

    def finished(self, future: Any) -> None:
        with self.cond:
            self.done.append(future)
            self.cond.notify_all()

    def take(self, futures: Collection[Any], timeout: float | None,
             linger: float = 0.0) -> list[Any]:
        """The finished, unreported futures among ``futures``; wait up to ``timeout``.

        Membership goes by ``id``: the caller holds every future it passes, and hashing a
        distributed future runs Python code (10,000 of them per call added up). With
        ``linger``, once one future is done, more are collected for up to ``linger``
        seconds (never past ``timeout``, not once all are done), so that their states come
        back in fewer, bigger batches.
        """
        if not futures:
            return []
        ids = {id(f) for f in futures}
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while True:
                ready = [f for f in self.done if id(f) in ids]
                if ready and linger > 0 and len(ready) < len(ids):
                    until = time.monotonic() + linger
                    if deadline is not None:
                        until = min(until, deadline)
                    while len(ready) < len(ids):
                        left = until - time.monotonic()
                        if left <= 0:
                            break
                        self.cond.wait(left)
                        ready = [f for f in self.done if id(f) in ids]
                if ready:
                    self.done = [f for f in self.done if id(f) not in ids]
                    return ready
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return []
                self.cond.wait(remaining)


async def _watch(futures: list[Any], finished: Callable[[Any], None]) -> None:
    """(event loop) Call ``finished(future)`` as each distributed future finishes."""
    import asyncio

    from distributed.client import done_callback

    waits = []
    for future in futures:
        if future.status == "pending":
            waits.append(done_callback(future, finished))
        else:
            finished(future)
    await asyncio.gather(*waits, return_exceptions=True)


