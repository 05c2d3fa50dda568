"""The execution engine: state values, signals and results, and (later) the runners.

This package stays import-light on purpose: importing it loads no runner or executor, so
the graph model can use the value modules (``state``, ``signals``) without pulling in the
machinery that runs flows.
"""

from typing import Any

from prefectlite.engine.defaults import (
    get_default_executor_class,
    get_default_flow_runner_class,
    get_default_task_runner_class,
)

__all__ = ["get_default_executor_class", "get_default_flow_runner_class",
           "get_default_task_runner_class"]

# Modules reachable as attributes (``prefectlite.engine.flow_runner.FlowRunner``), imported on
# first use so that importing the package stays light.
_MODULES = frozenset({
    "cache_validators", "checkpoint", "defaults", "flow_runner", "journal", "result", "results",
    "resume", "serializers", "signals", "state", "task_runner",
})


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        import importlib

        return importlib.import_module(f"prefectlite.engine.{name}")
    raise AttributeError(f"module 'prefectlite.engine' has no attribute {name!r}")
