"""Helpers for building tasks and flows: the ``tags()`` block, ``apply_map``,
``defaults_from_attrs`` and ``pause_task``.

``task`` (the decorator, :mod:`prefectlite.core.decorator`) and ``as_task``
(:mod:`prefectlite.core.as_task`) live in the graph model next to ``Task``; they are
importable from here too, Prefect 1's path.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prefectlite.core.as_task import as_task
from prefectlite.core.decorator import task
from prefectlite.utilities.context import context
from prefectlite.utilities.edges import unmapped

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

__all__ = ["task", "tags", "as_task", "apply_map", "unmapped", "defaults_from_attrs",
           "pause_task"]


@contextlib.contextmanager
def tags(*tags: str) -> Iterator[None]:
    """Tasks created (or called) inside the block get these tags as well.

    Examples
    --------
    >>> with tags("db", "nightly"):
    ...     t = Task()
    >>> sorted(t.tags)
    ['db', 'nightly']
    """
    with context(tags=set(context.get("tags", ())) | set(tags)):
        yield


def defaults_from_attrs(*attr_args: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate ``run``: an argument that is not passed takes the value of ``self.<name>``.

    An argument that is passed always wins, even ``None`` (as in Prefect 1).

    Examples
    --------
    >>> class Greet(Task):
    ...     def __init__(self, greeting="hi", **kw):
    ...         self.greeting = greeting
    ...         super().__init__(**kw)
    ...     @defaults_from_attrs("greeting")
    ...     def run(self, greeting=None):
    ...         return greeting
    >>> Greet().run(), Greet().run("yo"), Greet().run(greeting=None)
    ('hi', 'yo', None)
    """

    def wrapper(run: Callable[..., Any]) -> Callable[..., Any]:
        # Positional arguments are matched to run()'s own parameters (after self), by position.
        positional = [
            p.name for p in list(inspect.signature(run).parameters.values())[1:]
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

        @functools.wraps(run)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            given = set(positional[:len(args)])
            for name in attr_args:
                if name not in given and name not in kwargs:
                    kwargs[name] = getattr(self, name)
            return run(self, *args, **kwargs)

        return method

    return wrapper


def pause_task(message: str | None = None, duration: datetime.timedelta | None = None) -> None:
    """Pause the running task: raise ``PAUSE`` unless the run was resumed.

    Call it inside a task's ``run()``. The task ends ``Paused`` (with ``start_time`` now +
    ``duration`` when given); once someone sets it to ``Resume`` and the run goes on, the same
    call returns and the task continues (the context's ``resume`` is then true).

    Examples
    --------
    >>> from prefectlite.engine import signals
    >>> try:
    ...     pause_task("waiting for approval")
    ... except signals.PAUSE as pause:
    ...     print(pause.state)
    <Paused: "waiting for approval">
    """
    from prefectlite.engine import signals

    if context.get("resume", False) is False:
        start_time = None
        if duration is not None:
            start_time = datetime.datetime.now(datetime.UTC) + duration
        raise signals.PAUSE(message=message or "Pause signal raised during task execution.",
                            start_time=start_time)


def apply_map(func: Callable[..., Any], *args: Any, flow: Flow | None = None, **kwargs: Any) -> Any:
    """Map a whole function of task calls over the mapped arguments.

    ``func`` is called once, while the flow is built, with the arguments as tasks; every task
    it creates becomes a mapped task, connected child-to-child with the others, so the
    function's whole sub-graph runs once per element. Wrap arguments in ``unmapped`` to pass
    them whole. Tasks inside ``func`` must depend, directly or not, on a mapped argument.

    Examples
    --------
    >>> from prefectlite import Flow
    >>> @task
    ... def inc(x):
    ...     return x + 1
    >>> with Flow("apply") as f:
    ...     out = apply_map(lambda x: inc(inc(x)), [1, 2, 3])
    >>> sorted(e.mapped for e in f.edges)
    [True, True]
    """
    from prefectlite.core.apply_map import build_apply_map

    return build_apply_map(func, args, kwargs, flow)
