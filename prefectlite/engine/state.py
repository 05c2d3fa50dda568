"""States: the values that say where a task or flow run stands.

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
    └── _MetaState ─┬─ ClientFailed             (wrap another state in ``state``)
                    ├─ Submitted
                    └─ Queued                   (start_time)

As in Prefect 1.4:

* ``result=None`` (the default) means "no result": ``_result`` is ``NoResult``. Any other
  value is wrapped in a :class:`~prefectlite.engine.result.Result` unless it is one, and
  ``state.result`` is that Result's ``value``.
* A few values come from :mod:`prefectlite.context` when a state is made: the context's
  ``task_tags`` (when there are any) become ``context["tags"]``, scheduled states record
  ``task_run_count`` in their ``context``, and ``Retrying.run_count``/``Looped.loop_count``
  default to the context's ``task_run_count``/``task_loop_count`` (else 1).
* **Equality** compares the class, the result and every public data attribute
  (``cached_inputs``, ``start_time``, ``run_count``, ``map_states``, attributes a state
  handler set, ...), never ``message`` or ``context``. It never raises (values whose ``==``
  misbehaves, such as numpy arrays, fall back to identity). Hashing is by identity, so
  states can be dict keys.
* Pickling a state whose result is an exception that cannot be pickled replaces that
  result by a message saying so, so that a task failing with such an exception still
  reports back from another process.

Times are timezone-aware ``datetime`` objects (stdlib, faster than pendulum); a naive time
given to a constructor is taken to be UTC, and an aware one (pendulum's included) is kept.

The known attributes live in ``__slots__`` (cheap to make on the engine's per-task path);
any other attribute, such as one a state handler sets, goes to the instance ``__dict__``,
which only then is created.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from prefectlite.engine.result.base import NoResult, Result, values_equal
from prefectlite.utilities.context import _current as _context

__all__ = [
    "Cached", "Cancelled", "Cancelling", "ClientFailed", "Failed", "Finished", "Looped",
    "Mapped", "Paused", "Pending", "Queued", "Resume", "Retrying", "Running", "Scheduled",
    "Skipped", "State", "Submitted", "Success", "TimedOut", "TriggerFailed",
    "ValidationFailed",
]

_UTC = datetime.UTC
_MISSING = object()
#: per class: the slotted attributes that ``==`` compares
_COMPARED: dict[type, tuple[str, ...]] = {}


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


def _slot_names(cls: type) -> list[str]:
    """Every slot of ``cls`` and its bases (``__dict__`` excluded), base classes first."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name in klass.__dict__.get("__slots__", ()):
            if name != "__dict__" and name not in names:
                names.append(name)
    return names


def _compared(cls: type) -> tuple[str, ...]:
    found = _COMPARED.get(cls)
    if found is None:
        found = _COMPARED[cls] = tuple(
            name for name in _slot_names(cls)
            if not name.startswith("_") and name not in ("context", "message")
        )
    return found


class State:
    """Base class of all states.

    Parameters
    ----------
    message
        Why the run is in this state: a string, or the exception (or signal) that caused it.
    result
        The state's data: a raw value (wrapped in a ``Result``) or a ``Result`` instance;
        ``None`` means no result (``NoResult``).
    context
        Execution information (JSON-compatible values); ignored by ``==``.
    cached_inputs
        Input ``Result`` objects by argument name, kept for retries.

    Examples
    --------
    >>> s = Success(message="Task run succeeded.", result=3)
    >>> s, s.result, s.is_finished(), s.is_failed()
    (<Success: "Task run succeeded.">, 3, True, False)
    >>> s == Success("another message", 3), s.copy(result=4).result
    (True, 4)
    """

    __slots__ = ("__dict__", "_result", "cached_inputs", "context", "message")
    color: ClassVar[str] = "#696969"
    #: constructor arguments that ``copy()`` carries over besides the base four
    _init_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, message: Any = None, result: Any = None,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        self.message = message
        if isinstance(result, Result):
            self._result = result
        else:
            self._result = NoResult if result is None else Result(result)
        self.context = context = context or {}
        self.cached_inputs = cached_inputs or {}
        current = _context.get()
        tags = current.get("task_tags")
        if tags:
            context.setdefault("tags", list(tags))

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

    def _extras(self) -> dict[str, Any]:
        """Public attributes set on this state besides the slotted ones."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        assert isinstance(other, State)
        if not values_equal(self.result, other.result):
            return False
        for name in _compared(type(self)):
            if not values_equal(getattr(self, name, _MISSING), getattr(other, name, _MISSING)):
                return False
        mine, theirs = self._extras(), other._extras()
        return mine.keys() == theirs.keys() and all(
            values_equal(value, theirs[key]) for key, value in mine.items()
        )

    __hash__ = object.__hash__  # identity, like Prefect 1: states may be dict keys

    def __sizeof__(self) -> int:
        return super().__sizeof__() + sys.getsizeof(self.result, 0)

    def __getstate__(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _slot_names(type(self))
                if hasattr(self, name)}
        data.update(self.__dict__)
        value = self._result.value
        if isinstance(value, Exception):  # signals are BaseExceptions: never replaced
            from prefectlite.utilities.errors import portable_exception

            portable = portable_exception(value)
            if portable is not value:  # the state itself is left untouched
                data["_result"] = self._result.copy()
                data["_result"].value = portable
        return data

    def __setstate__(self, data: dict[str, Any]) -> None:
        for name, value in data.items():
            object.__setattr__(self, name, value)

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

        Attributes set on this state besides the constructor's (by a state handler, say)
        are carried over too.

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
        new = type(self)(**fields)
        if self.__dict__:
            new.__dict__.update(self.__dict__)
        return new

    def load_result(self, result: Result | None = None) -> State:
        """Read the value of a result that has only a ``location``, and return this state.

        ``result`` (or else the state's own ``Result``) reads from the state's location; a
        state whose result already has a value, or has no location, is left as it is. A
        ``Mapped`` state loads each child's result instead, and its result becomes the list
        of the children's results.
        """
        if isinstance(self, Mapped):
            self.map_states = [
                None if child is None else child.load_result(result)
                for child in self.map_states
            ]
            if self.map_states:
                self.result = [getattr(child, "result", None) for child in self.map_states]
            return self
        reader = result or self._result
        location = self._result.location
        if self._result.value is None and location is not None:
            self._result = reader.read(location)
        return self

    def load_cached_results(self, results: Mapping[str, Result] | None = None) -> State:
        """Like :meth:`load_result`, for each of ``cached_inputs``; return this state.

        ``results`` maps an input name to the ``Result`` that reads it (default: the input's
        own ``Result``); its ``location`` is used when the input has none.
        """
        results = results or {}
        loaded: dict[str, Result] = {}
        for key, current in self.cached_inputs.items():
            reader = results.get(key, current)
            location = current.location or getattr(reader, "location", None)
            if current.value is None and location is not None:
                loaded[key] = reader.read(location)
            else:
                loaded[key] = current
        self.cached_inputs = loaded
        return self

    @classmethod
    def children(cls, include_self: bool = False, names_only: bool = False) -> list[Any]:
        """All subclasses of this state, recursively, hiding private (``_``-named) ones.

        Examples
        --------
        >>> Failed.children(names_only=True)
        ['TimedOut', 'TriggerFailed', 'ValidationFailed']
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
        """Whether the run has not started (includes Scheduled, Retrying, Paused, Resume)."""
        return isinstance(self, Pending)

    def is_queued(self) -> bool:
        """Whether the state is a Queued wrapper."""
        return isinstance(self, Queued)

    def is_retrying(self) -> bool:
        """Whether the run waits to be retried."""
        return isinstance(self, Retrying)

    def is_running(self) -> bool:
        """Whether the run is in progress (includes Cancelling)."""
        return isinstance(self, Running)

    def is_cached(self) -> bool:
        """Whether the result came from a cache."""
        return isinstance(self, Cached)

    def is_finished(self) -> bool:
        """Whether the run has ended, whatever the outcome."""
        return isinstance(self, Finished)

    def is_looped(self) -> bool:
        """Whether the task finished one iteration of a loop."""
        return isinstance(self, Looped)

    def is_scheduled(self) -> bool:
        """Whether the run waits for a start time (Scheduled and subclasses, or Queued)."""
        return isinstance(self, Scheduled | Queued)

    def is_submitted(self) -> bool:
        """Whether the state is a Submitted wrapper."""
        return isinstance(self, Submitted)

    def is_skipped(self) -> bool:
        """Whether the run was skipped."""
        return isinstance(self, Skipped)

    def is_successful(self) -> bool:
        """Whether the run succeeded (includes Cached, Mapped and Skipped)."""
        return isinstance(self, Success)

    def is_failed(self) -> bool:
        """Whether the run failed (includes TriggerFailed, ValidationFailed, TimedOut)."""
        return isinstance(self, Failed)

    def is_mapped(self) -> bool:
        """Whether the task was mapped into children (see ``map_states``)."""
        return isinstance(self, Mapped)

    def is_meta_state(self) -> bool:
        """Whether the state wraps another one (ClientFailed, Submitted, Queued)."""
        return isinstance(self, _MetaState)


from prefectlite.engine._state_classes import (  # noqa: E402  (they subclass State)
    Cached,
    Cancelled,
    Cancelling,
    ClientFailed,
    Failed,
    Finished,
    Looped,
    Mapped,
    Paused,
    Pending,
    Queued,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    Submitted,
    Success,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
    _MetaState,
)
