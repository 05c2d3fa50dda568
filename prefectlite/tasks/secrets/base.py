"""Secret tasks: ``SecretBase`` and ``PrefectSecret`` (Prefect 1's local secrets).

A secret's value is looked up when the task runs, never when the flow is built, in this
order:

1. ``prefectlite.context.secrets``, a mapping of name to value, e.g.
   ``with prefectlite.context(secrets={"DB_PASSWORD": "..."}): flow.run()``;
2. the environment variable ``PREFECTLITE__CONTEXT__SECRETS__<NAME>`` (the name keeps its
   case), the same variable Prefect 1 read as ``PREFECT__CONTEXT__SECRETS__<NAME>``.

A value that is a JSON document is decoded (``'{"user": "x"}'`` becomes a dict), as Prefect
1 did. A secret found in neither place is a ``ValueError`` naming it. Secret tasks never
checkpoint their result: their :class:`~prefectlite.engine.results.SecretResult` cannot be
written, so the value is not stored in result files or the run journal.
"""

from __future__ import annotations

import json
import os
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine.results.secret_result import SecretResult
from prefectlite.utilities.context import context

__all__ = ["ENV_PREFIX", "PrefectSecret", "SecretBase", "get_secret"]

ENV_PREFIX = "PREFECTLITE__CONTEXT__SECRETS__"
"""Environment variables ``<ENV_PREFIX><NAME>`` hold local secrets."""


def get_secret(name: str) -> Any:
    """The value of the local secret ``name`` (context first, then the environment).

    Examples
    --------
    >>> with context(secrets={"TOKEN": "abc", "CREDS": '{"user": "ann"}'}):
    ...     get_secret("TOKEN"), get_secret("CREDS")
    ('abc', {'user': 'ann'})
    """
    flow = context.get("flow")
    if flow is not None and type(flow).__name__ == "Flow":
        raise ValueError(
            "Secrets should only be retrieved during a Flow run, not while building a Flow."
        )
    secrets = context.get("secrets") or {}
    if name in secrets:
        value = secrets[name]
    elif ENV_PREFIX + name in os.environ:
        value = os.environ[ENV_PREFIX + name]
    else:
        raise ValueError(
            f'Local Secret "{name}" was not found. Provide it in the context '
            f"(with prefectlite.context(secrets={{{name!r}: ...}})) or in the environment "
            f"variable {ENV_PREFIX}{name}."
        )
    if isinstance(value, str | bytes | bytearray):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


class SecretBase(Task):
    """Base class of secret tasks: subclasses implement ``run(self, name=None)``.

    A secret task never checkpoints its result (``checkpoint=False``) and its ``result`` is
    always a :class:`~prefectlite.engine.results.SecretResult`.

    Raises
    ------
    ValueError
        If a ``result=`` is given.
    """

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("result"):
            raise ValueError("Result types for Secrets are not configurable.")
        kwargs["checkpoint"] = False
        super().__init__(**kwargs)
        self.result = SecretResult(secret_task=self)


class PrefectSecret(SecretBase):
    """A task returning the value of the local secret ``name`` (see the module docs).

    Parameters
    ----------
    name
        The secret's name; also the task's name. May instead be given at call time.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument except ``result``.

    Examples
    --------
    >>> from prefectlite import Flow, context
    >>> with Flow("uses a secret") as flow:
    ...     token = PrefectSecret("API_TOKEN")()
    >>> with context(secrets={"API_TOKEN": "s3cr3t"}):
    ...     flow.run().result[token].result
    's3cr3t'
    """

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        self.secret_name = name
        super().__init__(name=name, **kwargs)

    def run(self, name: str | None = None) -> Any:
        """Return the value of the secret ``name`` (default: the one given at creation)."""
        return get_secret(self._name_to_read(name))

    def _name_to_read(self, name: str | None) -> str:
        """The secret a run reads: ``name`` if given, else the one given at creation."""
        name = self.secret_name if name is None else name
        if name is None:
            raise ValueError("A secret name must be provided.")
        return name
