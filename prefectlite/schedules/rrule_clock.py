"""``RRuleClock``: run times from an iCalendar recurrence rule (``dateutil.rrule``).

Re-exported by :mod:`prefectlite.schedules.clocks` (Prefect 1's module path). A rule with
naive datetimes is read as UTC, like every naive datetime in :mod:`~prefectlite.schedules`;
an aware rule keeps its own time zone, and events are reported in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pendulum
from dateutil import rrule

from prefectlite.schedules.clocks import Clock, ClockEvent
from prefectlite.schedules.wall_time import as_pendulum, to_utc

__all__ = ["RRuleClock"]


class RRuleClock(Clock):
    """Fires on the occurrences of a ``dateutil`` ``rrule`` or ``rruleset``.

    Parameters
    ----------
    rrule_obj
        The recurrence rule (RFC 5545), e.g. ``rrule(freq=WEEKLY, byweekday=(MO, TH))``.
    start_date, end_date, parameter_defaults, labels
        See :class:`~prefectlite.schedules.clocks.Clock`; occurrences outside
        ``start_date``..``end_date`` (both inclusive) are skipped.

    Examples
    --------
    >>> from dateutil.rrule import rrule, MONTHLY
    >>> clock = RRuleClock(rrule(MONTHLY, bymonthday=-1, dtstart=datetime(2024, 1, 1, 6)))
    >>> [str(t) for t in clock.next(2, after=datetime(2024, 2, 1))]
    ['2024-02-29 06:00:00+00:00', '2024-03-31 06:00:00+00:00']
    """

    def __init__(
        self,
        rrule_obj: rrule.rrulebase,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        if not isinstance(rrule_obj, rrule.rrulebase):
            raise TypeError(
                f"RRuleClock needs a dateutil rrule or rruleset, got {type(rrule_obj).__name__}: "
                f"{rrule_obj!r}; e.g. rrule(DAILY, dtstart=datetime(2024, 1, 1, 9))."
            )
        super().__init__(start_date, end_date, parameter_defaults, labels)
        self.rrule_obj = rrule_obj

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield occurrences strictly after ``after`` (default: from now, inclusive)."""
        inclusive = after is None
        since = to_utc(pendulum.now("UTC") if after is None else as_pendulum(after))
        if self.start_date is not None and since < to_utc(self.start_date):
            since, inclusive = to_utc(self.start_date), True  # the start date itself may fire
        first = next(iter(self.rrule_obj), None)
        if first is None:  # a rule without occurrences
            return
        if first.tzinfo is None:  # rrule cannot compare naive with aware datetimes
            since = since.replace(tzinfo=None)
        for occurrence in self.rrule_obj.xafter(since, inc=inclusive):
            start_time = as_pendulum(occurrence)
            if self._past_end(to_utc(start_time)):
                return
            yield ClockEvent(start_time, dict(self.parameter_defaults), self.labels)

    def __repr__(self) -> str:
        rule = str(self.rrule_obj).replace("\n", " ")
        return f"<RRuleClock {rule} start={self.start_date} end={self.end_date}>"
