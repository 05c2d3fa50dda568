"""Debugging tools (Prefect 1's ``prefect.utilities.debug``).

``raise_on_exception()``
    Inside this block a flow or task run does not turn an error into a ``Failed`` state: the
    task's own exception (or a state handler's) propagates out of ``flow.run()`` /
    ``FlowRunner.run()`` / ``TaskRunner.run()`` unchanged, so a debugger or ``pytest.raises``
    sees it where it happened. Prefect signals (``SKIP``, ``RETRY``, ``FAIL``, ...) are
    still turned into their states. Only the in-process executors (``LocalExecutor``, a
    ``LocalDaskExecutor`` on threads) can hand the exception back as it was.
``is_serializable(obj)``
    Whether ``obj`` can be pickled with cloudpickle here *and* unpickled in a fresh Python
    process, i.e. whether a process or cluster executor can ship it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["is_serializable", "raise_on_exception"]

_LOADER = "import cloudpickle, sys\nwith open(sys.argv[1], 'rb') as f:\n    cloudpickle.load(f)\n"


def is_serializable(obj: Any, raise_on_error: bool = False) -> bool:
    """Whether ``obj`` pickles here and unpickles in a new interpreter.

    With ``raise_on_error=True`` the failure is raised instead of returning ``False``: the
    pickling error itself, or a ``subprocess.CalledProcessError`` whose ``output`` holds the
    new process's traceback (e.g. a module the object's class lives in cannot be imported).

    Examples
    --------
    >>> is_serializable({"numbers": [1, 2, 3]})
    True
    >>> import threading
    >>> is_serializable(threading.Lock())
    False
    """
    import cloudpickle

    fd, path = tempfile.mkstemp(suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as f:
            cloudpickle.dump(obj, f)
        subprocess.run([sys.executable, "-c", _LOADER, path], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except Exception:
        if raise_on_error:
            raise
        return False
    finally:
        os.unlink(path)
    return True


@contextlib.contextmanager
def raise_on_exception() -> Iterator[None]:
    """Let exceptions raised in task runs and state handlers propagate (see the module).

    Examples
    --------
    >>> from prefectlite import Flow, task
    >>> @task
    ... def div(x):
    ...     return 1 / x
    >>> with Flow("debug") as flow:
    ...     res = div(0)
    >>> with raise_on_exception():
    ...     flow.run()
    Traceback (most recent call last):
    ...
    ZeroDivisionError: division by zero
    """
    from prefectlite.utilities.context import context

    with context(raise_on_exception=True):
        yield
