"""``concurrency`` and ``rate_limit`` for synchronous code (see
:mod:`prefectlite.concurrency`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prefectlite.concurrency.limits import acquire, release, wait_for_rate

__all__ = ["concurrency", "rate_limit"]


@contextlib.contextmanager
def concurrency(names: str | Iterable[str], occupy: int = 1,
                timeout_seconds: float | None = None, strict: bool = False,
                **options: Any) -> Iterator[None]:
    """Hold ``occupy`` slots of each limit in ``names`` for the block."""
    taken = acquire(names, occupy, timeout_seconds, strict)
    try:
        yield
    finally:
        release(taken, occupy)


def rate_limit(names: str | Iterable[str], occupy: int = 1,
               timeout_seconds: float | None = None, strict: bool = False) -> None:
    """Wait until ``occupy`` more acquisitions fit the rate limits in ``names``."""
    wait = wait_for_rate(names, occupy, strict)
    if wait > 0:
        time.sleep(wait)
