"""The schedule loop: run a flow at each time of a schedule until something stops it.

One loop serves ``flow.run()`` on a flow that has a ``schedule`` (Prefect 1 behaviour) and
the command line's ``prefectlite run --schedule/--cron/--interval``. It asks the schedule for
its next event, waits until the event's time, calls ``run(event)``, and again, until

* the schedule has no more events (``ScheduleRuns.exhausted``),
* ``max_runs`` runs happened,
* the ``stop`` hook returns true (it is asked while waiting, every ``TICK`` seconds, and
  after each run: the CLI's Ctrl-C handler sets a flag it reads),
* a run ends ``Cancelled`` (Ctrl-C inside the run: the flow runner stops the walk and
  returns that state), or ``KeyboardInterrupt`` is raised while waiting.

The loop's only contact with time is its ``clock`` (``now()`` and ``sleep(seconds)``), so
a test drives it with a fake clock instead of sleeping. What a run is (its parameters,
``context.scheduled_start_time``, its observers) is the caller's ``run`` callback; signal
handling stays with the command line.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefectlite.engine.state import Cancelled, State

__all__ = ["Clock", "ScheduleRuns", "TICK", "run_on_schedule"]

logger = logging.getLogger("prefectlite.FlowRunner")
TICK = 0.2  #: longest sleep between two looks at the stop hook while waiting


class Clock:
    """Real time for the loop: timezone-aware UTC ``now()`` and ``sleep(seconds)``."""

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class ScheduleRuns:
    """What :func:`run_on_schedule` did."""

    runs: int = 0
    #: runs whose state was not successful
    failed: int = 0
    #: the last run's state (``None`` before the first run)
    last: State | None = None
    #: the schedule had no more events
    exhausted: bool = False
    #: the stop hook, a Cancelled run or Ctrl-C ended the loop
    stopped: bool = False


def _never() -> bool:
    return False


def run_on_schedule(
    schedule: Any, run: Callable[[Any], State], *, max_runs: int | None = None,
    stop: Callable[[], bool] = _never, announce: Callable[[Any], None] | None = None,
    after: datetime.datetime | None = None, clock: Clock | None = None,
) -> ScheduleRuns:
    """Call ``run(event)`` at each event (a ``ClockEvent``) of ``schedule`` (module docstring).

    ``announce(event)`` is called before waiting for an event (default: an INFO line on
    the ``prefectlite.FlowRunner`` logger); ``after`` is the instant events are looked for
    after (default: now, as ``schedule.next`` has it).
    """
    clock = clock or Clock()
    out = ScheduleRuns()
    try:
        while max_runs is None or out.runs < max_runs:
            events = schedule.next(1, after=after, return_events=True)
            if not events:
                out.exhausted = True
                break
            event = events[0]
            (announce or _log_next)(event)
            if not _wait_until(event.start_time, clock, stop):
                out.stopped = True
                break
            out.last = state = run(event)
            out.runs, out.failed = out.runs + 1, out.failed + (not state.is_successful())
            if isinstance(state, Cancelled) or stop():
                out.stopped = True
                break
            after = event.start_time
    except KeyboardInterrupt:
        logger.info("Schedule loop stopped (KeyboardInterrupt).")
        out.stopped = True
    return out


def _log_next(event: Any) -> None:
    logger.info("Waiting for the scheduled run at %s", event.start_time)


def _wait_until(moment: datetime.datetime, clock: Clock, stop: Callable[[], bool]) -> bool:
    """Sleep until ``moment``; False if ``stop()`` said so first."""
    while not stop():
        delay = (moment - clock.now()).total_seconds()
        if delay <= 0:
            return True
        clock.sleep(min(delay, TICK))
    return False
