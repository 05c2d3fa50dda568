"""Prefect 3's variables need a server; every name here raises ``ServerOnlyError``."""

from prefectlite.utilities.server_only import module_getattr

__getattr__ = module_getattr("prefectlite.variables", "variables",
                             "read values from the configuration or environment variables")
