"""Tag concurrency limits on a Dask cluster: semaphores known by name, shared by every run."""

from __future__ import annotations

from typing import Any

__all__ = ["ClusterSemaphore"]


class ClusterSemaphore:
    """A ``distributed.Semaphore`` known by name, made on the worker that first uses it.

    It travels as its name and size (a ``distributed.Semaphore`` itself can only be
    unpickled where a client or worker is current, which a task's returned context is
    not); each worker process keeps one semaphore object per name.
    """

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n

    def get(self) -> Any:
        sem = _SEMAPHORES.get(self.name)
        if sem is None:
            from distributed import Semaphore

            sem = _SEMAPHORES[self.name] = Semaphore(max_leases=self.n, name=self.name)
        return sem

    def acquire(self) -> None:
        self.get().acquire()

    def release(self) -> None:
        self.get().release()


#: this process's semaphore objects, by name (see :class:`ClusterSemaphore`)
_SEMAPHORES: dict[str, Any] = {}
