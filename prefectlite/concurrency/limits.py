"""The limits of this process: a slot count per name, read from the configuration."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["ConcurrencySlotAcquisitionError", "acquire", "release", "wait_for_rate"]

logger = logging.getLogger("prefectlite.concurrency")
_LOCK = threading.Condition()
_HELD: dict[str, int] = {}
_LAST: dict[str, float] = {}


class ConcurrencySlotAcquisitionError(RuntimeError):
    """Slots could not be acquired (no such limit with ``strict=True``, or a timeout)."""


def _names(names: str | Iterable[str]) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def _section(key: str) -> dict[str, Any]:
    from prefectlite.utilities import context

    return dict((context.context.get("config") or {}).get("concurrency", {}).get(key) or {})


def _known(names: list[str], key: str, strict: bool) -> tuple[list[str], dict[str, Any]]:
    limits = _section(key)
    missing = [n for n in names if n not in limits]
    if missing and strict:
        raise ConcurrencySlotAcquisitionError(
            f"Concurrency limits {missing} do not exist; define them in the [concurrency."
            f"{key}] section of the configuration (name = slots).")
    if missing:
        logger.warning("Concurrency limits %s do not exist - skipping acquisition.", missing)
    return [n for n in names if n in limits], limits


def acquire(names: str | Iterable[str], occupy: int, timeout_seconds: float | None,
            strict: bool) -> list[str]:
    """Take ``occupy`` slots of each configured name; the names taken."""
    found, limits = _known(_names(names), "limits", strict)
    for name in found:
        if occupy > int(limits[name]):
            raise ValueError(f"occupy={occupy} is more than the {limits[name]} slot(s) of "
                             f"concurrency limit {name!r}.")

    def free() -> bool:
        return all(_HELD.get(n, 0) + occupy <= int(limits[n]) for n in found)

    with _LOCK:
        if not _LOCK.wait_for(free, timeout_seconds):
            raise TimeoutError(f"Could not acquire {occupy} slot(s) of {found} within "
                               f"{timeout_seconds} second(s).")
        for name in found:
            _HELD[name] = _HELD.get(name, 0) + occupy
    return found


def release(names: list[str], occupy: int) -> None:
    """Give back slots taken by :func:`acquire`."""
    with _LOCK:
        for name in names:
            _HELD[name] -= occupy
        _LOCK.notify_all()


def wait_for_rate(names: str | Iterable[str], occupy: int, strict: bool) -> float:
    """Seconds to wait before this acquisition fits every configured rate (it is booked)."""
    found, rates = _known(_names(names), "rate_limits", strict)
    now, wait = time.monotonic(), 0.0
    with _LOCK:
        for name in found:
            interval = occupy / float(rates[name])
            start = max(now, _LAST.get(name, now - interval) + interval)
            _LAST[name] = start
            wait = max(wait, start - now)
    return wait
