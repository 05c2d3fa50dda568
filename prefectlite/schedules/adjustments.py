"""Schedule adjustments: functions ``datetime -> datetime`` that move a run time that passed
the filters.

A :class:`~prefectlite.schedules.Schedule` applies its ``adjustments`` in order, after the
filters, and the adjusted time is what ``Schedule.next`` returns. Any
``Callable[[datetime], datetime]`` works as an adjustment; the ones here return pendulum
``DateTime`` values in the candidate's own time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pendulum

from prefectlite.schedules.clocks import add_local_days, as_pendulum
from prefectlite.schedules.filters import is_weekday

__all__ = ["Adjustment", "add", "next_weekday"]

Adjustment = Callable[[datetime], datetime]


def add(interval: timedelta) -> Callable[[datetime], pendulum.DateTime]:
    """Move a run time by ``interval`` of *elapsed* time (as Prefect 1 did).

    ``add(timedelta(hours=1))`` is 60 real minutes later, also across a DST change. To move
    by calendar days keeping the local time, use a cron or a whole-day ``IntervalClock``.

    Examples
    --------
    >>> later = add(timedelta(minutes=90))
    >>> print(later(pendulum.datetime(2024, 3, 10, 1, 0, tz="America/New_York")))
    2024-03-10 03:30:00-04:00
    """
    if not isinstance(interval, timedelta):
        raise TypeError(f"add expects a timedelta, got {type(interval).__name__}: {interval!r}")
    step = timedelta.__pos__(interval)  # a plain timedelta: pendulum's Duration adds by calendar

    def _adjust(dt: datetime) -> pendulum.DateTime:
        moment = as_pendulum(dt)
        utc = moment.in_timezone("UTC") + step  # in UTC, wall-clock and elapsed time agree
        return utc.in_timezone(moment.tz)  # type: ignore[arg-type]

    return _adjust


def next_weekday(dt: datetime) -> pendulum.DateTime:
    """Move a Saturday or Sunday to the following Monday, same local time; keep weekdays.

    Examples
    --------
    >>> print(next_weekday(pendulum.datetime(2024, 1, 6, 9, tz="Europe/London")))
    2024-01-08 09:00:00+00:00
    >>> print(next_weekday(datetime(2024, 1, 5, 9)))
    2024-01-05 09:00:00+00:00
    """
    moment = as_pendulum(dt)
    if is_weekday(moment):
        return moment
    return add_local_days(moment, 7 - moment.weekday())
