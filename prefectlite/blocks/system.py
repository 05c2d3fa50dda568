"""Prefect 3's system blocks need a server; every name here raises ``ServerOnlyError``."""

from prefectlite.utilities.server_only import module_getattr

__getattr__ = module_getattr("prefectlite.blocks.system", "blocks",
                             "keep settings in code or in the configuration (secrets in "
                             "[context.secrets] or environment variables)")
