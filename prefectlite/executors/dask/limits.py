"""Tag concurrency limits on a Dask cluster: semaphores known by name, shared by every run."""

from __future__ import annotations

from typing import Any

__all__ = ["ClusterSemaphore"]


class ClusterSemaphore:
    """A ``distributed.Semaphore`` known by name, made on the worker that first uses it.

    It travels as its name and size (a ``distributed.Semaphore`` itself can only be
    unpickled where a client or worker is current, which a task's returned context is
    not); each worker process keeps one semaphore object per name. In the driver, where an
    eager flow's direct task calls run, it uses the executor's ``client`` (which is not the
    default client there), and keeps that semaphore to itself.
    """

    def __init__(self, name: str, n: int, client: Any = None) -> None:
        self.name, self.n = name, n
        self._client: Any = client
        self._mine: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.n}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], state["n"])  # type: ignore[misc]

    def get(self) -> Any:
        from distributed import Semaphore

        if self._client is not None:  # the driver's copy
            if self._mine is None:
                self._mine = Semaphore(max_leases=self.n, name=self.name,
                                       scheduler_rpc=self._client.scheduler,
                                       loop=self._client.loop)
            return self._mine
        sem = _SEMAPHORES.get(self.name)
        if sem is None:
            sem = _SEMAPHORES[self.name] = Semaphore(max_leases=self.n, name=self.name)
        return sem

    def acquire(self) -> None:
        self.get().acquire()

    def release(self) -> None:
        self.get().release()


#: this process's semaphore objects, by name (see :class:`ClusterSemaphore`)
_SEMAPHORES: dict[str, Any] = {}
