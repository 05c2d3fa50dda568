"""Small dictionary helpers of Prefect 1: ``DotDict``, nested merges and flat key chains.

``DotDict`` is a mutable mapping whose string keys can also be read and written as attributes
(``d.key``); the configuration (:class:`prefectlite.configuration.Config`) builds on it.
``dict_to_flatdict`` / ``flatdict_to_dict`` convert between a nested mapping and a flat one
keyed by :class:`CompoundKey` tuples (the chain of keys down to each value).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar

D = TypeVar("D", bound=MutableMapping[Any, Any])


def flatten_seq(seq: Iterable[Any]) -> Iterator[Any]:
    """Yield the items of a possibly nested sequence in order; strings and bytes stay whole.

    Examples
    --------
    >>> list(flatten_seq([1, [2, (3, [4])], "ab"]))
    [1, 2, 3, 4, 'ab']
    """
    for item in seq:
        if isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            yield from flatten_seq(item)
        else:
            yield item


class DotDict(MutableMapping[Any, Any]):
    """A dictionary whose keys are also attributes.

    Any hashable key can be stored; only keys that are valid identifiers can be reached with
    the dot syntax. A key may shadow a method name (``d["items"] = 1`` makes ``d.items == 1``).

    Examples
    --------
    >>> d = DotDict({"a": 1}, b=2)
    >>> d.a, d["b"], d.get("c", 3)
    (1, 2, 3)
    >>> d.c = 4
    >>> d
    <DotDict: 'a', 'b', 'c'>
    """

    def __init__(self, init_dict: Mapping[Any, Any] | None = None, **kwargs: Any) -> None:
        # MutableMapping.update, not self.update: a key may shadow the method name.
        if init_dict:
            MutableMapping.update(self, init_dict)
        MutableMapping.update(self, kwargs)

    # The values live in the instance ``__dict__`` itself, so attribute reads are plain
    # attribute lookups (no __getattr__ hook on the fast path).
    def __getitem__(self, key: Any) -> Any:
        return self.__dict__[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__dict__[key] = value

    def __setattr__(self, attr: str, value: Any) -> None:
        self[attr] = value

    def __delitem__(self, key: Any) -> None:
        del self.__dict__[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.__dict__.keys())

    def __len__(self) -> int:
        return len(self.__dict__)

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def get(self, key: Any, default: Any = None) -> Any:
        return self.__dict__.get(key, default)

    def __repr__(self) -> str:
        if not self.__dict__:
            return f"<{type(self).__name__}>"
        keys = ", ".join(sorted(repr(k) for k in self.__dict__))
        return f"<{type(self).__name__}: {keys}>"

    def copy(self) -> DotDict:
        """A shallow copy of the same type."""
        return type(self)(self.__dict__.copy())

    def to_dict(self) -> dict[Any, Any]:
        """This ``DotDict`` and every ``DotDict`` inside it as plain nested dictionaries."""
        result: dict[Any, Any] = as_nested_dict(self, dct_class=dict)
        return result


def merge_dicts(d1: D, d2: Mapping[Any, Any]) -> D:
    """A copy of ``d1`` updated with ``d2``; where both hold a mapping, they merge recursively.

    Neither argument is changed.

    Examples
    --------
    >>> merge_dicts({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}, 'b': 1}
    """
    merged = d1.copy()  # type: ignore[attr-defined]
    for key, value in d2.items():
        mine = merged.get(key)
        if isinstance(mine, MutableMapping) and isinstance(value, MutableMapping):
            merged[key] = merge_dicts(mine, value)
        else:
            merged[key] = value
    return merged  # type: ignore[no-any-return]


def as_nested_dict(obj: Any, dct_class: type = DotDict) -> Any:
    """``obj`` with every mapping in it (also inside lists, tuples and sets) made a ``dct_class``.

    Examples
    --------
    >>> d = as_nested_dict({"a": [{"b": 1}]})
    >>> d.a[0].b
    1
    """
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(as_nested_dict(item, dct_class) for item in obj)
    if isinstance(obj, DotDict):
        return dct_class({k: as_nested_dict(v, dct_class) for k, v in obj.__dict__.items()})
    if isinstance(obj, dict):
        return dct_class({k: as_nested_dict(v, dct_class) for k, v in obj.items()})
    return obj


class CompoundKey(tuple[Any, ...]):
    """The chain of keys leading to one value of a nested dictionary (see dict_to_flatdict)."""

    __slots__ = ()


def dict_to_flatdict(dct: Mapping[Any, Any], parent: CompoundKey | None = None
                     ) -> dict[CompoundKey, Any]:
    """Flatten a nested mapping into ``{CompoundKey(k1, k2, ...): value}``.

    Examples
    --------
    >>> dict_to_flatdict({"a": {"b": 1}, "c": 2})
    {('a', 'b'): 1, ('c',): 2}
    """
    flat: dict[CompoundKey, Any] = {}
    prefix = parent or CompoundKey()
    for key, value in dct.items():
        chain = CompoundKey((*prefix, key))
        if isinstance(value, (dict, DotDict)):
            flat.update(dict_to_flatdict(value, parent=chain))
        else:
            flat[chain] = value
    return flat


def flatdict_to_dict(dct: Mapping[Any, Any], dct_class: type | None = None) -> Any:
    """Rebuild the nested mapping from :func:`dict_to_flatdict`'s output.

    Keys that are not ``CompoundKey`` stay top-level keys. ``dct_class`` (default ``dict``) is
    the type of every level.

    Examples
    --------
    >>> flatdict_to_dict({CompoundKey(("a", "b")): 1, "c": 2})
    {'a': {'b': 1}, 'c': 2}
    """
    make = dct_class or dict
    result = make()
    for key, value in dct.items():
        if isinstance(key, CompoundKey):
            level = result
            for part in key[:-1]:
                level = level.setdefault(part, make())
            level[key[-1]] = value
        else:
            result[key] = value
    return result
