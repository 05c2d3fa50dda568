"""Helpers that sit beside the graph model: the task decorator, edge markers, context, logging.

As in Prefect 1, each module is reachable as an attribute once ``prefectlite`` is imported
(``prefectlite.utilities.configuration.set_temporary_config``); it is imported on first use.
"""

from typing import Any as _Any


def __getattr__(name: str) -> _Any:
    from prefectlite.utilities.lazy import import_submodule

    return import_submodule(__name__, name)
