"""Tag concurrency limits: at most ``N`` runs of tasks tagged ``T`` at once.

Limits come from ``flow.run(task_concurrency={"database": 2})``, from ``prefectlite run
--limit database=2``, or from the ``[task_concurrency]`` table of the configuration
(``flow.run``'s and the command line's win over the configuration's, tag by tag). Prefect 1
had them only in Prefect Cloud, Prefect 3 only with its server; here they need neither.

The rule: a task run holds one slot of each limited tag it carries while one attempt of its
function runs. Waiting for upstream tasks, a retry delay or a cache hit holds nothing; a
retry takes its slots again. Mapped children are task runs like any other, so a mapped task
tagged ``database`` never has more than ``N`` children running at once. Slots of several
tags are taken in the order of the tag names, so two tasks that share two limited tags
cannot wait on each other.

Who keeps count is the executor's business (``Executor.limiter``): threading semaphores for
executors that run tasks in this process (``LocalExecutor``, ``LocalDaskExecutor``'s
threads), semaphores of a multiprocessing manager shared by a process pool's workers, and
``distributed.Semaphore`` leases on a Dask cluster, named after the tag, so that every run
using the cluster with that limit shares it.

Examples
--------
>>> limiter = ThreadLimiter(check_limits({"database": 2}))
>>> with limiter.slots({"database", "etl"}):  # "etl" has no limit: nothing to hold
...     limiter.held("database")
1
>>> limiter.held("database")
0
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = ["Limiter", "ThreadLimiter", "check_limits", "merge_limits", "parse_limit"]


def check_limits(limits: Mapping[str, Any] | None) -> dict[str, int]:
    """``limits`` as ``{tag: n}``, or a ``ValueError`` naming the tag and how to fix it.

    Examples
    --------
    >>> check_limits({"db": 2, "api": "3"})
    {'db': 2, 'api': 3}
    >>> check_limits({"db": 0})
    Traceback (most recent call last):
    ...
    ValueError: task_concurrency['db'] must be a whole number of at least 1, got 0.
    """
    if limits is None:
        return {}
    if not isinstance(limits, Mapping):
        raise TypeError("task_concurrency must map tags to limits, e.g. {'database': 2}, "
                        f"got {limits!r}.")
    out = {}
    for tag, n in limits.items():
        if not isinstance(tag, str) or not tag:
            raise ValueError(f"task_concurrency keys are task tags (non-empty strings), got "
                             f"{tag!r}.")
        out[tag] = _count(tag, n)
    return out


def _count(tag: str, n: Any) -> int:
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"task_concurrency[{tag!r}] must be a whole number of at least 1, "
                         f"got {n!r}.")
    return n


def parse_limit(text: str) -> tuple[str, int]:
    """``"TAG=N"`` (the command line's ``--limit``) as ``(tag, n)``.

    Examples
    --------
    >>> parse_limit("database=2")
    ('database', 2)
    """
    tag, sep, n = text.partition("=")
    if not sep or not tag.strip():
        raise ValueError(f"malformed limit {text!r}: expected TAG=N, e.g. database=2.")
    tag = tag.strip()
    return tag, _count(tag, n.strip())


def merge_limits(configured: Mapping[str, Any] | None,
                 given: Mapping[str, Any] | None) -> dict[str, int]:
    """The configuration's limits overridden, tag by tag, by the run's."""
    return {**check_limits(configured), **check_limits(given)}


class Limiter:
    """Slots per tag; subclasses say where the semaphores live (``make``)."""

    def __init__(self, limits: Mapping[str, int],
                 make: Callable[[str, int], Any] | None = None) -> None:
        self.limits = dict(limits)
        factory = make or self.make
        self._semaphores = {tag: factory(tag, n) for tag, n in sorted(self.limits.items())}

    def make(self, tag: str, n: int) -> Any:  # pragma: no cover - every subclass has one
        raise NotImplementedError

    @contextlib.contextmanager
    def slots(self, tags: Iterable[str]) -> Iterator[None]:
        """Hold one slot of each limited tag in ``tags`` (in name order) for the block."""
        held = []
        try:
            for tag in sorted(t for t in set(tags) if t in self._semaphores):
                self._semaphores[tag].acquire()
                held.append(tag)
            yield
        finally:
            for tag in reversed(held):
                self._semaphores[tag].release()

    def __getstate__(self) -> dict[str, Any]:
        return {"limits": self.limits, "_semaphores": self._semaphores}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class ThreadLimiter(Limiter):
    """Threading semaphores: for executors whose tasks run in this process."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()
        super().__init__(limits)

    def make(self, tag: str, n: int) -> Any:
        return threading.BoundedSemaphore(n)

    @contextlib.contextmanager
    def slots(self, tags: Iterable[str]) -> Iterator[None]:
        limited = [t for t in set(tags) if t in self.limits]
        with super().slots(limited):
            self._count(limited, 1)
            try:
                yield
            finally:
                self._count(limited, -1)

    def _count(self, tags: list[str], step: int) -> None:
        with self._lock:
            for tag in tags:
                self._held[tag] = self._held.get(tag, 0) + step

    def held(self, tag: str) -> int:
        """How many slots of ``tag`` are held now (for tests and progress displays)."""
        return self._held.get(tag, 0)
