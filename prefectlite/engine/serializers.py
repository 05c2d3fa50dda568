"""Serializers turn a value into bytes and back; ``Result`` classes store those bytes.

Each serializer has a ``name`` (recorded in the run journal next to every stored result) and
says whether its bytes are ``portable``, i.e. readable by another Python version. Pickles of
functions and classes made by cloudpickle are not (cloudpipe/cloudpickle#564), so a resumed
run on another Python minor version reruns a task instead of loading its pickled result.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib
from collections.abc import Callable
from typing import Any

import cloudpickle

__all__ = ["CompressedSerializer", "JSONSerializer", "PickleSerializer", "Serializer"]

COMPRESSION_FORMATS: dict[str, tuple[Callable[..., bytes], Callable[..., bytes]]] = {
    "bz2": (bz2.compress, bz2.decompress),
    "gzip": (gzip.compress, gzip.decompress),
    "lzma": (lzma.compress, lzma.decompress),
    "zlib": (zlib.compress, zlib.decompress),
}


class Serializer:
    """Base class: subclasses implement :meth:`serialize` and :meth:`deserialize`."""

    #: whether bytes written by one Python version can be read by another
    portable: bool = False

    @property
    def name(self) -> str:
        """A short name for the journal (default: the class name)."""
        return type(self).__name__

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def serialize(self, value: Any) -> bytes:
        """Turn ``value`` into bytes."""
        raise NotImplementedError(f"{type(self).__name__} must implement serialize()")

    def deserialize(self, value: bytes) -> Any:
        """Turn bytes made by :meth:`serialize` back into the value."""
        raise NotImplementedError(f"{type(self).__name__} must implement deserialize()")


class PickleSerializer(Serializer):
    """Pickle with cloudpickle (handles lambdas and classes defined in ``__main__``).

    Examples
    --------
    >>> s = PickleSerializer()
    >>> s.deserialize(s.serialize({"a": [1, 2]})), s.name, s.portable
    ({'a': [1, 2]}, 'pickle', False)
    """

    @property
    def name(self) -> str:
        return "pickle"

    def serialize(self, value: Any) -> bytes:
        return cloudpickle.dumps(value)  # type: ignore[no-any-return]

    def deserialize(self, value: bytes) -> Any:
        return cloudpickle.loads(value)


class JSONSerializer(Serializer):
    """JSON text (UTF-8): portable and readable by other tools, for JSON-compatible values.

    Examples
    --------
    >>> s = JSONSerializer()
    >>> s.serialize({"a": [1, 2]}), s.deserialize(b'{"a": [1, 2]}'), s.portable
    (b'{"a": [1, 2]}', {'a': [1, 2]}, True)
    """

    portable = True

    @property
    def name(self) -> str:
        return "json"

    def serialize(self, value: Any) -> bytes:
        return json.dumps(value).encode()

    def deserialize(self, value: bytes) -> Any:
        return json.loads(value)


class CompressedSerializer(Serializer):
    """Another serializer's bytes, compressed.

    Parameters
    ----------
    serializer
        The serializer whose output is compressed.
    format
        One of ``"gzip"``, ``"zlib"``, ``"bz2"``, ``"lzma"``; or give ``compress`` and
        ``decompress`` functions instead.
    compress_kwargs, decompress_kwargs
        Keyword arguments for those functions (e.g. ``{"compresslevel": 1}`` for gzip).

    Examples
    --------
    >>> s = CompressedSerializer(JSONSerializer(), format="gzip")
    >>> s.deserialize(s.serialize(list(range(3)))), s.name, s.portable
    ([0, 1, 2], 'gzip+json', True)
    """

    def __init__(
        self, serializer: Serializer, format: str | None = None,
        compress: Callable[..., bytes] | None = None,
        decompress: Callable[..., bytes] | None = None,
        compress_kwargs: dict[str, Any] | None = None,
        decompress_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(serializer, Serializer):
            raise TypeError(f"CompressedSerializer wraps a Serializer, got {serializer!r}.")
        if format is not None:
            if compress is not None or decompress is not None:
                raise ValueError("Give either format= or compress=/decompress=, not both.")
            if format not in COMPRESSION_FORMATS:
                raise ValueError(f"format={format!r} is not one of "
                                 f"{', '.join(sorted(COMPRESSION_FORMATS))}.")
            compress, decompress = COMPRESSION_FORMATS[format]
        elif compress is None or decompress is None:
            raise ValueError("Give format= (gzip, zlib, bz2, lzma) or both compress= and "
                             "decompress=.")
        self.serializer = serializer
        self.format = format
        self._compress, self._decompress = compress, decompress
        self._compress_kwargs = dict(compress_kwargs or {})
        self._decompress_kwargs = dict(decompress_kwargs or {})
        self.portable = serializer.portable

    @property
    def name(self) -> str:
        kind = self.format or getattr(self._compress, "__qualname__", "custom")
        return f"{kind}+{self.serializer.name}"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, CompressedSerializer)
                and self.serializer == other.serializer
                and self._compress == other._compress
                and self._decompress == other._decompress
                and self._compress_kwargs == other._compress_kwargs
                and self._decompress_kwargs == other._decompress_kwargs)

    def __hash__(self) -> int:
        return hash((type(self), self.serializer, self.format))

    def __repr__(self) -> str:
        return f"CompressedSerializer({self.serializer!r}, format={self.format!r})"

    def serialize(self, value: Any) -> bytes:
        return self._compress(self.serializer.serialize(value), **self._compress_kwargs)

    def deserialize(self, value: bytes) -> Any:
        return self.serializer.deserialize(self._decompress(value, **self._decompress_kwargs))
