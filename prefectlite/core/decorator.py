"""The ``@task`` decorator: a function becomes a task.

It lives next to :class:`~prefectlite.core.task.Task`; ``prefectlite.task`` and Prefect 1's
``prefectlite.utilities.tasks.task`` are this function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from prefectlite.tasks.core.function import FunctionTask

__all__ = ["task"]


@overload
def task(fn: Callable[..., Any], **task_init_kwargs: Any) -> FunctionTask: ...
@overload
def task(fn: None = None, **task_init_kwargs: Any) -> Callable[..., FunctionTask]: ...


def task(
    fn: Callable[..., Any] | None = None, **task_init_kwargs: Any
) -> FunctionTask | Callable[[Callable[..., Any]], FunctionTask]:
    """Turn a function into a task; usable as ``@task`` or ``@task(name=..., max_retries=...)``.

    The task serves both styles: called inside ``with Flow()`` it records a graph node,
    called inside a running eager ``@flow`` it runs at once. Options may use Prefect 1's
    names (``max_retries``, ``retry_delay``, ``timeout``, ``log_stdout``) or Prefect 3's
    (``retries``, ``retry_delay_seconds``, ``timeout_seconds``, ``log_prints``, plus
    ``description`` and ``version``); see :func:`prefectlite.tasks.core.function.eager_options`.

    Examples
    --------
    >>> @task
    ... def add(x, y=1):
    ...     return x + y
    >>> add
    <Task: add>
    >>> @task(name="plus", tags=["math"])
    ... def add2(x, y):
    ...     return x + y
    >>> add2.name, sorted(add2.tags)
    ('plus', ['math'])
    >>> @task(retries=2, timeout_seconds=10)
    ... def fetch(url):
    ...     return url
    >>> fetch.max_retries, fetch.timeout
    (2, 10)
    """
    from prefectlite.tasks.core.function import FunctionTask

    if fn is None:
        return lambda fn: FunctionTask(fn, **task_init_kwargs)
    return FunctionTask(fn, **task_init_kwargs)
