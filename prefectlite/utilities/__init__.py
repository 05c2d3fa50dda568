"""Helpers that sit beside the graph model: the task decorator, edge markers, context, logging.

As in Prefect 1, each module is reachable as an attribute once ``prefectlite`` is imported
(``prefectlite.utilities.configuration.set_temporary_config``); it is imported on first use.
"""

from typing import Any as _Any

_MODULES = frozenset({
    "collections", "configuration", "context", "edges", "executors", "logging", "names",
    "pickling", "progress", "tasks", "visualization",
})


def __getattr__(name: str) -> _Any:
    if name in _MODULES:
        import importlib

        return importlib.import_module(f"prefectlite.utilities.{name}")
    raise AttributeError(f"module 'prefectlite.utilities' has no attribute {name!r}")
