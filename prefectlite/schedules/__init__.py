"""Schedules for flows, with Prefect 1.4's API: ``prefect.schedules`` -> ``prefectlite.schedules``.

A :class:`Schedule` combines clocks (:mod:`~prefectlite.schedules.clocks`: interval, cron,
fixed dates), filters (:mod:`~prefectlite.schedules.filters`) and adjustments
(:mod:`~prefectlite.schedules.adjustments`). ``IntervalSchedule`` and ``CronSchedule`` build
one-clock schedules. Prefect 1.4's ``RRuleSchedule``/``RRuleClock`` are not provided.

Examples
--------
>>> from datetime import timedelta
>>> from prefectlite.schedules import IntervalSchedule
>>> schedule = IntervalSchedule(interval=timedelta(minutes=15))
"""

from __future__ import annotations

from prefectlite.schedules import adjustments, clocks, filters, schedules
from prefectlite.schedules.schedules import CronSchedule, IntervalSchedule, Schedule

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
    "adjustments",
    "clocks",
    "filters",
    "schedules",
]
