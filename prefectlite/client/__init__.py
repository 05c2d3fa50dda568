"""The local-secrets part of Prefect 1's ``prefect.client``: :class:`Secret`.

prefectlite talks to no backend, so there is no ``Client`` here; ``Secret(name).get()``, which
Prefect 1 code calls inside tasks, reads local secrets (see :mod:`prefectlite.tasks.secrets`).
"""

from prefectlite.client.secrets import Secret

__all__ = ["Secret"]
