"""Prefect 3's deployments need a server; every name here raises ``ServerOnlyError``."""

from prefectlite.utilities.server_only import module_getattr

__getattr__ = module_getattr("prefectlite.deployments", "deployments",
                             "call the flow, or schedule it with `prefectlite run`")
