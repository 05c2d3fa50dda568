"""The execution engine: state values, signals and results, and (later) the runners.

This package stays import-light on purpose: importing it loads no runner or executor, so
the graph model can use the value modules (``state``, ``signals``) without pulling in the
machinery that runs flows.
"""

from prefectlite.engine.defaults import (
    get_default_executor_class,
    get_default_flow_runner_class,
    get_default_task_runner_class,
)

__all__ = ["get_default_executor_class", "get_default_flow_runner_class",
           "get_default_task_runner_class"]
