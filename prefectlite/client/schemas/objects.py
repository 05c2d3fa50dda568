"""The run objects a state-change hook receives (``hook(task, task_run, state)``,
``hook(flow, flow_run, state)``), for type hints: prefectlite passes simple objects with the
same attribute names (``id``, ``name``, ``parameters``, ``state``, ...)."""

from __future__ import annotations

import types

__all__ = ["FlowRun", "TaskRun"]


class FlowRun(types.SimpleNamespace):
    """A flow run as hooks see it: ``id``, ``name``, ``flow_name``, ``parameters``,
    ``state``."""


class TaskRun(types.SimpleNamespace):
    """A task run as hooks see it: ``id``, ``name``, ``task_key``, ``run_count``,
    ``flow_run_id``, ``state``, ``tags``."""
