"""``Constant``: a task that returns a fixed value.

Plain values passed to a task call are normally kept on ``flow.constants`` and need no task;
a ``Constant`` task is made only where the graph needs a node, e.g. when mapping over a list
literal (``inc.map([1, 2, 3])``).
"""

from __future__ import annotations

from typing import Any

from prefectlite.core.task import Task


class Constant(Task):
    """A task whose result is ``value``.

    Examples
    --------
    >>> Constant([1, 2]).run()
    [1, 2]
    """

    _root_only = True  # never joins an open case / resource block

    def __init__(self, value: Any, name: str | None = None, **kwargs: Any) -> None:
        self.value = value
        if name is None:
            text = repr(value)
            name = text if len(text) <= 40 else f"Constant[{type(value).__name__}]"
        super().__init__(name=name, **kwargs)

    def run(self) -> Any:
        return self.value
