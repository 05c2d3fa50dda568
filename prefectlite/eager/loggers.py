"""The loggers of eager runs and ``get_run_logger``.

Flow-run lines go to the ``prefectlite.flow_runs`` logger and read ``Flow run 'olive-poodle'
- ...``; lines a task logs through :func:`get_run_logger` go to ``prefectlite.task_runs`` and
read ``Task run 'add-0' - ...``; "Created flow run ..." comes from ``prefectlite.engine``. All
are children of the ``prefectlite`` logger, so its handler and level apply (see
:mod:`prefectlite.utilities.logging`); no root logger is touched.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from prefectlite.eager.exceptions import MissingContextError
from prefectlite.utilities import context as _context
from prefectlite.utilities.logging import context_record_keys

__all__ = ["ENGINE_LOGGER", "FLOW_RUN_LOGGER", "TASK_RUN_LOGGER", "RunLogger", "get_run_logger"]

ENGINE_LOGGER = logging.getLogger("prefectlite.engine")
FLOW_RUN_LOGGER = logging.getLogger("prefectlite.flow_runs")
TASK_RUN_LOGGER = logging.getLogger("prefectlite.task_runs")


class RunLogger(logging.LoggerAdapter):
    """Prefixes each message with ``Flow run 'name' - `` (or ``Task run``), as Prefect does.

    The run's ids and names are also added to each record (``record.flow_run_name``, ...) for
    handlers that format them themselves.
    """

    def __init__(self, logger: logging.Logger, kind: str, name: str, extra: dict[str, Any]):
        super().__init__(logger, extra)
        self.prefix = f"{kind} run {name!r} - "

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = {**(self.extra or {}), **kwargs.get("extra", {})}
        filled = context_record_keys()  # already on the record, from the context
        kwargs["extra"] = {k: v for k, v in extra.items() if k not in filled}
        return f"{self.prefix}{msg}", kwargs


def get_run_logger(context: Any = None, **extra: Any
                   ) -> logging.Logger | logging.LoggerAdapter:
    """The logger of the current task run or flow run.

    In a task of an eager flow, its lines read ``Task run 'add-0' - ...``; in the flow's
    body, ``Flow run 'olive-poodle' - ...``. In a task of a Prefect 1 flow run it is the
    task's logger (``prefectlite.context.logger``). ``context`` is accepted for Prefect 3
    compatibility and ignored.

    Raises
    ------
    MissingContextError
        Outside of any flow or task run.
    """
    ctx = _context.snapshot()
    run = ctx.get("_eager_run")
    if run is not None and "task_name" in ctx:
        name = ctx.get("task_run_name") or ctx["task_name"]
        return RunLogger(TASK_RUN_LOGGER, "Task", name, {
            "task_run_name": name, "task_name": ctx["task_name"],
            "task_run_id": str(ctx.get("task_run_id")), "flow_run_name": run.name,
            "flow_run_id": str(run.id), "flow_name": run.flow.name, **extra})
    if run is not None:
        return run.logger if not extra else RunLogger(
            FLOW_RUN_LOGGER, "Flow", run.name, {**run.logger.extra, **extra})
    logger = ctx.get("logger")
    if logger is not None:
        return logger  # type: ignore[no-any-return]
    raise MissingContextError(
        "get_run_logger() found no flow or task run: call it inside a function decorated with "
        "@flow or @task while it runs (or use logging.getLogger(...) elsewhere)."
    )
