"""``prefectlite run --schedule``: the schedule options and the Ctrl-C policy.

The schedule is the flow's own, or one given by ``--cron EXPR`` (in ``--timezone``, default
the machine's local zone, as crontab does) or ``--interval SECONDS`` (first run at once).
The loop is the library's (:func:`prefectlite.engine.scheduling.run_on_schedule`): it asks
the schedule for its next time, waits until then, runs the flow, and again, until the
schedule has no more times, ``--max-runs`` runs happened, or Ctrl-C, which this module
turns into the loop's stop hook:

* Ctrl-C while waiting stops at once;
* Ctrl-C during a run lets that run finish, then stops (a message says so); a second
  Ctrl-C cancels the run (its tasks that finished keep their states).

Each run's parameters are the clock's ``parameter_defaults`` overlaid with the command
line's values (what you type wins) and ``context.scheduled_start_time`` is the scheduled time.
"""

from __future__ import annotations

import datetime
import signal
import threading
from collections.abc import Callable
from typing import Any

from prefectlite.cli._errors import CliError


def build_schedule(cron: str | None, interval: float | None, timezone: str | None) -> Any:
    """The schedule of ``--cron`` or ``--interval`` (None when neither is given)."""
    if cron is not None and interval is not None:
        raise CliError("give either --cron or --interval, not both.")
    if cron is None and interval is None:
        if timezone is not None:
            raise CliError("--timezone applies to --cron or --interval; give one of them.")
        return None
    import pendulum

    from prefectlite.schedules import CronSchedule, IntervalSchedule

    try:
        start = pendulum.now(timezone) if timezone else pendulum.now()
    except Exception:  # pendulum raises InvalidTimezone (a ValueError) or a zoneinfo error
        raise CliError(f"unknown time zone {timezone!r}: use an IANA name such as "
                       "Europe/Paris, America/New_York or UTC.") from None
    if interval is not None:
        if not interval > 0:
            raise CliError(f"--interval must be a positive number of seconds, got {interval:g}.")
        return IntervalSchedule(start_date=start, interval=datetime.timedelta(seconds=interval))
    try:
        return CronSchedule(str(cron), start_date=start.replace(second=0, microsecond=0))
    except (TypeError, ValueError) as exc:
        raise CliError(f"invalid --cron: {exc}") from None


def clock_parameters(schedule: Any) -> set[str]:
    """Names of the parameters the schedule's clocks give values to."""
    names: set[str] = set()
    for clock in getattr(schedule, "clocks", ()):
        names.update(getattr(clock, "parameter_defaults", None) or {})
    return names


class Stopper:
    """The Ctrl-C policy of the loop (see the module docstring), as a SIGINT handler.

    ``with stopper:`` installs the handler (only possible in the main thread; elsewhere
    Ctrl-C keeps its default meaning) and puts the old one back on exit. The handler only
    sets ``stop`` (the loop's stop hook reads it) or, during a run already asked to stop,
    raises ``KeyboardInterrupt`` (the flow runner cancels the run).
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.stop = False
        self.in_run = False
        self._old: Any = None

    def __enter__(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.in_run and self.stop:
            raise KeyboardInterrupt  # second Ctrl-C: the flow runner cancels the run
        self.stop = True
        if self.in_run:
            self.say("Ctrl-C: stopping after the current run finishes "
                     "(press Ctrl-C again to cancel it).")

    def around_run(self, run: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``run`` marked as a run in progress while it runs (for the Ctrl-C policy)."""
        def marked(event: Any) -> Any:
            self.in_run = True
            try:
                return run(event)
            finally:
                self.in_run = False

        return marked
