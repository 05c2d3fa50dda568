"""Locks shared by processes: one lock file per key (created exclusively, removed on
release)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prefectlite.locking.memory import LockManager

__all__ = ["FileSystemLockManager"]

_POLL = 0.05


class FileSystemLockManager(LockManager):
    """Lock files ``<key>.lock`` in ``lock_files_directory`` holding the holder's name."""

    def __init__(self, lock_files_directory: str | os.PathLike[str]) -> None:
        self.lock_files_directory = Path(lock_files_directory).expanduser()

    def _path(self, key: str) -> Path:
        return self.lock_files_directory / f"{key.replace('/', '_')}.lock"

    def _holder(self, key: str) -> str | None:
        try:
            return self._path(key).read_text()
        except FileNotFoundError:
            return None

    def acquire_lock(self, key: str, holder: str, acquire_timeout: float | None = None,
                     hold_timeout: float | None = None) -> bool:
        self.lock_files_directory.mkdir(parents=True, exist_ok=True)
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        while True:
            try:
                fd = os.open(self._path(key), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if self._holder(key) == holder:
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                time.sleep(_POLL)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(holder)
            return True

    def release_lock(self, key: str, holder: str) -> None:
        if self._holder(key) != holder:
            raise ValueError(f"No lock held by {holder!r} on {key!r} to release.")
        self._path(key).unlink(missing_ok=True)

    def is_locked(self, key: str) -> bool:
        return self._path(key).exists()

    def is_lock_holder(self, key: str, holder: str) -> bool:
        return self._holder(key) == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_locked(key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)
        return True
