"""Cache validators: decide whether a ``Cached`` state may stand in for a new task run.

Each validator is called as ``validator(state, inputs, parameters)`` with a candidate
``Cached`` state, the inputs of the run about to happen and the flow's parameters, and
returns ``True`` when the cached result may be used. Every validator except ``never_use``
first checks that the cache has not expired (``cached_result_expiration``; a state without
one never expires).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from prefectlite.engine.result import Result
from prefectlite.engine.state import State

Validator = Callable[[State, dict[str, Any], dict[str, Any]], bool]


def _fresh(state: State) -> bool:
    """Whether the cache has not expired (no ``cached_result_expiration`` never expires)."""
    expiration = getattr(state, "cached_result_expiration", None)
    return expiration is None or expiration > datetime.datetime.now(datetime.UTC)


def _values(mapping: dict[str, Any] | None) -> dict[str, Any]:
    """Cached inputs as plain values (they are stored as values or as ``Result`` objects)."""
    return {k: v.value if isinstance(v, Result) else v for k, v in (mapping or {}).items()}


def _tokenize(value: Any) -> str:
    """Dask's hash of a value: ``hashed_inputs`` hold these (as in Prefect Core 1)."""
    try:
        from dask.base import tokenize
    except ImportError:
        raise ImportError(
            "This Cached state compares hashed_inputs, which are dask tokens: install dask "
            "(pip install 'prefectlite[dask]') to validate it."
        ) from None
    return str(tokenize(value))


def _same(cached: dict[str, Any], current: dict[str, Any], names: Iterable[str] | None) -> bool:
    """``cached`` and ``current`` agree, on the keys in ``names`` only when given."""
    if names is not None:
        keep = set(names)
        cached = {k: v for k, v in cached.items() if k in keep}
        current = {k: v for k, v in current.items() if k in keep}
    return cached == current


def _inputs_match(state: State, inputs: dict[str, Any], names: Iterable[str] | None) -> bool:
    inputs = inputs or {}
    hashed = getattr(state, "hashed_inputs", None)
    if hashed is not None:
        return _same(hashed, {k: _tokenize(v) for k, v in inputs.items()}, names)
    return _same(_values(state.cached_inputs), inputs, names)


def never_use(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Never use a cache (the default when a task has no ``cache_for``)."""
    return False


def duration_only(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache until it expires, whatever the inputs (default with ``cache_for``).

    A ``Cached`` state without ``cached_result_expiration`` never expires.
    """
    return _fresh(state)


def all_inputs(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache while fresh and the run's inputs equal the cached inputs.

    When the state carries ``hashed_inputs`` those are compared with the hashes of the new
    inputs instead (dask's ``tokenize``), else its ``cached_inputs``. Extra inputs invalidate.
    """
    return _fresh(state) and _inputs_match(state, inputs, None)


def all_parameters(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Use the cache while fresh and the flow's parameters equal the cached ones."""
    return _fresh(state) and getattr(state, "cached_parameters", None) == parameters


def partial_inputs_only(validate_on: Iterable[str] | None = None) -> Validator:
    """A validator comparing only the inputs named in ``validate_on``.

    Without ``validate_on`` only expiration counts. An input named there but present on one
    side only invalidates the cache.

    Examples
    --------
    >>> from prefectlite.engine.result import Result
    >>> from prefectlite.engine.state import Cached
    >>> state = Cached(cached_inputs={"x": Result(1), "y": Result(2)})
    >>> partial_inputs_only(validate_on=["x"])(state, {"x": 1, "y": 3}, {})
    True
    >>> partial_inputs_only(validate_on=["y"])(state, {"x": 1, "y": 3}, {})
    False
    """
    names = None if validate_on is None else list(validate_on)

    def validator(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
        if not _fresh(state):
            return False
        return names is None or _inputs_match(state, inputs, names)

    return validator


def partial_parameters_only(validate_on: Iterable[str] | None = None) -> Validator:
    """A validator comparing only the flow parameters named in ``validate_on``.

    Without ``validate_on`` only expiration counts.

    Examples
    --------
    >>> from prefectlite.engine.state import Cached
    >>> state = Cached(cached_parameters={"day": "mon", "rows": 10})
    >>> partial_parameters_only(validate_on=["rows"])(state, {}, {"day": "tue", "rows": 10})
    True
    """
    names = None if validate_on is None else list(validate_on)

    def validator(state: State, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
        if not _fresh(state):
            return False
        cached = getattr(state, "cached_parameters", None) or {}
        return names is None or _same(cached, parameters or {}, names)

    return validator
