"""A ``@task`` called outside of any flow, when ``[tasks] run_outside_flows = true``.

Prefect 3 runs such a call at once as a task run of its own; Prefect 1 raises (and that stays
the default). The run goes through the same steps as a task run in an eager flow (the
engine's ``run_task``, cache policies, hooks, transactions) with no flow run around it: its
context has no flow keys, ``RUN_ID`` gives no key, and its name is ``"{task name}-{3 hex}"``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from prefectlite.eager.resolution import bind
from prefectlite.eager.states import State, StateDetails, from_engine
from prefectlite.eager.task_extras import needs_extras, run_with_extras
from prefectlite.engine.task_runner import run_task
from prefectlite.utilities import context as _context
from prefectlite.utilities.logging import configure_logging

if TYPE_CHECKING:
    from prefectlite.core.task import Task

__all__ = ["call_outside"]


def call_outside(task: Task, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Run ``task(*args, **kwargs)`` now; its value (or state with ``return_state=True``)."""
    return_state = kwargs.pop("return_state", False)
    kwargs.pop("wait_for", None)
    inputs = bind(task, args, kwargs)
    configure_logging()
    task_run_id = uuid.uuid4()
    name = f"{task.name}-{task_run_id.hex[:3]}"
    ctx = {**_context.snapshot(), "task_name": task.name, "task_slug": task.name,
           "task_full_name": name, "task_run_name": name, "task_run_id": task_run_id,
           "task_tags": task.tags, "logger": task.logger, "map_index": None,
           "task_run_count": 1, "task_loop_count": 1, "_retry_inline": True,
           "task_parameters": inputs, "task": task}
    details = StateDetails(None, task_run_id)

    def engine_call() -> State:
        return from_engine(run_task(task, {}, inputs, ctx), details)

    state = run_with_extras(task, inputs, ctx, engine_call) if needs_extras(task) else (
        engine_call())
    return state if return_state else state.result()
