"""``as_task``: any value a task is called with, as a task of the graph.

Binding a task's arguments (:meth:`prefectlite.core.task.Task.bind`) and adding edges make
every argument a task: tasks stay as they are, collections holding tasks become collection
tasks, and other values ``Constant`` tasks. Prefect 1's path
``prefectlite.utilities.tasks.as_task`` is this function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefectlite.core.task import Task
from prefectlite.utilities.edges import EdgeAnnotation, unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

__all__ = ["as_task", "contains_task"]


def contains_task(value: Any) -> bool:
    """Whether ``value`` is a task (or an edge annotation), or a collection holding one."""
    if isinstance(value, Task | EdgeAnnotation):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_task(v) for v in value)
    if isinstance(value, dict):
        return any(contains_task(k) or contains_task(v) for k, v in value.items())
    return False


def as_task(x: Any, flow: Flow | None = None) -> Task:
    """Return ``x`` as a task: tasks as they are, collections holding tasks as collection
    tasks bound in ``flow``, and any other value (collections of plain values included) as a
    ``Constant``. Tasks made here are marked ``auto_generated``.

    Examples
    --------
    >>> as_task(3)
    <Task: 3>
    >>> as_task(3).auto_generated
    True
    """
    from prefectlite.tasks.core import collections
    from prefectlite.tasks.core.constants import Constant

    x = unwrap(x)[0]
    if isinstance(x, Task):
        return x
    made: Task
    if not contains_task(x):
        made = Constant(x)
    elif isinstance(x, dict):
        made = collections.Dict().bind(keys=list(x), values=list(x.values()), flow=flow)
    else:
        sequences: dict[type, type[collections.VarArgsTask]] = {
            list: collections.List, tuple: collections.Tuple}
        made = sequences.get(type(x), collections.Set)().bind(*x, flow=flow)
    made.auto_generated = True
    return made
