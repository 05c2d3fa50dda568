"""Prefect 3's event schemas need a server; every name here raises ``ServerOnlyError``."""

from prefectlite.utilities.server_only import module_getattr

__getattr__ = module_getattr("prefectlite.events.schemas", "events",
                             "log with get_run_logger() or use a state-change hook")
