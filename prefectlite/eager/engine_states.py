"""Eager states from the engine's (Prefect 1) states: :func:`from_engine`.

The engine's state class is looked up, along its MRO, in one table (``Success`` →
``Completed``, ``TimedOut`` → ``Failed(name="TimedOut")``, ``Retrying`` →
``Scheduled(name="AwaitingRetry")``, ...); see :mod:`prefectlite.eager.states`.
"""

from __future__ import annotations

import types
from typing import Any

from prefectlite.eager.exceptions import FailedRun, TaskRunTimeoutError
from prefectlite.eager.states import (
    State,
    StateDetails,
    StateType,
    is_state_iterable,
    return_value_to_state,
)

__all__ = ["from_engine"]


# engine state class name -> (type, name); looked up along the class's MRO
_FROM_ENGINE: dict[str, tuple[StateType, str]] = {
    "Success": (StateType.COMPLETED, "Completed"),
    "Cached": (StateType.COMPLETED, "Cached"),
    "Mapped": (StateType.COMPLETED, "Completed"),
    "Skipped": (StateType.COMPLETED, "Skipped"),
    "Failed": (StateType.FAILED, "Failed"),
    "TriggerFailed": (StateType.FAILED, "TriggerFailed"),
    "ValidationFailed": (StateType.FAILED, "ValidationFailed"),
    "TimedOut": (StateType.FAILED, "TimedOut"),
    "Finished": (StateType.FAILED, "Finished"),
    "Cancelled": (StateType.CANCELLED, "Cancelled"),
    "Looped": (StateType.RUNNING, "Looped"),
    "Running": (StateType.RUNNING, "Running"),
    "Cancelling": (StateType.CANCELLING, "Cancelling"),
    "Pending": (StateType.PENDING, "Pending"),
    "Scheduled": (StateType.SCHEDULED, "Scheduled"),
    "Retrying": (StateType.SCHEDULED, "AwaitingRetry"),
    "Resume": (StateType.SCHEDULED, "Resume"),
    "Paused": (StateType.PAUSED, "Paused"),
    "State": (StateType.PENDING, "Pending"),
}
_BY_CLASS: dict[type, tuple[StateType, str]] = {}
_ENGINE_SUCCESS = "Task run succeeded."


def _kind_of(cls: type) -> tuple[StateType, str]:
    found = _BY_CLASS.get(cls)
    if found is None:
        found = next(_FROM_ENGINE[c.__name__] for c in cls.__mro__ if c.__name__ in _FROM_ENGINE)
        _BY_CLASS[cls] = found
    return found


def from_engine(engine_state: Any, details: StateDetails | None = None) -> State:
    """The eager state for a state of the engine (``prefectlite.engine.state``).

    Examples
    --------
    >>> from prefectlite.engine import state as p1
    >>> from_engine(p1.Success(result=3))
    Completed(message=None, type=COMPLETED, result=3)
    >>> from_engine(p1.TimedOut("Task timed out after 1 seconds.")).result(False)
    TaskRunTimeoutError('Task timed out after 1 seconds.')
    """
    kind, name = _kind_of(type(engine_state))
    data = engine_state.result
    message = engine_state.message
    if message is not None and not isinstance(message, str):
        message = str(message)
    elif message == _ENGINE_SUCCESS:
        message = None  # Prefect 3 says nothing about an ordinary success
    if isinstance(data, BaseException) and not isinstance(data, Exception):
        data = None  # a Prefect 1 signal (SKIP, FAIL, ...): its state says it all
    if kind is StateType.COMPLETED:
        if isinstance(data, State | types.GeneratorType) or is_state_iterable(data):
            state = return_value_to_state(data)  # a task may return states too
            if state is data:  # the user's own state object: leave it untouched
                state = state.model_copy()
            state._details = details
            state._engine_name = type(engine_state).__name__
            return state
    elif kind is StateType.FAILED and data is None:
        cls = TaskRunTimeoutError if name == "TimedOut" else FailedRun
        data = cls(message or "Run failed.")
    state = State(kind, name=name, message=message, data=data, state_details=details)
    state._engine_name = type(engine_state).__name__
    return state
