"""Cache validators: decide whether a ``Cached`` state may stand in for a new task run.

Each validator is called as ``validator(state, inputs, parameters)`` with a candidate
``Cached`` state, the inputs of the run about to happen and the flow's parameters, and
returns ``True`` when the cached result may be used. Every validator except ``never_use``
first checks that the cache has not expired (``cached_result_expiration``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from prefectlite.engine.state import State

Validator = Callable[[State, dict[str, Any], dict[str, Any]], bool]


def _fresh(state: State) -> bool:
    expiration = getattr(state, "cached_result_expiration", None)
    return expiration is not None and expiration > datetime.datetime.now(datetime.UTC)


def _values(mapping: dict[str, Any] | None) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in (mapping or {}).items()}


def never_use(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Never use a cache (the default when a task has no ``cache_for``)."""
    return False


def duration_only(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache until it expires, whatever the inputs (default with ``cache_for``)."""
    return _fresh(state)


def all_inputs(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache while fresh and the run's inputs equal the cached inputs."""
    return _fresh(state) and _values(state.cached_inputs) == _values(inputs)


def all_parameters(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache while fresh and the flow's parameters equal the cached ones."""
    cached = getattr(state, "cached_parameters", None) or {}
    return _fresh(state) and cached == (parameters or {})


def partial_inputs_only(validate_on: Iterable[str]) -> Validator:
    """A validator comparing only the inputs named in ``validate_on``."""
    names = list(validate_on)

    def validator(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
        cached, current = _values(state.cached_inputs), _values(inputs)
        return _fresh(state) and all(cached.get(n) == current.get(n) for n in names)

    return validator


def partial_parameters_only(validate_on: Iterable[str]) -> Validator:
    """A validator comparing only the parameters named in ``validate_on``."""
    names = list(validate_on)

    def validator(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
        cached = getattr(state, "cached_parameters", None) or {}
        current = parameters or {}
        return _fresh(state) and all(cached.get(n) == current.get(n) for n in names)

    return validator
