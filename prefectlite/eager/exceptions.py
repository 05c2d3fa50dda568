"""Errors of the eager ``@flow`` / ``@task`` API, named as Prefect 3 names them.

Prefect 3 code catches ``FailedRun``, ``UnfinishedRun``, ``ParameterTypeError`` and friends
from ``prefect.exceptions``; here they are plain classes under
:class:`~prefectlite.exceptions.PrefectliteError`. Each also subclasses the built-in exception
that describes it, so ``except ValueError:`` / ``except TimeoutError:`` keep working.
"""

from __future__ import annotations

from typing import Any

from prefectlite.exceptions import FlowContextError, PrefectliteError

__all__ = [
    "CancelledRun", "CrashedRun", "FailedRun", "FlowRunTimeoutError", "ForeignFutureError",
    "MappingLengthMismatch", "MappingMissingIterable", "MissingContextError", "MissingResult",
    "ParameterTypeError", "PausedRun", "TaskRunTimeoutError", "UnfinishedRun",
    "UnawaitedTaskWarning", "UpstreamTaskError", "FlowContextError",
]


class FailedRun(PrefectliteError, RuntimeError):
    """Raised by ``state.result()`` for a failed run whose data is not an exception."""


class CrashedRun(PrefectliteError, RuntimeError):
    """Raised by ``state.result()`` for a crashed run whose data is not an exception."""


class CancelledRun(PrefectliteError, RuntimeError):
    """Raised by ``state.result()`` for a cancelled run whose data is not an exception."""


class UnfinishedRun(PrefectliteError, RuntimeError):
    """The run is not in a final state, so it has no result yet."""


class UpstreamTaskError(UnfinishedRun):
    """A task did not run because a task it depends on did not complete."""


class PausedRun(PrefectliteError, RuntimeError):
    """The run is paused; its result is not available."""

    def __init__(self, message: str = "", state: Any = None) -> None:
        super().__init__(message)
        self.state = state


class MissingResult(PrefectliteError, RuntimeError):
    """A state has no data to return."""


class MissingContextError(PrefectliteError, RuntimeError):
    """Something needs a running flow or task (``get_run_logger()`` outside of one)."""


class ParameterTypeError(PrefectliteError, TypeError):
    """Flow parameters did not pass validation; ``errors`` lists ``(name, problem)`` pairs."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])

    @classmethod
    def from_errors(cls, errors: list[tuple[str, str]]) -> ParameterTypeError:
        """One error listing every parameter that failed, one line each."""
        lines = "\n".join(f" - {name}: {problem}" for name, problem in errors)
        return cls(f"Flow run received invalid parameters:\n{lines}", errors)


class ForeignFutureError(PrefectliteError, ValueError):
    """A task was given a future that belongs to a flow run it cannot see."""


class MappingLengthMismatch(PrefectliteError, ValueError):
    """``task.map`` got iterables of different lengths."""


class MappingMissingIterable(PrefectliteError, ValueError):
    """``task.map`` got no iterable argument to map over."""


class FlowRunTimeoutError(PrefectliteError, TimeoutError):
    """A flow run exceeded its ``timeout_seconds``."""


class TaskRunTimeoutError(PrefectliteError, TimeoutError):
    """A task run exceeded its ``timeout_seconds`` (raised by ``state.result()``)."""


class UnawaitedTaskWarning(RuntimeWarning):
    """An async task was called in an async flow without ``await``; it never ran."""
