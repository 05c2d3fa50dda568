"""Pickling is this layer's business: shipping tasks once, and saying what does not pickle.

``prepare_task`` pickles each task once (cloudpickle), so an unpicklable task is known before
anything is submitted. A task, argument or result that cannot be pickled becomes a future
whose value is a ``Failed`` state naming the task and the offending object (found by
descending into attributes, dicts and sequences); ``submit`` does not raise and nothing
hangs. On the workers every submission runs through :func:`run_shipped`, which unpickles the
task (once per process: :func:`_load`), calls the function, and checks that the result
pickles (into a discarding writer with out-of-band buffers, so big arrays are not copied).
"""

from __future__ import annotations

import functools
import inspect
import logging
import pickle
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import cloudpickle

from prefectlite.engine.state import Failed
from prefectlite.utilities.errors import safe_str
from prefectlite.utilities.pickling import culprit as _culprit
from prefectlite.utilities.pickling import pickle_error

__all__ = ["ShippedTask", "lost", "run_shipped", "task_name"]

_LOGGER = "prefectlite"


class ShippedTask:
    """A task pickled once by ``prepare_task`` (workers unpickle it once per process).

    ``data`` is compressed: besides being smaller, it then does not contain the bytes
    ``__main__`` when the task's function is defined in a script, which would make
    ``distributed`` pickle the whole submission a second time, with cloudpickle.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"<ShippedTask: {len(self.data)} bytes>"


class _Unshippable:
    """What ``prepare_task`` returns for a task that does not pickle: why, for the message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@functools.lru_cache(maxsize=256)
def _load(data: bytes) -> Any:
    """Unpickle a shipped task once per process (bytes hash and compare cheaply)."""
    return cloudpickle.loads(zlib.decompress(data))


def _ship(task: Any) -> ShippedTask | _Unshippable:
    try:
        return ShippedTask(zlib.compress(cloudpickle.dumps(task), 1))
    except Exception:
        return _Unshippable(_culprit(task, "task"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {safe_str(exc)}"


def task_name(extra_context: Mapping[str, Any] | None, fn: Callable[..., Any]) -> str:
    """The name a submission is known by in messages: the task's full name, else ``fn``'s."""
    ctx = extra_context or {}
    return str(ctx.get("task_full_name") or ctx.get("task_name")
               or getattr(fn, "__name__", repr(fn)))


def lost(name: str, where: str, exc: BaseException) -> Failed:
    """The ``Failed`` state of a submission its executor lost (``where`` says how)."""
    return Failed(message=f"Task {name!r}: {where} ({_describe(exc)}).", result=exc)


def _arguments_culprit(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str:
    """Say which argument of ``fn`` (and which part of it) cannot be pickled."""
    try:
        named = dict(inspect.signature(fn).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        named = {**{f"args[{i}]": a for i, a in enumerate(args)}, **kwargs}
    for name, value in named.items():
        if pickle_error(value) is not None:
            return _culprit(value, f"argument {name}")
    return _culprit(fn, f"function {getattr(fn, '__qualname__', fn)!r}", depth=0)


def _unshippable(args: tuple, name: str, where: str) -> Failed | None:
    """The ``Failed`` state for a submission whose task did not pickle in ``prepare_task``."""
    bad = next((a for a in args if isinstance(a, _Unshippable)), None)
    return None if bad is None else _pickle_failure(name, where, bad.reason)


def _pickle_call(name: str, fn: Callable[..., Any], args: tuple,
                 kwargs: dict[str, Any]) -> bytes | Failed:
    """``fn``, ``args`` and ``kwargs`` pickled for a pool process, or why they cannot be."""
    where = "a worker process"
    failed = _unshippable(args, name, where)
    if failed is not None:
        return failed
    try:
        payload: bytes = cloudpickle.dumps((fn, args, kwargs))
    except Exception:
        return _pickle_failure(name, where, _arguments_culprit(fn, args, kwargs))
    return payload


def _pickle_failure(name: str, where: str, what: str) -> Failed:
    return Failed(message=f"Task {name!r} could not be sent to {where}: {what}. Everything a "
                  "task holds or receives must pickle with cloudpickle; create locks, "
                  "connections and clients inside the task's run() instead.")


class _Discard:
    """A file that forgets what is written (the result check needs no bytes)."""

    def write(self, data: Any) -> int:
        return len(memoryview(data))


def _out_of_band(buffer: Any) -> None:
    """Pickle buffer callback: returning a false value keeps the buffer out of the stream."""


def _pickles(value: Any) -> bool:
    """Whether ``value`` pickles: with the standard (C) pickler when it can, which is about
    twice as fast, else with cloudpickle (functions and classes defined in ``__main__``)."""
    try:
        pickle.Pickler(_Discard(), protocol=5, buffer_callback=_out_of_band).dump(value)
        return True
    except Exception:
        pass
    try:
        cloudpickle.CloudPickler(_Discard(), protocol=5, buffer_callback=_out_of_band).dump(value)
        return True
    except Exception:
        return False


def _result_failure(name: str, value: Any) -> Failed | None:
    """``None`` if ``value`` pickles, else a ``Failed`` state that says what does not."""
    if not _pickles(value):
        inner = getattr(value, "result", value)
        bad_result = pickle_error(inner) is not None
        what = _culprit(inner, "the result") if bad_result else _culprit(value, "its state")
        return Failed(message=f"Task {name!r} ran, but its result could not be sent back from "
                      f"the worker: {what}.")
    return None


def run_shipped(name: str, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
                log_level: int | None = None) -> Any:
    """Run one submission on a worker: unpickle shipped tasks, call ``fn``, check the result.

    ``log_level`` (``None`` in the driver's own process) is the driver's level for the
    ``prefectlite`` logger, applied here so that forwarded records are made at all.
    """
    if log_level is not None:
        logging.getLogger(_LOGGER).setLevel(log_level)
    try:
        args = tuple(_load(a.data) if isinstance(a, ShippedTask) else a for a in args)
    except Exception as exc:
        return Failed(message=f"Task {name!r} could not be unpickled on the worker "
                      f"({_describe(exc)}); is the module that defines it importable there?")
    value = fn(*args, **kwargs)
    return _result_failure(name, value) or value


class _Pickled(bytes):
    """A result pickled by a pool process (so anything cloudpickle handles comes back)."""


def _run_payload(name: str, payload: bytes) -> _Pickled:
    """Process-pool side: unpickle the call, run it through :func:`run_shipped`, pickle."""
    fn, args, kwargs = cloudpickle.loads(payload)
    value = run_shipped(name, fn, args, kwargs)
    return _Pickled(cloudpickle.dumps(value))
