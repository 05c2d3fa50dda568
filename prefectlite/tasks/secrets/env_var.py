"""``EnvVarSecret``: a secret read from an environment variable of the given name."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from prefectlite.tasks.secrets.base import PrefectSecret

__all__ = ["EnvVarSecret"]


class EnvVarSecret(PrefectSecret):
    """A task returning the value of the environment variable ``name``.

    Parameters
    ----------
    name
        The environment variable (and the task's name); may instead be given at call time.
    cast
        A function applied to the value (e.g. ``int``); not applied when the variable is unset.
    raise_if_missing
        Fail when the variable is not set, instead of returning ``None``.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument except ``result``.

    Examples
    --------
    >>> import os
    >>> os.environ["WORKERS"] = "4"
    >>> EnvVarSecret("WORKERS", cast=int).run()
    4
    """

    def __init__(
        self,
        name: str | None = None,
        cast: Callable[[Any], Any] | None = None,
        raise_if_missing: bool = False,
        **kwargs: Any,
    ) -> None:
        self.cast = cast
        self.raise_if_missing = raise_if_missing
        super().__init__(name=name, **kwargs)

    def run(self, name: str | None = None) -> Any:
        """Return the (cast) value of the variable ``name``, or ``None`` when unset."""
        name = self._name_to_read(name)
        if self.raise_if_missing and name not in os.environ:
            raise ValueError(f"Environment variable not set: {name}")
        value = os.getenv(name)
        if value is not None and self.cast is not None:
            value = self.cast(value)
        return value
