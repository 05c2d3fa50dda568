"""Markers that change how a task argument is connected: ``unmapped``, ``mapped``, ``flatten``.

Wrap an argument of a task call or ``.map`` call::

    add.map(x=numbers, y=unmapped(10))     # y is passed whole to every mapped child
    inc.map(flatten(list_of_lists))        # map over the concatenation of the lists
    total(x=mapped(numbers))               # map only this argument of a plain call

Markers nest and combine; where two set the same flag, the inner one wins, as in Prefect 1
(``unmapped(mapped(x))`` is mapped).
"""

from __future__ import annotations

from typing import Any


class _Annotations:
    """``marker.annotations``: the merged flags of a marker; on the class, its own flags."""

    def __get__(self, instance: Any, owner: type | None = None) -> dict[str, bool]:
        if instance is None:
            return dict(owner.flags) if owner is not None else {}  # type: ignore[attr-defined]
        return instance._flags  # type: ignore[no-any-return]


class EdgeAnnotation:
    """Base of the edge markers: the wrapped ``task`` (or value) and the flags it sets.

    A marker wrapping another takes over its flags (the inner one's win where both set one)
    and its value, so ``mapped(flatten(t)).annotations`` is
    ``{"mapped": True, "flattened": True}`` and its ``task`` is ``t``.
    """

    __slots__ = ("task", "_flags", "_given")
    task: Any
    _flags: dict[str, bool]
    _given: Any
    flags: dict[str, bool] = {}  # what this kind of marker sets
    annotations = _Annotations()

    def __init__(self, task: Any) -> None:
        flags = dict(self.flags)
        self._given = task  # (for repr)
        if isinstance(task, EdgeAnnotation):
            flags.update(task._flags)
            task = task.task
        self.task = task
        self._flags = flags

    @property
    def value(self) -> Any:
        """The wrapped task or value (Prefect 1's name for ``task``)."""
        return self.task

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._given!r})"


class mapped(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Map over this argument even in a plain (not ``.map``) call."""

    __slots__ = ()
    flags = {"mapped": True}


class unmapped(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Pass this argument whole to every mapped child instead of mapping over it."""

    __slots__ = ()
    flags = {"mapped": False}


class flatten(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Concatenate this argument (a list of iterables) into one list before using it."""

    __slots__ = ()
    flags = {"flattened": True}


def unwrap(value: Any, mapped: bool = False) -> tuple[Any, bool, bool]:
    """Strip edge markers from ``value``; return ``(value, mapped, flattened)``.

    ``mapped`` is the default for the call (``True`` inside ``.map``).

    Examples
    --------
    >>> unwrap(unmapped(flatten(3)), mapped=True)
    (3, False, True)
    >>> unwrap(5, mapped=True)
    (5, True, False)
    """
    if not isinstance(value, EdgeAnnotation):  # the common case: no dict per call
        return value, mapped, False
    flags = value._flags  # (nested markers were merged when made)
    return value.task, flags.get("mapped", mapped), flags.get("flattened", False)
