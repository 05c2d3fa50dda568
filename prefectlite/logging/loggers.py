"""Loggers of runs (Prefect 3's ``prefect.logging.loggers``)."""

from __future__ import annotations

from typing import Any

from prefectlite.eager.loggers import (
    FLOW_RUN_LOGGER,
    TASK_RUN_LOGGER,
    RunLogger,
    get_run_logger,
)

__all__ = ["flow_run_logger", "get_run_logger", "task_run_logger"]


def flow_run_logger(flow_run: Any, flow: Any = None, **extra: Any) -> RunLogger:
    """A logger whose lines read ``Flow run 'name' - ...`` for ``flow_run`` (e.g. the
    ``flow_run`` a state-change hook receives)."""
    return RunLogger(FLOW_RUN_LOGGER, "Flow", flow_run.name, {
        "flow_run_name": flow_run.name, "flow_run_id": str(flow_run.id),
        "flow_name": getattr(flow, "name", None), **extra})


def task_run_logger(task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None,
                    **extra: Any) -> RunLogger:
    """A logger whose lines read ``Task run 'name' - ...`` for ``task_run``."""
    return RunLogger(TASK_RUN_LOGGER, "Task", task_run.name, {
        "task_run_name": task_run.name, "task_run_id": str(task_run.id),
        "task_name": getattr(task, "name", None), **extra})
