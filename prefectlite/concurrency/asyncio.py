"""``concurrency`` and ``rate_limit`` for async code (see :mod:`prefectlite.concurrency`);
waiting for slots happens in a helper thread, so the event loop keeps running."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from prefectlite.concurrency.limits import acquire, release, wait_for_rate

__all__ = ["concurrency", "rate_limit"]


@contextlib.asynccontextmanager
async def concurrency(names: str | Iterable[str], occupy: int = 1,
                      timeout_seconds: float | None = None, strict: bool = False,
                      **options: Any) -> AsyncIterator[None]:
    """Hold ``occupy`` slots of each limit in ``names`` for the ``async with`` block."""
    taken = await asyncio.to_thread(acquire, names, occupy, timeout_seconds, strict)
    try:
        yield
    finally:
        release(taken, occupy)


async def rate_limit(names: str | Iterable[str], occupy: int = 1,
                     timeout_seconds: float | None = None, strict: bool = False) -> None:
    """Wait until ``occupy`` more acquisitions fit the rate limits in ``names``."""
    wait = wait_for_rate(names, occupy, strict)
    if wait > 0:
        await asyncio.sleep(wait)
