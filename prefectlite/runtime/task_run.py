"""The current task run: ``id``, ``name``, ``task_name``, ``parameters``, ``tags``,
``run_count`` (``None`` outside of a task run; see :mod:`prefectlite.runtime`)."""

from __future__ import annotations

from typing import Any

from prefectlite.utilities import context as _context

_NAMES = ["api_url", "id", "name", "parameters", "run_count", "tags", "task_name", "ui_url"]

_KEYS = {"id": "task_run_id", "name": "task_run_name", "task_name": "task_name",
         "parameters": "task_parameters", "tags": "task_tags", "run_count": "task_run_count"}
_EMPTY: dict[str, Any] = {"parameters": {}, "tags": [], "run_count": 0}


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"prefectlite.runtime.task_run has no attribute {name!r}; it "
                             f"has: {', '.join(_NAMES)}.")
    ctx = _context.snapshot()
    if "task_name" not in ctx or name not in _KEYS:
        return _EMPTY.get(name)
    value = ctx.get(_KEYS[name])
    if name == "id":
        return None if value is None else str(value)
    if name == "tags":
        return sorted(value or ())
    if name == "parameters":
        return dict(value or {})
    return value
