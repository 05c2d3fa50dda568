"""Operator tasks: what ``a + b``, ``a > b``, ``a[k]`` or ``a.is_equal(b)`` build in a flow.

They belong to the graph model, since ``Task``'s operators build them; Prefect 1's path
``prefectlite.tasks.core.operators`` names the same classes.
"""

from __future__ import annotations

import enum
import operator
from typing import Any

from prefectlite.core.task import Task


class NoDefault(enum.Enum):
    """The marker of "no default given" for :class:`GetItem` and :class:`GetAttr`."""

    value = "no_default"

    def __repr__(self) -> str:
        return "<no default>"


class GetItem(Task):
    """``task_result[key]``; with a ``default``, a missing key gives the default instead.

    Examples
    --------
    >>> GetItem(default=0).run({"a": 1}, "b")
    0
    """

    def __init__(self, default: Any = NoDefault.value, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def run(self, task_result: Any, key: Any, default: Any = NoDefault.value) -> Any:
        if default is NoDefault.value:  # not passed: the task's own default
            default = self.default
        try:
            return task_result[key]
        except KeyError:
            if default is NoDefault.value:
                raise
            return default


class GetAttr(Task):
    """``task_result.attr``, where ``attr`` may be dotted (``"a.b.c"``); with a ``default``, a
    missing attribute gives the default instead.

    Examples
    --------
    >>> import types
    >>> GetAttr().run(types.SimpleNamespace(a=types.SimpleNamespace(b=2)), "a.b")
    2
    """

    def __init__(self, default: Any = NoDefault.value, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def run(self, task_result: Any, attr: str, default: Any = NoDefault.value) -> Any:
        if default is NoDefault.value:  # not passed: the task's own default
            default = self.default
        try:
            return operator.attrgetter(attr)(task_result)
        except AttributeError:
            if default is NoDefault.value:
                raise
            return default


class Not(Task):
    """``not x``."""

    def run(self, x: Any) -> bool:
        return not x


class And(Task):
    """``x and y``."""

    def run(self, x: Any, y: Any) -> Any:
        return x and y


class Or(Task):
    """``x or y``."""

    def run(self, x: Any, y: Any) -> Any:
        return x or y


def _binary_task(name: str, op: Any, symbol: str) -> type[Task]:
    def run(self: Task, x: Any, y: Any) -> Any:
        return op(x, y)

    run.__doc__ = f"Return ``x {symbol} y``."
    return type(name, (Task,), {"run": run, "__doc__": f"``x {symbol} y``.",
                                "__module__": __name__})


Add = _binary_task("Add", operator.add, "+")
Sub = _binary_task("Sub", operator.sub, "-")
Mul = _binary_task("Mul", operator.mul, "*")
Div = _binary_task("Div", operator.truediv, "/")
FloorDiv = _binary_task("FloorDiv", operator.floordiv, "//")
Mod = _binary_task("Mod", operator.mod, "%")
Pow = _binary_task("Pow", operator.pow, "**")
Equal = _binary_task("Equal", operator.eq, "==")
NotEqual = _binary_task("NotEqual", operator.ne, "!=")
GreaterThan = _binary_task("GreaterThan", operator.gt, ">")
GreaterThanOrEqual = _binary_task("GreaterThanOrEqual", operator.ge, ">=")
LessThan = _binary_task("LessThan", operator.lt, "<")
LessThanOrEqual = _binary_task("LessThanOrEqual", operator.le, "<=")
