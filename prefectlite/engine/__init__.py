"""The execution engine: state values, signals and results, and the runners.

This package stays import-light on purpose: importing it loads no runner or executor, so
the graph model can use the value modules (``state``, ``signals``) without pulling in the
machinery that runs flows. ``FlowRunner`` and ``TaskRunner`` (Prefect 1's
``prefect.engine.FlowRunner`` / ``TaskRunner``) are loaded on first use.
"""

from typing import Any

from prefectlite.engine.defaults import (
    get_default_executor_class,
    get_default_flow_runner_class,
    get_default_task_runner_class,
)

__all__ = ["FlowRunner", "TaskRunner", "get_default_executor_class",
           "get_default_flow_runner_class", "get_default_task_runner_class"]


def __getattr__(name: str) -> Any:
    if name == "FlowRunner":
        from prefectlite.engine.flow_runner import FlowRunner

        return FlowRunner
    if name == "TaskRunner":
        from prefectlite.engine.task_runner import TaskRunner

        return TaskRunner
    # modules reachable as attributes (``prefectlite.engine.flow_runner.FlowRunner``), imported
    # on first use so that importing the package stays light
    from prefectlite.utilities.lazy import import_submodule

    return import_submodule(__name__, name)
