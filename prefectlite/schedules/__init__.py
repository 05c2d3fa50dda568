"""Schedules for flows, with Prefect 1.4's API: ``prefect.schedules`` -> ``prefectlite.schedules``.

A :class:`Schedule` combines clocks (:mod:`~prefectlite.schedules.clocks`: interval, cron,
fixed dates, iCalendar recurrence rules), filters (:mod:`~prefectlite.schedules.filters`) and
adjustments (:mod:`~prefectlite.schedules.adjustments`). ``IntervalSchedule``,
``CronSchedule`` and ``RRuleSchedule`` build one-clock schedules.

Examples
--------
>>> from datetime import timedelta
>>> from prefectlite.schedules import IntervalSchedule
>>> schedule = IntervalSchedule(interval=timedelta(minutes=15))
"""

from __future__ import annotations

from prefectlite.schedules import adjustments, clocks, filters, schedules
from prefectlite.schedules.schedules import (
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
)

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "RRuleSchedule",
    "Schedule",
    "adjustments",
    "clocks",
    "filters",
    "schedules",
]
