"""``Result``: a task's output value plus where (and how) it could be persisted.

Every State carries one ``Result`` (``state._result``); ``state.result`` is its ``value``.
This base class only *holds* a value: it persists nothing, so ``read``, ``write`` and
``exists`` raise :class:`ResultNotImplementedError`. Concrete classes (``LocalResult``,
``PrefectResult``, ...) live in :mod:`prefectlite.engine.results` and override those three.

``location`` is a template such as ``"{task_name}/{map_index}.pkl"`` (or a callable taking the
same keyword arguments) that :meth:`Result.format` turns into a concrete location.

``NoResult`` is the single instance of :class:`NoResultType`. It marks the *absence* of
computation (a task that has not run), as opposed to a ``Result`` whose value is ``None``
(a task that ran and returned ``None``). It is falsy, repr's as ``NoResult`` and survives
``copy`` and pickling as the same object, so ``state._result is NoResult`` is a safe test.
"""

from __future__ import annotations

import copy as _copy
import datetime
import reprlib
import uuid
from collections.abc import Callable
from typing import Any, Self

__all__ = ["NoResult", "NoResultType", "Result", "ResultNotImplementedError"]

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


class ResultNotImplementedError(NotImplementedError):
    """A persistence method was called on a Result class that does not implement it."""


def values_equal(left: Any, right: Any) -> bool:
    """Compare two arbitrary values without ever raising.

    ``==`` may raise or return something that is not a bool (numpy arrays, DataFrames). In
    those cases two values are equal only if they are the same object.

    Examples
    --------
    >>> values_equal([1, 2], [1, 2])
    True
    >>> class Odd:
    ...     def __eq__(self, other):
    ...         raise TypeError("no comparisons")
    >>> odd = Odd()
    >>> values_equal(odd, odd), values_equal(odd, Odd())
    (True, False)
    """
    if left is right:
        return True
    try:
        outcome = left == right
        return outcome if type(outcome) is bool else bool(outcome)
    except Exception:  # any failure of == means "not equal"
        return False


class Result:
    """A value produced by a task, and the recipe for persisting it.

    Parameters
    ----------
    value
        The value itself.
    location
        Where the value is (or will be) stored: a ``str.format`` template, a callable
        ``location(**kwargs) -> str``, or ``None`` (a default location is made up on
        :meth:`format`).
    serializer
        How values are turned into bytes; stored as given (concrete serializers come with
        the concrete Result classes).

    Examples
    --------
    >>> r = Result(3, location="{flow}/{task}.out")
    >>> r.value, r.format(flow="etl", task="load").location
    (3, 'etl/load.out')
    >>> r == Result(3, location="{flow}/{task}.out"), r
    (True, <Result: 3, location='{flow}/{task}.out'>)
    """

    __slots__ = ("_formatter", "location", "serializer", "value")

    def __init__(
        self, value: Any = None, location: str | Callable[..., str] | None = None,
        serializer: Any = None,
    ) -> None:
        self.value = value
        self.serializer = serializer
        if location is None or isinstance(location, str):
            self.location: str | None = location
            self._formatter: Callable[..., str] | None = None
        else:
            self.location = None
            self._formatter = location

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        assert isinstance(other, Result)
        return self.location == other.location and values_equal(self.value, other.value)

    __hash__ = None  # type: ignore[assignment]  # mutable value, like Prefect 1

    def __repr__(self) -> str:
        text = f"<{type(self).__name__}: {_repr.repr(self.value)}"
        return text + (f", location={self.location!r}>" if self.location else ">")

    def copy(self) -> Result:
        """Return a shallow copy (the value itself is shared, not copied)."""
        return _copy.copy(self)

    def from_value(self, value: Any) -> Result:
        """Return a copy holding ``value``, with no concrete location yet."""
        new = self.copy()
        new.value, new.location = value, None
        return new

    @property
    def default_location(self) -> str:
        """A fresh ``YYYY/M/D/<uuid4>.prefect_result`` location (used when none is set)."""
        today = datetime.datetime.now(datetime.UTC)
        return f"{today.year}/{today.month}/{today.day}/{uuid.uuid4()}.prefect_result"

    def format(self, /, **kwargs: Any) -> Result:
        """Return a copy whose ``location`` is the template rendered with ``kwargs``."""
        new = self.copy()
        if isinstance(self.location, str):
            new.location = self.location.format(**kwargs)
        elif self._formatter is not None:
            new.location = self._formatter(**kwargs)
        else:
            new.location = self.default_location
        return new

    def _not_implemented(self, method: str) -> ResultNotImplementedError:
        return ResultNotImplementedError(
            f"{type(self).__name__}.{method}() is not implemented: {type(self).__name__} "
            "does not persist values. Give the task a concrete result class such as "
            "LocalResult or PrefectResult (prefectlite.engine.results)."
        )

    def read(self, location: str) -> Result:
        """Return a new Result holding the value stored at ``location``."""
        raise self._not_implemented("read")

    def write(self, value_: Any, /, **kwargs: Any) -> Result:
        """Store ``value_`` at ``self.location`` formatted with ``kwargs``; return that Result.

        The argument is ``value_`` (as in Prefect 1.4) so that ``kwargs`` may hold a key
        called ``value``.
        """
        raise self._not_implemented("write")

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Whether something is stored at ``location`` formatted with ``kwargs``."""
        raise self._not_implemented("exists")


class NoResultType(Result):
    """The type of :data:`NoResult`; calling it always returns that one instance.

    Examples
    --------
    >>> NoResultType() is NoResult, bool(NoResult), NoResult.value, NoResult
    (True, False, None, NoResult)
    """

    __slots__ = ()
    _instance: NoResultType | None = None

    def __new__(cls) -> Self:
        if cls._instance is None:
            instance = super().__new__(cls)
            for name in Result.__slots__:
                object.__setattr__(instance, name, None)
            cls._instance = instance
        return cls._instance  # type: ignore[return-value]

    def __init__(self) -> None:  # the attributes were set once, in __new__
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"NoResult is shared and cannot change (setting {name!r}); use Result(...) instead."
        )

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NoResult"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:  # type: ignore[override]  # the singleton is hashable
        return id(self)

    def __reduce__(self) -> str:
        return "NoResult"  # pickle and copy resolve the module-level singleton

    def copy(self) -> NoResultType:
        """Return ``NoResult`` itself: there is only one."""
        return self

    def from_value(self, value: Any) -> Result:
        """Return a plain ``Result`` holding ``value``."""
        return Result(value)

    def format(self, /, **kwargs: Any) -> NoResultType:
        """Return ``NoResult`` itself: it has no location to render."""
        return self


NoResult = NoResultType()
