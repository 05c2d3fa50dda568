"""``FunctionTask``: a task whose ``run()`` is a plain function (what ``@task`` builds)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from prefectlite.core.task import _SIGNATURE_ATTR, Task, _check_run_signature


class FunctionTask(Task):
    """Wrap ``fn`` as a task; the task keeps the function's name, docstring and signature.

    Examples
    --------
    >>> def add(x, y=1):
    ...     return x + y
    >>> t = FunctionTask(add)
    >>> t.name, t.run(1, 2), list(t.inputs())
    ('add', 3, ['x', 'y'])
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionTask needs a callable, got {fn!r}.")
        name = name or getattr(fn, "__name__", type(self).__name__)
        sig = _check_run_signature(fn, f"Task {name!r}")
        self.run = fn
        self.__dict__[_SIGNATURE_ATTR] = sig
        functools.update_wrapper(self, fn)
        super().__init__(name=name, **kwargs)

    @property
    def fn(self) -> Callable[..., Any]:
        """The wrapped function (call it to run the code without any flow)."""
        return self.run
