"""Prefect 1's rules for mapping, as pure functions of states.

What a mapped child receives along each edge, and what ``flatten`` makes of an upstream,
follow Prefect Core 1.4:

* Mapping over a plain (unmapped) upstream hands child ``i`` a copy of the upstream's state
  holding element ``i`` of its result. An upstream that did not succeed hands every child a
  copy of its state with no result, so each child's trigger decides (``TriggerFailed`` by
  default).
* A value can be mapped over when it is sized and indexable by position (a list, tuple,
  string, ...); mapped inputs of different lengths behave like ``zip``: the shortest decides
  the width. A dict or a set cannot be mapped over (Prefect 1 indexes the value by position,
  ``value[0]``, ``value[1]``, ..., which fails for both): the mapped task fails, and the rest
  of the flow goes on.
* ``flatten`` concatenates the iterables in a result. Over a mapped upstream each child
  contributes its elements; a child that did not succeed (or was skipped) stands for one
  element, its own state; a child whose result cannot be flattened is passed on unmodified,
  with a warning. A plain upstream whose result cannot be flattened is passed on unmodified.

The walk (:mod:`prefectlite.engine.walk`) applies these rules; the task runner uses
:func:`flattened_value` for ``flatten`` on an unmapped edge.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prefectlite.engine.result.base import NoResult, Result
from prefectlite.engine.state import Failed, Mapped, State, Success
from prefectlite.utilities.errors import safe_repr

logger = logging.getLogger("prefectlite.FlowRunner")

UNMAPPABLE = "At least one upstream state has an unmappable result."
NOTHING_TO_MAP = "No upstream states can be mapped over."
NOT_FLATTENABLE = (
    "`flatten` was used on upstream task that did not return an iterable. The value will be "
    "passed downstream unmodified."
)


def mappable(value: Any) -> bool:
    """Whether a result can be mapped over: it is sized and indexable by position.

    Examples
    --------
    >>> mappable([1, 2]), mappable("ab"), mappable({1, 2}), mappable({"a": 1}), mappable(3)
    (True, True, False, False, False)
    """
    return (hasattr(value, "__getitem__") and hasattr(value, "__len__")
            and not isinstance(value, Mapping))


def with_result(state: State, value: Any) -> State:
    """A copy of ``state`` holding ``value`` (in a copy of its ``Result``, if it has one)."""
    old = state._result
    if type(state) is Success and type(old) is Result:  # the common case, kept cheap
        return Success(message=state.message, result=value)
    return state.copy(result=Result(value) if old is NoResult else old.from_value(value))


def element_state(state: State, index: int) -> State:
    """What child ``index`` receives when mapping over the plain upstream state ``state``.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed
    >>> element_state(Success(result=[5, 6]), 1).result
    6
    >>> element_state(Failed(result=ValueError("x")), 0)
    <Failed>
    """
    value = state.result
    if type(state) is Success and type(state._result) is Result:  # the hot path
        try:
            return Success(message=state.message, result=value[index])
        except (TypeError, LookupError):
            pass
    if state.is_successful() and mappable(value):
        try:
            return with_result(state, value[index])
        except LookupError:  # past the end (a given width), or a mapping without the key
            pass
    if state._result is NoResult:  # e.g. a rerun that has the state but not the data
        return state.copy()
    return state.copy(result=Result(None))  # data that is None (result=None means none)


def _flattenable(value: Any) -> bool:
    return hasattr(value, "__len__") and hasattr(value, "__getitem__")


def flatten_state(state: State) -> State:
    """``flatten`` of a plain upstream: its result's iterables concatenated, or ``state``
    unmodified when its result is not an iterable of iterables.

    Examples
    --------
    >>> flatten_state(Success(result=[[1, 2], [3]])).result
    [1, 2, 3]
    >>> flatten_state(Success(result=[1, 2])).result
    [1, 2]
    """
    try:
        flat = [item for part in state.result for item in part]
    except TypeError:
        return state
    return with_result(state, flat)


def flattened_states(state: State) -> list[State]:
    """The element states of ``flatten(upstream)`` for a mapped child to pick from.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed
    >>> m = Mapped(map_states=[Success(result=[1, 2]), Failed(message="x")])
    >>> flattened_states(m)
    [<Success>, <Success>, <Failed: "x">]
    """
    if not isinstance(state, Mapped):
        flat = flatten_state(state)
        if not mappable(flat.result):
            return [flat]
        return [element_state(flat, i) for i in range(len(flat.result))]
    elements: list[State] = []
    for child in state.map_states:
        value = child.result
        if not child.is_successful() or child.is_skipped():
            elements.append(child)
        elif not _flattenable(value):
            logger.warning(NOT_FLATTENABLE)
            elements.append(child)
        else:
            elements.extend(with_result(child, item) for item in value)
    return elements


def flattened_value(state: State) -> Any:
    """The input a task gets from ``flatten(upstream)`` along an unmapped edge.

    Examples
    --------
    >>> flattened_value(Mapped(map_states=[Success(result=[1]), Success(result=[2, 3])]))
    [1, 2, 3]
    >>> flattened_value(Success(result=5))
    5
    """
    if isinstance(state, Mapped):
        return [s.result for s in flattened_states(state)]
    return flatten_state(state).result


def unmappable(task_name: str, label: str, value: Any) -> Failed:
    """The state of a mapped task with an input it cannot map over: Prefect 1's message, and
    a ``TypeError`` naming the task and the input as its result (also logged)."""
    text = safe_repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, Mapping):
        why = ("is a mapping: mapping indexes by position, and a mapping is indexed by key. "
               "Map over list(d.values()), list(d.items()) or list(d)")
    else:
        why = "is not a sized, indexable value. Map over a list"
    detail = (f"Cannot map task {task_name!r} over {label}: {type(value).__name__} {text} "
              f"{why} (or wrap the argument in unmapped() to pass it whole).")
    logger.error(detail)
    return Failed(message=UNMAPPABLE, result=TypeError(detail))
