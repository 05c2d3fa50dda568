"""``case``: tasks built inside ``with case(task, value):`` run only when ``task``'s result
equals ``value``; otherwise they are skipped.

While the block is open every task bound in the active flow is recorded. On exit one
``CompareValue(value)`` task is bound to ``task``, and becomes upstream of each recorded
task that has no upstream among the recorded ones (the entry points of the block); the rest
follow through skip propagation. Blocks nest: an inner block's ``CompareValue`` is recorded by
the outer block.
"""

from __future__ import annotations

from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.tasks.control_flow.conditional import CompareValue
from prefectlite.utilities.context import context


class case:  # noqa: N801 - Prefect 1 name
    """Run the tasks built inside the block only when ``task``'s result equals ``value``.

    Examples
    --------
    >>> from prefectlite import Flow, Parameter, task
    >>> @task
    ... def report(x):
    ...     return x
    >>> with Flow("case") as flow:
    ...     mode = Parameter("mode")
    ...     with case(mode, "full"):
    ...         full = report("full report")
    >>> sorted(t.name for t in flow.upstream_tasks(full))
    ['case(full)']
    """

    def __init__(self, task: Task, value: Any) -> None:
        if isinstance(value, Task):
            raise TypeError(
                "`value` cannot be a task: case(task, value) compares the result of `task` "
                "with a constant; to compare two task results, branch on `a.is_equal(b)`."
            )
        if not isinstance(task, Task):
            raise TypeError(f"case() needs a task as its condition, got {task!r}.")
        self.task, self.value = task, value
        self._tasks: dict[Task, None] = {}  # ordered set
        self._flow: Flow | None = None

    def add_task(self, task: Task, flow: Flow) -> None:
        """Record a task added to ``flow`` inside the block (called by ``Flow.add_task``)."""
        if self._flow is None:
            flow._check_task(self.task, "case")  # raises (and the add is undone) if foreign
            self._flow = flow
        elif self._flow is not flow:
            raise ValueError(
                "Multiple flows cannot be used with the same case statement "
                f"(case({self.value!r}) got tasks of {self._flow!r} and {flow!r})."
            )
        self._tasks[task] = None

    def __enter__(self) -> None:
        self._outer = context.get("case")
        context.update(case=self)

    def __exit__(self, *exc: object) -> None:
        if self._outer is None:
            context.pop("case", None)
        else:
            context.update(case=self._outer)
        flow = self._flow
        if flow is None or exc[0] is not None:
            return
        condition = CompareValue(self.value, name=f"case({self.value})")
        condition.bind(value=self.task, flow=flow)
        inside = set(self._tasks)
        for child in self._tasks:
            if not inside & flow.upstream_tasks(child):
                child.set_upstream(condition, flow=flow)
