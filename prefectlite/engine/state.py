"""States: the small values that say where a task or flow run stands.

The hierarchy is Prefect 1.4's; every ``is_*()`` predicate is an ``isinstance`` test, so it
is also true for subclasses (a ``TriggerFailed`` state ``is_failed()``)::

    State
    ├── Pending ─── Scheduled ─┬─ Paused        (start_time None: wait for a human)
    │                          ├─ Resume
    │                          └─ Retrying      (run_count)
    ├── Running ─── Cancelling
    ├── Finished ─┬─ Success ─┬─ Cached         (cached_parameters, expiration, ...)
    │             │           ├─ Mapped         (map_states, n_map_states)
    │             │           └─ Skipped
    │             ├─ Failed ──┬─ TriggerFailed
    │             │           ├─ ValidationFailed
    │             │           └─ TimedOut
    │             ├─ Looped                     (loop_count)
    │             └─ Cancelled
    └── _MetaState ─┬─ Submitted                (wraps another state in ``state``)
                    └─ Queued                   (wraps a state; start_time)

Rules that make states cheap and safe to pass between threads and processes:

* **Values, not records.** The engine never changes a state after creating it; it makes a new
  one with :meth:`State.copy`. Constructors read no global context (Prefect 1 read
  ``task_tags`` and ``task_run_count`` from it); the engine passes such values explicitly.
* **Results are wrapped.** ``_result`` always holds a :class:`~prefectlite.engine.result.Result`
  (``NoResult`` when there is none) and ``state.result`` is its ``value``.
* **Times** are timezone-aware UTC ``datetime.datetime`` objects (stdlib, which is faster
  than pendulum); a naive time given to a constructor is taken to be UTC.
* **Equality** compares type, message, result value and each class's data fields
  (``run_count``, ``loop_count``, ``map_states``, ...), never ``context``, ``cached_inputs``
  or timestamps, and never raises (values whose ``==`` misbehaves, such as numpy arrays,
  fall back to identity). Hashing is by identity, as in Prefect 1, so states can be dict
  keys; two equal states therefore usually hash differently.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar, Self

from prefectlite.engine.result.base import NoResult, Result, values_equal

__all__ = [
    "Cached", "Cancelled", "Cancelling", "Failed", "Finished", "Looped", "Mapped", "Paused",
    "Pending", "Queued", "Resume", "Retrying", "Running", "Scheduled", "Skipped", "State",
    "Submitted", "Success", "TimedOut", "TriggerFailed", "ValidationFailed",
]

_UTC = datetime.UTC


def _aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Return ``moment`` with a timezone, reading a naive time as UTC.

    Examples
    --------
    >>> _aware(datetime.datetime(2024, 1, 2)).isoformat()
    '2024-01-02T00:00:00+00:00'
    >>> _aware(None) is None
    True
    """
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment


class State:
    """Base class of all states.

    Parameters
    ----------
    message
        Why the run is in this state (often an exception's text, or the exception itself).
    result
        The state's data: a raw value (wrapped in a ``Result``) or a ``Result`` instance.
        ``NoResult`` (the default) means "no data", as opposed to a result of ``None``.
    context
        Execution information (JSON-compatible values); ignored by ``==``.
    cached_inputs
        Input ``Result`` objects by argument name, kept for retries; ignored by ``==``.

    Examples
    --------
    >>> s = Success(message="Task run succeeded.", result=3)
    >>> s, s.result, s.is_finished(), s.is_failed()
    (<Success: "Task run succeeded.">, 3, True, False)
    >>> s == Success("Task run succeeded.", 3), s.copy(result=4).result
    (True, 4)
    """

    __slots__ = ("_result", "cached_inputs", "context", "message")
    color: ClassVar[str] = "#696969"
    #: extra constructor arguments that ``copy()`` carries over (besides the base four)
    _init_fields: ClassVar[tuple[str, ...]] = ()
    #: extra attributes that ``==`` compares (besides type, message and result)
    _eq_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        self.message = message
        self._result = result if isinstance(result, Result) else Result(result)
        self.context = context or {}
        self.cached_inputs = cached_inputs or {}

    @property
    def result(self) -> Any:
        """The value of the state's ``Result`` (``None`` when there is no result)."""
        return self._result.value

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value if isinstance(value, Result) else Result(value)

    def __repr__(self) -> str:
        if self.message is None:
            return f"<{type(self).__name__}>"
        return f'<{type(self).__name__}: "{self.message}">'

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return (
            values_equal(self.message, other.message)
            and values_equal(self.result, other.result)
            and all(
                values_equal(getattr(self, name), getattr(other, name))
                for name in self._eq_fields
            )
        )

    __hash__ = object.__hash__  # identity, like Prefect 1: states may be dict keys

    def _fields(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this state (used by :meth:`copy`)."""
        fields = {
            "message": self.message, "result": self._result,
            "context": dict(self.context), "cached_inputs": dict(self.cached_inputs),
        }
        for name in self._init_fields:
            fields[name] = getattr(self, name)
        return fields

    def copy(self, **changes: Any) -> Self:
        """Return a new state of the same class, with ``changes`` applied.

        Raises
        ------
        TypeError
            If a change names something that is not a constructor argument of the class.
        """
        fields = self._fields()
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.copy() got unknown field(s) {', '.join(unknown)}; "
                f"the fields of {type(self).__name__} are: {', '.join(fields)}."
            )
        fields.update(changes)
        return type(self)(**fields)

    @classmethod
    def children(cls, include_self: bool = False, names_only: bool = False) -> list[Any]:
        """All subclasses of this state, recursively, hiding private (``_``-named) ones.

        Examples
        --------
        >>> Failed.children(names_only=True)
        ['TriggerFailed', 'ValidationFailed', 'TimedOut']
        """
        found: list[type[State]] = []
        for sub in cls.__subclasses__():
            if not sub.__name__.startswith("_"):
                found.append(sub)
            found.extend(sub.children())
        if include_self:
            found.append(cls)
        return [c.__name__ for c in found] if names_only else found

    @classmethod
    def parents(cls, include_self: bool = False, names_only: bool = False) -> list[Any]:
        """All state classes this one inherits from, nearest first.

        Examples
        --------
        >>> Retrying.parents(names_only=True)
        ['Scheduled', 'Pending', 'State']
        """
        found = [
            c for c in cls.__mro__[1:]
            if c is not object and not c.__name__.startswith("_")
        ]
        if include_self:
            found.append(cls)
        return [c.__name__ for c in found] if names_only else found

    def is_pending(self) -> bool:
        """Whether the run has not started (includes Scheduled, Retrying, Paused)."""
        return isinstance(self, Pending)

    def is_scheduled(self) -> bool:
        """Whether the run waits for a start time (Scheduled and subclasses, or Queued)."""
        return isinstance(self, Scheduled | Queued)

    def is_paused(self) -> bool:
        """Whether the run waits for someone to resume it."""
        return isinstance(self, Paused)

    def is_retrying(self) -> bool:
        """Whether the run waits to be retried."""
        return isinstance(self, Retrying)

    def is_submitted(self) -> bool:
        """Whether the state is a Submitted wrapper."""
        return isinstance(self, Submitted)

    def is_queued(self) -> bool:
        """Whether the state is a Queued wrapper."""
        return isinstance(self, Queued)

    def is_meta_state(self) -> bool:
        """Whether the state wraps another one (Submitted, Queued)."""
        return isinstance(self, _MetaState)

    def is_running(self) -> bool:
        """Whether the run is in progress (includes Cancelling)."""
        return isinstance(self, Running)

    def is_cancelling(self) -> bool:
        """Whether the run is being cancelled but may still have tasks running."""
        return isinstance(self, Cancelling)

    def is_finished(self) -> bool:
        """Whether the run has ended, whatever the outcome."""
        return isinstance(self, Finished)

    def is_successful(self) -> bool:
        """Whether the run succeeded (includes Cached, Mapped and Skipped)."""
        return isinstance(self, Success)

    def is_failed(self) -> bool:
        """Whether the run failed (includes TriggerFailed, ValidationFailed, TimedOut)."""
        return isinstance(self, Failed)

    def is_skipped(self) -> bool:
        """Whether the run was skipped."""
        return isinstance(self, Skipped)

    def is_cached(self) -> bool:
        """Whether the result came from a cache."""
        return isinstance(self, Cached)

    def is_mapped(self) -> bool:
        """Whether the task was mapped into children (see ``map_states``)."""
        return isinstance(self, Mapped)

    def is_looped(self) -> bool:
        """Whether the task finished one iteration of a loop."""
        return isinstance(self, Looped)

    def is_cancelled(self) -> bool:
        """Whether the run was cancelled."""
        return isinstance(self, Cancelled)


# ----------------------------------------------------------------- Pending states


class Pending(State):
    """The run has not started yet; the default state of a new task run."""

    __slots__ = ()
    color = "#7ebdff"


class Scheduled(Pending):
    """The run may start at ``start_time`` (now, when none is given)."""

    __slots__ = ("start_time",)
    color = "#ffab00"
    _init_fields: ClassVar[tuple[str, ...]] = ("start_time",)

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        start_time: datetime.datetime | None = None, *,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        if start_time is None:
            self.start_time = self._default_start_time()
        else:
            self.start_time = _aware(start_time)

    def _default_start_time(self) -> datetime.datetime | None:
        return datetime.datetime.now(_UTC)


class Paused(Scheduled):
    """The run waits until someone resumes it; ``start_time`` stays ``None`` unless given.

    (Prefect 1's docstring promises "10 years from now", but its code leaves ``None``;
    this follows the code.)
    """

    __slots__ = ()
    color = "#99a8e8"

    def _default_start_time(self) -> datetime.datetime | None:
        return None


class Resume(Scheduled):
    """The run may continue, usually after having been Paused."""

    __slots__ = ()
    color = "#f58c0c"


class Retrying(Scheduled):
    """The run failed and will be retried at ``start_time``; ``run_count`` runs so far."""

    __slots__ = ("run_count",)
    color = "#f66a0a"
    _init_fields = ("start_time", "run_count")
    _eq_fields = ("run_count",)

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        start_time: datetime.datetime | None = None, *,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
        run_count: int | None = None,
    ) -> None:
        super().__init__(
            message, result, start_time, context=context, cached_inputs=cached_inputs
        )
        self.run_count = 1 if run_count is None else run_count


# ----------------------------------------------------------------- Running states


class Running(State):
    """The run is in progress."""

    __slots__ = ()
    color = "#3d67ff"


class Cancelling(Running):
    """A flow run is being cancelled, but some of its tasks may still be running."""

    __slots__ = ()
    color = "#E8E8E8"


# ----------------------------------------------------------------- Finished states


class Finished(State):
    """The run has ended."""

    __slots__ = ()
    color = "#003ccb"


class Success(Finished):
    """The run succeeded."""

    __slots__ = ()
    color = "#28a745"


class Cached(Success):
    """The result was (or can be) reused from an earlier run while the cache is valid.

    ``cached_parameters`` are the flow parameters of that run, ``cached_result_expiration``
    when the cache stops being valid, and ``hashed_inputs`` a hash of each input.
    """

    __slots__ = ("cached_parameters", "cached_result_expiration", "hashed_inputs")
    color = "#34d058"
    _init_fields = ("cached_parameters", "cached_result_expiration", "hashed_inputs")
    _eq_fields = ("cached_parameters", "hashed_inputs")

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        cached_inputs: dict[str, Result] | None = None, *,
        cached_parameters: dict[str, Any] | None = None,
        cached_result_expiration: datetime.datetime | None = None,
        context: dict[str, Any] | None = None, hashed_inputs: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.cached_parameters = cached_parameters
        self.cached_result_expiration = _aware(cached_result_expiration)
        self.hashed_inputs = hashed_inputs


class Mapped(Success):
    """The task was mapped: one child run per element, whose states are ``map_states``.

    Mapped only means that the children were created, not that they succeeded. Without an
    explicit ``result``, ``result`` is the list of the children's results.

    Examples
    --------
    >>> m = Mapped(map_states=[Success(result=1), Failed(result=2)])
    >>> m.n_map_states, m.result
    (2, [1, 2])
    """

    __slots__ = ("_n_map_states", "map_states")
    color = "#003ccb"
    _eq_fields = ("map_states",)

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        map_states: Sequence[State] | None = None, *,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
        n_map_states: int | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.map_states: list[State] = list(map_states) if map_states else []
        self._n_map_states = n_map_states

    @property
    def n_map_states(self) -> int:
        """How many children were mapped (``len(map_states)`` unless set explicitly)."""
        return self._n_map_states or len(self.map_states)

    @property
    def result(self) -> Any:
        """The explicit result, else the list of the children's results."""
        if self._result is NoResult and self.map_states:
            return [child.result for child in self.map_states]
        return self._result.value

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value if isinstance(value, Result) else Result(value)

    def _fields(self) -> dict[str, Any]:
        fields = super()._fields()
        fields.update(map_states=list(self.map_states), n_map_states=self._n_map_states)
        return fields


class Skipped(Success):
    """The run was skipped; downstream tasks treat it as a success."""

    __slots__ = ()
    color = "#62757f"


class Failed(Finished):
    """The run failed; ``result`` is usually the exception."""

    __slots__ = ()
    color = "#eb0000"


class TriggerFailed(Failed):
    """The task did not run because its trigger rejected the upstream states."""

    __slots__ = ()
    color = "#ff5131"


class ValidationFailed(Failed):
    """The task's result did not pass validation."""

    __slots__ = ()
    color = "#ff5131"


class TimedOut(Failed):
    """The run exceeded the task's timeout."""

    __slots__ = ()
    color = "#ff4e33"


class Looped(Finished):
    """One iteration of a looping task finished; the next one runs right after."""

    __slots__ = ("loop_count",)
    color = "#003ccb"
    _init_fields = ("loop_count",)
    _eq_fields = ("loop_count",)

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        loop_count: int | None = None, *,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.loop_count = 1 if loop_count is None else loop_count


class Cancelled(Finished):
    """The run was cancelled by a user while it was running."""

    __slots__ = ()
    color = "#bdbdbd"


# ----------------------------------------------------------------- meta states


class _MetaState(State):
    """A state that wraps another one in ``state`` (nested wrappers are unwrapped)."""

    __slots__ = ("_state",)
    _init_fields: ClassVar[tuple[str, ...]] = ("state",)
    _eq_fields = ("state",)

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        state: State | None = None, *,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.state = state

    @property
    def state(self) -> State | None:
        """The wrapped state (never itself a meta state)."""
        return self._state

    @state.setter
    def state(self, value: State | None) -> None:
        while isinstance(value, _MetaState):
            value = value.state
        self._state = value


class Submitted(_MetaState):
    """The wrapped state (usually Scheduled) has been handed to an executor."""

    __slots__ = ()
    color = "#ffdf5d"


class Queued(_MetaState):
    """The wrapped state could not start yet (e.g. no free resources) until ``start_time``."""

    __slots__ = ("start_time",)
    color = "#ffea7f"
    _init_fields = ("state", "start_time")

    def __init__(
        self, message: str | None = None, result: Any = NoResult,
        state: State | None = None, *, start_time: datetime.datetime | None = None,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, state, context=context, cached_inputs=cached_inputs)
        now = datetime.datetime.now(_UTC)
        self.start_time = now if start_time is None else _aware(start_time)
