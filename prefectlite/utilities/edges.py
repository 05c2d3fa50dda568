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


class EdgeAnnotation:
    """Base of the edge markers: the wrapped ``task`` (or value) and the flags it sets."""

    __slots__ = ("task",)
    annotations: dict[str, bool] = {}

    def __init__(self, task: Any) -> None:
        self.task = task

    @property
    def value(self) -> Any:
        """The wrapped task or value (Prefect 1's name for ``task``)."""
        return self.task

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.task!r})"


class mapped(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Map over this argument even in a plain (not ``.map``) call."""

    __slots__ = ()
    annotations = {"mapped": True}


class unmapped(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Pass this argument whole to every mapped child instead of mapping over it."""

    __slots__ = ()
    annotations = {"mapped": False}


class flatten(EdgeAnnotation):  # noqa: N801 - Prefect 1 name
    """Concatenate this argument (a list of iterables) into one list before using it."""

    __slots__ = ()
    annotations = {"flattened": True}


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
    flags: dict[str, bool] = {}
    while isinstance(value, EdgeAnnotation):
        flags.update(value.annotations)  # inner markers come later and win
        value = value.task
    return value, flags.get("mapped", mapped), flags.get("flattened", False)
