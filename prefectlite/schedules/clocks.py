"""Clocks: generators of candidate run times for a :class:`~prefectlite.schedules.Schedule`.

A clock answers one question: *which instants come strictly after ``after``?* Its ``events``
generator yields :class:`ClockEvent` values (a start time plus the ``parameter_defaults`` and
``labels`` of the clock) in increasing order, from ``start_date`` (inclusive) to ``end_date``
(inclusive). Every clock computes in the time zone of its ``start_date`` (UTC when there is
none) and yields pendulum ``DateTime`` values in that zone.

Time rules (the same in every clock)
------------------------------------
- **Inputs** may be pendulum ``DateTime`` or plain ``datetime`` values. A *naive* datetime is
  read as UTC, as Prefect 1 did through ``pendulum.instance``.
- **Elapsed intervals** (``IntervalClock`` with an interval that is not a whole number of
  days) are added to the UTC instant: an hourly clock fires every 60 real minutes, so on
  the autumn change two runs show the same local hour, and in spring one local hour never
  shows.
- **Calendar intervals** (a whole number of days) and **cron** work on local wall-clock time.
  A daily 09:00 stays at 09:00 local time on both sides of a DST change. Wall-clock times
  that the change makes special are resolved by :func:`resolve_wall_time`:

  * a time that does not exist (spring forward, e.g. 02:30 in New York on 2024-03-10) runs
    at the end of the gap, the instant the clocks jump (03:00 EDT); several such times
    collapse into that one run;
  * a time that happens twice (fall back, e.g. 01:30 in New York on 2024-11-03) runs once,
    at its first occurrence (01:30 EDT); the repeated hour is not run again.

This differs from croniter 7 used on aware datetimes, which also runs the repeated hour a
second time, and from Prefect 1.4.1, whose ``CronClock`` fails on pendulum 3.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

import pendulum
from croniter import CroniterBadDateError, CroniterError, croniter

from prefectlite.schedules.wall_time import (
    add_local_days,
    as_pendulum,
    plain_timedelta,
    resolve_wall_time,
    to_utc,
)

__all__ = [
    "Clock",
    "ClockEvent",
    "CronClock",
    "DatesClock",
    "IntervalClock",
    "RRuleClock",
    "add_local_days",
    "as_pendulum",
    "resolve_wall_time",
]

DEFAULT_START = pendulum.datetime(2019, 1, 1, tz="UTC")
"""The first event of an ``IntervalClock`` without ``start_date`` (Prefect 1's anchor)."""

_DAY = timedelta(days=1)


@dataclasses.dataclass(frozen=True, eq=False)
class ClockEvent:
    """One candidate run: when it starts and the defaults its clock attaches to it.

    Events order by the instant of ``start_time`` and compare equal to a ``datetime`` of the
    same instant; two events are equal when instant, ``parameter_defaults`` and ``labels``
    all agree.
    """

    start_time: pendulum.DateTime
    parameter_defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    labels: list[str] | None = None

    def _other(self, other: object) -> datetime | None:
        if isinstance(other, ClockEvent):
            return to_utc(other.start_time)
        return to_utc(other) if isinstance(other, datetime) else None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClockEvent):
            return (to_utc(self.start_time), self.parameter_defaults, self.labels) == (
                to_utc(other.start_time),
                other.parameter_defaults,
                other.labels,
            )
        if isinstance(other, datetime):
            return to_utc(self.start_time) == to_utc(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(to_utc(self.start_time))

    def __lt__(self, other: ClockEvent | datetime) -> bool:
        instant = self._other(other)
        return NotImplemented if instant is None else to_utc(self.start_time) < instant

    def __le__(self, other: ClockEvent | datetime) -> bool:
        instant = self._other(other)
        return NotImplemented if instant is None else to_utc(self.start_time) <= instant

    def __gt__(self, other: ClockEvent | datetime) -> bool:
        instant = self._other(other)
        return NotImplemented if instant is None else to_utc(self.start_time) > instant

    def __ge__(self, other: ClockEvent | datetime) -> bool:
        instant = self._other(other)
        return NotImplemented if instant is None else to_utc(self.start_time) >= instant


class Clock:
    """Base class of clocks: bounds, defaults and labels shared by every event.

    Parameters
    ----------
    start_date
        First instant a clock may fire (inclusive); its time zone is the clock's time zone.
    end_date
        Last instant a clock may fire (inclusive); ``None`` means never-ending.
    parameter_defaults
        Parameter values for the flow runs started by this clock's events.
    labels
        Labels attached to this clock's events.
    """

    def __init__(
        self,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self.start_date = None if start_date is None else as_pendulum(start_date)
        self.end_date = None if end_date is None else as_pendulum(end_date)
        if self.start_date and self.end_date and to_utc(self.end_date) < to_utc(self.start_date):
            raise ValueError(
                f"{type(self).__name__} end_date {self.end_date} is before start_date "
                f"{self.start_date}; swap them or drop end_date."
            )
        self.parameter_defaults = dict(parameter_defaults or {})
        self.labels = None if labels is None else list(labels)

    @property
    def tz(self) -> tzinfo:
        """The time zone events are computed and reported in (UTC without ``start_date``)."""
        return self.start_date.tzinfo if self.start_date else pendulum.UTC  # type: ignore[return-value]

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield this clock's events strictly after ``after`` (default: now), in order."""
        raise NotImplementedError(f"{type(self).__name__} must implement events()")

    def next(self, n: int, after: datetime | None = None, return_events: bool = False) -> list[Any]:
        """The next ``n`` start times (or :class:`ClockEvent` values) after ``after``."""
        events = itertools.islice(self.events(after=after), n)
        return [e if return_events else e.start_time for e in events]

    def _event(self, instant: datetime) -> ClockEvent:
        """An event at ``instant``, expressed in this clock's time zone."""
        start_time = pendulum.instance(to_utc(instant)).in_timezone(self.tz)  # type: ignore[arg-type]
        return ClockEvent(start_time, dict(self.parameter_defaults), self.labels)

    def _after(self, after: datetime | None) -> datetime:
        """``after`` (default: now) as a UTC instant."""
        return to_utc(pendulum.now("UTC") if after is None else as_pendulum(after))

    def _past_end(self, instant: datetime) -> bool:
        return self.end_date is not None and instant > to_utc(self.end_date)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} start={self.start_date} end={self.end_date}>"


class IntervalClock(Clock):
    """Fires at ``start_date + k * interval`` for k = 0, 1, 2, ...

    An interval that is a whole number of days is added on the calendar of ``start_date``'s
    time zone (a daily 09:00 stays 09:00 across DST); any other interval is elapsed time
    (an hourly clock fires every 60 real minutes). Prefect 1 split *every* interval into a
    calendar-day part and an elapsed remainder; here a 36-hour interval is 36 real hours.

    Parameters
    ----------
    interval
        Time between events; must be greater than zero.
    start_date
        First event (default 2019-01-01 00:00 UTC); it sets the time zone.
    end_date, parameter_defaults, labels
        See :class:`Clock`.
    """

    def __init__(
        self,
        interval: timedelta,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        if not isinstance(interval, timedelta):
            raise TypeError(
                f"IntervalClock interval must be a datetime.timedelta, got "
                f"{type(interval).__name__}: {interval!r}"
            )
        interval = plain_timedelta(interval)
        if interval <= timedelta(0):
            raise ValueError(
                f"IntervalClock interval must be greater than 0, got {interval!r}; "
                "pass a positive timedelta such as timedelta(hours=1)."
            )
        self.interval = interval
        super().__init__(start_date, end_date, parameter_defaults, labels)
        self._anchor = self.start_date or DEFAULT_START
        self._days = interval.days if interval % _DAY == timedelta(0) else 0

    def _nth(self, k: int) -> datetime:
        """The ``k``-th event as a UTC instant (k = 0 is the start date itself)."""
        if k and self._days:
            return to_utc(add_local_days(self._anchor, k * self._days))
        return to_utc(self._anchor) + self.interval * k

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield events strictly after ``after`` (default: now) up to ``end_date``."""
        after_utc = self._after(after)
        k = max(0, (after_utc - to_utc(self._anchor)) // self.interval)
        # Exact for elapsed intervals; a calendar-day estimate can be off by a DST shift.
        while k > 0 and self._nth(k - 1) > after_utc:
            k -= 1
        while self._nth(k) <= after_utc:
            k += 1
        for step in itertools.count(k):
            instant = self._nth(step)
            if self._past_end(instant):
                return
            yield self._event(instant)

    def __repr__(self) -> str:
        return f"<IntervalClock interval={self.interval} start={self._anchor}>"


class CronClock(Clock):
    """Fires on the wall-clock times matched by a cron string, in ``start_date``'s zone.

    Cron works on local time: ``"0 9 * * *"`` is 09:00 every day, summer or winter. Around
    DST changes the module rules apply: a matched time that does not exist runs when the
    clocks jump (``"0 2 * * *"`` runs at 03:00 on the spring-forward day), a matched time
    that happens twice runs once, at the first occurrence. An hourly cron therefore pauses
    two real hours when the clocks fall back, unlike an hourly ``IntervalClock``.

    Parameters
    ----------
    cron
        A croniter expression: five fields (an optional sixth is seconds) or ``@daily``...
    start_date
        First instant the clock may fire (inclusive); its time zone is the cron's zone.
    end_date, parameter_defaults, labels
        See :class:`Clock`.
    day_or
        ``True`` (default, like cron): a day-of-month *or* a day-of-week match is enough;
        ``False``: both must match (``"0 9 8-14 * 5"`` is then the second Friday).

    Raises
    ------
    ValueError
        If croniter rejects ``cron`` or it never matches any date (``"0 0 31 2 *"``).
    """

    def __init__(
        self,
        cron: str,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
        day_or: bool | None = None,
    ) -> None:
        self.day_or = True if day_or is None else bool(day_or)
        _check_cron(cron, self.day_or)
        self.cron = cron
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield events strictly after ``after`` (default: now) up to ``end_date``."""
        after_utc = self._after(after)
        if self.start_date is not None:  # the start date itself may fire
            after_utc = max(after_utc, to_utc(self.start_date) - timedelta(microseconds=1))
        # Walk naive wall-clock times so croniter never sees a DST change, then place each.
        wall = after_utc.astimezone(self.tz).replace(tzinfo=None, microsecond=0)
        walk = croniter(self.cron, wall - timedelta(seconds=1), day_or=self.day_or)
        previous = after_utc
        while True:
            try:
                instant = to_utc(resolve_wall_time(walk.get_next(datetime), self.tz))
            except CroniterBadDateError:  # no further match within croniter's horizon
                return
            if instant <= previous:  # before ``after``, or a second time in one DST gap
                continue
            if self._past_end(instant):
                return
            previous = instant
            yield self._event(instant)

    def __repr__(self) -> str:
        return f"<CronClock {self.cron!r} tz={self.tz} start={self.start_date}>"


def _check_cron(cron: str, day_or: bool) -> None:
    """Raise ``ValueError`` naming ``cron`` when it is malformed or can never fire."""
    if not isinstance(cron, str):
        raise TypeError(f"CronClock cron must be a string, got {type(cron).__name__}: {cron!r}")
    try:
        croniter(cron, datetime(2000, 1, 1), day_or=day_or).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"Cron string {cron!r} never matches any date.") from None
    except (CroniterError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(
            f"Invalid cron string {cron!r} ({str(exc).rstrip('.')}); expected five fields "
            "'minute hour day-of-month month day-of-week', e.g. '0 9 * * 1-5'."
        ) from None


class DatesClock(Clock):
    """Fires once on each of the given dates (the same instant twice fires once).

    Parameters
    ----------
    dates
        The instants to fire at; at least one. They set ``start_date`` and ``end_date``.
    parameter_defaults, labels
        See :class:`Clock`.
    """

    def __init__(
        self,
        dates: list[datetime],
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        unique = {to_utc(as_pendulum(d)): as_pendulum(d) for d in dates}
        if not unique:
            raise ValueError("DatesClock needs at least one date; got an empty list.")
        self.dates = [unique[k] for k in sorted(unique)]
        super().__init__(self.dates[0], self.dates[-1], parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield the dates strictly after ``after`` (default: now), in order."""
        after_utc = self._after(after)
        for date in self.dates:
            if to_utc(date) > after_utc:
                yield ClockEvent(date, dict(self.parameter_defaults), self.labels)

    def __repr__(self) -> str:
        return f"<DatesClock {len(self.dates)} dates from {self.start_date}>"


# RRuleClock lives in its own module (it needs dateutil, and this one is long enough); it
# builds on Clock above, so it is imported last.
from prefectlite.schedules.rrule_clock import RRuleClock  # noqa: E402
