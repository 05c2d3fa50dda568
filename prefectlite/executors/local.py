"""``LocalExecutor``: runs each submitted function at once, in the calling thread.

The simplest executor and the default: no pool, no pickling, exceptions and breakpoints
behave as in plain Python. A future is just the finished value wrapped so that the flow
runner can treat every executor alike. See :mod:`prefectlite.executors.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from prefectlite.executors.base import Executor


class LocalFuture:
    """A finished computation's value."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<LocalFuture: {self.value!r}>"


class LocalExecutor(Executor):
    """Run every task immediately, one at a time, in the current thread.

    Examples
    --------
    >>> ex = LocalExecutor()
    >>> with ex.start():
    ...     fut = ex.submit(pow, 2, 10)
    ...     ex.wait_any([fut]) == [fut], ex.result(fut)
    (True, 1024)
    """

    max_in_flight = 1  # inline anyway: finishing each run first makes the walk depth-first

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> LocalFuture:
        return LocalFuture(fn(*args, **kwargs))

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        return list(futures)

    def result(self, future: Any) -> Any:
        return future.value

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, LocalFuture)
