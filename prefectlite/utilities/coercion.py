"""Values converted to a type hint, with pydantic's "lax mode" rules for the builtins.

The rules are implemented here so that they work without pydantic: ``"1"`` → ``1`` for
``int``, ``"yes"`` → ``True`` for ``bool``, a tuple → a list for ``list[int]`` (each item
converted), ISO strings → ``datetime``, ``str`` → ``Path``, ``UUID``, ``Enum`` members,
``X | None``, ``Literal[...]``, nested containers. A ``str`` is not made from a number (as in
pydantic 2). Other types (pydantic models, dataclasses, ``Annotated`` constraints,
``TypedDict``) go to pydantic's ``TypeAdapter`` when pydantic is installed; without it a
plain class gets an ``isinstance`` check and anything else passes unchanged.

Used for the eager ``@flow``'s annotated parameters (:mod:`prefectlite.eager.validation`)
and for ``Parameter(..., type=...)`` (:mod:`prefectlite.core.parameter`).
"""

from __future__ import annotations

import collections
import collections.abc as abc
import dataclasses
import datetime
import decimal
import enum
import inspect
import pathlib
import re
import sys
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["Invalid", "coerce", "is_model", "type_name"]

_EMPTY = inspect.Parameter.empty
_INT = re.compile(r"^\s*[+-]?\d+\s*$")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_SEQUENCES = (list, tuple, set, frozenset, collections.deque, range, types.GeneratorType,
              abc.KeysView, abc.ValuesView)


class Invalid(Exception):
    """One value does not fit its type (the message says how)."""


def coerce(value: Any, hint: Any) -> Any:
    """``value`` as an instance of ``hint``, or raise :class:`Invalid`.

    Examples
    --------
    >>> coerce("42", int), coerce(" 2.5", float), coerce("on", bool), coerce([1, "2"], set[int])
    (42, 2.5, True, {1, 2})
    >>> try:
    ...     coerce("x", int)
    ... except Invalid as exc:
    ...     print(exc)
    Input should be a valid integer, got 'x'
    """
    if hint is Any or hint is object or hint is _EMPTY:
        return value
    origin = typing.get_origin(hint)
    if origin is None:
        if hint is None or hint is type(None):
            if value is None:
                return None
            raise Invalid(f"Input should be None, got {value!r}")
        if isinstance(hint, type):
            return _coerce_class(value, hint)
        if hasattr(hint, "__supertype__"):  # typing.NewType
            return coerce(value, hint.__supertype__)
        return _by_pydantic(value, hint, default=value)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _by_pydantic(value, hint, default=coerce(value, args[0]))
    if origin is typing.Union or origin is types.UnionType:
        return _union(value, args)
    if origin is typing.Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise Invalid(f"Input should be {' or '.join(map(repr, args))}, got {value!r}")
    return _generic(value, origin, args, hint)


def _union(value: Any, args: tuple[Any, ...]) -> Any:
    for arg in args:  # an exact match wins (pydantic's "smart" unions)
        if (arg is type(None) and value is None) or (isinstance(arg, type)
                                                      and type(value) is arg):
            return value
    problems = []
    for arg in args:
        try:
            return coerce(value, arg)
        except Invalid as exc:
            problems.append(str(exc))
    raise Invalid("; or ".join(problems))


def _generic(value: Any, origin: Any, args: tuple[Any, ...], hint: Any) -> Any:
    if origin in (list, set, frozenset, abc.Set, abc.MutableSet, abc.MutableSequence):
        target = list if origin in (list, abc.MutableSequence) else (
            frozenset if origin is frozenset else set)
        return _items(value, target, args[0] if args else Any)
    if origin is abc.Sequence:
        kind = type(value) if isinstance(value, list | tuple) else list
        return _items(value, kind, args[0] if args else Any)
    if origin is tuple:
        return _tuple(value, args)
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        return _mapping(value, *(args or (Any, Any)))
    if origin is type:
        if isinstance(value, type) and (not args or not isinstance(args[0], type)
                                        or issubclass(value, args[0])):
            return value
        raise Invalid(f"Input should be a subclass of {_name(args[0])}, got {value!r}")
    return _by_pydantic(value, hint, default=value)


def _items(value: Any, target: type, item: Any) -> Any:
    if isinstance(value, str | bytes) or not isinstance(value, _SEQUENCES):
        raise Invalid(f"Input should be a valid {target.__name__}, got {value!r}")
    out = []
    for i, v in enumerate(value):
        try:
            out.append(coerce(v, item))
        except Invalid as exc:
            raise Invalid(f"[{i}]: {exc}") from None
    return target(out)


def _tuple(value: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(args) == 2 and args[1] is Ellipsis:
        return _items(value, tuple, args[0])  # type: ignore[no-any-return]
    items = _items(value, tuple, Any)
    if args and args != ((),) and len(items) != len(args):
        raise Invalid(f"Tuple should have {len(args)} items, got {len(items)}")
    if not args or args == ((),):
        return items  # type: ignore[no-any-return]
    out = []
    for i, (v, a) in enumerate(zip(items, args)):
        try:
            out.append(coerce(v, a))
        except Invalid as exc:
            raise Invalid(f"[{i}]: {exc}") from None
    return tuple(out)


def _mapping(value: Any, key: Any, item: Any) -> dict[Any, Any]:
    if not isinstance(value, abc.Mapping):
        raise Invalid(f"Input should be a valid dictionary, got {value!r}")
    out = {}
    for k, v in value.items():
        try:
            out[coerce(k, key)] = coerce(v, item)
        except Invalid as exc:
            raise Invalid(f"[{k!r}]: {exc}") from None
    return out


"""Classes"""


def _int(v: Any) -> int:
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float | decimal.Decimal):
        if v == int(v):
            return int(v)
        raise Invalid(f"Input should be a valid integer, got a number with a fractional part: "
                      f"{v!r}")
    if isinstance(v, str) and _INT.match(v):
        return int(v)
    raise Invalid(f"Input should be a valid integer, got {v!r}")


def _float(v: Any) -> float:
    if isinstance(v, int | float | decimal.Decimal):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            pass
    raise Invalid(f"Input should be a valid number, got {v!r}")


def _str(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise Invalid(f"Input should be a valid string, got {v!r}")


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    raise Invalid(f"Input should be a valid boolean, got {v!r}")


def _bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    if isinstance(v, str):
        return v.encode()
    raise Invalid(f"Input should be valid bytes, got {v!r}")


def _datetime(v: Any) -> datetime.datetime:
    if isinstance(v, datetime.datetime):
        return v
    try:
        if isinstance(v, str):
            return datetime.datetime.fromisoformat(v.strip())
        if isinstance(v, int | float) and not isinstance(v, bool):
            return datetime.datetime.fromtimestamp(v, datetime.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise Invalid(f"Input should be a valid datetime, got {v!r}")


def _date(v: Any) -> datetime.date:
    if isinstance(v, datetime.datetime):
        if v.time() == datetime.time(0) and v.utcoffset() in (None, datetime.timedelta(0)):
            return v.date()
        raise Invalid(f"Input should be a valid date (a datetime with zero time), got {v!r}")
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, str):
        try:
            return datetime.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise Invalid(f"Input should be a valid date, got {v!r}")


def _timedelta(v: Any) -> datetime.timedelta:
    if isinstance(v, datetime.timedelta):
        return v
    try:
        return datetime.timedelta(seconds=_float(v))
    except Invalid:
        raise Invalid(f"Input should be a valid timedelta (or seconds), got {v!r}") from None


def _from_str(cls: type, what: str) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        if isinstance(v, cls):
            return v
        try:
            if isinstance(v, str):
                return cls(v.strip())
            if cls is decimal.Decimal and isinstance(v, int | float):
                return cls(str(v))
        except (ValueError, TypeError, decimal.InvalidOperation):
            pass
        raise Invalid(f"Input should be a valid {what}, got {v!r}")

    return convert


_SCALARS: dict[type, Callable[[Any], Any]] = {
    int: _int, float: _float, str: _str, bool: _bool, bytes: _bytes,
    datetime.datetime: _datetime, datetime.date: _date, datetime.timedelta: _timedelta,
    uuid.UUID: _from_str(uuid.UUID, "UUID"), decimal.Decimal: _from_str(decimal.Decimal,
                                                                          "decimal"),
}


def _coerce_class(value: Any, cls: type) -> Any:
    scalar = _SCALARS.get(cls)
    if scalar is not None:
        return scalar(value)
    if cls in (list, set, frozenset, tuple):
        return _items(value, cls, Any)
    if cls is dict:
        return _mapping(value, Any, Any)
    if issubclass(cls, enum.Enum):
        try:
            return value if isinstance(value, cls) else cls(value)
        except ValueError:
            choices = " or ".join(repr(m.value) for m in cls)
            raise Invalid(f"Input should be {choices}, got {value!r}") from None
    if issubclass(cls, pathlib.PurePath):
        if isinstance(value, str | pathlib.PurePath):
            return cls(value)
        raise Invalid(f"Input should be a valid path, got {value!r}")
    if isinstance(value, cls) and not is_model(cls):
        return value
    if is_model(cls) or dataclasses.is_dataclass(cls):
        return _by_pydantic(value, cls, default=_NO_PYDANTIC)
    if isinstance(value, cls):
        return value
    raise Invalid(f"Input should be an instance of {_name(cls)}, got {value!r}")


"""pydantic, when installed"""

_NO_PYDANTIC = object()
_ADAPTERS: dict[Any, Any] = {}


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError:
        return None
    return pydantic


def is_model(cls: type) -> bool:
    module = sys.modules.get("pydantic")
    return module is not None and issubclass(cls, module.BaseModel)


def _by_pydantic(value: Any, hint: Any, default: Any) -> Any:
    """Validate with pydantic's ``TypeAdapter`` if installed, else return ``default``."""
    pydantic = _pydantic()
    if pydantic is None:
        if default is _NO_PYDANTIC:
            if isinstance(value, hint):
                return value
            raise Invalid(f"Input should be an instance of {_name(hint)} (install pydantic to "
                          f"convert other values), got {value!r}")
        return default
    try:
        adapter = _ADAPTERS.get(hint)
        if adapter is None:
            adapter = _ADAPTERS[hint] = pydantic.TypeAdapter(hint)
    except (TypeError, pydantic.PydanticSchemaGenerationError):
        return value if default is _NO_PYDANTIC else default
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{where + ': ' if where else ''}{first['msg']}, got {value!r}") from None


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or repr(hint)


def type_name(hint: Any) -> str:
    """A readable name of a type hint: ``int``, ``list[int]``, ``int | None``.

    Examples
    --------
    >>> type_name(int), type_name(list[int]), type_name(int | None)
    ('int', 'list[int]', 'int | None')
    """
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__name__
    return repr(hint).replace("typing.", "")
