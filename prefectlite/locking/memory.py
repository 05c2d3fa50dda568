"""Locks of one process, by key."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LockManager", "MemoryLockManager"]


class LockManager:
    """What a lock manager offers: ``acquire_lock``, ``release_lock``, ``is_locked``,
    ``wait_for_lock``, ``is_lock_holder``."""

    def acquire_lock(self, key: str, holder: str, acquire_timeout: float | None = None,
                     hold_timeout: float | None = None) -> bool:
        raise NotImplementedError

    def release_lock(self, key: str, holder: str) -> None:
        raise NotImplementedError

    def is_locked(self, key: str) -> bool:
        raise NotImplementedError

    def is_lock_holder(self, key: str, holder: str) -> bool:
        raise NotImplementedError

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until nobody holds ``key``; ``False`` if ``timeout`` passed first."""
        raise NotImplementedError


class MemoryLockManager(LockManager):
    """One ``threading.Condition``-guarded table of holders, shared by the threads of this
    process. Every ``MemoryLockManager()`` is the same manager (as in Prefect 3)."""

    _instance: MemoryLockManager | None = None
    _holders: dict[str, str]
    _cond: threading.Condition

    def __new__(cls, *args: Any, **kwargs: Any) -> MemoryLockManager:
        if cls._instance is None:
            self = super().__new__(cls)
            self._holders = {}
            self._cond = threading.Condition()
            cls._instance = self
        return cls._instance

    def acquire_lock(self, key: str, holder: str, acquire_timeout: float | None = None,
                     hold_timeout: float | None = None) -> bool:
        with self._cond:
            if self._holders.get(key) == holder:
                return True
            if not self._cond.wait_for(lambda: key not in self._holders, acquire_timeout):
                return False
            self._holders[key] = holder
            return True

    def release_lock(self, key: str, holder: str) -> None:
        with self._cond:
            if self._holders.get(key) != holder:
                raise ValueError(f"No lock held by {holder!r} on {key!r} to release.")
            del self._holders[key]
            self._cond.notify_all()

    def is_locked(self, key: str) -> bool:
        with self._cond:
            return key in self._holders

    def is_lock_holder(self, key: str, holder: str) -> bool:
        with self._cond:
            return bool(self._holders.get(key) == holder)

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        with self._cond:
            return bool(self._cond.wait_for(lambda: key not in self._holders, timeout))
