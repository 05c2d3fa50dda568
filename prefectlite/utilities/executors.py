"""Run a function with a timeout, and tail recursion without Python's recursion limit.

``run_with_thread_timeout`` is the timeout the task runner uses for ``Task(timeout=...)``: the
function runs in a worker thread that sees the caller's context, and when the time is up the
caller gets ``TaskTimeoutSignal``. Python cannot stop a thread, so the function keeps running
in the background until it returns (its result is dropped). ``run_with_multiprocess_timeout``
runs the function in a new process instead, which is terminated at the timeout: use it when
the work must really stop (the function, its arguments and its result travel with
cloudpickle).
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import threading
from collections.abc import Callable, Mapping, Sequence
from queue import Empty
from typing import Any

import cloudpickle

from prefectlite.engine.signals import PrefectSignal
from prefectlite.exceptions import TaskTimeoutSignal
from prefectlite.utilities import context as _context


def _name_of(fn: Callable[..., Any], name: str | None) -> str:
    return name or f"Function {getattr(fn, '__name__', type(fn).__name__)!r}"


def call_in_thread_with_timeout(call: Callable[[], Any], timeout: float,
                                ctx: dict[str, Any] | None = None) -> Any:
    """``call()`` in a daemon thread that has the context ``ctx`` (default: the caller's);
    its result, or its exception re-raised; ``TaskTimeoutSignal`` if it takes longer than
    ``timeout`` seconds (the thread is then left to finish on its own)."""
    values = _context.snapshot() if ctx is None else ctx
    box: dict[str, Any] = {}

    def target() -> None:
        _context.install(values)
        try:
            box["value"] = call()
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="prefectlite-timeout")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TaskTimeoutSignal(f"Execution timed out after {timeout} seconds.")
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_with_thread_timeout(fn: Callable[..., Any], args: Sequence[Any] = (),
                            kwargs: Mapping[str, Any] | None = None,
                            timeout: float | None = None, logger: logging.Logger | None = None,
                            name: str | None = None) -> Any:
    """``fn(*args, **kwargs)``, raising ``TaskTimeoutSignal`` after ``timeout`` seconds.

    Without a timeout the function simply runs here. Otherwise it runs in a worker thread
    with the caller's context (see the module docstring: it is not stopped, only abandoned).
    Works from any thread.

    Examples
    --------
    >>> run_with_thread_timeout(divmod, args=(7, 2), timeout=10)
    (3, 1)
    """
    kwargs = kwargs or {}
    if timeout is None:
        return fn(*args, **kwargs)
    log = logger or logging.getLogger("prefectlite")
    log.debug("%s: Running in a thread with a %ss timeout...", _name_of(fn, name), timeout)
    return call_in_thread_with_timeout(lambda: fn(*args, **kwargs), timeout)


def multiprocessing_safe_run_and_retrieve(queue: Any, payload: bytes) -> None:
    """The child-process side of :func:`run_with_multiprocess_timeout`.

    ``payload`` is a cloudpickled dict with ``fn`` and optionally ``args``, ``kwargs``,
    ``context``, ``name`` and ``logger``. The function's result, or the exception it raised,
    is put on ``queue`` cloudpickled; a result that cannot be pickled is replaced by a
    ``RuntimeError`` saying so.
    """
    request = cloudpickle.loads(payload)
    fn = request["fn"]
    name = _name_of(fn, request.get("name"))
    log = request.get("logger") or logging.getLogger("prefectlite")
    try:
        with _context.context(request.get("context") or {}):
            result = fn(*request.get("args", ()), **request.get("kwargs", {}))
    except (Exception, PrefectSignal) as exc:
        log.error("%s: Encountered a %s, returning it to the caller...", name,
                  type(exc).__name__)
        result = exc
    try:
        pickled = cloudpickle.dumps(result)
    except Exception as exc:
        message = (f"Failed to pickle result of type {type(result).__name__!r} with exception: "
                   f'"{type(exc).__name__}: {exc}". A function run with '
                   "run_with_multiprocess_timeout must return a value cloudpickle can pickle.")
        log.error("%s: %s", name, message)
        pickled = cloudpickle.dumps(RuntimeError(message))
    try:
        queue.put(pickled)
    except Exception:
        log.error("%s: Failed to put result in queue to main process!", name, exc_info=True)
        raise


def run_with_multiprocess_timeout(fn: Callable[..., Any], args: Sequence[Any] = (),
                                  kwargs: Mapping[str, Any] | None = None,
                                  timeout: float | None = None,
                                  logger: logging.Logger | None = None,
                                  name: str | None = None) -> Any:
    """``fn(*args, **kwargs)`` in a new (spawned) process that is terminated after
    ``timeout`` seconds, raising ``TaskTimeoutSignal``.

    Without a timeout the function simply runs here. The process gets the caller's context;
    an exception raised in it is raised again here.
    """
    kwargs = kwargs or {}
    if timeout is None:
        return fn(*args, **kwargs)
    name = _name_of(fn, name)
    log = logger or logging.getLogger("prefectlite")
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    values = {k: v for k, v in _context.snapshot().items() if k != "logger"}
    payload = cloudpickle.dumps({"fn": fn, "args": args, "kwargs": kwargs, "context": values,
                                 "name": name, "logger": logger})
    process = spawn.Process(target=multiprocessing_safe_run_and_retrieve,
                            args=(queue, payload), daemon=False)
    log.debug("%s: Running in a new process with a %ss timeout...", name, timeout)
    process.start()
    try:
        result = cloudpickle.loads(queue.get(block=True, timeout=timeout))
    except Empty:
        raise TaskTimeoutSignal(f"Execution timed out for {name}.") from None
    finally:
        process.join(0.1)
        process.terminate()
        process.join()
        queue.close()
    if isinstance(result, (Exception, PrefectSignal)):
        raise result
    return result


class RecursiveCall(Exception):
    """Raised by a function wrapped in :func:`tail_recursive` (or one it calls) to be called
    again with new arguments, instead of calling itself and growing the stack.

    Parameters
    ----------
    func
        The ``@tail_recursive`` function to call next.
    *args, **kwargs
        Its arguments.
    """

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(func, args, kwargs)
        self.func, self.args, self.kwargs = func, args, kwargs


def tail_recursive(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``func`` recurse by raising :class:`RecursiveCall` without a stack limit.

    A ``RecursiveCall`` naming ``func`` restarts it with the new arguments; one naming
    another ``@tail_recursive`` function is passed up to that function's loop; one naming a
    function that is not wrapped is a ``RecursionError``.

    Examples
    --------
    >>> @tail_recursive
    ... def count(n, total=0):
    ...     if n == 0:
    ...         return total
    ...     raise RecursiveCall(count, n - 1, total + n)
    >>> count(5000)
    12502500
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        while True:
            try:
                return func(*args, **kwargs)
            except RecursiveCall as call:
                target = getattr(call.func, "__wrapped_func__", None)
                if target is None:
                    raise RecursionError(
                        f"RecursiveCall({call.func!r}, ...) names a function that is not "
                        "decorated with @tail_recursive.") from call
                if target is not func:
                    raise  # for an enclosing @tail_recursive function
                args, kwargs = call.args, call.kwargs

    wrapper.__wrapped_func__ = func  # type: ignore[attr-defined]
    return wrapper
