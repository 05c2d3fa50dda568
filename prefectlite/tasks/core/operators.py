"""Operator tasks: what ``a + b``, ``a > b``, ``a[k]`` or ``a.is_equal(b)`` build in a flow."""

from __future__ import annotations

import operator
from typing import Any

from prefectlite.core.task import Task


class GetItem(Task):
    """``task_result[key]``."""

    def run(self, task_result: Any, key: Any) -> Any:
        return task_result[key]


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
