"""Building-block tasks: constants, function tasks, collections, operators and control flow."""

from collections.abc import Callable

from prefectlite.core.task import Task
from prefectlite.tasks import control_flow, core  # noqa: F401 - reachable as attributes

__all__ = ["Task", "exponential_backoff"]


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """``retry_delay_seconds=exponential_backoff(backoff_factor=2)``: retry ``n`` waits
    ``backoff_factor * 2 ** (n - 1)`` seconds (2, 4, 8, ... for a factor of 2).

    Examples
    --------
    >>> exponential_backoff(backoff_factor=10)(3)
    [10, 20, 40]
    """
    if isinstance(backoff_factor, bool) or not isinstance(backoff_factor, int | float) or (
            backoff_factor < 0):
        raise ValueError(f"exponential_backoff(backoff_factor={backoff_factor!r}): give a "
                         "number of seconds >= 0.")

    def retry_backoff_callable(retries: int) -> list[float]:
        return [backoff_factor * (2 ** r) for r in range(max(1, retries))]

    return retry_backoff_callable
