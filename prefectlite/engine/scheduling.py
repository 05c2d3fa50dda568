"""Running a flow on its schedule: ``flow.run()`` on a flow that has a ``schedule``.

Prefect 1 behaviour: sleep until the next scheduled time, run, and again, until the schedule
has no more runs or the user presses Ctrl-C (which ends the loop cleanly after the current
run and returns the last run's state). Each run's parameters are those given to ``run()``
overlaid with the clock's ``parameter_defaults``; ``context.scheduled_start_time`` is the
scheduled time. ``flow.run(run_on_schedule=False)`` runs once, ignoring the schedule.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import TYPE_CHECKING, Any

from prefectlite.engine.state import Cancelled, State

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.engine.flow_runner import FlowRunner

logger = logging.getLogger("prefectlite.FlowRunner")


def _sleep_until(moment: datetime.datetime) -> None:
    while True:
        delay = (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
        if delay <= 0:
            return
        time.sleep(min(delay, 1.0))


def run_on_schedule(flow: Flow, runner: FlowRunner, run_kwargs: dict[str, Any]) -> State:
    """Run ``flow`` at each time of ``flow.schedule``; return the last run's state."""
    last: State | None = None
    after = None
    try:
        while True:
            events = flow.schedule.next(1, after=after, return_events=True)
            if not events:
                if last is None:
                    raise ValueError(f"Flow {flow.name!r} has no more scheduled runs.")
                return last
            event = events[0]
            logger.info("Waiting for scheduled run of %r at %s", flow.name, event.start_time)
            _sleep_until(event.start_time)
            params = {**(run_kwargs.get("parameters") or {}), **(event.parameter_defaults or {})}
            ctx = {**(run_kwargs.get("context") or {}), "scheduled_start_time": event.start_time}
            last = runner.run(**{**run_kwargs, "parameters": params, "context": ctx})
            if isinstance(last, Cancelled):  # Ctrl-C inside the run: stop after it
                return last
            after = event.start_time
    except KeyboardInterrupt:
        logger.info("Schedule loop of %r stopped (KeyboardInterrupt).", flow.name)
        return last or Cancelled(message="Stopped before the first scheduled run.")
