"""Secret tasks: values such as passwords and tokens, fetched at run time and never stored.

``PrefectSecret`` reads Prefect 1's *local* secrets (the context's ``secrets`` or
``PREFECTLITE__CONTEXT__SECRETS__<NAME>`` environment variables); ``EnvVarSecret`` reads any
environment variable; subclass ``SecretBase`` for another secret store.
"""

from prefectlite.tasks.secrets.base import PrefectSecret, SecretBase, get_secret
from prefectlite.tasks.secrets.env_var import EnvVarSecret

__all__ = ["EnvVarSecret", "PrefectSecret", "SecretBase", "get_secret"]
