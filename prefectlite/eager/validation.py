"""Flow parameters checked and converted from the flow function's type hints.

Before a flow's body runs, each parameter given for an annotated argument is converted to
the annotated type, with pydantic's "lax mode" rules for the builtins, implemented here so
that they work without pydantic: ``"1"`` → ``1`` for ``int``, ``"yes"`` → ``True`` for
``bool``, a tuple → a list for ``list[int]`` (each item converted), ISO strings → ``datetime``,
``str`` → ``Path``, ``UUID``, ``Enum`` members, ``X | None``, ``Literal[...]``, nested
containers. A ``str`` is not made from a number (as in pydantic 2). Other types (pydantic
models, dataclasses, ``Annotated`` constraints, ``TypedDict``) go to pydantic's
``TypeAdapter`` when pydantic is installed; without it a plain class gets an ``isinstance``
check and anything else passes unchanged. Defaults are not validated (as in pydantic).

Every failing parameter is reported in one :class:`ParameterTypeError`::

    Flow run received invalid parameters:
     - x: Input should be a valid integer, got 'abc'
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from prefectlite.eager.exceptions import ParameterTypeError
from prefectlite.utilities.coercion import Invalid, coerce, is_model

__all__ = ["coerce", "parameter_schema", "type_hints", "validate"]

_EMPTY = inspect.Parameter.empty


def type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of ``fn`` (string annotations that cannot be resolved are
    left out rather than failing the flow)."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        raw = getattr(inspect.unwrap(fn), "__annotations__", {})
        return {k: v for k, v in raw.items() if not isinstance(v, str)}


def validate(sig: inspect.Signature, hints: dict[str, Any], params: dict[str, Any]
             ) -> dict[str, Any]:
    """``params`` converted to their hinted types; raise one error listing every failure.

    Examples
    --------
    >>> def f(x: int, y: list[float], z: bool | None = None): ...
    >>> validate(inspect.signature(f), type_hints(f), {"x": "3", "y": (1, "2.5"), "z": "no"})
    {'x': 3, 'y': [1.0, 2.5], 'z': False}
    """
    out, errors = {}, []
    for name, value in params.items():
        param = sig.parameters.get(name)
        hint = hints.get(name, _EMPTY)
        if param is None or hint is _EMPTY or value is param.default:
            out[name] = value
            continue
        try:
            if param.kind is param.VAR_POSITIONAL:
                out[name] = tuple(coerce(v, hint) for v in value)
            elif param.kind is param.VAR_KEYWORD:
                out[name] = {k: coerce(v, hint) for k, v in value.items()}
            else:
                out[name] = coerce(value, hint)
        except Invalid as exc:
            errors.append((name, str(exc)))
    if errors:
        raise ParameterTypeError.from_errors(errors)
    return out


"""The parameter schema"""

_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean", list: "array",
               tuple: "array", set: "array", dict: "object", type(None): "null"}


def _schema_of(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema_of(a) for a in typing.get_args(hint)]}
    base = origin or hint
    if base in _JSON_TYPES:
        schema: dict[str, Any] = {"type": _JSON_TYPES[base]}
        args = typing.get_args(hint)
        if base in (list, set) and args:
            schema["items"] = _schema_of(args[0])
        return schema
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [m.value for m in hint]}
    if isinstance(hint, type) and is_model(hint):
        return dict(typing.cast(Any, hint).model_json_schema())
    return {}


def parameter_schema(sig: inspect.Signature, hints: dict[str, Any]) -> dict[str, Any]:
    """A JSON-schema-like description of a flow's parameters (what ``flow.parameters`` holds).

    Examples
    --------
    >>> def f(x: int, y: str = "a"): ...
    >>> parameter_schema(inspect.signature(f), type_hints(f))["properties"]["y"]
    {'title': 'y', 'position': 1, 'type': 'string', 'default': 'a'}
    """
    properties: dict[str, Any] = {}
    required = []
    for position, (name, param) in enumerate(sig.parameters.items()):
        prop = {"title": name, "position": position,
                **_schema_of(hints.get(name, _EMPTY))}
        if param.default is _EMPTY:
            required.append(name)
        else:
            prop["default"] = param.default
        properties[name] = prop
    return {"title": "Parameters", "type": "object", "properties": properties,
            "required": required, "definitions": {}}
