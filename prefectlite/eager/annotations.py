"""Argument wrappers of the eager API: ``allow_failure`` and ``quote``.

``unmapped`` is Prefect 1's :class:`prefectlite.utilities.edges.unmapped`, which the eager
``task.map`` understands as well.
"""

from __future__ import annotations

from typing import Any

__all__ = ["allow_failure", "opaque", "quote"]


class _Annotation:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def unwrap(self) -> Any:
        """The wrapped value."""
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class allow_failure(_Annotation):  # noqa: N801 - Prefect 3 name
    """Run the task even if this upstream future or state did not complete.

    As an argument, the task receives the upstream's result, or its exception if it failed;
    in ``wait_for=[...]`` the task waits for the upstream without requiring it to succeed.
    """

    __slots__ = ()


class quote(_Annotation):  # noqa: N801 - Prefect 3 name
    """Pass this argument as it is: futures and states inside it are not resolved."""

    __slots__ = ()


class opaque(_Annotation):  # noqa: N801 - Prefect 3 name
    """Resolve this future (or state) to its value, but leave what the value holds alone:
    futures inside a returned object are not looked for."""

    __slots__ = ()
