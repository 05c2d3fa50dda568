"""Wall-clock time for the clocks: UTC instants, pendulum values and DST-aware local days.

The rules these helpers implement are described in :mod:`prefectlite.schedules.clocks`
("Time rules"): compare and add in UTC; resolve a local wall time that a DST change skips
(the end of the gap) or repeats (its first occurrence).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pendulum

__all__ = ["add_local_days", "as_pendulum", "plain_timedelta", "resolve_wall_time", "to_utc"]


def to_utc(value: datetime) -> datetime:
    """``value`` as a plain stdlib UTC datetime: the only form this package compares or adds.

    Two datetimes sharing one tzinfo compare (and subtract) by wall-clock time, ignoring
    ``fold`` -- so 01:00 EDT == 01:00 EST on the fall-back night. UTC has no such hour.
    """
    plain = datetime(*value.timetuple()[:6], value.microsecond, value.tzinfo, fold=value.fold)
    if plain.tzinfo is None:
        return plain.replace(tzinfo=UTC)
    return plain.astimezone(UTC)


def plain_timedelta(value: timedelta) -> timedelta:
    """A stdlib copy of ``value`` (pendulum's Duration/Interval redefine ``+``, ``//``, ...)."""
    return timedelta.__pos__(value)


def as_pendulum(value: datetime) -> pendulum.DateTime:
    """Return ``value`` as a pendulum ``DateTime``; a naive datetime is taken to be UTC.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> print(as_pendulum(datetime(2024, 1, 1, 9)))
    2024-01-01 09:00:00+00:00
    >>> as_pendulum(datetime(2024, 7, 1, tzinfo=ZoneInfo("Europe/Paris"))).timezone_name
    'Europe/Paris'
    """
    if not isinstance(value, datetime):
        raise TypeError(f"Expected a datetime, got {type(value).__name__}: {value!r}")
    return pendulum.instance(value)


def _gap_end(wall: datetime, tz: tzinfo) -> datetime:
    """The first instant after the gap that swallowed the (non-existent) ``wall`` time."""
    # PEP 495: in a gap, fold=1 reads the wall time with the offset after the change, which
    # lands before the change; fold=0 uses the offset before it and lands after the change.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    target = datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:  # bisect on whole seconds; zone changes fall on whole seconds
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == target:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, tz)


def resolve_wall_time(wall: datetime, tz: tzinfo) -> pendulum.DateTime:
    """Place the naive wall-clock time ``wall`` in ``tz`` by this package's DST rules.

    A time that happens twice resolves to its first occurrence; a time that does not exist
    resolves to the end of the gap (the moment the clocks jump).

    Examples
    --------
    >>> ny = pendulum.timezone("America/New_York")
    >>> print(resolve_wall_time(datetime(2024, 3, 10, 2, 30), ny))   # does not exist
    2024-03-10 03:00:00-04:00
    >>> print(resolve_wall_time(datetime(2024, 11, 3, 1, 30), ny))   # happens twice
    2024-11-03 01:30:00-04:00
    >>> print(resolve_wall_time(datetime(2024, 7, 1, 9), ny))
    2024-07-01 09:00:00-04:00
    """
    wall = datetime(*wall.timetuple()[:6], wall.microsecond)  # stdlib, naive, fold=0
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        instant = _gap_end(wall, tz).astimezone(UTC)
    return pendulum.instance(instant).in_timezone(tz)  # type: ignore[arg-type]


def add_local_days(value: datetime, days: int) -> pendulum.DateTime:
    """Move ``value`` by ``days`` calendar days, keeping its local wall-clock time.

    Examples
    --------
    >>> start = pendulum.datetime(2024, 3, 9, 9, tz="America/New_York")
    >>> print(add_local_days(start, 1))   # 23 hours later: the clocks sprang forward
    2024-03-10 09:00:00-04:00
    """
    dt = as_pendulum(value)
    wall = dt.naive() + timedelta(days=days)
    return resolve_wall_time(wall, dt.tzinfo)  # type: ignore[arg-type]
