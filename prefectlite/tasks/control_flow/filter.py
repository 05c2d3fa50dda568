"""``FilterTask``: keep the elements of a list (typically a mapped task's results) that pass a
test. By default it drops ``None`` results and exceptions, i.e. the children that produced
nothing or failed, so the rest of a flow can go on with the good ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefectlite import triggers
from prefectlite.core.task import Task


def _is_a_result(value: Any) -> bool:
    """The default test: neither ``None`` nor an exception."""
    return value is not None and not isinstance(value, BaseException)


class FilterTask(Task):
    """Return the elements of its input list for which ``filter_func`` returns true.

    It runs once every upstream task finished (trigger ``all_finished``, and not skipped
    with a skipped upstream), so it sees the results of failed mapped children too: as their
    exceptions, which the default ``filter_func`` drops with ``None`` results. ``log_func``,
    when given, receives the filtered list and returns a message logged at INFO level.

    Examples
    --------
    >>> FilterTask().run([1, None, ValueError("bad"), 0])
    [1, 0]
    >>> FilterTask(filter_func=lambda x: x % 2 == 0).run([1, 2, 3, 4])
    [2, 4]
    """

    def __init__(self, filter_func: Callable[[Any], bool] | None = None,
                 log_func: Callable[[list[Any]], str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("skip_on_upstream_skip", False)
        kwargs.setdefault("trigger", triggers.all_finished)
        for option, value in (("filter_func", filter_func), ("log_func", log_func)):
            if value is not None and not callable(value):
                raise TypeError(f"FilterTask: {option}={value!r} is not callable.")
        self.filter_func = filter_func or _is_a_result
        self.log_func = log_func
        super().__init__(**kwargs)

    def run(self, task_results: list[Any]) -> list[Any]:
        kept = [r for r in task_results if self.filter_func(r)]
        if self.log_func is not None:
            self.logger.info(self.log_func(kept))
        return kept
