"""Finding what in an object cannot be pickled (for ``prefectlite check`` and Dask errors).

Pickling a task fails with a message about some inner object ("cannot pickle
'_thread.lock' object") without saying where it sits. :func:`find_unpicklable` walks into the
pieces that pickling would pickle too (items and keys, elements, attributes and slots, a
function's globals and closure variables) and returns the innermost failing one, with the
path that leads to it.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any


def pickle_error(obj: Any) -> Exception | None:
    """The exception ``cloudpickle.dumps(obj)`` raises, or ``None`` when it pickles.

    Examples
    --------
    >>> import threading
    >>> pickle_error([1, 2]) is None, type(pickle_error(threading.Lock())).__name__
    (True, 'TypeError')
    """
    import cloudpickle

    try:
        cloudpickle.dumps(obj)
    except Exception as exc:  # TypeError, PicklingError, AttributeError, ...
        return exc
    return None


def parts(obj: Any, path: str) -> list[tuple[str, Any]]:
    """The pieces that pickling ``obj`` pickles too, each with its path.

    Examples
    --------
    >>> parts({"a": 1}, "value")
    [("value key 'a'", 'a'), ("value['a']", 1)]
    """
    if isinstance(obj, Mapping):
        keys = [(f"{path} key {k!r}", k) for k in obj]
        return keys + [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    if isinstance(obj, list | tuple | set | frozenset):
        return [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    if isinstance(obj, types.FunctionType):
        found = [(f"{path} (global {n})", obj.__globals__[n])
                 for n in obj.__code__.co_names if n in obj.__globals__]
        cells = zip(obj.__code__.co_freevars, obj.__closure__ or ())
        return found + [(f"{path} (closure variable {n})", c.cell_contents) for n, c in cells]
    attrs = getattr(obj, "__dict__", None)
    if not isinstance(attrs, dict):
        slots = getattr(type(obj), "__slots__", ())
        attrs = {n: getattr(obj, n) for n in slots if hasattr(obj, n)}
    return [(f"{path}.{k}", v) for k, v in attrs.items()]


def find_unpicklable(
    obj: Any, path: str, depth: int = 5
) -> tuple[str, Any, Exception | None]:
    """The innermost part of ``obj`` that cannot be pickled: ``(path, part, error)``.

    ``error`` is ``None`` when ``obj`` pickles after all.

    Examples
    --------
    >>> import threading
    >>> class Holder:
    ...     def __init__(self):
    ...         self.name, self.lock = "h", threading.Lock()
    >>> where, part, error = find_unpicklable({"ok": 1, "h": Holder()}, "value")
    >>> where, type(part).__name__, type(error).__name__
    ("value['h'].lock", 'lock', 'TypeError')
    """
    if depth > 0:
        for sub, child in parts(obj, path):
            if pickle_error(child) is not None:
                return find_unpicklable(child, sub, depth - 1)
    return path, obj, pickle_error(obj)


def culprit(obj: Any, path: str, depth: int = 4) -> str:
    """Say which part of ``obj`` cannot be pickled: the innermost failing attribute or item.

    The one wording of this finding, for ``prefectlite check`` and for the ``Failed`` state
    of a task that could not be sent to (or back from) other processes.

    Examples
    --------
    >>> import threading
    >>> class Holder:
    ...     def __init__(self):
    ...         self.name, self.lock = "h", threading.Lock()
    >>> print(culprit({"ok": 1, "h": Holder()}, "context"))  # doctest: +ELLIPSIS
    context['h'].lock, of type lock, cannot be pickled (TypeError: cannot pickle ...)
    """
    where, part, exc = find_unpicklable(obj, path, depth)
    why = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return f"{where}, of type {type(part).__name__}, cannot be pickled{why}"
