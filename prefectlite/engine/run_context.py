"""The context of one flow run: parameters, dates, names (``FlowRunner.initialize_run``).

Prefect 1 fills the run's context in a fixed way that users' tasks and tests rely on:

- ``parameters``: the defaults of the flow's optional Parameters, then the values already in
  the context (``context={"parameters": ...}``), then the values passed to the run; values
  of Parameters with a ``type=`` are converted to it (a value that does not fit raises
  :class:`~prefectlite.exceptions.ParameterError`, and the run ends ``Failed`` before any
  task runs);
- ``flow_name``, and ``scheduled_start_time`` (now, unless the caller set it);
- ``date`` (now, unless set; a string is parsed with pendulum) and the dates derived from it:
  ``today``, ``yesterday``, ``tomorrow`` (``YYYY-MM-DD``) and their ``*_nodash`` forms. A
  ``date`` that cannot be parsed is kept as it is, with a warning, and the derived dates use
  the current time.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.parameter import coerce_parameters

_DATE_WARNING = (
    "`date` was set in the context manually but could not be parsed into a pendulum "
    "`DateTime` object. Additional context variables that rely on the current date i.e "
    "`today` and `tomorrow` will be based on the current time instead of the `date` "
    "context variable."
)


def fill_flow_context(
    flow: Flow, context: dict[str, Any], parameters: dict[str, Any] | None,
    logger: logging.Logger,
) -> dict[str, Any]:
    """Complete ``context`` (changed in place and returned) as the module docstring says."""
    import pendulum

    given = dict(context.get("parameters") or {})
    values = {p.name: p.default for p in flow.parameters() if not p.required}
    values.update(given)
    values.update(parameters or {})
    context["parameters"] = coerce_parameters(flow.parameters(), values)  # typed Parameters
    context["flow_name"] = flow.name
    context.setdefault("flow_run_id", str(uuid.uuid4()))
    context.setdefault("flow_result", flow.result)
    context.setdefault("scheduled_start_time", pendulum.now("UTC"))
    context.update(task_run_count=1, task_loop_count=1, map_index=None)
    now = context.get("date")
    if isinstance(now, str):
        with contextlib.suppress(Exception):  # if not, kept as given and warned about below
            now = context["date"] = pendulum.parse(now)
    if not isinstance(now, pendulum.DateTime):
        if now is not None:
            logger.warning(_DATE_WARNING)
        now = pendulum.now("UTC")
    for name, day in (("today", now), ("yesterday", now.add(days=-1)),
                      ("tomorrow", now.add(days=1))):
        context.setdefault(name, day.strftime("%Y-%m-%d"))
        context.setdefault(f"{name}_nodash", day.strftime("%Y%m%d"))
    context.setdefault("date", now)
    return context
