"""Triggers: decide from the upstream states whether a task may run.

A trigger is a pure function ``trigger(upstream_states: dict[Edge, State]) -> bool``. It
returns ``True`` when the task may run; otherwise it raises a signal, usually
:class:`~prefectlite.engine.signals.TRIGGERFAIL`, whose message names the trigger and counts
the upstream states by class. Triggers only read ``upstream_states.values()``.

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
  which still pauses (that is how a root task waits for approval). Prefect 1.4 skips a task
  whose trigger is ``not_all_skipped`` and that has no upstream; prefectlite runs it.
* ``some_*`` bounds are absolute counts, or fractions of the upstream count when below 1
  (``at_least=0.5`` of 3 upstreams means at least 1.5, i.e. 2).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from prefectlite.engine import signals
from prefectlite.engine.state import Mapped, State

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


def _summary(states: Iterable[State]) -> str:
    """Count states by class name, in order of first appearance.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> _summary([Success(), Failed(), Success()]), _summary([])
    ('2 Success, 1 Failed', 'none')
    """
    counts: dict[str, int] = {}
    for state in states:
        name = type(state).__name__
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {name}" for name, n in counts.items()) or "none"


def _fail(trigger: str, problem: str, states: list[State]) -> NoReturn:
    raise signals.TRIGGERFAIL(
        f'Trigger was "{trigger}" but {problem}. Upstream states: {_summary(states)}.'
    )


def all_successful(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state is successful (the default trigger).

    Examples
    --------
    >>> from prefectlite.engine.state import Skipped, Success
    >>> all_successful({"a": Success(), "b": Skipped()})
    True
    """
    states = _flatten(upstream_states)
    bad = sum(1 for state in states if not state.is_successful())
    if bad:
        _fail("all_successful", f"{bad} of {len(states)} upstream states are not successful",
              states)
    return True


def all_failed(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state failed (useful for clean-up or alerting tasks)."""
    states = _flatten(upstream_states)
    bad = sum(1 for state in states if not state.is_failed())
    if bad:
        _fail("all_failed", f"{bad} of {len(states)} upstream states did not fail", states)
    return True


def any_successful(upstream_states: UpstreamStates) -> bool:
    """Run if at least one upstream state is successful (or there are no upstreams)."""
    states = _flatten(upstream_states)
    if upstream_states and not any(state.is_successful() for state in states):
        _fail("any_successful", f"none of the {len(states)} upstream states succeeded", states)
    return True


def any_failed(upstream_states: UpstreamStates) -> bool:
    """Run if at least one upstream state failed (or there are no upstreams)."""
    states = _flatten(upstream_states)
    if upstream_states and not any(state.is_failed() for state in states):
        _fail("any_failed", f"none of the {len(states)} upstream states failed", states)
    return True


def all_finished(upstream_states: UpstreamStates) -> bool:
    """Run once every upstream state is finished, whether it succeeded or not.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> all_finished({"a": Success(), "b": Failed()})
    True
    """
    states = _flatten(upstream_states)
    bad = sum(1 for state in states if not state.is_finished())
    if bad:
        _fail("all_finished", f"{bad} of {len(states)} upstream states are not finished",
              states)
    return True


always_run = all_finished


def _resume_requested() -> bool:
    """Whether the current context holds a truthy ``resume`` (False if there is no context)."""
    for module_name in ("prefectlite.utilities.context", "prefectlite.context"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        context = getattr(module, "context", None)
        if context is not None:
            return bool(context.get("resume"))
    return False


def manual_only(upstream_states: UpstreamStates) -> bool:
    """Never run on its own: pause the task, unless the run was resumed.

    The engine sets ``resume`` in the context when a task starts from a ``Resume`` state.

    Raises
    ------
    PAUSE
        Whenever ``resume`` is not set, even with no upstream states.
    """
    if _resume_requested():
        return True
    raise signals.PAUSE('Trigger function is "manual_only"; the task waits to be resumed.')


def not_all_skipped(upstream_states: UpstreamStates) -> bool:
    """Run if every upstream state is successful and at least one was not skipped.

    Raises
    ------
    SKIP
        If every upstream state was skipped (the task is skipped too, with result ``None``).
    TRIGGERFAIL
        If some upstream state is not successful.
    """
    if not upstream_states:
        return True
    states = _flatten(upstream_states)
    if all(state.is_skipped() for state in states):
        raise signals.SKIP("All upstreams were skipped", result=None)
    bad = sum(1 for state in states if not state.is_successful())
    if bad:
        _fail("not_all_skipped",
              f"{bad} of {len(states)} upstream states are not successful", states)
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
        for name, limit in (("at_least", at_least), ("at_most", at_most)):
            if limit is not None and limit < 0:
                raise ValueError(
                    f"some_{kind}({name}={limit!r}): bounds must be counts >= 1 or "
                    "fractions between 0 and 1."
                )
        self.kind, self.at_least, self.at_most = kind, at_least, at_most

    @property
    def __name__(self) -> str:
        return f"some_{self.kind}"

    def __repr__(self) -> str:
        return f"{self.__name__}(at_least={self.at_least!r}, at_most={self.at_most!r})"

    def __call__(self, upstream_states: UpstreamStates) -> bool:
        if not upstream_states:
            return True
        states = _flatten(upstream_states)
        test = State.is_successful if self.kind == "successful" else State.is_failed
        count, total = sum(1 for state in states if test(state)), len(states)
        low = _threshold(self.at_least, total, 0)
        high = _threshold(self.at_most, total, total)
        if not low <= count <= high:
            verb = "succeeded" if self.kind == "successful" else "failed"
            _fail(repr(self), f"{count} of {total} upstream states {verb}, outside the "
                  f"required range {low:g} to {high:g}", states)
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
