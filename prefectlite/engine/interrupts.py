"""Telling the driver's Ctrl-C from a ``KeyboardInterrupt`` that a task raises itself.

A ``KeyboardInterrupt`` raised by a task's own code is that task's failure, like any other
exception. One caused by Ctrl-C in the process running the flow (the driver) cancels the
run. With the ``LocalExecutor`` both arrive in the same thread, inside the task's code, so
the type cannot tell them apart. While a flow runs in the main thread,
:func:`marking_sigint` wraps the SIGINT handler so that the ``KeyboardInterrupt`` it
raises carries a mark, which :func:`is_driver_interrupt` reads.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["is_driver_interrupt", "marking_sigint"]

_MARK = "prefectlite_driver_interrupt"


def is_driver_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``KeyboardInterrupt`` raised by Ctrl-C in the driver."""
    return isinstance(exc, KeyboardInterrupt) and getattr(exc, _MARK, False) is True


@contextlib.contextmanager
def marking_sigint() -> Iterator[None]:
    """Mark the ``KeyboardInterrupt`` that SIGINT raises while this block runs.

    The handler in place (Python's default, or one the program installed) still decides
    what SIGINT does. Nothing changes outside the main thread, or when SIGINT is ignored or
    left to the operating system.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        try:
            previous(signum, frame)
        except KeyboardInterrupt as exc:
            setattr(exc, _MARK, True)
            raise

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is handler:
            signal.signal(signal.SIGINT, previous)
