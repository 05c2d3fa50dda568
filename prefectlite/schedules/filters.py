"""Schedule filters: predicates ``datetime -> bool`` that keep or drop a candidate run time.

Some are filters themselves (``is_weekday``); the others build one from arguments
(``between_times(time(9), time(17))``). A :class:`~prefectlite.schedules.Schedule` keeps a
candidate when all its ``filters``, at least one of its ``or_filters`` (if any) and none of
its ``not_filters`` return ``True``.

Like Prefect 1's, every filter takes its candidate as ``dt`` (``keep(dt=...)`` works).
Calendar filters (dates, times, weekdays, month ends) read the candidate's *local* fields,
in the time zone its clock reports it in: ``at_time(time(9))`` on a New York cron clock
means 09:00 New York time. Instant filters (``on_datetime``, ``between_datetimes``)
compare instants, whatever the zones; a naive datetime is read as UTC.

Any ``Callable[[datetime], bool]`` works as a filter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pendulum

from prefectlite.schedules.clocks import as_pendulum

__all__ = [
    "Filter",
    "at_time",
    "between_dates",
    "between_datetimes",
    "between_times",
    "is_day_of_week",
    "is_month_end",
    "is_month_start",
    "is_weekday",
    "is_weekend",
    "on_date",
    "on_datetime",
]

Filter = Callable[[datetime], bool]


def _instant(value: datetime) -> pendulum.DateTime:
    # In one shared zone (UTC) pendulum compares instants; in a DST zone it compares wall
    # times, which makes 01:00 EDT equal 01:00 EST.
    return as_pendulum(value).in_timezone("UTC")


def _check_month_day(month: int, day: int) -> None:
    try:
        date(2000, month, day)  # a leap year, so February 29 is allowed
    except (TypeError, ValueError):
        raise ValueError(f"month={month!r}, day={day!r} is not a day of the year") from None


def _naive_time(t: time, name: str) -> time:
    if not isinstance(t, time):
        raise TypeError(f"{name} expects a datetime.time, got {type(t).__name__}: {t!r}")
    if t.tzinfo is not None:
        raise ValueError(
            f"{name} compares local wall-clock times; pass a naive time, got {t!r}. "
            "The time zone comes from the clock's start_date."
        )
    return t


def on_datetime(dt: datetime) -> Filter:
    """Keep only the candidate at the same instant as ``dt``.

    Examples
    --------
    >>> keep = on_datetime(pendulum.datetime(2024, 1, 1, 9, tz="Europe/London"))
    >>> keep(pendulum.datetime(2024, 1, 1, 4, tz="America/New_York"))
    True
    """
    target = _instant(dt)

    def _on_datetime(dt: datetime) -> bool:
        return _instant(dt) == target

    return _on_datetime


def between_datetimes(start: datetime, end: datetime) -> Filter:
    """Keep candidates from ``start`` to ``end``, both included.

    Examples
    --------
    >>> keep = between_datetimes(datetime(2024, 1, 1), datetime(2024, 2, 1))
    >>> keep(datetime(2024, 1, 15)), keep(datetime(2024, 3, 1))
    (True, False)
    """
    low, high = _instant(start), _instant(end)

    def _between_datetimes(dt: datetime) -> bool:
        return low <= _instant(dt) <= high

    return _between_datetimes


def on_date(month: int, day: int) -> Filter:
    """Keep candidates on the given day of any year (local date).

    Examples
    --------
    >>> on_date(12, 25)(datetime(2031, 12, 25, 18))
    True
    """
    _check_month_day(month, day)

    def _on_date(dt: datetime) -> bool:
        return (dt.month, dt.day) == (month, day)

    return _on_date


def between_dates(start_month: int, start_day: int, end_month: int, end_day: int) -> Filter:
    """Keep candidates whose local date falls in a yearly window, both ends included.

    A window whose start comes after its end wraps around the new year:
    ``between_dates(11, 15, 2, 15)`` keeps mid-November to mid-February.

    Examples
    --------
    >>> winter = between_dates(11, 15, 2, 15)
    >>> winter(datetime(2024, 1, 10)), winter(datetime(2024, 6, 1))
    (True, False)
    """
    _check_month_day(start_month, start_day)
    _check_month_day(end_month, end_day)
    low, high = (start_month, start_day), (end_month, end_day)

    def _between_dates(dt: datetime) -> bool:
        key = (dt.month, dt.day)
        return low <= key <= high if low <= high else key >= low or key <= high

    return _between_dates


def at_time(t: time) -> Filter:
    """Keep candidates whose local wall-clock time is exactly ``t``.

    Examples
    --------
    >>> at_time(time(9))(datetime(2024, 5, 1, 9, 0))
    True
    >>> at_time(time(9))(datetime(2024, 5, 1, 9, 0, 30))
    False
    """
    target = _naive_time(t, "at_time")

    def _at_time(dt: datetime) -> bool:
        return dt.time() == target

    return _at_time


def between_times(start: time, end: time) -> Filter:
    """Keep candidates whose local wall-clock time is from ``start`` to ``end`` (included).

    A window whose start comes after its end wraps around midnight:
    ``between_times(time(22), time(6))`` keeps the night.

    Examples
    --------
    >>> night = between_times(time(22), time(6))
    >>> night(datetime(2024, 1, 1, 23)), night(datetime(2024, 1, 1, 12))
    (True, False)
    """
    low, high = _naive_time(start, "between_times"), _naive_time(end, "between_times")

    def _between_times(dt: datetime) -> bool:
        now = dt.time()
        return low <= now <= high if low <= high else now >= low or now <= high

    return _between_times


def is_weekday(dt: datetime) -> bool:
    """Whether the local date is Monday to Friday.

    Examples
    --------
    >>> is_weekday(datetime(2024, 1, 5)), is_weekday(datetime(2024, 1, 6))
    (True, False)
    """
    return dt.weekday() < 5


def is_weekend(dt: datetime) -> bool:
    """Whether the local date is Saturday or Sunday.

    Examples
    --------
    >>> is_weekend(datetime(2024, 1, 6))
    True
    """
    return dt.weekday() >= 5


def is_day_of_week(day_of_week: int) -> Filter:
    """Keep candidates on one day of the week: 0 is Monday ... 6 is Sunday (``weekday()``).

    Examples
    --------
    >>> is_day_of_week(4)(datetime(2024, 1, 5))   # a Friday
    True
    """
    if day_of_week not in range(7):
        raise ValueError(f"day_of_week must be 0 (Monday) to 6 (Sunday), got {day_of_week!r}")

    def _is_day_of_week(dt: datetime) -> bool:
        return dt.weekday() == day_of_week

    return _is_day_of_week


def is_month_start(dt: datetime) -> bool:
    """Whether the local date is the first day of its month.

    Examples
    --------
    >>> is_month_start(datetime(2024, 3, 1, 12))
    True
    """
    return dt.day == 1


def is_month_end(dt: datetime) -> bool:
    """Whether the local date is the last day of its month.

    Examples
    --------
    >>> is_month_end(datetime(2024, 2, 29)), is_month_end(datetime(2023, 2, 28))
    (True, True)
    >>> is_month_end(datetime(2024, 2, 28))
    False
    """
    return (dt.date() + timedelta(days=1)).day == 1
