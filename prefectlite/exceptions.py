"""Errors prefectlite raises for mistakes in the way a flow is built or run.

Each user mistake has its own class. Each class also subclasses the built-in exception
Prefect 1 raised in the same situation (``ValueError`` or ``TypeError``), so that an
``except ValueError:`` written against Prefect 1 keeps catching it. Every message names the
task, parameter or flow involved and says how to fix the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefectlite.engine.signals import PrefectSignal


class PrefectliteError(Exception):
    """Base class of every error prefectlite raises on purpose."""


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


class TaskTimeoutSignal(PrefectSignal):
    """A function or task run reached its timeout (see :mod:`prefectlite.utilities.executors`).

    A task whose run raises it ends ``TimedOut``. Like every ``PrefectSignal`` it is a
    ``BaseException``, so ``except Exception`` in user code does not swallow it.
    """
