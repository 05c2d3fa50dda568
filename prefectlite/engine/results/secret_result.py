"""``SecretResult``: the result type of secret tasks; reading it fetches the secret again.

A secret's value must never be written anywhere, so this result cannot be written; its
``location`` is the secret's name, and :meth:`SecretResult.read` runs the secret task again
to get the value (from the context or the environment, see
:mod:`prefectlite.tasks.secrets`).
"""

from __future__ import annotations

from typing import Any

from prefectlite.engine.result.base import Result

__all__ = ["SecretResult"]


class SecretResult(Result):
    """The result of a secret task: never stored, re-read from the secret store on demand.

    Parameters
    ----------
    secret_task
        The secret task (a :class:`~prefectlite.tasks.secrets.SecretBase`) whose ``run(name=)``
        fetches the value.
    value, location
        As for :class:`~prefectlite.engine.result.Result`; ``location`` defaults to the
        task's name.
    """

    __slots__ = ("secret_task",)

    def __init__(self, secret_task: Any, **kwargs: Any) -> None:
        if "serializer" in kwargs:
            raise ValueError("Can't pass a serializer to a SecretResult: secrets are never "
                             "serialized.")
        self.secret_task = secret_task
        kwargs.setdefault("location", secret_task.name)
        super().__init__(**kwargs)

    def read(self, location: str) -> SecretResult:
        """Return a copy holding the value of the secret named ``location``."""
        new = self.copy()
        new.value = self.secret_task.run(name=location)
        new.location = location
        return new  # type: ignore[return-value]

    def write(self, value_: Any, /, **kwargs: Any) -> Result:
        """Always an error: secrets are never written."""
        raise ValueError("SecretResults cannot be written to.")

    def exists(self, location: str, /, **kwargs: Any) -> bool:
        """Whether the secret named ``location`` can be fetched now."""
        try:
            self.secret_task.run(name=location)
        except Exception:
            return False
        return True
