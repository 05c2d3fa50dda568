"""``PrefectResult``: the value, serialized as JSON text, *is* the location.

Nothing is written anywhere: the state (and the run journal, which stores each result's
location) carries the value itself. Meant for small JSON-compatible values such as
parameters, counts and file names; it is portable across Python versions and costs no file
per task.
"""

from __future__ import annotations

from typing import Any

from prefectlite.engine.result.base import Result
from prefectlite.engine.serializers import DateTimeSerializer, JSONSerializer, Serializer

__all__ = ["PrefectResult"]

_SERIALIZER_SLOT: Any = vars(Result)["serializer"]  # the base class's slot, behind the property


class PrefectResult(Result):
    """A result whose ``location`` is its serialized value (JSON by default).

    Examples
    --------
    >>> written = PrefectResult().write({"rows": 3})
    >>> written.location
    '{"rows": 3}'
    >>> PrefectResult().read(written.location).value, PrefectResult().exists("[1, 2]")
    ({'rows': 3}, True)
    """

    __slots__ = ()

    def __init__(
        self, value: Any = None, location: str | None = None,
        serializer: Serializer | None = None,
    ) -> None:
        super().__init__(value, location, JSONSerializer() if serializer is None else serializer)

    @property
    def serializer(self) -> Serializer:
        """The serializer: a ``JSONSerializer`` or ``DateTimeSerializer`` (values are text)."""
        return _SERIALIZER_SLOT.__get__(self)  # type: ignore[no-any-return]

    @serializer.setter
    def serializer(self, value: Serializer) -> None:
        if not isinstance(value, (JSONSerializer, DateTimeSerializer)):
            raise TypeError(
                f"PrefectResult only supports JSONSerializer or DateTimeSerializer, got "
                f"{value!r}: its location is the serialized value as text. Use LocalResult "
                "for other serializers."
            )
        _SERIALIZER_SLOT.__set__(self, value)

    def format(self, /, **kwargs: Any) -> PrefectResult:
        """Return a copy: the location is the data, there is no template to render."""
        return self.copy()  # type: ignore[return-value]

    def write(self, value_: Any, /, **kwargs: Any) -> PrefectResult:
        """Return a copy holding ``value_`` whose location is the serialized value."""
        text = self.serializer.serialize(value_)
        try:
            location = text.decode() if isinstance(text, bytes) else str(text)
        except UnicodeDecodeError:
            raise ValueError(
                f"PrefectResult keeps values as text, but {self.serializer!r} made bytes that "
                "are not UTF-8; use a text serializer such as JSONSerializer, or LocalResult."
            ) from None
        new = self.copy()
        new.value, new.location = value_, location
        return new  # type: ignore[return-value]

    def read(self, location: str) -> PrefectResult:
        """Return a copy holding the value that ``location`` encodes."""
        new = self.copy()
        new.value, new.location = self.serializer.deserialize(location.encode()), location
        return new  # type: ignore[return-value]

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Whether ``location`` holds a value this result's serializer can read."""
        try:
            self.serializer.deserialize(location.encode())
        except Exception:
            return False
        return True
