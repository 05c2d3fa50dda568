"""Tests for prefectlite.engine.cache_validators: when may a Cached state stand in for a run."""

from __future__ import annotations

import datetime

import pytest

from prefectlite.engine.cache_validators import (
    all_inputs,
    all_parameters,
    duration_only,
    never_use,
    partial_inputs_only,
    partial_parameters_only,
)
from prefectlite.engine.result import Result
from prefectlite.engine.state import Cached

NOW = datetime.datetime.now(datetime.UTC)
LATER, EARLIER = NOW + datetime.timedelta(hours=2), NOW - datetime.timedelta(minutes=5)


def cached(**kwargs: object) -> Cached:
    kwargs.setdefault("cached_result_expiration", LATER)
    return Cached(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [
    lambda: all_inputs, lambda: all_parameters, lambda: duration_only,
    lambda: partial_inputs_only(["a"]), lambda: partial_parameters_only(["a"]),
    lambda: partial_inputs_only(), lambda: partial_parameters_only(),
])
def test_every_validator_refuses_an_expired_cache(make) -> None:
    assert make()(cached(cached_result_expiration=EARLIER), {}, {}) is False


def test_never_use_refuses_even_a_fresh_cache() -> None:
    assert never_use(cached(), {}, {}) is False


def test_a_cache_without_expiration_never_expires() -> None:
    assert duration_only(Cached(), None, None) is True  # type: ignore[arg-type]


class TestInputs:
    def test_inputs_stored_as_results_or_plain_values_compare_by_value(self) -> None:
        as_results = cached(cached_inputs={"a": Result([1]), "b": Result("x")})
        as_values = cached(cached_inputs={"a": [1], "b": "x"})  # type: ignore[dict-item]
        for state in (as_results, as_values):
            assert all_inputs(state, {"a": [1], "b": "x"}, {}) is True
            assert all_inputs(state, {"a": [2], "b": "x"}, {}) is False

    def test_an_extra_or_missing_input_invalidates(self) -> None:
        state = cached(cached_inputs={"a": Result(1)})
        assert all_inputs(state, {"a": 1, "extra": 0}, {}) is False
        assert all_inputs(state, {}, {}) is False

    def test_hashed_inputs_are_compared_as_dask_tokens(self) -> None:
        tokenize = pytest.importorskip("dask.base").tokenize
        state = cached(hashed_inputs={"a": tokenize([1, 2]), "b": tokenize("x")})
        assert all_inputs(state, {"a": [1, 2], "b": "x"}, {}) is True
        assert all_inputs(state, {"a": [1, 3], "b": "x"}, {}) is False
        assert partial_inputs_only(["b"])(state, {"a": [9], "b": "x"}, {}) is True

    def test_partial_inputs_look_only_at_the_named_ones(self) -> None:
        state = cached(cached_inputs={"a": Result(1), "b": Result(2)})
        assert partial_inputs_only(validate_on=["a"])(state, {"a": 1, "b": 99}, {}) is True
        assert partial_inputs_only(validate_on=["b"])(state, {"a": 1, "b": 99}, {}) is False
        assert partial_inputs_only(validate_on=("a",))(state, {"a": 1}, {}) is True

    def test_a_named_input_present_on_one_side_only_invalidates(self) -> None:
        state = cached(cached_inputs={"a": Result(None)})
        assert partial_inputs_only(["a"])(state, {}, {}) is False
        assert partial_inputs_only(["a"])(state, None, {}) is False  # type: ignore[arg-type]

    def test_without_validate_on_only_expiration_counts(self) -> None:
        state = cached(cached_inputs={"a": Result(1)})
        assert partial_inputs_only()(state, {"a": 2}, {}) is True


class TestParameters:
    def test_all_parameters_must_be_equal(self) -> None:
        state = cached(cached_parameters={"n": 1, "day": "mon"})
        assert all_parameters(state, {}, {"n": 1, "day": "mon"}) is True
        assert all_parameters(state, {}, {"n": 1, "day": "tue"}) is False
        assert all_parameters(state, {}, {"n": 1, "day": "mon", "more": 0}) is False

    def test_partial_parameters_look_only_at_the_named_ones(self) -> None:
        state = cached(cached_parameters={"n": 1, "day": "mon"})
        validator = partial_parameters_only(validate_on=["n"])
        assert validator(state, {}, {"n": 1, "day": "sun"}) is True
        assert validator(state, {}, {"n": 2, "day": "mon"}) is False

    def test_partial_parameters_missing_on_either_side_invalidate(self) -> None:
        assert partial_parameters_only(["n"])(cached(), {}, {"n": 5}) is False
        state = cached(cached_parameters={"n": 5})
        assert partial_parameters_only(["n"])(state, {}, None) is False  # type: ignore[arg-type]

    def test_without_validate_on_only_expiration_counts(self) -> None:
        state = cached(cached_parameters={"n": 1})
        assert partial_parameters_only()(state, {}, {"n": 2}) is True
