"""``print`` inside a running task (or flow) sent to a logger, one line per record.

``contextlib.redirect_stdout`` swaps the process-wide ``sys.stdout``: two tasks overlapping in
threads would catch each other's lines and leave ``sys.stdout`` pointing at a finished task's
writer. Instead, while any run logs its prints, ``sys.stdout`` is one :class:`StdoutRouter`
that sends each write to the writer of the current thread's (or asyncio task's) run, held in
a context variable, and everything else to the real stream.

:func:`prints_to_log` routes the prints of a block to a logger (``log_stdout=True`` tasks,
``log_prints=True`` flows); :func:`prints_as_is` lets a block print to the real stream inside
such a block; :func:`capturing_prints` says whether the current block's prints are logged.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = ["LogWriter", "StdoutRouter", "capturing_prints", "prints_as_is", "prints_to_log"]


class LogWriter(io.TextIOBase):
    """A text stream writing each complete line as an INFO record of ``log``."""

    def __init__(self, log: logging.Logger | logging.LoggerAdapter) -> None:
        self.log, self.pending = log, ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.log.info(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.log.info(self.pending)
            self.pending = ""


class StdoutRouter:
    """Stands in for ``sys.stdout`` while runs log their prints (see the module docstring)."""

    def __init__(self) -> None:
        self.real: Any = None
        self.users = 0
        self.lock = threading.Lock()
        self.writer: ContextVar[LogWriter | None] = ContextVar("prefectlite_stdout",
                                                                default=None)

    def write(self, text: str) -> int:
        return (self.writer.get() or self.real).write(text)

    def flush(self) -> None:
        (self.writer.get() or self.real).flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, ...
        return getattr(self.real, name)

    @contextlib.contextmanager
    def to(self, writer: LogWriter) -> Iterator[None]:
        """Send this context's prints to ``writer`` inside the block."""
        with self.lock:
            if self.users == 0:
                self.real, sys.stdout = sys.stdout, self
            self.users += 1
        token = self.writer.set(writer)
        try:
            yield
        finally:
            self.writer.reset(token)
            writer.flush()
            with self.lock:
                self.users -= 1
                if self.users == 0 and sys.stdout is self:
                    sys.stdout = self.real


STDOUT = StdoutRouter()


def prints_to_log(log: logging.Logger | logging.LoggerAdapter) -> Any:
    """A context manager sending the prints of its block (this thread or task) to ``log``."""
    return STDOUT.to(LogWriter(log))


def capturing_prints() -> bool:
    """Whether prints of the current context go to a logger."""
    return STDOUT.writer.get() is not None


@contextlib.contextmanager
def prints_as_is() -> Iterator[None]:
    """Let the block print to the real stream although an outer block logs its prints."""
    token = STDOUT.writer.set(None)
    try:
        yield
    finally:
        STDOUT.writer.reset(token)
