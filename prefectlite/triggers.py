"""Triggers: decide from the upstream states whether a task may run.

A trigger is a pure function ``trigger(upstream_states: dict[Edge, State]) -> bool``. It
returns ``True`` when the task may run; otherwise it raises a signal, usually
:class:`~prefectlite.engine.signals.TRIGGERFAIL`, with Prefect 1.4's message (such as
``Trigger was "all_successful" but some of the upstream tasks failed.``). Triggers only read
``upstream_states.values()``.

==========================  ===========================================  ====================
trigger                     runs when                                    otherwise raises
==========================  ===========================================  ====================
``all_successful``          every upstream succeeded (default)           TRIGGERFAIL
``all_failed``              every upstream failed                        TRIGGERFAIL
``any_successful``          at least one upstream succeeded              TRIGGERFAIL
``any_failed``              at least one upstream failed                 TRIGGERFAIL
``all_finished``            every upstream finished, whatever the state  TRIGGERFAIL
``always_run``              alias of ``all_finished``                    TRIGGERFAIL
``manual_only``             the context holds a truthy ``resume``        PAUSE
``not_all_skipped``         all succeeded and not all were skipped       SKIP / TRIGGERFAIL
``some_successful(a, b)``   between ``a`` and ``b`` upstreams succeeded  TRIGGERFAIL
``some_failed(a, b)``       between ``a`` and ``b`` upstreams failed     TRIGGERFAIL
==========================  ===========================================  ====================

Counting follows Prefect 1.4:

* "Successful" includes ``Skipped``, ``Cached`` and ``Mapped``; "failed" includes
  ``TriggerFailed`` and ``TimedOut``.
* A ``Mapped`` upstream counts as its children (``map_states``); one with no children adds
  nothing. Each state *object* counts once, so a task that feeds several arguments of the
  same downstream task is one upstream, not several.
* With no upstream states at all, every trigger returns ``True`` except ``manual_only``,
  which still pauses (that is how a root task waits for approval), and ``not_all_skipped``,
  which skips the task (none of its zero upstreams ran, so "all were skipped").
* ``some_*`` bounds are absolute counts, or fractions of the upstream count when below 1
  (``at_least=0.5`` of 3 upstreams means at least 1.5, i.e. 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prefectlite.engine import signals
from prefectlite.engine.state import Mapped, State
from prefectlite.utilities.context import context

__all__ = [
    "all_failed", "all_finished", "all_successful", "always_run", "any_failed",
    "any_successful", "manual_only", "not_all_skipped", "some_failed", "some_successful",
]

UpstreamStates = Mapping[Any, State]


def _flatten(upstream_states: UpstreamStates) -> list[State]:
    """List the upstream states, replacing each Mapped state by its children.

    A list, not a set: results may be unhashable. Each object appears once.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> ok = Success()
    >>> _flatten({"a": ok, "b": ok, "c": Mapped(map_states=[Failed(), Success()])})
    [<Success>, <Failed>, <Success>]
    """
    states: list[State] = []
    seen: set[int] = set()
    for upstream in upstream_states.values():
        for state in upstream.map_states if isinstance(upstream, Mapped) else (upstream,):
            if id(state) not in seen:
                seen.add(id(state))
                states.append(state)
    return states


def all_successful(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state is successful (the default trigger).

    ``Skipped`` counts as a success, ``TriggerFailed`` as a failure.

    Examples
    --------
    >>> from prefectlite.engine.state import Skipped, Success
    >>> all_successful({"a": Success(), "b": Skipped()})
    True
    """
    if not all(state.is_successful() for state in _flatten(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_successful" but some of the upstream tasks failed.'
        )
    return True


def all_failed(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state failed (useful for clean-up or alerting tasks)."""
    if not all(state.is_failed() for state in _flatten(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_failed" but some of the upstream tasks succeeded.'
        )
    return True


def any_successful(upstream_states: UpstreamStates) -> bool:
    """Run if at least one upstream state is successful (or there are no upstreams)."""
    if upstream_states and not any(
        state.is_successful() for state in _flatten(upstream_states)
    ):
        raise signals.TRIGGERFAIL(
            'Trigger was "any_successful" but none of the upstream tasks succeeded.'
        )
    return True


def any_failed(upstream_states: UpstreamStates) -> bool:
    """Run if at least one upstream state failed (or there are no upstreams)."""
    if upstream_states and not any(state.is_failed() for state in _flatten(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "any_failed" but none of the upstream tasks failed.'
        )
    return True


def all_finished(upstream_states: UpstreamStates) -> bool:
    """Run once every upstream state is finished, whether it succeeded or not.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> all_finished({"a": Success(), "b": Failed()})
    True
    """
    if not all(state.is_finished() for state in _flatten(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_finished" but some of the upstream tasks were not finished.'
        )
    return True


always_run = all_finished


def manual_only(upstream_states: UpstreamStates) -> bool:
    """Never run on its own: pause the task, unless the run was resumed.

    The engine sets ``resume`` in the context when a task starts from a ``Resume`` state.

    Raises
    ------
    PAUSE
        Whenever the context holds no truthy ``resume``, even with no upstream states.
    """
    if context.get("resume"):
        return True
    raise signals.PAUSE('Trigger function is "manual_only"')


def not_all_skipped(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state is successful and at least one was not skipped.

    Raises
    ------
    SKIP
        If every upstream state was skipped, or there is none (the task is skipped too,
        with result ``None``).
    TRIGGERFAIL
        If some upstream state is not successful.
    """
    states = _flatten(upstream_states)
    if all(state.is_skipped() for state in states):
        raise signals.SKIP("All upstreams were skipped", result=None)
    if not all(state.is_successful() for state in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "not_all_skipped" but some of the upstream tasks failed.'
        )
    return True


def _threshold(limit: float | None, total: int, default: float) -> float:
    """Turn ``at_least``/``at_most`` into a count: fractions (< 1) scale with ``total``.

    Examples
    --------
    >>> _threshold(0.5, 3, 0), _threshold(2, 3, 0), _threshold(None, 3, 3)
    (1.5, 2, 3)
    """
    if limit is None:
        return default
    return total * limit if limit < 1 else limit


class _CountingTrigger:
    """The trigger built by :func:`some_successful` or :func:`some_failed` (picklable)."""

    __slots__ = ("at_least", "at_most", "kind")

    def __init__(self, kind: str, at_least: float | None, at_most: float | None) -> None:
        self.kind, self.at_least, self.at_most = kind, at_least, at_most
        for name, limit in (("at_least", at_least), ("at_most", at_most)):
            if isinstance(limit, int | float) and limit < 0:
                raise ValueError(
                    f"{self!r}: {name} must be a count >= 1 or a fraction between 0 and 1."
                )

    def _check_types(self) -> None:
        """Bounds that are not numbers fail when the trigger runs (Prefect 1.4 accepts them
        when the trigger is made)."""
        for name, limit in (("at_least", self.at_least), ("at_most", self.at_most)):
            if limit is not None and not isinstance(limit, int | float):
                raise TypeError(
                    f"{self!r}: {name} must be a number (a count >= 1 or a fraction between "
                    f"0 and 1), not {type(limit).__name__}."
                )

    @property
    def __name__(self) -> str:
        return f"some_{self.kind}"

    def __repr__(self) -> str:
        return f"{self.__name__}(at_least={self.at_least!r}, at_most={self.at_most!r})"

    def __call__(self, upstream_states: UpstreamStates) -> bool:
        if not upstream_states:
            return True
        self._check_types()
        states = _flatten(upstream_states)
        test = State.is_successful if self.kind == "successful" else State.is_failed
        count, total = sum(1 for state in states if test(state)), len(states)
        low = _threshold(self.at_least, total, 0)
        high = _threshold(self.at_most, total, total)
        if not low <= count <= high:
            raise signals.TRIGGERFAIL(
                f'Trigger was "some_{self.kind}" but thresholds were not met.'
            )
        return True


def some_successful(
    at_least: float | None = None, at_most: float | None = None
) -> Callable[[UpstreamStates], bool]:
    """Make a trigger that runs if the number of successful upstreams is within bounds.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> trigger = some_successful(at_least=0.5)
    >>> trigger({"a": Success(), "b": Failed()})
    True
    """
    return _CountingTrigger("successful", at_least, at_most)


def some_failed(
    at_least: float | None = None, at_most: float | None = None
) -> Callable[[UpstreamStates], bool]:
    """Make a trigger that runs if the number of failed upstreams is within bounds.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> some_failed(at_most=1)({"a": Failed(), "b": Success()})
    True
    """
    return _CountingTrigger("failed", at_least, at_most)
