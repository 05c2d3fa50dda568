"""``JournalResult``: the default result of journaled runs.

A :class:`~prefectlite.engine.results.LocalResult` under the journal's ``results/``
directory, at a location the journal chooses (``<flow_run_id>/<task_slug>[/<map_index>].result``),
that keeps *small* values out of the file system: when the serialized value is at most
``inline_limit`` bytes, :meth:`JournalResult.write` keeps the bytes on the result
(``result.inline``) and the run journal stores them in the task run's row, in the same
SQLite transaction that marks the task finished. That is as durable as a file with
``fsync`` (the transaction commits after the bytes reached the journal), and much cheaper
than one file per task: creating, syncing and renaming a file costs 0.1-1 ms on common
disks, an SQLite row a few microseconds. Larger values go to files, written atomically.

Outside a journaled run nothing records ``inline`` bytes, so the journal's recorder is the
only writer of this class.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from prefectlite.engine.results.local_result import LocalResult, ResultCorruptError, checksum

__all__ = ["JournalResult", "journal_location"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SAFE_NAMES: dict[str, str] = {}


def journal_location(flow_run_id: str, task_slug: str, map_index: int | None = None,
                     **_: Any) -> str:
    """Where a journaled run keeps a task's result (relative to the results directory).

    Examples
    --------
    >>> journal_location("8d1f", "add-1"), journal_location("8d1f", "inc-2", 7)
    ('8d1f/add-1.result', '8d1f/inc-2/7.result')
    >>> journal_location("8d1f", "[1, 2]/x-1")
    '8d1f/1_2_x-1.e2d38cda.result'
    """
    name = _SAFE_NAMES.get(task_slug)
    if name is None:
        name = _UNSAFE.sub("_", task_slug).strip("_")[:80] or "task"
        if name != task_slug:
            digest = hashlib.blake2b(task_slug.encode("utf-8", "surrogatepass"), digest_size=4)
            name += "." + digest.hexdigest()
        _SAFE_NAMES[task_slug] = name
    if map_index is None:
        return f"{flow_run_id}/{name}.result"
    return f"{flow_run_id}/{name}/{map_index}.result"


class JournalResult(LocalResult):
    """A LocalResult whose small values live in the run journal (see the module docstring).

    Parameters
    ----------
    dir
        The results directory (the journal's ``results/``).
    inline_limit
        Values whose serialized size is at most this many bytes are kept inline.
    serializer, fsync
        As for :class:`~prefectlite.engine.results.LocalResult`.

    Examples
    --------
    >>> import os, tempfile
    >>> result = JournalResult(dir=tempfile.mkdtemp())
    >>> small = result.write(42, flow_run_id="r1", task_slug="answer-1")
    >>> small.location, small.inline is not None, os.path.exists(small.path(small.location))
    ('r1/answer-1.result', True, False)
    >>> small.read(small.location).value
    42
    """

    __slots__ = ("inline", "inline_limit")

    def __init__(self, value: Any = None, dir: Any = None, inline_limit: int = 32 * 1024,
                 serializer: Any = None, fsync: bool = True) -> None:
        super().__init__(value, dir=dir, location=journal_location, serializer=serializer,
                         fsync=fsync)
        self.inline: bytes | None = None
        self.inline_limit = inline_limit

    def write(self, value_: Any, /, **kwargs: Any) -> JournalResult:
        """Keep ``value_`` inline when small, else write it to its file."""
        data = self.serializer.serialize(value_)
        if len(data) > self.inline_limit:
            new = super().write(value_, **kwargs)
            assert isinstance(new, JournalResult)
            new.inline = None
            return new
        new = self.format(**kwargs)
        assert isinstance(new, JournalResult)
        new.value, new.inline, new.checksum = value_, data, checksum(data)
        return new

    def format(self, /, **kwargs: Any) -> JournalResult:
        new = super().format(**kwargs)
        assert isinstance(new, JournalResult)
        new.inline = None
        return new

    def from_value(self, value: Any) -> JournalResult:
        new = super().from_value(value)
        assert isinstance(new, JournalResult)
        new.inline = None
        return new

    def read(self, location: str) -> JournalResult:
        """Read ``location`` from the inline bytes this result holds, else from its file."""
        if self.inline is None or location != self.location:
            new = super().read(location)
            assert isinstance(new, JournalResult)
            new.inline = None
            return new
        digest = checksum(self.inline)
        if self.checksum is not None and digest != self.checksum:
            raise ResultCorruptError(f"The journal's copy of result {location} is damaged: "
                                     f"checksum {digest}, expected {self.checksum}.")
        try:
            value = self.serializer.deserialize(self.inline)
        except Exception as exc:
            raise ResultCorruptError(f"Result {location} (kept in the run journal) cannot be "
                                     f"read back with {self.serializer.name}: {exc!r}") from exc
        found = self.copy()
        assert isinstance(found, JournalResult)
        found.value, found.checksum = value, digest
        return found

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Whether the value at ``location`` is held inline here or stored in its file."""
        if self.inline is not None and location == self.location and not kwargs:
            return True
        return super().exists(location, **kwargs)
