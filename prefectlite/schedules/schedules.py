"""Schedules: clocks propose run times, filters keep some, adjustments move them.

``Schedule.next(n, after)`` works in four steps:

1. **Merge.** Every clock yields its events strictly after ``after`` in time order;
   ``heapq.merge`` interleaves them by instant. An event equal to one already seen at the
   same instant (same ``parameter_defaults`` and ``labels``) is dropped, so two clocks that
   agree fire once; two clocks with *different* defaults at one instant are two runs.
2. **Filter.** A candidate is kept when every one of ``filters`` passes, at least one of
   ``or_filters`` passes (when there are any) and none of ``not_filters`` passes.
3. **Adjust.** Each kept time goes through ``adjustments`` in order. An adjusted event
   equal to one already returned by this call is dropped (``next_weekday`` folds a Saturday
   and a Sunday into one Monday run).
4. **Stop** after ``n`` results, when the clocks run out, or after examining
   :data:`MAX_CANDIDATE_EVENTS` (10,000) candidates -- Prefect 1's bound. Clocks may be
   infinite and filters may reject everything, so ``next`` can return fewer than ``n``
   times, even none; it never loops forever.

``IntervalSchedule`` and ``CronSchedule`` are Prefect 1's one-clock shortcuts.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, overload

import pendulum

from prefectlite.schedules.adjustments import Adjustment
from prefectlite.schedules.clocks import (
    Clock,
    ClockEvent,
    CronClock,
    IntervalClock,
    RRuleClock,
    as_pendulum,
)
from prefectlite.schedules.filters import Filter

__all__ = ["MAX_CANDIDATE_EVENTS", "CronSchedule", "IntervalSchedule", "RRuleSchedule", "Schedule"]

MAX_CANDIDATE_EVENTS = 10_000
"""Most clock events one ``Schedule.next`` call examines before it returns what it has."""


def _callables(values: Iterable[Any] | None, kind: str) -> list[Any]:
    items = list(values or [])
    for item in items:
        if not callable(item):
            raise TypeError(f"Schedule {kind} must be callables, got {item!r}")
    return items


def _merge(streams: Sequence[Iterator[ClockEvent]]) -> Iterator[ClockEvent]:
    """Interleave sorted event streams by instant, dropping repeats of an equal event."""
    same_instant: list[ClockEvent] = []
    for event in heapq.merge(*streams):
        if same_instant and event > same_instant[0]:
            same_instant = []
        if event not in same_instant:
            same_instant.append(event)
            yield event


class Schedule:
    """When a flow runs: clocks, then filters, then adjustments.

    Parameters
    ----------
    clocks
        One or more :class:`~prefectlite.schedules.clocks.Clock` objects proposing run times.
    filters
        Predicates that must *all* pass.
    or_filters
        Predicates of which at least one must pass (ignored when empty).
    not_filters
        Predicates of which none may pass.
    adjustments
        Functions applied in order to each kept time.

    Examples
    --------
    >>> from datetime import time
    >>> from prefectlite.schedules import clocks, filters
    >>> schedule = Schedule(
    ...     clocks=[clocks.IntervalClock(timedelta(hours=1))],
    ...     filters=[filters.is_weekday, filters.between_times(time(9), time(17))],
    ... )
    >>> [str(t) for t in schedule.next(2, after=pendulum.datetime(2024, 1, 6))]
    ['2024-01-08 09:00:00+00:00', '2024-01-08 10:00:00+00:00']
    """

    def __init__(
        self,
        clocks: Iterable[Clock],
        filters: Iterable[Filter] | None = None,
        or_filters: Iterable[Filter] | None = None,
        not_filters: Iterable[Filter] | None = None,
        adjustments: Iterable[Adjustment] | None = None,
    ) -> None:
        if isinstance(clocks, Clock) or not isinstance(clocks, Iterable):
            raise TypeError(f"clocks should be a list of clocks, got {clocks!r}")
        self.clocks: list[Clock] = list(clocks)  # none at all: a schedule that never fires
        for clock in self.clocks:
            if not isinstance(clock, Clock):
                raise TypeError(f"clocks must be Clock objects, got {clock!r}")
        self.filters: list[Filter] = _callables(filters, "filters")
        self.or_filters: list[Filter] = _callables(or_filters, "or_filters")
        self.not_filters: list[Filter] = _callables(not_filters, "not_filters")
        self.adjustments: list[Adjustment] = _callables(adjustments, "adjustments")

    @property
    def start_date(self) -> pendulum.DateTime | None:
        """The earliest ``start_date`` among the clocks that have one."""
        starts = [c.start_date for c in self.clocks if c.start_date is not None]
        return min(starts, key=lambda d: d.in_timezone("UTC"), default=None)

    @property
    def end_date(self) -> pendulum.DateTime | None:
        """The latest ``end_date``, or ``None`` when some clock never ends.

        (Prefect 1 returned the latest end date even when another clock had none.)
        """
        ends = [c.end_date for c in self.clocks]
        if not ends or any(end is None for end in ends):
            return None
        return max(ends, key=lambda d: d.in_timezone("UTC"))  # type: ignore[union-attr]

    @overload
    def next(
        self, n: int, after: datetime | None = None, return_events: Literal[False] = False
    ) -> list[pendulum.DateTime]: ...

    @overload
    def next(
        self, n: int, after: datetime | None = None, *, return_events: Literal[True]
    ) -> list[ClockEvent]: ...

    def next(
        self, n: int, after: datetime | None = None, return_events: bool = False
    ) -> list[pendulum.DateTime] | list[ClockEvent]:
        """The next ``n`` run times strictly after ``after`` (default: now).

        Parameters
        ----------
        n
            How many run times to return at most.
        after
            Only clock events after this instant are considered (a naive datetime is UTC).
        return_events
            Return :class:`~prefectlite.schedules.clocks.ClockEvent` values (start time,
            ``parameter_defaults``, ``labels``) instead of bare times.

        Returns
        -------
        list
            At most ``n`` items; fewer when the clocks end or when
            :data:`MAX_CANDIDATE_EVENTS` candidates were examined first.
        """
        events = self._events(n, after)
        return events if return_events else [e.start_time for e in events]

    def _events(self, n: int, after: datetime | None) -> list[ClockEvent]:
        if n <= 0:
            return []
        found: list[ClockEvent] = []
        seen: set[ClockEvent] = set()
        candidates = _merge([clock.events(after=after) for clock in self.clocks])
        for examined, event in enumerate(candidates, start=1):
            if self._passes(event.start_time):
                start_time = as_pendulum(self._adjust(event.start_time))
                event = dataclasses.replace(event, start_time=start_time)
                if event not in seen:
                    seen.add(event)
                    found.append(event)
            if len(found) >= n or examined >= MAX_CANDIDATE_EVENTS:
                break
        return found

    def _passes(self, dt: datetime) -> bool:
        """All ``filters``, any ``or_filters`` (if given), no ``not_filters``."""
        return (
            all(keep(dt) for keep in self.filters)
            and (not self.or_filters or any(keep(dt) for keep in self.or_filters))
            and not any(drop(dt) for drop in self.not_filters)
        )

    def _adjust(self, dt: datetime) -> datetime:
        for adjustment in self.adjustments:
            dt = adjustment(dt)
        return dt

    def __repr__(self) -> str:
        return f"<Schedule clocks={self.clocks!r}>"


def IntervalSchedule(  # noqa: N802 -- Prefect 1's name for a function
    start_date: datetime | None = None,
    interval: timedelta | None = None,
    end_date: datetime | None = None,
) -> Schedule:
    """A :class:`Schedule` with one :class:`~prefectlite.schedules.clocks.IntervalClock`.

    ``start_date`` comes first, as in Prefect 1, so pass ``interval`` by keyword.

    Examples
    --------
    >>> s = IntervalSchedule(interval=timedelta(days=1), start_date=datetime(2024, 1, 1, 9))
    >>> [str(t) for t in s.next(2, after=datetime(2024, 6, 1))]
    ['2024-06-01 09:00:00+00:00', '2024-06-02 09:00:00+00:00']
    """
    if interval is None:
        raise TypeError("IntervalSchedule needs an interval, e.g. interval=timedelta(hours=1)")
    return Schedule(clocks=[IntervalClock(interval, start_date=start_date, end_date=end_date)])


def CronSchedule(  # noqa: N802 -- Prefect 1's name for a function
    cron: str,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    day_or: bool | None = None,
) -> Schedule:
    """A :class:`Schedule` with one :class:`~prefectlite.schedules.clocks.CronClock`.

    Examples
    --------
    >>> ny = pendulum.datetime(2024, 1, 1, tz="America/New_York")
    >>> [str(t) for t in CronSchedule("0 9 * * 1-5", start_date=ny).next(2, after=ny)]
    ['2024-01-01 09:00:00-05:00', '2024-01-02 09:00:00-05:00']
    """
    clock = CronClock(cron, start_date=start_date, end_date=end_date, day_or=day_or)
    return Schedule(clocks=[clock])


def RRuleSchedule(  # noqa: N802 -- Prefect 1's name for a function
    rrule_obj: Any,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> Schedule:
    """A :class:`Schedule` with one :class:`~prefectlite.schedules.clocks.RRuleClock`.

    Examples
    --------
    >>> from dateutil.rrule import rrule, WEEKLY, MO
    >>> s = RRuleSchedule(rrule(WEEKLY, byweekday=MO, dtstart=datetime(2024, 1, 1, 8)))
    >>> [str(t) for t in s.next(2, after=datetime(2024, 1, 2))]
    ['2024-01-08 08:00:00+00:00', '2024-01-15 08:00:00+00:00']
    """
    return Schedule(clocks=[RRuleClock(rrule_obj, start_date=start_date, end_date=end_date)])
