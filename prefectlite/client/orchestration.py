"""Prefect 3's API client needs a server; every name here raises ``ServerOnlyError``."""

from prefectlite.utilities.server_only import module_getattr

__getattr__ = module_getattr("prefectlite.client.orchestration", "runs and their states",
                             "read past runs from the run journal (`prefectlite runs`, "
                             "prefectlite.persistence)")
