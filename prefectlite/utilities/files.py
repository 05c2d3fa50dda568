"""Private files: what prefectlite writes is readable by its owner only, and what it unpickles
must not be writable by anyone else.

prefectlite keeps parameters and results in ``$PREFECTLITE_HOME`` (the run journal and the
``results/`` files). Those can hold passwords and personal data, and unpickling a file runs
whatever code it names, so:

* directories it creates are ``0700`` and files it creates ``0600``, whatever the umask
  (:func:`private_dir`, :func:`private_file`; existing directories are left as they are);
* before unpickling a file, :func:`check_private` refuses it (``UnsafeFileError``) when
  another user could have written it: the file, or a directory above it up to the result's
  own directory, is writable by group or others (a sticky directory, like ``/tmp``, is fine
  for a file we own), or belongs to another user, as ``ssh`` does with keys.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from prefectlite.exceptions import PrefectliteError

__all__ = ["UnsafeFileError", "check_private", "private_dir", "private_file"]

DIR_MODE = 0o700
FILE_MODE = 0o600


class UnsafeFileError(PrefectliteError, PermissionError):
    """A file (or a directory holding it) other users can write: it is not unpickled."""


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create directory ``path`` (and missing parents) as ``0700``; return it."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:  # mkdir's mode is masked by the umask: set it again
        try:
            os.chmod(created, DIR_MODE)
        except OSError:  # created by another process meanwhile, owned by someone else
            continue
    return path


def private_file(path: str | os.PathLike[str]) -> None:
    """Make the file ``path`` (created if missing) readable and writable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def _unsafe(path: Path, info: os.stat_result, is_file: bool) -> str | None:
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and info.st_uid not in (uid, 0):
        return f"{path} belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        if not is_file and info.st_mode & stat.S_ISVTX:
            return None  # sticky: others may add files, not replace ours (checked on its own)
        return f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def check_private(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None
                  ) -> None:
    """Raise :class:`UnsafeFileError` when another user could have written ``path``.

    Checked: the file, and each directory from its own up to ``root`` (inclusive; default:
    only the file's directory). Does nothing on systems without POSIX owners.
    """
    if os.name != "posix":
        return
    path = Path(path).absolute()
    stop = Path(root).absolute() if root is not None else path.parent
    places = [path, *[p for p in path.parents if p == stop or stop in p.parents]]
    for place in places:
        try:
            info = place.stat()
        except FileNotFoundError:
            continue
        problem = _unsafe(place, info, place == path)
        if problem:
            raise UnsafeFileError(
                f"Refusing to unpickle {path}: {problem}, so someone else could have put code "
                f"in it. Make it private (chmod go-w {place}) if you trust its contents.")
