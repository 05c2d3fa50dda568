"""Exceptions: Prefect 1.4's signal bases, and the errors prefectlite raises for mistakes.

:class:`PrefectSignal` (and so every signal of :mod:`prefectlite.engine.signals`) and
:class:`TaskTimeoutSignal` derive from ``BaseException``, as in Prefect 1.4: an ordinary
``except Exception:`` in a task does not swallow them.

:class:`PrefectException` is the base of the ordinary errors. Each user mistake has its own
class. Each class also subclasses the built-in exception
Prefect 1 raised in the same situation (``ValueError`` or ``TypeError``), so that an
``except ValueError:`` written against Prefect 1 keeps catching it. Every message names the
task, parameter or flow involved and says how to fix the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CycleError", "DuplicateArgumentError", "DuplicateSlugError", "FlowContextError",
    "NotATaskError", "ParameterError", "PrefectException", "ServerOnlyError",
    "PrefectSignal", "PrefectliteError", "TaskDefinitionError", "TaskNotInFlowError",
    "TaskTimeoutSignal",
]


class PrefectSignal(BaseException):
    """Base of the signals, which ordinary error handling (``except Exception``) lets pass.

    Examples
    --------
    >>> isinstance(PrefectSignal("stop"), Exception), str(PrefectSignal("stop"))
    (False, 'stop')
    """

    def __init__(self, message: Any = "") -> None:
        super().__init__(message)


class TaskTimeoutSignal(PrefectSignal):
    """A function or task run reached its timeout (see :mod:`prefectlite.utilities.executors`).

    A task whose run raises it ends ``TimedOut``, holding the signal as its result.
    """

    def __init__(self, message: Any = "") -> None:
        super().__init__(message)


class PrefectException(Exception):
    """Base of the (ordinary) exceptions of Prefect 1.4's API."""

    def __init__(self, message: Any = "") -> None:
        super().__init__(message)


class PrefectliteError(PrefectException):
    """Base class of every error prefectlite raises on purpose for a user's mistake."""

    def __init__(self, *args: Any) -> None:
        Exception.__init__(self, *args)


class FlowContextError(PrefectliteError, ValueError):
    """A task was called (or bound) with no flow to record the call in."""


class TaskDefinitionError(PrefectliteError, ValueError):
    """A task's configuration or ``run()`` signature cannot work."""


class NotATaskError(PrefectliteError, TypeError):
    """A non-task object was given where a :class:`~prefectlite.core.task.Task` is needed."""


class DuplicateArgumentError(PrefectliteError, ValueError):
    """An argument of a task was bound twice in the same flow."""


class DuplicateSlugError(PrefectliteError, ValueError):
    """Two different tasks (or Parameters) of one flow share a slug (or a name)."""


class TaskNotInFlowError(PrefectliteError, ValueError):
    """A task that is not part of the flow was named (reference tasks, ``replace``, ...)."""


class CycleError(PrefectliteError, ValueError):
    """The flow's graph has a cycle; ``cycle`` holds the tasks on it, in order."""

    def __init__(self, message: str, cycle: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.cycle = list(cycle)


class ParameterError(PrefectliteError, ValueError):
    """Flow parameters given to a run do not match the flow's Parameters."""


class ServerOnlyError(PrefectliteError, RuntimeError):
    """A Prefect 3 feature that needs a Prefect server (``serve``, ``deploy``, blocks,
    events, variables, the API client): prefectlite runs without one."""
