"""Tests for prefectlite.engine.result: the Result base class and the NoResult sentinel."""

from __future__ import annotations

import copy
import pickle
import re
from collections.abc import Callable
from typing import Any

import cloudpickle
import pytest

from prefectlite.engine.result import NoResult, NoResultType, Result, ResultNotImplementedError
from prefectlite.engine.result.base import values_equal

PICKLERS = [pytest.param(pickle, id="pickle"), pytest.param(cloudpickle, id="cloudpickle")]


class Unequal:
    """Mimics numpy arrays: ``==`` returns something whose truth value is an error."""

    class _Ambiguous:
        def __bool__(self) -> bool:
            raise ValueError("truth value of an array is ambiguous")

    def __eq__(self, other: object) -> Unequal._Ambiguous:  # type: ignore[override]
        return Unequal._Ambiguous()

    __hash__ = None  # type: ignore[assignment]


class TestValuesEqual:
    def test_plain_values(self) -> None:
        assert values_equal(1, 1)
        assert values_equal({"a": [1]}, {"a": [1]})
        assert not values_equal(1, 2)

    def test_ambiguous_comparison_falls_back_to_identity(self) -> None:
        odd = Unequal()
        assert values_equal(odd, odd)
        assert not values_equal(odd, Unequal())

    def test_raising_comparison_is_unequal(self) -> None:
        class Raises:
            def __eq__(self, other: object) -> bool:
                raise TypeError("no")

        assert not values_equal(Raises(), Raises())


class TestResult:
    def test_defaults(self) -> None:
        result = Result()
        assert (result.value, result.location, result.serializer) == (None, None, None)

    def test_attributes_are_stored(self) -> None:
        serializer = object()
        result = Result([1, 2], location="out/{x}.bin", serializer=serializer)
        assert result.value == [1, 2]
        assert result.location == "out/{x}.bin"
        assert result.serializer is serializer

    def test_format_renders_a_template_on_a_copy(self) -> None:
        result = Result(3, location="{flow}/{task}.out")
        formatted = result.format(flow="etl", task="load")
        assert formatted.location == "etl/load.out"
        assert formatted.value == 3
        assert result.location == "{flow}/{task}.out"

    def test_format_calls_a_callable_location(self) -> None:
        result = Result(3, location=lambda **kw: f"{kw['task']}.pkl")
        assert result.location is None
        assert result.format(task="load").location == "load.pkl"

    def test_format_without_location_makes_a_default_one(self) -> None:
        location = Result(3).format().location
        assert location is not None
        assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}/[0-9a-f-]{36}\.prefect_result", location)

    def test_format_with_a_missing_key_raises_key_error(self) -> None:
        with pytest.raises(KeyError, match="task"):
            Result(location="{task}").format(flow="x")

    def test_copy_is_a_new_object_sharing_the_value(self) -> None:
        value = [1]
        result = Result(value, location="a")
        duplicate = result.copy()
        assert duplicate is not result
        assert duplicate == result
        assert duplicate.value is value

    def test_from_value_replaces_value_and_clears_location(self) -> None:
        result = Result(1, location="a").format()
        new = result.from_value(2)
        assert (new.value, new.location) == (2, None)
        assert result.value == 1

    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            (Result(1), Result(1), True),
            (Result(1), Result(2), False),
            (Result(1, location="a"), Result(1, location="b"), False),
            (Result(1, location="a"), Result(1, location="a"), True),
            (Result(None), NoResult, False),
            (Result(1), 1, False),
        ],
    )
    def test_equality(self, left: Result, right: object, expected: bool) -> None:
        assert (left == right) is expected
        assert (right == left) is expected

    def test_equality_of_subclasses_needs_the_same_type(self) -> None:
        class MyResult(Result):
            __slots__ = ()

        assert MyResult(1) != Result(1)

    def test_equality_never_raises(self) -> None:
        odd = Unequal()
        assert Result(odd) == Result(odd)
        assert Result(odd) != Result(Unequal())

    def test_results_are_unhashable(self) -> None:
        with pytest.raises(TypeError, match="unhashable"):
            hash(Result(1))

    @pytest.mark.parametrize(
        ("result", "text"),
        [
            (Result(3), "<Result: 3>"),
            (Result("x", location="a/b"), "<Result: 'x', location='a/b'>"),
        ],
    )
    def test_repr(self, result: Result, text: str) -> None:
        assert repr(result) == text

    def test_repr_of_a_huge_value_is_truncated(self) -> None:
        assert len(repr(Result(list(range(10_000))))) < 100

    @pytest.mark.parametrize(
        ("call", "method"),
        [
            (lambda r: r.read("loc"), "read"),
            (lambda r: r.write(1, task="t"), "write"),
            (lambda r: r.exists("loc"), "exists"),
        ],
    )
    def test_persistence_is_not_implemented(
        self, call: Callable[[Result], object], method: str
    ) -> None:
        class CustomResult(Result):
            __slots__ = ()

        with pytest.raises(ResultNotImplementedError, match=rf"CustomResult\.{method}\(\)"):
            call(CustomResult())
        assert issubclass(ResultNotImplementedError, NotImplementedError)

    def test_write_accepts_a_formatting_key_called_value(self) -> None:
        with pytest.raises(ResultNotImplementedError, match="LocalResult"):
            Result().write(1, value="v")

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_pickles(self, pickler: Any) -> None:
        result = Result({"a": 1}, location="x/{y}")
        assert pickler.loads(pickler.dumps(result)) == result


class TestNoResult:
    def test_is_the_only_instance(self) -> None:
        assert NoResultType() is NoResult
        assert isinstance(NoResult, Result)

    def test_value_and_location_are_none(self) -> None:
        assert NoResult.value is None
        assert NoResult.location is None

    def test_is_falsy_with_a_short_repr(self) -> None:
        assert not NoResult
        assert repr(NoResult) == "NoResult"

    def test_equals_only_itself(self) -> None:
        assert pickle.loads(pickle.dumps(NoResult)) == NoResult  # equal to a copy of itself
        assert NoResult != Result(None)
        assert NoResult != None  # noqa: E711
        assert {NoResult: 1}[NoResult] == 1

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_pickles_to_the_same_object(self, pickler: Any) -> None:
        assert pickler.loads(pickler.dumps(NoResult)) is NoResult
        assert pickler.loads(pickler.dumps([NoResult, NoResult]))[1] is NoResult

    def test_copies_are_itself(self) -> None:
        assert copy.copy(NoResult) is NoResult
        assert copy.deepcopy(NoResult) is NoResult
        assert NoResult.copy() is NoResult
        assert NoResult.format(x=1) is NoResult

    def test_attributes_cannot_be_added(self) -> None:
        with pytest.raises(AttributeError):
            NoResult.extra = 1

    def test_cannot_be_changed(self) -> None:
        with pytest.raises(AttributeError, match="NoResult is shared"):
            NoResult.value = 5

    def test_from_value_makes_a_real_result(self) -> None:
        result = NoResult.from_value(5)
        assert type(result) is Result
        assert result.value == 5
