"""Describing and shipping exceptions that misbehave.

A task may raise anything: an exception whose ``repr()`` or ``str()`` itself raises, or one
that cannot be pickled (it holds a lock, or its class needs arguments it does not keep in
``args``). The engine must still report it as that task's failure, and a process-based
executor must still send it back to the driver. These helpers never raise.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PortableError", "portable_exception", "safe_repr", "safe_str"]


def safe_repr(obj: Any) -> str:
    """``repr(obj)``, or a description of ``obj`` when its ``repr`` raises.

    Examples
    --------
    >>> class Odd(Exception):
    ...     def __repr__(self):
    ...         raise RuntimeError("no")
    >>> safe_repr(ValueError("x")), safe_repr(Odd())
    ("ValueError('x')", "<Odd object (its repr() raised RuntimeError('no'))>")
    """
    try:
        return repr(obj)
    except BaseException as exc:  # noqa: BLE001 - describing, not handling
        return f"<{type(obj).__name__} object (its repr() raised {_plain(exc)})>"


def safe_str(obj: Any) -> str:
    """``str(obj)``, or a description of ``obj`` when its ``str`` raises.

    Examples
    --------
    >>> safe_str(KeyError("k"))
    "'k'"
    """
    try:
        return str(obj)
    except BaseException as exc:  # noqa: BLE001
        return f"<{type(obj).__name__} object (its str() raised {_plain(exc)})>"


def _plain(exc: BaseException) -> str:
    try:
        return repr(exc)
    except BaseException:  # noqa: BLE001
        return type(exc).__name__


class PortableError(Exception):
    """Stands in for an exception that could not be sent between processes.

    ``type_name`` is the original exception's qualified class name and ``message`` its
    ``str()``; ``str()`` of this error shows both.
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(type_name, message)
        self.type_name, self.message = type_name, message

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}"


def portable_exception(exc: BaseException) -> BaseException:
    """``exc`` itself when it survives a cloudpickle round trip; else a copy of the same
    class holding only its ``args`` (and the attributes that pickle) when that survives;
    else a :class:`PortableError` naming its class and message.

    Examples
    --------
    >>> import threading
    >>> class Holding(Exception):
    ...     def __init__(self, text):
    ...         super().__init__(text)
    ...         self.lock = threading.Lock()
    >>> copy = portable_exception(Holding("boom"))
    >>> type(copy).__name__, str(copy)
    ('Holding', 'boom')
    """
    if _round_trips(exc):
        return exc
    cls = type(exc)
    try:
        copy = cls.__new__(cls, *exc.args)
        copy.args = exc.args
        for key, value in vars(exc).items():
            if _round_trips(value):
                setattr(copy, key, value)
    except BaseException:  # noqa: BLE001
        copy = None
    if copy is not None and _round_trips(copy):
        return copy
    name = f"{cls.__module__}.{cls.__qualname__}"
    return PortableError(name, safe_str(exc))


def _round_trips(obj: Any) -> bool:
    import cloudpickle

    try:
        cloudpickle.loads(cloudpickle.dumps(obj))
    except BaseException:  # noqa: BLE001 - any failure means "does not travel"
        return False
    return True
