"""Local result storage: :class:`LocalFileSystem` (Prefect 3's ``prefect.filesystems``).

prefectlite runs without a server, so a storage is an object (or a directory path) given to
``@task(result_storage=...)`` / ``@flow(result_storage=...)`` or a ``ResultStore``, never a
saved block: :meth:`LocalFileSystem.save` and :meth:`LocalFileSystem.load` raise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefectlite.engine.results.local_result import write_atomic
from prefectlite.exceptions import ServerOnlyError

__all__ = ["LocalFileSystem"]


class LocalFileSystem:
    """Files under ``basepath`` (``~`` expanded; default: the current directory)."""

    def __init__(self, basepath: str | os.PathLike[str] | None = None) -> None:
        self.basepath = str(basepath) if basepath is not None else None

    def __repr__(self) -> str:
        return f"LocalFileSystem(basepath={self.basepath!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalFileSystem) and other.basepath == self.basepath

    __hash__ = object.__hash__

    def _resolve(self, path: str) -> Path:
        base = Path(self.basepath or ".").expanduser()
        full = Path(path).expanduser()
        return full if full.is_absolute() else base / full

    def read_path(self, path: str) -> bytes:
        """The bytes of the file at ``path`` (relative to ``basepath``)."""
        target = self._resolve(path)
        if not target.exists():
            raise ValueError(f"Path {str(target)!r} does not exist.")
        return target.read_bytes()

    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` to ``path`` at once (a reader never sees half a file)."""
        target = self._resolve(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(str(target), content, fsync=False)
        return str(target)

    def exists(self, path: str) -> bool:
        """Whether a file is at ``path``."""
        return self._resolve(path).exists()

    def save(self, name: str, overwrite: bool = False) -> Any:
        """Saving a block needs a Prefect server; prefectlite has none."""
        raise ServerOnlyError(
            f"LocalFileSystem.save({name!r}): blocks are kept by a Prefect server, and "
            "prefectlite runs without one; pass the LocalFileSystem object itself (or a "
            "directory path) as result_storage=... instead.")

    @classmethod
    def load(cls, name: str) -> Any:
        """Loading a block needs a Prefect server; prefectlite has none."""
        raise ServerOnlyError(
            f"LocalFileSystem.load({name!r}): blocks are kept by a Prefect server, and "
            "prefectlite runs without one; create LocalFileSystem(basepath=...) in code.")
