"""``ConstantResult``: a value that lives in the Result object itself and is never written.

Prefect 1 gives the constant arguments of a task call (``add(x, 1)``) this result type; it is
also handy for tests and hand-made states. Reading it returns the very same object, writing it
is an error, and it always "exists".
"""

from __future__ import annotations

from typing import Any

from prefectlite.engine.result.base import Result

__all__ = ["ConstantResult"]


class ConstantResult(Result):
    """A result holding a constant ``value``: nothing to store, nothing to load.

    Examples
    --------
    >>> r = ConstantResult(value=[1, 2])
    >>> r.read("any location") is r, r.exists(""), r.value
    (True, True, [1, 2])
    """

    __slots__ = ()

    def __init__(self, value: Any = None, location: str | None = None, **kwargs: Any) -> None:
        if "serializer" in kwargs:
            raise ValueError("Can't pass a serializer to a ConstantResult: its value is never "
                             "serialized.")
        if kwargs:
            raise TypeError(
                f"ConstantResult() got unexpected keyword arguments {sorted(kwargs)}; it "
                "takes value= and location=."
            )
        super().__init__(value, location)

    def read(self, location: str) -> ConstantResult:
        """Return this result itself, whatever ``location`` is."""
        return self

    def write(self, value_: Any, /, **kwargs: Any) -> Result:
        """Always an error: a constant cannot be written."""
        raise ValueError(
            f"Cannot write values to `ConstantResult` types (asked to write {value_!r}); "
            "use LocalResult or PrefectResult to persist a value."
        )

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Always ``True``: the value is right here."""
        return True
