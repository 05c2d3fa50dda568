"""The execution engine: state values, signals and results, and the runners.

This package stays import-light on purpose: importing it loads no runner or executor, so
the graph model can use the value modules (``state``, ``signals``) without pulling in the
machinery that runs flows. ``FlowRunner`` and ``TaskRunner`` (Prefect 1's
``prefect.engine.FlowRunner`` / ``TaskRunner``) are loaded on first use.
"""

from typing import Any

__all__ = ["FlowRunner", "TaskRunner"]


def __getattr__(name: str) -> Any:
    if name == "FlowRunner":
        from prefectlite.engine.flow_runner import FlowRunner

        return FlowRunner
    if name == "TaskRunner":
        from prefectlite.engine.task_runner import TaskRunner

        return TaskRunner
    raise AttributeError(f"module 'prefectlite.engine' has no attribute {name!r}")
