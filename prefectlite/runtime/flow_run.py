"""The current flow run: ``id``, ``name``, ``flow_name``, ``parameters``, ``tags``,
``run_count``, ``scheduled_start_time``, ``parent_flow_run_id``, ``root_flow_run_id``, ...
(``None`` outside of a run; see :mod:`prefectlite.runtime`)."""

from __future__ import annotations

from typing import Any

from prefectlite.utilities import context as _context

_NAMES = ["api_url", "deployment_id", "flow_name", "flow_version", "id", "job_variables",
           "name", "parameters", "parent_deployment_id", "parent_flow_run_id",
           "root_flow_run_id", "run_count", "scheduled_start_time", "tags", "ui_url"]


def _root(run: Any) -> Any:
    while run.parent is not None:
        run = run.parent
    return run


_READERS = {
    "id": lambda run, ctx: str(run.id),
    "name": lambda run, ctx: run.name,
    "flow_name": lambda run, ctx: run.flow.name,
    "flow_version": lambda run, ctx: run.flow.version,
    "parameters": lambda run, ctx: dict(run.parameters),
    "tags": lambda run, ctx: sorted(ctx.get("tags", ())),
    "run_count": lambda run, ctx: ctx.get("flow_run_count", 1),
    "scheduled_start_time": lambda run, ctx: ctx.get("scheduled_start_time"),
    "parent_flow_run_id": lambda run, ctx: str(run.parent.id) if run.parent else None,
    "root_flow_run_id": lambda run, ctx: str(_root(run).id),
}
_EMPTY: dict[str, Any] = {"parameters": {}, "tags": [], "run_count": 0, "job_variables": {}}


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"prefectlite.runtime.flow_run has no attribute {name!r}; it "
                             f"has: {', '.join(_NAMES)}.")
    ctx = _context.snapshot()
    run = ctx.get("_eager_run")
    reader = _READERS.get(name)
    if run is None or reader is None:
        return _EMPTY.get(name)
    return reader(run, ctx)
