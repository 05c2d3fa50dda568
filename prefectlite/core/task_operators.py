"""The operators of ``Task``: each one builds an operator task in the active flow.

``a + b``, ``a > b``, ``a[k]``, ``a | b`` and ``a.is_equal(b)`` record a task of
:mod:`prefectlite.core.operators` (``a | b`` records a state-only edge), and ``a.pipe(f)`` calls
``f(a)``. :class:`TaskOperators` is a base class of :class:`~prefectlite.core.task.Task`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prefectlite.utilities.edges import EdgeAnnotation

if TYPE_CHECKING:
    from prefectlite.core.task import Task


class TaskOperators:
    """Operator methods of tasks (``==`` itself compares identity: use ``is_equal``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        name: str
        nout: int | None
        checkpoint: bool | None
        result: Any
        set_dependencies: Callable[..., Any]

    def pipe(_prefectlite_self, _prefectlite_task: Any, **kwargs: Any) -> Any:  # noqa: N805
        """``self.pipe(other, y=1)`` is ``other(self, y=1)``: chain calls left to right.

        ``self.pipe(unmapped)`` (an edge annotation class) wraps this task in it instead.
        """
        from prefectlite.core.values import as_task

        if "self" in kwargs:
            raise ValueError('You cannot use the keyword argument "self" in .pipe.')
        target = _prefectlite_task
        if isinstance(target, type) and issubclass(target, EdgeAnnotation):
            return as_task(target(_prefectlite_self))
        return target(_prefectlite_self, **kwargs)

    # -- operators: each builds an operator task in the active flow ----------------------

    def __iter__(self) -> Iterator[Task]:
        if self.nout is None:
            raise TypeError(
                "Task is not iterable. If your task returns multiple results, pass `nout` to "
                "the task decorator/constructor, or provide a `Tuple` return-type annotation "
                f"to your task ({self!r}; or index it: t[0])."
            )
        return (self[i] for i in range(self.nout))

    def __getitem__(self, key: Any) -> Task:
        """A task whose result is ``self[key]``, named e.g. ``x[0]``; it keeps this task's
        ``checkpoint`` and ``result`` settings."""
        from prefectlite.core.operators import GetItem

        name = f"{self.name}[{key.name if isinstance(key, TaskOperators) else repr(key)}]"
        return GetItem(checkpoint=self.checkpoint, name=name, result=self.result).bind(self, key)

    def __or__(self, other: Any) -> Any:
        """``a | b`` makes ``b`` depend on ``a`` (state only, no data); returns ``b``."""
        self.set_dependencies(downstream_tasks=[other])
        return other

    def __ror__(self, other: Any) -> Any:
        """``x | self`` makes this task depend on ``x`` (state only); returns this task."""
        self.set_dependencies(upstream_tasks=[other])
        return self

    def is_equal(self, other: Any) -> Task:
        """A task whose result is ``self == other`` (``==`` itself compares identity)."""
        return _operator("Equal", self, other)

    def is_not_equal(self, other: Any) -> Task:
        """A task whose result is ``self != other``."""
        return _operator("NotEqual", self, other)

    def not_(self) -> Task:
        """A task whose result is ``not self``."""
        return _operator("Not", self)

    def or_(self, other: Any) -> Task:
        """A task whose result is ``self or other``."""
        return _operator("Or", self, other)

    def and_(self, other: Any) -> Task:
        """A task whose result is ``self and other``."""
        return _operator("And", self, other)



def _operator(name: str, *args: Any) -> Task:
    from prefectlite.core import operators

    op: Task = getattr(operators, name)()
    return op.bind(*args)


def _binary(name: str, reflected: bool = False) -> Callable[[Any, Any], Task]:
    if reflected:
        def method(self: Any, other: Any) -> Task:
            return _operator(name, other, self)
    else:
        def method(self: Any, other: Any) -> Task:
            return _operator(name, self, other)
    return method


for _dunder, _op in [
    ("add", "Add"), ("sub", "Sub"), ("mul", "Mul"), ("truediv", "Div"),
    ("floordiv", "FloorDiv"), ("mod", "Mod"), ("pow", "Pow"), ("and", "And"),
]:
    setattr(TaskOperators, f"__{_dunder}__", _binary(_op))
    setattr(TaskOperators, f"__r{_dunder}__", _binary(_op, reflected=True))
for _dunder, _op in [("gt", "GreaterThan"), ("ge", "GreaterThanOrEqual"),
                     ("lt", "LessThan"), ("le", "LessThanOrEqual")]:
    setattr(TaskOperators, f"__{_dunder}__", _binary(_op))
del _dunder, _op
