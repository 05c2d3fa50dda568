"""prefectlite.eager.validation: converting flow parameters from type hints."""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import datetime
import decimal
import enum
import inspect
import pathlib
import uuid
from typing import Annotated, Any, Literal, NewType, Optional, Union

import pytest

from prefectlite.eager.exceptions import ParameterTypeError
from prefectlite.eager.validation import parameter_schema, type_hints, validate
from prefectlite.utilities.coercion import Invalid, coerce


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


UserId = NewType("UserId", int)


@dataclasses.dataclass
class Box:
    size: int


@pytest.mark.parametrize("value,hint,expected", [
    ("42", int, 42), (" -3 ", int, -3), (3.0, int, 3), (True, int, 1), (7, int, 7),
    ("2.5", float, 2.5), (2, float, 2.0), ("abc", str, "abc"),
    ("yes", bool, True), ("OFF", bool, False), (1, bool, True), (0.0, bool, False),
    ("hi", bytes, b"hi"), (None, type(None), None),
    (None, Optional[int], None),  # noqa: UP045 - typing.Optional must work too
    ("5", Union[int, str], "5"), ("5", Union[int, float], 5),  # noqa: UP007
    ("5", int | None, 5), ("x", int | str, "x"),
    (True, int | bool, True), ("red", Colour, Colour.RED), (Colour.BLUE, Colour, Colour.BLUE),
    ("b", Literal["a", "b"], "b"), ([1, "2"], list[int], [1, 2]), ((1, 2), list, [1, 2]),
    ({"1", "2"}, set[int], {1, 2}), ([1, 1], frozenset[int], frozenset({1})),
    (["1", "x"], tuple[int, str], (1, "x")), (["1", "2"], tuple[int, ...], (1, 2)),
    ({"a": "1"}, dict[str, int], {"a": 1}), ({"a": 1}, dict, {"a": 1}),
    ([["1"], ["2", "3"]], list[list[int]], [[1], [2, 3]]), ((1, "2"), abc.Sequence[int], (1, 2)),
    ("2024-01-02T03:04:05", datetime.datetime, datetime.datetime(2024, 1, 2, 3, 4, 5)),
    (0, datetime.datetime, datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)),
    ("2024-01-02", datetime.date, datetime.date(2024, 1, 2)),
    (datetime.datetime(2024, 1, 2), datetime.date, datetime.date(2024, 1, 2)),
    (90, datetime.timedelta, datetime.timedelta(seconds=90)),
    ("12345678-1234-5678-1234-567812345678", uuid.UUID,
     uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("1.10", decimal.Decimal, decimal.Decimal("1.10")),
    ("/tmp", pathlib.Path, pathlib.Path("/tmp")),
    ("3", UserId, 3), ("3", Annotated[int, "meta"], 3), (int, type[int], int),
    ("anything", Any, "anything"),
])
def test_conversions(value: Any, hint: Any, expected: Any) -> None:
    result = coerce(value, hint)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value,hint,message", [
    ("x", int, "Input should be a valid integer, got 'x'"),
    (1.5, int, "fractional part"), ("x", float, "valid number"),
    (1, str, "Input should be a valid string, got 1"), ("maybe", bool, "valid boolean"),
    (3, type(None), "Input should be None"), ("c", Literal["a", "b"], "'a' or 'b', got 'c'"),
    ("green", Colour, "'red' or 'blue', got 'green'"), ("ab", list[int], "valid list"),
    ([1, "x"], list[int], r"\[1\]: Input should be a valid integer"),
    ({"a": "x"}, dict[str, int], r"\['a'\]: Input should be a valid integer"),
    ([1], dict, "valid dictionary"), ((1, 2, 3), tuple[int, int], "2 items, got 3"),
    ("x", int | None, "valid integer.*; or Input should be None"),
    ("nope", datetime.datetime, "valid datetime"), ("nope", datetime.date, "valid date"),
    (datetime.datetime(2024, 1, 2, 3), datetime.date, "zero time"),
    ("x", datetime.timedelta, "valid timedelta"), ("x", uuid.UUID, "valid UUID"),
    (3, pathlib.Path, "valid path"), (str, type[int], "subclass of int"),
    (5, bytes, "valid bytes"),
])
def test_rejections(value: Any, hint: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        coerce(value, hint)


class Plain:
    pass


def test_plain_classes_are_checked_with_isinstance() -> None:
    thing = Plain()
    assert coerce(thing, Plain) is thing
    with pytest.raises(Invalid, match="instance of Plain, got 3"):
        coerce(3, Plain)


def test_dataclasses_need_pydantic_to_be_built() -> None:
    box = Box(1)
    assert coerce(box, Box) is box
    pytest.importorskip("pydantic")
    assert coerce({"size": "2"}, Box) == Box(2)
    with pytest.raises(Invalid, match="size: Input should be a valid integer"):
        coerce({"size": "x"}, Box)


def test_validate_collects_every_error_and_skips_defaults() -> None:
    def f(a: int, b: bool, c: str = None, *args: int, **kwargs: float):  # type: ignore[assignment]
        pass

    sig, hints = inspect.signature(f), type_hints(f)
    assert validate(sig, hints, {"a": "1", "b": "t", "c": None, "args": ("2",),
                                 "kwargs": {"k": "1.5"}}) == {
        "a": 1, "b": True, "c": None, "args": (2,), "kwargs": {"k": 1.5}}
    with pytest.raises(ParameterTypeError) as info:
        validate(sig, hints, {"a": "x", "b": "maybe", "c": None})
    assert [name for name, _ in info.value.errors] == ["a", "b"]
    assert str(info.value).splitlines()[0] == "Flow run received invalid parameters:"


def test_unresolvable_string_hints_are_skipped() -> None:
    def f(x: NotDefinedAnywhere):  # type: ignore[name-defined]  # noqa: F821
        pass

    assert type_hints(f) == {}


def test_parameter_schema() -> None:
    def f(a: int, b: list[str], c: Colour, d: float | None = None, e=3):
        pass

    schema = parameter_schema(inspect.signature(f), type_hints(f))
    props = schema["properties"]
    assert schema["required"] == ["a", "b", "c"]
    assert props["b"] == {"title": "b", "position": 1, "type": "array",
                          "items": {"type": "string"}}
    assert props["c"]["enum"] == ["red", "blue"] and props["e"]["default"] == 3
