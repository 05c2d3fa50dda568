"""States of the eager ``@flow`` / ``@task`` API, named and shaped as in Prefect 3.

One class, :class:`State`, with a ``type`` (a :class:`StateType`), a display ``name``, a
``message`` and its ``data``; the functions :func:`Completed`, :func:`Failed`, ... build
states of each type, and a custom name gives a custom state (``Completed(name="Skipped")``).
``state.result()`` is a *method*: it returns the data, or raises the run's exception.

How these relate to Prefect 1's states (:mod:`prefectlite.engine.state`)
    Both styles run on one engine, and the engine speaks Prefect 1: ``run_task`` returns
    ``Success``, ``Failed``, ``TimedOut``, ... whose ``result`` is an *attribute*. A class
    cannot have ``result`` as both an attribute and a method, so the eager API does not
    subclass or wrap them: it *converts* at its boundary. :func:`from_engine` looks the
    engine state's class up in one table (``Success`` → ``Completed``, ``TimedOut`` →
    ``Failed(name="TimedOut")``, ``Retrying`` → ``Scheduled(name="AwaitingRetry")``, ...) and
    builds one small ``State`` (slots, no validation, about a microsecond). Prefect 1 flows
    never see an eager state, and the journal records what the engine produced.

Final state of a run (:func:`return_value_to_state`, the rules of Prefect 3)
    * a *manual* state (made by the user, not by a run) is used as it is;
    * a state of a run, or a list/tuple/set of them, is aggregated: ``Completed("All states
      completed.")`` if all completed, else ``Failed("n/m states failed.")`` (or Cancelled,
      Paused), with the returned value as data;
    * a generator is consumed into a list; any other value becomes ``Completed(data=value)``.

Examples
--------
>>> s = Completed(message="No work to do", name="Skipped")
>>> s
Skipped(message='No work to do', type=COMPLETED, result=None)
>>> str(s), s.is_completed(), s.result()
("Skipped('No work to do', type=COMPLETED)", True, None)
>>> Failed(message="How did this happen!?").result(raise_on_failure=False)
FailedRun('How did this happen!?')
"""

from __future__ import annotations

import datetime
import enum
import time
import types
from collections.abc import Iterable
from typing import Any

from prefectlite.eager.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    PausedRun,
    UnfinishedRun,
)

__all__ = [
    "AwaitingRetry", "Cancelled", "Cancelling", "Completed", "Crashed", "Failed", "Late",
    "Paused", "Pending", "Retrying", "Running", "Scheduled", "State", "StateDetails",
    "StateType", "TERMINAL_STATES", "from_engine", "get_state_exception", "is_state_iterable",
    "return_value_to_state",
]


class StateType(enum.Enum):
    """The kind of a state; ``name`` may differ (a ``"Skipped"`` state is ``COMPLETED``)."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)
_FAILURES = frozenset({StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})
_DEFAULT_NAMES = {kind: kind.value.title() for kind in StateType}


class StateDetails:
    """Which run a state belongs to (``None`` for a state the user made by hand)."""

    __slots__ = ("child_flow_run_id", "flow_run_id", "scheduled_time", "task_run_id")

    def __init__(self, flow_run_id: Any = None, task_run_id: Any = None,
                 child_flow_run_id: Any = None,
                 scheduled_time: datetime.datetime | None = None) -> None:
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.child_flow_run_id = child_flow_run_id
        self.scheduled_time = scheduled_time

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__
                           if getattr(self, k) is not None)
        return f"StateDetails({fields})"


class State:
    """Where a flow or task run stands: ``type``, ``name``, ``message`` and ``data``.

    Prefer the predicates (``is_completed()``, ``is_failed()``, ...) to comparing names: a
    custom ``Completed(name="Skipped")`` is completed.
    """

    __slots__ = ("_created", "_details", "_engine_name", "data", "message", "name", "type")

    def __init__(self, type: StateType, name: str | None = None, message: str | None = None,
                 data: Any = None, state_details: StateDetails | None = None,
                 timestamp: datetime.datetime | None = None) -> None:
        self.type = type if type.__class__ is StateType else StateType(type)
        self.name = name or _DEFAULT_NAMES[self.type]
        self.message = message
        self.data = data
        self._details = state_details
        self._created = timestamp.timestamp() if timestamp is not None else time.time()
        self._engine_name: str | None = None  # the engine state it came from, if any

    @property
    def state_details(self) -> StateDetails:
        """The ids of the run this state belongs to."""
        if self._details is None:
            self._details = StateDetails()
        return self._details

    @property
    def timestamp(self) -> datetime.datetime:
        """When the state was created (UTC)."""
        return datetime.datetime.fromtimestamp(self._created, datetime.UTC)

    def result(self, raise_on_failure: bool = True, fetch: bool = True) -> Any:
        """The data of a final state; for a failure, raise (or return) its exception.

        Raises ``UnfinishedRun`` (or its subclass ``UpstreamTaskError``) if the run is not
        final, ``PausedRun`` if it is paused. ``fetch`` exists for Prefect 3 compatibility.
        """
        kind = self.type
        if kind is StateType.COMPLETED:
            return self.data
        if kind is StateType.PAUSED:
            raise PausedRun("Run is paused, its result is not available.", state=self)
        if kind not in TERMINAL_STATES:
            if isinstance(self.data, UnfinishedRun):
                raise self.data
            raise UnfinishedRun(f"Run is in {kind.value} state, its result is not available.")
        exc = get_state_exception(self)
        if raise_on_failure:
            raise exc
        return self.data if self.data is not None else exc

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        """Completed, Failed, Cancelled or Crashed."""
        return self.type in TERMINAL_STATES

    def model_copy(self, update: dict[str, Any] | None = None) -> State:
        """A copy with the fields in ``update`` changed (``name``, ``message``, ``data``, ...)."""
        fields = {"type": self.type, "name": self.name, "message": self.message,
                  "data": self.data, "state_details": self._details}
        fields.update(update or {})
        return State(**fields)

    copy = model_copy

    def __repr__(self) -> str:
        return (f"{self.name}(message={self.message!r}, type={self.type.value}, "
                f"result={self.data!r})")

    def __str__(self) -> str:
        parts = [repr(self.message)] if self.message else []
        if self.type.value.lower() != self.name.lower():
            parts.append(f"type={self.type.value}")
        return f"{self.name}({', '.join(parts)})"


"""Building states"""


def _make(kind: StateType, cls: type[State], kwargs: dict[str, Any], name: str | None = None
          ) -> State:
    if name is not None:
        kwargs.setdefault("name", name)
    return cls(type=kind, **kwargs)


def Scheduled(cls: type[State] = State, scheduled_time: datetime.datetime | None = None,  # noqa: N802
              **kwargs: Any) -> State:
    """A run that may start at ``scheduled_time`` (default: now)."""
    state = _make(StateType.SCHEDULED, cls, kwargs)
    state.state_details.scheduled_time = scheduled_time or datetime.datetime.now(datetime.UTC)
    return state


def Pending(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run that has not started."""
    return _make(StateType.PENDING, cls, kwargs)


def Running(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run in progress."""
    return _make(StateType.RUNNING, cls, kwargs)


def Completed(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run that finished successfully; ``name=`` makes a custom completed state."""
    return _make(StateType.COMPLETED, cls, kwargs)


def Failed(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run that failed; ``data`` is usually the exception."""
    return _make(StateType.FAILED, cls, kwargs)


def Crashed(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run stopped by something outside its code (an interrupt, a lost worker)."""
    return _make(StateType.CRASHED, cls, kwargs)


def Cancelled(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run that was cancelled."""
    return _make(StateType.CANCELLED, cls, kwargs)


def Cancelling(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run being cancelled."""
    return _make(StateType.CANCELLING, cls, kwargs)


def Paused(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run waiting for someone to resume it."""
    for key in ("timeout_seconds", "pause_expiration_time", "reschedule", "pause_key"):
        kwargs.pop(key, None)  # Prefect 3 options about servers; nothing to do here
    return _make(StateType.PAUSED, cls, kwargs)


def AwaitingRetry(cls: type[State] = State, scheduled_time: datetime.datetime | None = None,  # noqa: N802
                  **kwargs: Any) -> State:
    """A failed run that will run again at ``scheduled_time``."""
    kwargs.setdefault("name", "AwaitingRetry")
    return Scheduled(cls, scheduled_time, **kwargs)


def Late(cls: type[State] = State, scheduled_time: datetime.datetime | None = None,  # noqa: N802
         **kwargs: Any) -> State:
    """A scheduled run that did not start on time."""
    kwargs.setdefault("name", "Late")
    return Scheduled(cls, scheduled_time, **kwargs)


def Retrying(cls: type[State] = State, **kwargs: Any) -> State:  # noqa: N802
    """A run running again after a failure."""
    return _make(StateType.RUNNING, cls, kwargs, name="Retrying")


"""Exceptions from states"""


def get_state_exception(state: State) -> BaseException:
    """The exception a failed, crashed or cancelled state stands for.

    The data itself if it is an exception; the first failure's exception for a state (or
    states) as data; otherwise ``FailedRun`` / ``CrashedRun`` / ``CancelledRun`` carrying the
    data (a string) or the message.

    Examples
    --------
    >>> get_state_exception(Failed(data=ValueError("bad")))
    ValueError('bad')
    >>> get_state_exception(Failed(data=[Completed(), Failed(message="no")]))
    FailedRun('no')
    """
    if state.type is StateType.FAILED:
        wrapper: type[Exception] = FailedRun
    elif state.type is StateType.CRASHED:
        wrapper = CrashedRun
    elif state.type is StateType.CANCELLED:
        wrapper = CancelledRun
    else:
        raise ValueError(f"Expected a failed, crashed or cancelled state, got {state!r}.")
    data = state.data
    if data is None:
        return wrapper(state.message or f"Run {state.type.value.lower()}.")
    if isinstance(data, BaseException):
        return data
    if isinstance(data, str):
        return wrapper(data)
    inner = [data] if isinstance(data, State) else list(data) if is_state_iterable(data) else []
    for bad in inner:  # the first failure, else the first unfinished run with an error
        if bad.type in _FAILURES:
            return get_state_exception(bad)
    for bad in inner:
        if isinstance(bad.data, BaseException):
            return bad.data
    return wrapper(state.message or f"Run {state.type.value.lower()}.")


def is_state_iterable(value: Any) -> bool:
    """Whether ``value`` is a non-empty list, tuple or set of states only.

    Examples
    --------
    >>> is_state_iterable([Completed(), Failed()]), is_state_iterable([Completed(), 1])
    (True, False)
    """
    return (type(value) in (list, tuple, set, frozenset) and len(value) > 0
            and all(isinstance(v, State) for v in value))


def _is_manual(state: State) -> bool:
    details = state._details
    return details is None or (details.flow_run_id is None and details.task_run_id is None)


def return_value_to_state(value: Any) -> State:
    """The final state of a run that returned ``value`` (rules in the module docstring).

    Futures must already be resolved to states (see ``prefectlite.futures``).

    Examples
    --------
    >>> return_value_to_state(42)
    Completed(message=None, type=COMPLETED, result=42)
    >>> return_value_to_state(x for x in "ab").data
    ['a', 'b']
    """
    if isinstance(value, State) and _is_manual(value):
        return value
    if isinstance(value, State) or is_state_iterable(value):
        return _aggregate(value)
    if isinstance(value, types.GeneratorType):
        value = list(value)
    return State(StateType.COMPLETED, data=value)


def _aggregate(value: State | Iterable[State]) -> State:
    states = [value] if isinstance(value, State) else list(value)
    total = len(states)
    count = {kind: 0 for kind in StateType}
    for s in states:
        count[s.type] += 1
    if count[StateType.COMPLETED] == total:
        return State(StateType.COMPLETED, message="All states completed.", data=value)
    if count[StateType.CANCELLED]:
        kind = StateType.CANCELLED
        message = f"{count[StateType.CANCELLED]}/{total} states cancelled."
    elif count[StateType.PAUSED]:
        kind, message = StateType.PAUSED, f"{count[StateType.PAUSED]}/{total} states paused."
    else:
        failed = count[StateType.FAILED] + count[StateType.CRASHED]
        not_final = sum(1 for s in states if not s.is_final())
        message = (f"{failed}/{total} states failed." if failed else
                   f"{not_final}/{total} states are not final.")
        kind = StateType.FAILED
    return State(kind, message=message, data=value)


# the conversion from the engine's states lives in its own module; its name stays here
from prefectlite.eager.engine_states import from_engine  # noqa: E402
