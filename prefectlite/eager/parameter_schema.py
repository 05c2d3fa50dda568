"""The schema of a flow's parameters (``flow.parameters``), from its signature and type hints.

A JSON-schema-like dictionary with Prefect 3's shape: ``properties`` by name (``title``,
``position``, the JSON ``type`` of the hint, ``default``), ``required`` names, and a pydantic
model's own schema where a hint is one. Hints are read by
:func:`prefectlite.eager.validation.type_hints`.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from typing import Any

from prefectlite.eager.validation import _is_model

__all__ = ["parameter_schema"]

_EMPTY = inspect.Parameter.empty
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
    if isinstance(hint, type) and _is_model(hint):
        return dict(typing.cast(Any, hint).model_json_schema())
    return {}


def parameter_schema(sig: inspect.Signature, hints: dict[str, Any]) -> dict[str, Any]:
    """A JSON-schema-like description of a flow's parameters (what ``flow.parameters`` holds).

    Examples
    --------
    >>> def f(x: int, y: str = "a"): ...
    >>> import inspect
    >>> from prefectlite.eager.validation import type_hints
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
