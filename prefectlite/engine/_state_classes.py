"""The concrete state classes of :mod:`prefectlite.engine.state` (import them from there).

They live in this module only to keep each file short; each class says it belongs to
``prefectlite.engine.state`` (its ``__module__``), which is where pickling, documentation
and users find it. Positional arguments follow each class's Prefect 1.4 constructor.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from prefectlite.engine.result.base import Result, values_equal
from prefectlite.engine.state import State, _aware, _context

_UTC = datetime.UTC

# ----------------------------------------------------------------- Pending states


class Pending(State):
    """The run has not started yet; the default state of a new task run."""

    __slots__ = ()
    color = "#7ebdff"

    def __init__(
        self, message: Any = None, result: Any = None,
        cached_inputs: dict[str, Result] | None = None, context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)


class Scheduled(Pending):
    """The run may start at ``start_time`` (now, when none is given).

    Made while a task runs, it records the context's ``task_run_count`` in its ``context``.
    """

    __slots__ = ("start_time",)
    color = "#ffab00"
    _init_fields: ClassVar[tuple[str, ...]] = ("start_time",)

    def __init__(
        self, message: Any = None, result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict[str, Result] | None = None, context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, result, cached_inputs, context)
        self.start_time: datetime.datetime | None = _aware(
            start_time or datetime.datetime.now(_UTC)
        )
        run_count = _context.get().get("task_run_count")
        if run_count is not None:
            self.context["task_run_count"] = run_count


class Paused(Scheduled):
    """The run waits until someone resumes it; ``start_time`` stays ``None`` unless given.

    (Prefect 1's docstring promises "10 years from now", but its code leaves ``None``;
    this follows the code.)
    """

    __slots__ = ()
    color = "#99a8e8"

    def __init__(
        self, message: Any = None, result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict[str, Result] | None = None, context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, result, start_time, cached_inputs, context)
        if start_time is None:
            self.start_time = None


class Resume(Scheduled):
    """The run may continue, usually after having been Paused."""

    __slots__ = ()
    color = "#f58c0c"


class Retrying(Scheduled):
    """The run failed and will be retried at ``start_time``.

    ``run_count`` is the number of runs so far: the context's ``task_run_count`` unless
    given, else 1.
    """

    __slots__ = ("run_count",)
    color = "#f66a0a"
    _init_fields = ("start_time", "run_count")

    def __init__(
        self, message: Any = None, result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict[str, Result] | None = None, context: dict[str, Any] | None = None,
        run_count: int | None = None,
    ) -> None:
        super().__init__(message, result, start_time, cached_inputs, context)
        if run_count is None:
            run_count = _context.get().get("task_run_count", 1)
        self.run_count: int = run_count


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


class Looped(Finished):
    """One iteration of a looping task finished; the next one runs right after.

    ``loop_count`` is the iteration number: the context's ``task_loop_count`` unless given,
    else 1.
    """

    __slots__ = ("loop_count",)
    color = "#003ccb"
    _init_fields = ("loop_count",)

    def __init__(
        self, message: Any = None, result: Any = None, loop_count: int | None = None,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        if loop_count is None:
            loop_count = _context.get().get("task_loop_count", 1)
        self.loop_count: int = loop_count


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

    def __init__(
        self, message: Any = None, result: Any = None,
        cached_inputs: dict[str, Result] | None = None,
        cached_parameters: dict[str, Any] | None = None,
        cached_result_expiration: datetime.datetime | None = None,
        context: dict[str, Any] | None = None, hashed_inputs: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.hashed_inputs = hashed_inputs
        self.cached_parameters = cached_parameters
        self.cached_result_expiration = _aware(cached_result_expiration)


class Mapped(Success):
    """The task was mapped: one child run per element, whose states are ``map_states``.

    Mapped only means that the children were created, not that they succeeded. Its
    ``result`` is whatever it was given: the engine gives it the list of the children's
    results once they are all finished.

    Examples
    --------
    >>> m = Mapped(map_states=[Success(result=1), Failed()], result=[1, None])
    >>> m.n_map_states, m.result
    (2, [1, None])
    """

    __slots__ = ("_n_map_states", "map_states")
    color = "#003ccb"

    def __init__(
        self, message: Any = None, result: Any = None,
        map_states: Sequence[State] | None = None, context: dict[str, Any] | None = None,
        cached_inputs: dict[str, Result] | None = None, n_map_states: int | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.map_states: list[State] = list(map_states) if map_states else []
        self._n_map_states = n_map_states

    @property
    def n_map_states(self) -> int:
        """How many children were mapped (``len(map_states)`` unless set explicitly)."""
        return self._n_map_states or len(self.map_states)

    @n_map_states.setter
    def n_map_states(self, value: int | None) -> None:
        self._n_map_states = value

    def _fields(self) -> dict[str, Any]:
        fields = super()._fields()
        fields.update(map_states=list(self.map_states), n_map_states=self._n_map_states)
        return fields


class Skipped(Success):
    """The run was skipped; downstream tasks treat it as a success."""

    __slots__ = ()
    color = "#62757f"

    def __init__(
        self, message: Any = None, result: Any = None,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)


class Cancelled(Finished):
    """The run was cancelled by a user while it was running."""

    __slots__ = ()
    color = "#bdbdbd"


class Failed(Finished):
    """The run failed; ``result`` is usually the exception."""

    __slots__ = ()
    color = "#eb0000"

    def __init__(
        self, message: Any = None, result: Any = None,
        cached_inputs: dict[str, Result] | None = None, context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)


class TimedOut(Failed):
    """The run exceeded the task's timeout."""

    __slots__ = ()
    color = "#ff4e33"


class TriggerFailed(Failed):
    """The task did not run because its trigger rejected the upstream states."""

    __slots__ = ()
    color = "#ff5131"


class ValidationFailed(Failed):
    """The task's result did not pass validation."""

    __slots__ = ()
    color = "#ff5131"


# ----------------------------------------------------------------- meta states


class _MetaState(State):
    """A state that wraps another one in ``state`` (nested wrappers are unwrapped)."""

    __slots__ = ("_state",)
    _init_fields: ClassVar[tuple[str, ...]] = ("state",)

    def __init__(
        self, message: Any = None, result: Any = None, state: State | None = None,
        context: dict[str, Any] | None = None, cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.state = state

    def __eq__(self, other: object) -> bool:
        # unlike Prefect 1 (which compares public attributes only), the wrapped state counts
        return super().__eq__(other) and values_equal(self._state, other._state)  # type: ignore

    __hash__ = State.__hash__

    @property
    def state(self) -> State | None:
        """The wrapped state (never itself a meta state)."""
        return self._state

    @state.setter
    def state(self, value: State | None) -> None:
        while isinstance(value, _MetaState):
            value = value.state
        self._state = value


class ClientFailed(_MetaState):
    """A backend failed to record the wrapped state; the run stops without going on.

    prefectlite has no backend that fails this way; the class exists so that code written
    for Prefect 1 can name and test for it.
    """

    __slots__ = ()
    color = "#eb0000"


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
        self, message: Any = None, result: Any = None, state: State | None = None,
        start_time: datetime.datetime | None = None, context: dict[str, Any] | None = None,
        cached_inputs: dict[str, Result] | None = None,
    ) -> None:
        super().__init__(message, result, state, context, cached_inputs)
        self.start_time = _aware(start_time or datetime.datetime.now(_UTC))


for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, State) and _cls is not State:
        _cls.__module__ = State.__module__
del _cls
