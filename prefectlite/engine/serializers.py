"""Serializers turn a value into bytes and back; ``Result`` classes store those bytes.

Each serializer has a ``name`` (recorded in the run journal next to every stored result) and
says whether its bytes are ``portable``, i.e. readable by another Python version. Pickles of
functions and classes made by cloudpickle are not (cloudpipe/cloudpickle#564), so a resumed
run on another Python minor version reruns a task instead of loading its pickled result.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import importlib
import json
from collections.abc import Callable
from typing import Any

import cloudpickle

__all__ = [
    "CompressedSerializer",
    "DateTimeSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "Serializer",
]

#: the standard library's compression modules, suggested when ``format=`` names another one
COMMON_FORMATS = ("bz2", "gzip", "lzma", "zlib")


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
        try:
            return cloudpickle.loads(value)
        except Exception as exc:
            # Prefect Core before 0.11 stored base64-encoded pickles: still read those, but
            # when that fails too, the first error is the one that explains the problem.
            try:
                decoded = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise exc from None
            try:
                return cloudpickle.loads(decoded)
            except Exception:
                raise exc from None


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


class DateTimeSerializer(Serializer):
    """A datetime as human-readable ISO 8601 text, read back as a ``pendulum.DateTime``.

    Examples
    --------
    >>> import pendulum
    >>> s = DateTimeSerializer()
    >>> s.serialize(pendulum.datetime(2024, 5, 1, 12, 30, tz="UTC"))
    b'2024-05-01T12:30:00Z'
    >>> s.deserialize(b"2024-05-01T12:30:00+02:00").isoformat()
    '2024-05-01T12:30:00+02:00'
    """

    portable = True

    @property
    def name(self) -> str:
        return "datetime"

    def serialize(self, value: Any) -> bytes:
        import pendulum

        if not isinstance(value, datetime.datetime):
            raise TypeError(
                f"DateTimeSerializer serializes datetime objects, got {type(value).__name__} "
                f"{value!r}; use JSONSerializer or PickleSerializer for other values."
            )
        return pendulum.instance(value).to_iso8601_string().encode()

    def deserialize(self, value: bytes) -> Any:
        import pendulum

        return pendulum.parse(value.decode())


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
            compress, decompress = self.compression_from_lib(format)
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

    @staticmethod
    def compression_from_lib(
        compression_format: str,
    ) -> tuple[Callable[..., bytes], Callable[..., bytes]]:
        """The ``compress`` and ``decompress`` functions of the module ``compression_format``.

        Any importable module with both functions works (``"lz4.frame"``, ``"zstandard"``...);
        a missing module is an ``ImportError``, one without those functions a ``ValueError``.
        """
        others = sorted(set(COMMON_FORMATS) - {compression_format})
        try:
            module = importlib.import_module(compression_format)
        except ImportError as exc:
            raise ImportError(
                f"Compression module for {compression_format!r} is not installed. "
                f"Did you mean to use one of {others}?"
            ) from exc
        try:
            return module.compress, module.decompress
        except AttributeError:
            raise ValueError(
                f"Given compression format {compression_format!r} module does not have "
                f"'compress' and 'decompress' attributes. Pass compress= and decompress= "
                f"for another library, or use one of {others}."
            ) from None

    def serialize(self, value: Any) -> bytes:
        return self._compress(self.serializer.serialize(value), **self._compress_kwargs)

    def deserialize(self, value: bytes) -> Any:
        return self.serializer.deserialize(self._decompress(value, **self._decompress_kwargs))
