"""``prefectlite run --schedule``: run a flow at each time of a schedule until stopped.

The schedule is the flow's own, or one given by ``--cron EXPR`` (in ``--timezone``, default
the machine's local zone, as crontab does) or ``--interval SECONDS`` (first run at once).
The loop asks the schedule for its next time, sleeps until then, runs the flow, and again,
until the schedule has no more times, ``--max-runs`` runs happened, or Ctrl-C:

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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefectlite.cli._errors import CliError

_TICK = 0.2  # seconds between looks at the stop flag while waiting


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
    Ctrl-C keeps its default meaning) and puts the old one back on exit.
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

    @contextmanager
    def running(self) -> Iterator[None]:
        """Mark a run in progress."""
        self.in_run = True
        try:
            yield
        finally:
            self.in_run = False

    def sleep_until(self, moment: datetime.datetime) -> bool:
        """Sleep until ``moment``; False if told to stop first."""
        while not self.stop:
            delay = (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
            if delay <= 0:
                return True
            time.sleep(min(delay, _TICK))
        return False


def loop(
    schedule: Any, run: Callable[[dict[str, Any], datetime.datetime], bool],
    say: Callable[[str], None], max_runs: int | None = None,
) -> tuple[int, int]:
    """Call ``run(parameter_defaults, scheduled_time)`` at each scheduled time.

    ``run`` returns whether the flow run succeeded. Returns (runs, failed runs).
    """
    runs = failed = 0
    after = datetime.datetime.now(datetime.UTC) - datetime.timedelta(microseconds=1)
    with Stopper(say) as stopper:
        while not stopper.stop and (max_runs is None or runs < max_runs):
            events = schedule.next(1, after=after, return_events=True)
            if not events:
                say("The schedule has no more runs.")
                break
            event = events[0]
            when = event.start_time
            say(f"Next run at {when.to_datetime_string()} {when.tzname()}.")
            if not stopper.sleep_until(event.start_time):
                break
            with stopper.running():
                ok = run(dict(event.parameter_defaults or {}), event.start_time)
            runs, failed = runs + 1, failed + (not ok)
            after = event.start_time
    if stopper.stop:
        say(f"Stopped after {runs} run(s).")
    return runs, failed
