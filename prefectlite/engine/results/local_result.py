"""``LocalResult``: values stored as files under a directory, written atomically.

A write never leaves a half-written file under the final name: the bytes go to a temporary
file in the same directory, which is flushed and ``fsync``-ed, then renamed over the target
(``os.replace`` is atomic on POSIX and Windows), and the directory is ``fsync``-ed so the
new name survives a power cut too. A reader therefore sees either the old file, the new
one, or none.

Each write also records a checksum of the bytes (``result.checksum``; the run journal
stores it). Reading a location back through the Result that wrote it verifies the checksum,
so a file damaged later (or truncated by a crash of the machine before ``fsync`` finished on
a file system that does not order writes) raises :class:`ResultCorruptError` instead of
handing a wrong value to the next task.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefectlite import settings
from prefectlite.engine.result.base import Result
from prefectlite.engine.serializers import PickleSerializer, Serializer
from prefectlite.utilities.files import FILE_MODE, check_private, private_dir

__all__ = ["LocalResult", "ResultCorruptError", "checksum", "write_atomic"]


class ResultCorruptError(ValueError):
    """Stored bytes are not what was written, or cannot be turned back into a value."""


def checksum(data: bytes) -> str:
    """A short hex digest of ``data`` (BLAKE2b, 128 bits).

    Examples
    --------
    >>> len(checksum(b"")), checksum(b"a") == checksum(b"a"), checksum(b"a") == checksum(b"b")
    (32, True, False)
    """
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_atomic(path: str, data: bytes, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    Parent directories are created as needed (``0700``), the file is ``0600`` (private:
    results can hold anything). With ``fsync`` the data and the rename are flushed to the
    disk before this returns.
    """
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        private_dir(directory)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with _suppress_os_error():
            os.unlink(tmp)
        raise
    if fsync:
        _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _suppress_os_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, *rest: Any) -> bool:
        return kind is not None and issubclass(kind, OSError)


_SLOTS: dict[type, tuple[str, ...]] = {}


class LocalResult(Result):
    """A result stored in a file ``<dir>/<location>``.

    Parameters
    ----------
    value
        The value held (usually set by :meth:`write` or :meth:`read`).
    dir
        The directory of the files (default ``$PREFECTLITE_HOME/results``; the home directory
        itself also means its ``results`` folder). Nothing is created until something is
        written.
    validate_dir
        Make ``dir`` absolute (``~`` expanded), so that the result means the same place when
        a worker with another working directory uses it.
    location
        A template of the file name under ``dir``: a ``str.format`` string over the run's
        context, parameters and the task's inputs (``"{task_name}/{map_index}.pkl"``), or a
        callable getting those as keyword arguments. Default: a fresh unique name.
    serializer
        How values become bytes (default :class:`~prefectlite.engine.serializers.PickleSerializer`).
    fsync
        Flush each file (and its directory entry) to disk before the write returns. Turning
        it off keeps writes atomic for crashes of the process, not of the machine; the
        journal's checksums still catch the damage such a crash can leave.

    Examples
    --------
    >>> import tempfile
    >>> result = LocalResult(dir=tempfile.mkdtemp(), location="{task_name}.pkl")
    >>> written = result.write([1, 2], task_name="load")
    >>> written.location, written.value, result.exists("load.pkl")
    ('load.pkl', [1, 2], True)
    >>> written.read("load.pkl").value
    [1, 2]
    """

    __slots__ = ("checksum", "dir", "fsync")

    def __init__(
        self, value: Any = None, dir: str | os.PathLike[str] | None = None,
        validate_dir: bool = True, location: str | Callable[..., str] | None = None,
        serializer: Serializer | None = None, fsync: bool = True,
    ) -> None:
        super().__init__(value, location, serializer or PickleSerializer())
        directory = settings.results_dir() if dir is None else Path(dir)
        if directory.expanduser().absolute() == settings.home():  # as Prefect 1: never the
            directory = settings.results_dir()  # home itself, where the journal lives
        if validate_dir:
            directory = directory.expanduser().absolute()
        self.dir = str(directory)
        self.fsync = fsync
        self.checksum: str | None = None

    def path(self, location: str) -> str:
        """The file that ``location`` names."""
        return os.path.join(self.dir, location)

    def write(self, value_: Any, /, **kwargs: Any) -> LocalResult:
        """Store ``value_`` at the location formatted with ``kwargs``; return that Result."""
        new = self.format(**kwargs)
        assert isinstance(new, LocalResult) and new.location is not None
        data = self.serializer.serialize(value_)
        write_atomic(self.path(new.location), data, self.fsync)
        new.value, new.checksum = value_, checksum(data)
        return new

    def read(self, location: str) -> LocalResult:
        """Return a new LocalResult holding the value stored at ``location``.

        Raises
        ------
        ResultCorruptError
            When this Result wrote ``location`` (its ``checksum`` is known) and the file's
            bytes differ, or when the bytes cannot be deserialized.
        FileNotFoundError
            When nothing is stored there.
        """
        path = self.path(location)
        if not self.serializer.name.endswith("json"):  # unpickling runs code: trusted files only
            check_private(path, root=self.dir)
        with open(path, "rb") as f:
            data = f.read()
        digest = checksum(data)
        if self.checksum is not None and location == self.location and digest != self.checksum:
            raise ResultCorruptError(
                f"Result file {path} is damaged: its checksum is {digest}, but {self.checksum} "
                f"was recorded when it was written ({len(data)} bytes now)."
            )
        try:
            value = self.serializer.deserialize(data)
        except Exception as exc:
            raise ResultCorruptError(
                f"Result file {path} cannot be read back with the {self.serializer.name} "
                f"serializer: {exc!r}"
            ) from exc
        new = self.copy()
        assert isinstance(new, LocalResult)
        new.location, new.value, new.checksum = location, value, digest
        return new

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Whether a file is stored at ``location`` (formatted with ``kwargs`` if given)."""
        if kwargs:
            location = inside(location, location.format(**kwargs), kwargs, self.dir)
        return os.path.exists(self.path(location))

    def copy(self) -> LocalResult:
        """A shallow copy (faster than ``copy.copy`` for these slotted objects)."""
        cls = type(self)
        names = _SLOTS.get(cls)
        if names is None:
            names = _SLOTS[cls] = tuple(
                n for c in cls.__mro__ for n in getattr(c, "__slots__", ()))
        new = object.__new__(cls)
        for name in names:
            object.__setattr__(new, name, getattr(self, name))
        return new

    def from_value(self, value: Any) -> LocalResult:
        new = super().from_value(value)
        assert isinstance(new, LocalResult)
        new.checksum = None
        return new

    def format(self, /, **kwargs: Any) -> LocalResult:
        new = super().format(**kwargs)
        assert isinstance(new, LocalResult) and new.location is not None
        new.location = inside(self.location, new.location, kwargs, self.dir)
        new.checksum = None  # it describes the bytes of a location, not of a template
        return new


_ROOTS = ("/", "\\") if os.name != "nt" else ("/", "\\", *(f"{c}:" for c in string.ascii_letters))


def _escapes(piece: str) -> bool:
    """Whether ``piece`` is absolute or has a ``..`` part (cheap: called for every write)."""
    if piece.startswith(_ROOTS):
        return True
    return ".." in piece and ".." in piece.replace("\\", "/").split("/")


def inside(template: Any, location: str, values: dict[str, Any], directory: str) -> str:
    """``location`` (``template`` rendered with ``values``), checked to stay in ``directory``.

    A value put into a template may not be (or contain) ``..`` or an absolute path: it
    could write, and later unpickle, a file anywhere. The template's own text is the
    user's and stays as written; a location a callable returned may not contain ``..`` or
    be absolute either.

    Examples
    --------
    >>> inside("{name}.pkl", "a.pkl", {"name": "a"}, "/r")
    'a.pkl'
    >>> inside("{name}.pkl", "../x.pkl", {"name": "../x"}, "/r")
    Traceback (most recent call last):
    ...
    ValueError: Result location '{name}.pkl': the value of 'name' ('../x') would put the \
file outside the result directory /r; a value used in a location may not contain '..' or \
be an absolute path.
    """
    if not _escapes(location):  # the usual case, decided without parsing the template
        return location
    if isinstance(template, str):
        formatter = string.Formatter()
        for _, field, spec, conversion in formatter.parse(template):
            if not field:
                continue
            try:
                value = formatter.get_field(field, (), values)[0]
                piece = formatter.format_field(formatter.convert_field(value, conversion),
                                               spec or "")
            except (KeyError, AttributeError, IndexError, TypeError, ValueError):
                continue  # rendering succeeded, so this is only a lookup we do differently
            if _escapes(piece):
                raise ValueError(
                    f"Result location {template!r}: the value of {field!r} ({piece!r}) would "
                    f"put the file outside the result directory {directory}; a value used "
                    "in a location may not contain '..' or be an absolute path.")
        return location
    raise ValueError(f"Result location {location!r} (from {template!r}) is outside the "
                     f"result directory {directory}.")
