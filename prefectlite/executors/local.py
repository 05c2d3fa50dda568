"""``LocalExecutor``: runs each submitted function at once, in the calling thread.

The simplest executor and the default: no pool, no pickling, exceptions and breakpoints
behave as in plain Python. As in Prefect 1, ``submit`` returns the function's value itself
(already computed) and ``wait`` hands values back unchanged, so the "future" of a local run
is its result. See :mod:`prefectlite.executors.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from prefectlite.executors.base import Executor


class LocalExecutor(Executor):
    """Run every task immediately, one at a time, in the current thread.

    Examples
    --------
    >>> ex = LocalExecutor()
    >>> with ex.start():
    ...     value = ex.submit(pow, 2, 10)
    ...     value, ex.wait([value, {"x": 3}])
    (1024, [1024, {'x': 3}])
    """

    max_in_flight = 1  # inline anyway: finishing each run first makes the walk depth-first

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``fn(*args, **kwargs)`` now and return its value."""
        return fn(*args, **kwargs)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        return list(futures)

    def result(self, future: Any) -> Any:
        return future

    def wait(self, futures: Any) -> Any:
        """Values are already computed: returned unchanged."""
        return futures
