"""``Secret``: a named local secret, fetched with :meth:`Secret.get` while a flow runs."""

from __future__ import annotations

import os
from typing import Any

from prefectlite.tasks.secrets.base import ENV_PREFIX, get_secret
from prefectlite.utilities.context import context

__all__ = ["Secret"]


class Secret:
    """A secret by name, as in Prefect 1 with local secrets.

    The value comes from ``prefectlite.context.secrets`` or the environment variable
    ``PREFECTLITE__CONTEXT__SECRETS__<NAME>``; a JSON document is decoded.

    Examples
    --------
    >>> from prefectlite import context
    >>> with context(secrets={"PORT": "5432"}):
    ...     Secret("PORT").get(), Secret("PORT").exists(), Secret("HOST").exists()
    (5432, True, False)
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Secret: {self.name}>"

    def exists(self) -> bool:
        """Whether the secret is set (in the context or the environment)."""
        return self.name in (context.get("secrets") or {}) or ENV_PREFIX + self.name in os.environ

    def get(self) -> Any:
        """The secret's value.

        Raises
        ------
        ValueError
            When the secret is not set (naming it and where to set it), or when called
            while a flow is being built.
        """
        return get_secret(self.name)
