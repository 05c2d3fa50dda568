"""The one "already finished" future: work that ended as it was submitted.

Executors that run a call inline (``LocalDaskExecutor("synchronous")``, a submission refused
before it ran) and the eager task runners (a sequential run, an upstream that did not
complete) hand back a :class:`DoneFuture`. It answers what ``concurrent.futures.Future`` users
call (``done``, ``result``, ``exception``, ``add_done_callback``, ...) without the lock and
condition a real future builds, so it costs one small object. It lives among the helpers,
not in :mod:`prefectlite.executors`, because the eager API needs it on ``import prefectlite``,
which does not load the executors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["DoneFuture", "call_now"]


class DoneFuture:
    """A finished future holding ``value``, or raising ``error`` from :meth:`result`.

    Examples
    --------
    >>> DoneFuture(3).result()
    3
    >>> DoneFuture(error=KeyError("k")).exception()
    KeyError('k')
    """

    __slots__ = ("_error", "_value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error

    def __repr__(self) -> str:
        what = f"raised {self._error!r}" if self._error is not None else "finished"
        return f"<DoneFuture: {what}>"

    def done(self) -> bool:
        return True

    def running(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def result(self, timeout: float | None = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return self._error

    def add_done_callback(self, fn: Callable[[Any], Any]) -> None:
        """Call ``fn(self)`` at once (the future is done)."""
        fn(self)


def call_now(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> DoneFuture:
    """Run ``fn(*args, **kwargs)`` here; its value, or what it raised, as a finished future.

    ``Exception`` subclasses are held in the future; anything else (``KeyboardInterrupt``,
    ``SystemExit``) propagates, as it would from a plain call.
    """
    try:
        return DoneFuture(fn(*args, **kwargs))
    except Exception as exc:
        return DoneFuture(error=exc)
