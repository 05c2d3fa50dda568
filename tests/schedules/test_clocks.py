"""Clocks: intervals, cron, dates, and the DST rules of ``prefectlite.schedules.clocks``."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pendulum
import pytest

from prefectlite.schedules import clocks
from prefectlite.schedules.clocks import (
    Clock,
    ClockEvent,
    CronClock,
    DatesClock,
    IntervalClock,
    add_local_days,
    as_pendulum,
    resolve_wall_time,
)

NY, LONDON, SYDNEY = "America/New_York", "Europe/London", "Australia/Sydney"


def utc(dt: datetime) -> pendulum.DateTime:
    """Compare instants through UTC: same-zone pendulum values compare by wall time."""
    return pendulum.instance(dt).in_timezone("UTC")


def hours(dt: datetime) -> float:
    """The UTC offset of ``dt`` in hours."""
    offset = dt.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


def take(clock: Clock, n: int, after: datetime | None = None) -> list[pendulum.DateTime]:
    return [e.start_time for e in itertools.islice(clock.events(after=after), n)]


def local(d: datetime) -> tuple[int, int, int, int, int]:
    return (d.year, d.month, d.day, d.hour, d.minute)


class TestHelpers:
    def test_naive_datetime_is_utc(self) -> None:
        assert as_pendulum(datetime(2024, 1, 1, 9)) == pendulum.datetime(2024, 1, 1, 9)
        assert as_pendulum(datetime(2024, 1, 1, 9)).offset == 0

    def test_stdlib_zoneinfo_becomes_pendulum_zone(self) -> None:
        dt = as_pendulum(datetime(2024, 7, 1, 9, tzinfo=ZoneInfo(NY)))
        assert isinstance(dt, pendulum.DateTime)
        assert dt.timezone_name == NY
        assert dt.offset == -4 * 3600

    def test_rejects_non_datetimes(self) -> None:
        with pytest.raises(TypeError, match="Expected a datetime"):
            as_pendulum("2024-01-01")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "zone, wall, expected_local, expected_offset_h",
        [
            (NY, datetime(2024, 3, 10, 2, 30), (2024, 3, 10, 3, 0), -4),
            (LONDON, datetime(2024, 3, 31, 1, 30), (2024, 3, 31, 2, 0), 1),
            (SYDNEY, datetime(2024, 10, 6, 2, 30), (2024, 10, 6, 3, 0), 11),
            # Lord Howe Island moves its clocks by 30 minutes only.
            ("Australia/Lord_Howe", datetime(2024, 10, 6, 2, 15), (2024, 10, 6, 2, 30), 11),
        ],
    )
    def test_nonexistent_wall_time_goes_to_end_of_gap(
        self, zone: str, wall: datetime, expected_local: tuple[int, ...], expected_offset_h: int
    ) -> None:
        dt = resolve_wall_time(wall, pendulum.timezone(zone))
        assert local(dt) == expected_local
        assert dt.offset == expected_offset_h * 3600

    @pytest.mark.parametrize(
        "zone, wall, expected_offset_h",
        [
            (NY, datetime(2024, 11, 3, 1, 30), -4),
            (LONDON, datetime(2024, 10, 27, 1, 30), 1),
            (SYDNEY, datetime(2024, 4, 7, 2, 30), 11),
        ],
    )
    def test_repeated_wall_time_is_first_occurrence(
        self, zone: str, wall: datetime, expected_offset_h: int
    ) -> None:
        dt = resolve_wall_time(wall, pendulum.timezone(zone))
        assert local(dt) == local(wall)
        assert dt.offset == expected_offset_h * 3600

    def test_add_local_days_matches_pendulum_calendar_arithmetic(self) -> None:
        start = pendulum.datetime(2024, 3, 8, 9, tz=NY)
        for days in range(5):
            assert utc(add_local_days(start, days)) == utc(start.add(days=days))


class TestClockEvent:
    def test_equals_datetime_of_same_instant(self) -> None:
        event = ClockEvent(pendulum.datetime(2024, 1, 1, 14, tz="UTC"))
        assert event == pendulum.datetime(2024, 1, 1, 9, tz=NY)
        assert event == datetime(2024, 1, 1, 14, tzinfo=UTC)

    def test_parameters_and_labels_take_part_in_equality(self) -> None:
        t = pendulum.datetime(2024, 1, 1)
        assert ClockEvent(t, {"x": 1}) == ClockEvent(t, {"x": 1})
        assert ClockEvent(t, {"x": 1}) != ClockEvent(t, {"x": 2})
        assert ClockEvent(t, labels=["a"]) != ClockEvent(t, labels=["b"])

    def test_orders_by_instant(self) -> None:
        early = ClockEvent(pendulum.datetime(2024, 1, 1, 10, tz=LONDON))
        late = ClockEvent(pendulum.datetime(2024, 1, 1, 6, tz=NY))  # 11:00 UTC
        assert early < late and late > early and early <= late and late >= early
        assert sorted([late, early]) == [early, late]

    def test_repeated_hour_events_are_distinct(self) -> None:
        # Same wall time 01:00 in New York, one hour apart: pendulum alone calls them equal.
        first = pendulum.datetime(2024, 11, 3, 5, tz="UTC").in_timezone(NY)
        second = pendulum.datetime(2024, 11, 3, 6, tz="UTC").in_timezone(NY)
        assert first == second  # the pitfall this package works around
        assert ClockEvent(first) != ClockEvent(second)
        assert ClockEvent(first) < ClockEvent(second)

    def test_compare_with_other_types(self) -> None:
        event = ClockEvent(pendulum.datetime(2024, 1, 1))
        assert event != "2024-01-01"
        with pytest.raises(TypeError):
            _ = event < 3  # type: ignore[operator]


class TestClockBase:
    def test_events_not_implemented(self) -> None:
        with pytest.raises(NotImplementedError):
            next(Clock().events())

    def test_end_before_start_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="end_date .* is before start_date"):
            Clock(start_date=datetime(2024, 2, 1), end_date=datetime(2024, 1, 1))

    def test_defaults(self) -> None:
        clock = Clock()
        assert clock.parameter_defaults == {} and clock.labels is None
        assert clock.tz == pendulum.UTC


class TestIntervalClock:
    @pytest.mark.parametrize("interval", [timedelta(0), timedelta(seconds=-1), timedelta(days=-2)])
    def test_interval_must_be_positive(self, interval: timedelta) -> None:
        with pytest.raises(ValueError, match=re.escape(repr(interval))) as info:
            IntervalClock(interval)
        assert "greater than 0" in str(info.value)
        assert "timedelta(hours=1)" in str(info.value)

    def test_interval_must_be_a_timedelta(self) -> None:
        with pytest.raises(TypeError, match="must be a datetime.timedelta, got int"):
            IntervalClock(60)  # type: ignore[arg-type]

    def test_default_start_is_2019(self) -> None:
        clock = IntervalClock(timedelta(hours=1))
        assert take(clock, 2, after=datetime(2018, 1, 1)) == [
            pendulum.datetime(2019, 1, 1, 0),
            pendulum.datetime(2019, 1, 1, 1),
        ]

    def test_default_after_is_now(self) -> None:
        before = pendulum.now("UTC")
        first = take(IntervalClock(timedelta(minutes=1)), 1)[0]
        assert before < first <= before.add(minutes=1)

    def test_after_is_strict_and_start_inclusive(self) -> None:
        start = pendulum.datetime(2024, 1, 1, 12)
        clock = IntervalClock(timedelta(minutes=30), start_date=start)
        assert take(clock, 1, after=start.subtract(days=3)) == [start]
        assert take(clock, 1, after=start) == [start.add(minutes=30)]
        assert take(clock, 1, after=start.add(minutes=31)) == [start.add(minutes=60)]

    def test_end_date_is_inclusive_and_final(self) -> None:
        start = pendulum.datetime(2024, 1, 1)
        clock = IntervalClock(timedelta(hours=6), start_date=start, end_date=start.add(days=1))
        events = list(clock.events(after=start.subtract(seconds=1)))
        assert [e.start_time.hour for e in events] == [0, 6, 12, 18, 0]
        assert list(clock.events(after=start.add(days=2))) == []

    def test_sub_day_interval_is_elapsed_time_across_fall_back(self) -> None:
        start = pendulum.datetime(2024, 11, 2, 22, tz=NY)
        events = take(IntervalClock(timedelta(hours=1), start_date=start), 8, after=start)
        assert [utc(e) for e in events] == [utc(start + timedelta(hours=k)) for k in range(1, 9)]
        assert [e.hour for e in events] == [23, 0, 1, 1, 2, 3, 4, 5]  # 01:00 shows twice
        assert all(e.timezone_name == NY for e in events)

    def test_sub_day_interval_is_elapsed_time_across_spring_forward(self) -> None:
        start = pendulum.datetime(2024, 3, 30, 23, 30, tz=LONDON)
        events = take(IntervalClock(timedelta(hours=1), start_date=start), 3, after=start)
        assert [e.hour for e in events] == [0, 2, 3]  # 01:30 does not exist in London
        assert [utc(e) for e in events] == [utc(start + timedelta(hours=k)) for k in (1, 2, 3)]

    @pytest.mark.parametrize(
        "zone, start",
        [
            (NY, datetime(2024, 3, 5, 9)),
            (NY, datetime(2024, 10, 30, 9)),
            (LONDON, datetime(2024, 3, 28, 9)),
            (LONDON, datetime(2024, 10, 24, 9)),
            (SYDNEY, datetime(2024, 4, 3, 9)),
            (SYDNEY, datetime(2024, 10, 2, 9)),
        ],
    )
    def test_daily_interval_keeps_local_time_across_dst(self, zone: str, start: datetime) -> None:
        first = pendulum.instance(start, tz=zone)
        clock = IntervalClock(timedelta(days=1), start_date=first)
        events = take(clock, 9, after=first.subtract(seconds=1))
        assert [utc(e) for e in events] == [utc(first.add(days=k)) for k in range(9)]
        assert {e.hour for e in events} == {9}
        gaps = {(utc(b) - utc(a)).total_seconds() for a, b in itertools.pairwise(events)}
        assert len(gaps) == 2  # 24 h, and 23 h or 25 h on the day of the change

    def test_whole_week_interval_is_calendar_time(self) -> None:
        first = pendulum.datetime(2024, 3, 1, 9, tz=NY)
        events = take(IntervalClock(timedelta(weeks=1), start_date=first), 3, after=first)
        assert [local(e) for e in events] == [(2024, 3, d, 9, 0) for d in (8, 15, 22)]

    def test_non_whole_day_interval_is_elapsed_time(self) -> None:
        first = pendulum.datetime(2024, 3, 9, 0, tz=NY)
        events = take(IntervalClock(timedelta(hours=36), start_date=first), 2, after=first)
        assert [utc(e) for e in events] == [utc(first + timedelta(hours=36 * k)) for k in (1, 2)]
        assert events[0].hour == 13  # not 12: the clocks sprang forward in between

    def test_daily_interval_on_a_nonexistent_time(self) -> None:
        first = pendulum.datetime(2024, 3, 8, 2, 30, tz=NY)
        events = take(IntervalClock(timedelta(days=1), start_date=first), 4, after=first)
        assert [local(e) for e in events] == [
            (2024, 3, 9, 2, 30),
            (2024, 3, 10, 3, 0),  # 02:30 does not exist: runs when the clocks jump
            (2024, 3, 11, 2, 30),
            (2024, 3, 12, 2, 30),
        ]

    def test_daily_interval_on_a_repeated_time_runs_first_occurrence(self) -> None:
        first = pendulum.datetime(2024, 11, 1, 1, 30, tz=NY)
        events = take(IntervalClock(timedelta(days=1), start_date=first), 3, after=first)
        assert [hours(e) for e in events] == [-4, -4, -5]
        assert {e.hour for e in events} == {1}

    @pytest.mark.parametrize(
        "after_utc, expected_local",
        [
            # Around a change the elapsed-time estimate of "how many days" is an hour off.
            (datetime(2024, 11, 4, 13, 30), (2024, 11, 4, 9, 0)),
            (datetime(2024, 11, 4, 14, 0), (2024, 11, 5, 9, 0)),
            (datetime(2024, 11, 3, 13, 30), (2024, 11, 3, 9, 0)),
            (datetime(2024, 3, 11, 12, 30), (2024, 3, 11, 9, 0)),
            (datetime(2024, 3, 11, 13, 30), (2024, 3, 12, 9, 0)),
        ],
    )
    def test_daily_interval_finds_the_first_event_after(
        self, after_utc: datetime, expected_local: tuple[int, ...]
    ) -> None:
        for first in (datetime(2024, 1, 1, 9), datetime(2023, 6, 15, 9)):
            clock = IntervalClock(timedelta(days=1), start_date=pendulum.instance(first, tz=NY))
            assert local(take(clock, 1, after=after_utc)[0]) == expected_local

    def test_pendulum_duration_is_accepted_as_elapsed_time(self) -> None:
        first = pendulum.datetime(2024, 3, 9, 12, tz=NY)
        clock = IntervalClock(pendulum.duration(days=1, hours=1), start_date=first)
        assert local(first + pendulum.duration(days=1, hours=1)) == (2024, 3, 10, 13, 0)
        assert local(take(clock, 1, after=first)[0]) == (2024, 3, 10, 14, 0)  # 25 real hours

    def test_stdlib_and_fixed_offset_start_dates(self) -> None:
        start = datetime(2024, 1, 1, 9, tzinfo=timezone(timedelta(hours=5, minutes=30)))
        event = take(IntervalClock(timedelta(days=1), start_date=start), 1, after=start)[0]
        assert isinstance(event, pendulum.DateTime)
        assert (event.day, event.hour, event.offset) == (2, 9, 19800)

    def test_far_after_is_computed_not_iterated(self) -> None:
        clock = IntervalClock(timedelta(seconds=1))
        (event,) = take(clock, 1, after=datetime(2124, 1, 1, 0, 0, 0, 500000))
        assert event == pendulum.datetime(2124, 1, 1, 0, 0, 1)

    def test_events_carry_parameter_defaults_and_labels(self) -> None:
        clock = IntervalClock(timedelta(hours=1), parameter_defaults={"x": 1}, labels=["dev"])
        event = next(clock.events())
        assert event.parameter_defaults == {"x": 1} and event.labels == ["dev"]
        event.parameter_defaults["x"] = 2
        assert next(clock.events()).parameter_defaults == {"x": 1}

    def test_next_returns_times_or_events(self) -> None:
        clock = IntervalClock(timedelta(hours=1), parameter_defaults={"x": 1})
        after = datetime(2024, 1, 1)
        assert clock.next(2, after=after) == [pendulum.datetime(2024, 1, 1, h) for h in (1, 2)]
        assert clock.next(1, after=after, return_events=True)[0].parameter_defaults == {"x": 1}


class TestCronClockValidation:
    @pytest.mark.parametrize("cron", ["", "bad cron", "* * * *", "61 * * * *", "0 25 * * *"])
    def test_invalid_cron_names_the_string(self, cron: str) -> None:
        with pytest.raises(ValueError, match=re.escape(f"Invalid cron string {cron!r}")):
            CronClock(cron)

    def test_cron_that_never_matches(self) -> None:
        with pytest.raises(ValueError, match=re.escape("'0 0 31 2 *' never matches")):
            CronClock("0 0 31 2 *")

    def test_cron_must_be_a_string(self) -> None:
        with pytest.raises(TypeError, match="cron must be a string"):
            CronClock(None)  # type: ignore[arg-type]

    @pytest.mark.parametrize("cron", ["@daily", "0 9 * * mon-fri", "*/5 * * * *", "0 9 * * * 30"])
    def test_croniter_forms_are_accepted(self, cron: str) -> None:
        assert CronClock(cron).cron == cron


class TestCronClock:
    def test_utc_by_default(self) -> None:
        events = take(CronClock("0 9 * * *"), 2, after=datetime(2024, 1, 1, 9))
        assert events == [pendulum.datetime(2024, 1, 2, 9), pendulum.datetime(2024, 1, 3, 9)]
        assert events[0].tz == pendulum.UTC

    def test_default_after_is_now(self) -> None:
        now = pendulum.now("UTC")
        first = take(CronClock("* * * * *"), 1)[0]
        assert now < first <= now.add(minutes=1)

    def test_start_date_is_inclusive_and_sets_the_zone(self) -> None:
        start = pendulum.datetime(2024, 1, 1, 9, tz=SYDNEY)
        events = take(CronClock("0 9 * * *", start_date=start), 2, after=datetime(2020, 1, 1))
        assert events == [start, start.add(days=1)]
        assert events[0].timezone_name == SYDNEY

    def test_after_is_strict(self) -> None:
        clock = CronClock("0 9 * * *")
        assert take(clock, 1, after=datetime(2024, 1, 1, 8, 59, 59, 999999))[0].day == 1
        assert take(clock, 1, after=datetime(2024, 1, 1, 9))[0].day == 2
        assert take(clock, 1, after=datetime(2024, 1, 1, 9, 0, 0, 1))[0].day == 2

    def test_after_in_another_zone(self) -> None:
        clock = CronClock("0 9 * * *", start_date=pendulum.datetime(2024, 1, 1, tz=NY))
        after = pendulum.datetime(2024, 6, 1, 14, tz="UTC")  # 10:00 in New York
        assert local(take(clock, 1, after=after)[0]) == (2024, 6, 2, 9, 0)

    def test_end_date(self) -> None:
        start = pendulum.datetime(2024, 1, 1)
        clock = CronClock("0 0 * * *", start_date=start, end_date=start.add(days=2))
        assert len(list(clock.events(after=start.subtract(days=1)))) == 3

    def test_day_or(self) -> None:
        after = datetime(2024, 1, 1)
        second_fridays = take(CronClock("0 9 8-14 * 5", day_or=False), 3, after=after)
        assert [(d.month, d.day) for d in second_fridays] == [(1, 12), (2, 9), (3, 8)]
        either = take(CronClock("0 9 8-14 * 5"), 3, after=after)
        assert [(d.month, d.day) for d in either] == [(1, 5), (1, 8), (1, 9)]

    def test_seconds_field(self) -> None:
        events = take(CronClock("* * * * * 30"), 2, after=datetime(2024, 1, 1, 0, 0, 30))
        assert [(e.minute, e.second) for e in events] == [(1, 30), (2, 30)]

    def test_events_carry_parameter_defaults_and_labels(self) -> None:
        clock = CronClock("0 9 * * *", parameter_defaults={"x": 1}, labels=["prod"])
        event = next(clock.events())
        assert (event.parameter_defaults, event.labels) == ({"x": 1}, ["prod"])

    @pytest.mark.parametrize(
        "zone, first",
        [(NY, datetime(2024, 3, 7)), (NY, datetime(2024, 10, 31)),
         (LONDON, datetime(2024, 3, 28)), (LONDON, datetime(2024, 10, 24)),
         (SYDNEY, datetime(2024, 4, 4)), (SYDNEY, datetime(2024, 10, 3))],
    )  # fmt: skip
    def test_daily_cron_keeps_local_time_like_pendulum(self, zone: str, first: datetime) -> None:
        start = pendulum.instance(first, tz=zone).set(hour=9)
        events = take(CronClock("0 9 * * *", start_date=start), 8, after=datetime(2000, 1, 1))
        assert [utc(e) for e in events] == [utc(start.add(days=k)) for k in range(8)]

    @pytest.mark.parametrize(
        "zone, cron, day, expected",
        [
            (NY, "0 2 * * *", (2024, 3, 10), [(2024, 3, 10, 3, 0, -4)]),
            (NY, "30 2 * * *", (2024, 3, 10), [(2024, 3, 10, 3, 0, -4)]),
            (LONDON, "30 1 * * *", (2024, 3, 31), [(2024, 3, 31, 2, 0, 1)]),
            (SYDNEY, "30 2 * * *", (2024, 10, 6), [(2024, 10, 6, 3, 0, 11)]),
        ],
    )
    def test_spring_forward_runs_when_the_clocks_jump(
        self, zone: str, cron: str, day: tuple[int, int, int], expected: list[tuple[int, ...]]
    ) -> None:
        clock = CronClock(cron, start_date=pendulum.datetime(2024, 1, 1, tz=zone))
        start, end = pendulum.datetime(*day, tz=zone), pendulum.datetime(*day, tz=zone).add(days=1)
        events = [e for e in take(clock, 3, after=start.subtract(seconds=1)) if e < end]
        assert [(*local(e), hours(e)) for e in events] == expected

    @pytest.mark.parametrize(
        "zone, cron, day, offset_h",
        [
            (NY, "30 1 * * *", (2024, 11, 3), -4),
            (LONDON, "30 1 * * *", (2024, 10, 27), 1),
            (SYDNEY, "30 2 * * *", (2024, 4, 7), 11),
        ],
    )
    def test_fall_back_runs_once_at_first_occurrence(
        self, zone: str, cron: str, day: tuple[int, int, int], offset_h: int
    ) -> None:
        clock = CronClock(cron, start_date=pendulum.datetime(2024, 1, 1, tz=zone))
        after = pendulum.datetime(*day, tz=zone).subtract(days=1)
        events = take(clock, 3, after=after)
        assert [e.day for e in events] == [day[2] - 1, day[2], day[2] + 1]
        assert events[1].offset == offset_h * 3600
        assert utc(events[2]) - utc(events[1]) == timedelta(hours=25)

    def test_hourly_cron_pauses_two_hours_when_clocks_fall_back(self) -> None:
        clock = CronClock("0 * * * *", start_date=pendulum.datetime(2024, 1, 1, tz=NY))
        events = take(clock, 4, after=pendulum.datetime(2024, 11, 3, 0, 30, tz=NY))
        assert [(e.hour, hours(e)) for e in events] == [(1, -4), (2, -5), (3, -5), (4, -5)]
        assert utc(events[1]) - utc(events[0]) == timedelta(hours=2)

    def test_quarter_hourly_cron_across_spring_forward(self) -> None:
        clock = CronClock("*/15 * * * *", start_date=pendulum.datetime(2024, 1, 1, tz=NY))
        events = take(clock, 3, after=pendulum.datetime(2024, 3, 10, 1, 30, tz=NY))
        assert [(e.hour, e.minute) for e in events] == [(1, 45), (3, 0), (3, 15)]

    def test_after_inside_the_repeated_hour(self) -> None:
        clock = CronClock("*/15 * * * *", start_date=pendulum.datetime(2024, 1, 1, tz=NY))
        after = pendulum.datetime(2024, 11, 3, 6, 40, tz="UTC")  # 01:40 EST, the second 01:40
        assert [(e.hour, e.minute) for e in take(clock, 2, after=after)] == [(2, 0), (2, 15)]

    @pytest.mark.parametrize(
        "zone, change_day, local_hours",
        [
            (NY, (2024, 3, 10), 3 * 24 - 1),  # one local hour does not exist
            (NY, (2024, 11, 3), 3 * 24),  # the repeated hour runs once
            (LONDON, (2024, 3, 31), 3 * 24 - 1),
            (LONDON, (2024, 10, 27), 3 * 24),
            (SYDNEY, (2024, 4, 7), 3 * 24),
            (SYDNEY, (2024, 10, 6), 3 * 24 - 1),
        ],
    )
    def test_hourly_cron_around_a_change_is_increasing_and_unique(
        self, zone: str, change_day: tuple[int, int, int], local_hours: int
    ) -> None:
        start = pendulum.datetime(*change_day, tz=zone).subtract(days=1)
        end = pendulum.datetime(*change_day, 23, 59, tz=zone).add(days=1)
        clock = CronClock("0 * * * *", start_date=start, end_date=end)
        instants = [utc(e.start_time) for e in clock.events(after=start.subtract(seconds=1))]
        assert all(a < b for a, b in itertools.pairwise(instants))
        assert len(instants) == local_hours

    def test_stdlib_zoneinfo_start_date(self) -> None:
        start = datetime(2024, 3, 9, 9, tzinfo=ZoneInfo(NY))
        events = take(CronClock("0 9 * * *", start_date=start), 2, after=start)
        assert [local(e) for e in events] == [(2024, 3, 10, 9, 0), (2024, 3, 11, 9, 0)]

    def test_module_does_not_use_pendulum_private_classes(self) -> None:
        # Prefect 1.4.1's CronClock asserts on pendulum 2's private ``_Timezone`` class.
        assert "_Timezone" not in Path(clocks.__file__).read_text()


class TestDatesClock:
    def test_yields_sorted_unique_dates_after(self) -> None:
        d1, d2 = pendulum.datetime(2030, 1, 1, tz=NY), pendulum.datetime(2030, 1, 2)
        clock = DatesClock([d2, d1, datetime(2030, 1, 1, 5)])  # the naive one is d1 in UTC
        assert take(clock, 5, after=datetime(2029, 1, 1)) == [d1, d2]
        assert take(clock, 5, after=d1) == [d2]
        assert (clock.start_date, clock.end_date) == (d1, d2)

    def test_default_after_is_now(self) -> None:
        past, future = pendulum.now().subtract(days=1), pendulum.now().add(days=1)
        assert take(DatesClock([past, future]), 5) == [future]

    def test_needs_a_date(self) -> None:
        with pytest.raises(ValueError, match="at least one date"):
            DatesClock([])

    def test_events_carry_parameter_defaults_and_labels(self) -> None:
        clock = DatesClock([pendulum.datetime(2030, 1, 1)], {"x": 1}, ["a"])
        (event,) = clock.events(after=datetime(2029, 1, 1))
        assert (event.parameter_defaults, event.labels) == ({"x": 1}, ["a"])
