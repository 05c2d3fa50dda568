"""Stopping a synchronous flow body that runs past its ``timeout_seconds``.

A task that times out is left running in its thread and its run ends at once (see
:mod:`prefectlite.engine.task_runner`). A *flow* body cannot be left behind like that: it
would keep calling tasks after its run has ended. So :func:`flow_timeout` interrupts it by
raising :class:`FlowRunTimeoutError` inside the body:

* in the main thread, with ``SIGALRM`` (``signal.setitimer``), which also interrupts a
  blocking ``time.sleep`` or socket read, when no other alarm is set (pytest-timeout, say);
* otherwise, from a timer thread with ``PyThreadState_SetAsyncExc``: the exception is raised
  at the body's next Python bytecode, so a body blocked in a long C call (``time.sleep(60)``)
  is stopped only when that call returns.

Async flows use ``asyncio.timeout`` instead, which cancels the body's coroutine.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
from collections.abc import Iterator
from typing import Any

from prefectlite.eager.exceptions import FlowRunTimeoutError

__all__ = ["flow_timeout"]


@contextlib.contextmanager
def flow_timeout(seconds: float | None) -> Iterator[None]:
    """Raise ``FlowRunTimeoutError`` in the block if it lasts more than ``seconds``."""
    if seconds is None:
        yield
        return
    if (threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        with _alarm(seconds):
            yield
    else:
        with _async_exception(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise FlowRunTimeoutError(f"Flow run exceeded timeout of {seconds} second(s)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _async_exception(seconds: float) -> Iterator[None]:
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    status = {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not status["done"]:
                status["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target,
                                                           ctypes.py_object(FlowRunTimeoutError))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            status["done"] = True
            timer.cancel()
            if status["fired"]:  # not raised yet (the block ended first): take it back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
