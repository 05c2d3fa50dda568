"""Schedule: merging clocks, filtering, adjusting, the candidate bound, Prefect 1 shortcuts."""

from __future__ import annotations

import time as stopwatch
from datetime import datetime, time, timedelta

import pendulum
import pytest

import prefectlite.schedules as schedules_pkg
from prefectlite.schedules import (
    CronSchedule,
    IntervalSchedule,
    Schedule,
    adjustments,
    clocks,
    filters,
)
from prefectlite.schedules.clocks import ClockEvent
from prefectlite.schedules.schedules import MAX_CANDIDATE_EVENTS

NY, LONDON = "America/New_York", "Europe/London"
JAN1 = pendulum.datetime(2024, 1, 1)  # a Monday


def hours(dt: datetime) -> float:
    """The UTC offset of ``dt`` in hours."""
    offset = dt.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


def hourly(**kwargs: object) -> clocks.IntervalClock:
    return clocks.IntervalClock(timedelta(hours=1), start_date=JAN1, **kwargs)  # type: ignore[arg-type]


class TestPackage:
    def test_prefect_1_4_names(self) -> None:
        for name in ["Schedule", "IntervalSchedule", "CronSchedule"]:
            assert name in schedules_pkg.__all__ and hasattr(schedules_pkg, name)
        for module in ["clocks", "filters", "adjustments"]:
            assert getattr(schedules_pkg, module).__name__ == f"prefectlite.schedules.{module}"


class TestConstruction:
    def test_clocks_must_be_a_list_of_clocks(self) -> None:
        with pytest.raises(TypeError, match="list of clocks"):
            Schedule(clocks=hourly())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="must be Clock objects"):
            Schedule(clocks=[JAN1])  # type: ignore[list-item]

    def test_a_schedule_without_clocks_never_fires(self) -> None:
        empty = Schedule(clocks=[])
        assert empty.next(5) == [] and empty.start_date is None and empty.end_date is None

    def test_filters_must_be_callable(self) -> None:
        with pytest.raises(TypeError, match="or_filters must be callables"):
            Schedule(clocks=[hourly()], or_filters=[True])  # type: ignore[list-item]

    def test_start_and_end_dates(self) -> None:
        a = hourly(end_date=JAN1.add(days=1))
        b = clocks.CronClock("0 0 * * *", start_date=JAN1.add(days=3), end_date=JAN1.add(days=5))
        assert Schedule([a, b]).start_date == JAN1
        assert Schedule([a, b]).end_date == JAN1.add(days=5)
        assert Schedule([a, hourly()]).end_date is None  # one clock never ends
        assert Schedule([clocks.CronClock("0 0 * * *")]).start_date is None


class TestNext:
    def test_returns_pendulum_times_after(self) -> None:
        times = Schedule([hourly()]).next(3, after=datetime(2024, 1, 1, 5, 30))
        assert times == [pendulum.datetime(2024, 1, 1, h) for h in (6, 7, 8)]
        assert all(isinstance(t, pendulum.DateTime) for t in times)

    def test_zero_and_exhausted(self) -> None:
        assert Schedule([hourly()]).next(0) == []
        short = Schedule([hourly(end_date=JAN1.add(hours=2))])
        assert short.next(10, after=JAN1) == [JAN1.add(hours=1), JAN1.add(hours=2)]

    def test_default_after_is_now(self) -> None:
        (first,) = Schedule([clocks.CronClock("* * * * *")]).next(1)
        assert pendulum.now("UTC") < first <= pendulum.now("UTC").add(minutes=1)

    def test_merges_clocks_in_order_without_duplicates(self) -> None:
        every_2h = clocks.IntervalClock(timedelta(hours=2), start_date=JAN1)
        every_3h = clocks.IntervalClock(timedelta(hours=3), start_date=JAN1)
        times = Schedule([every_3h, every_2h]).next(6, after=JAN1)
        assert [t.hour for t in times] == [2, 3, 4, 6, 8, 9]

    def test_same_instant_in_two_zones_is_one_run(self) -> None:
        utc_clock = clocks.CronClock("0 14 * * *", start_date=JAN1)
        ny_clock = clocks.CronClock("0 9 * * *", start_date=pendulum.datetime(2024, 1, 1, tz=NY))
        assert len(Schedule([utc_clock, ny_clock]).next(2, after=JAN1)) == 2  # 2 days, not 4

    def test_same_instant_with_different_parameters_is_two_runs(self) -> None:
        a = clocks.CronClock("0 9 * * *", parameter_defaults={"who": "a"}, labels=["x"])
        b = clocks.CronClock("0 9 * * *", parameter_defaults={"who": "b"})
        a_again = clocks.CronClock("0 9 * * *", parameter_defaults={"who": "a"}, labels=["x"])
        events = Schedule([a, b, a_again]).next(3, after=JAN1, return_events=True)
        assert [(e.start_time.day, e.parameter_defaults["who"]) for e in events] == [
            (1, "a"),
            (1, "b"),
            (2, "a"),
        ]
        assert events[0].labels == ["x"] and events[1].labels is None

    def test_return_events(self) -> None:
        (event,) = Schedule([hourly(parameter_defaults={"n": 1}, labels=["l"])]).next(
            1, after=JAN1, return_events=True
        )
        assert isinstance(event, ClockEvent)
        assert (event.start_time, event.parameter_defaults, event.labels) == (
            JAN1.add(hours=1),
            {"n": 1},
            ["l"],
        )

    def test_dst_repeated_hour_is_not_merged_away(self) -> None:
        start = pendulum.datetime(2024, 11, 3, 0, tz=NY)
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=start)
        times = Schedule([clock]).next(3, after=start)
        assert [(t.hour, hours(t)) for t in times] == [(1, -4), (1, -5), (2, -5)]


class TestFilters:
    def test_all_filters_must_pass(self) -> None:
        schedule = Schedule(
            [hourly()], filters=[filters.is_weekend, filters.between_times(time(9), time(10))]
        )
        assert [(t.day, t.hour) for t in schedule.next(3, after=JAN1)] == [(6, 9), (6, 10), (7, 9)]

    def test_one_or_filter_must_pass(self) -> None:
        schedule = Schedule(
            [hourly()],
            filters=[filters.is_weekday],
            or_filters=[filters.at_time(time(9)), filters.at_time(time(17))],
        )
        times = schedule.next(4, after=datetime(2024, 1, 5))  # Friday, then the weekend
        assert [(t.day, t.hour) for t in times] == [(5, 9), (5, 17), (8, 9), (8, 17)]

    def test_no_not_filter_may_pass(self) -> None:
        schedule = Schedule([hourly()], not_filters=[filters.between_times(time(1), time(22))])
        assert [t.hour for t in schedule.next(4, after=JAN1)] == [23, 0, 23, 0]

    def test_filters_see_the_clocks_local_time(self) -> None:
        ny_hourly = clocks.IntervalClock(timedelta(hours=1), pendulum.datetime(2024, 1, 1, tz=NY))
        (t,) = Schedule([ny_hourly], filters=[filters.at_time(time(9))]).next(1, after=JAN1)
        assert (t.hour, t.timezone_name) == (9, NY)

    def test_filter_that_never_passes_stops_at_the_bound(self) -> None:
        calls = 0

        def never(dt: datetime) -> bool:
            nonlocal calls
            calls += 1
            return False

        schedule = Schedule([clocks.IntervalClock(timedelta(seconds=1))], filters=[never])
        began = stopwatch.perf_counter()
        assert schedule.next(1) == []
        assert calls == MAX_CANDIDATE_EVENTS == 10_000
        assert stopwatch.perf_counter() - began < 30  # generous: it ends, and not by timeout

    def test_rare_match_beyond_the_bound_is_not_found(self) -> None:
        # Leap days are more than 10,000 hourly candidates apart.
        schedule = Schedule([hourly()], filters=[filters.on_date(2, 29)])
        assert schedule.next(1, after=datetime(2024, 3, 1)) == []
        daily = Schedule([clocks.CronClock("0 0 * * *")], filters=[filters.on_date(2, 29)])
        assert daily.next(1, after=datetime(2024, 3, 1)) == [pendulum.datetime(2028, 2, 29)]

    def test_the_bound_counts_candidates_not_results(self) -> None:
        every_second = Schedule([clocks.IntervalClock(timedelta(seconds=1))])
        assert len(every_second.next(MAX_CANDIDATE_EVENTS + 5)) == MAX_CANDIDATE_EVENTS


class TestAdjustments:
    def test_applied_in_order_after_filters(self) -> None:
        # Friday 20:00 passes the filter; +6 h lands on Saturday; next_weekday moves it on.
        friday_8pm = [clocks.DatesClock([pendulum.datetime(2024, 1, 5, 20)])]
        keep = [filters.is_weekday]
        add_then_move = Schedule(
            friday_8pm,
            keep,
            adjustments=[adjustments.add(timedelta(hours=6)), adjustments.next_weekday],
        )
        move_then_add = Schedule(
            friday_8pm,
            keep,
            adjustments=[adjustments.next_weekday, adjustments.add(timedelta(hours=6))],
        )
        assert add_then_move.next(1, after=JAN1) == [pendulum.datetime(2024, 1, 8, 2)]
        assert move_then_add.next(1, after=JAN1) == [pendulum.datetime(2024, 1, 6, 2)]

    def test_adjusted_duplicates_are_returned_once(self) -> None:
        daily = clocks.CronClock("0 9 * * *")
        schedule = Schedule([daily], adjustments=[adjustments.next_weekday])
        times = schedule.next(4, after=datetime(2024, 1, 5, 12))  # Friday noon
        assert [t.day for t in times] == [8, 9, 10, 11]  # Sat and Sun fold into Monday

    def test_events_carry_adjusted_time(self) -> None:
        schedule = Schedule(
            [hourly(parameter_defaults={"k": 1})],
            adjustments=[adjustments.add(timedelta(minutes=5))],
        )
        (event,) = schedule.next(1, after=JAN1, return_events=True)
        assert event.start_time == JAN1.add(hours=1, minutes=5)
        assert event.parameter_defaults == {"k": 1}


class TestShortcuts:
    def test_interval_schedule_signature_is_prefect_1s(self) -> None:
        schedule = IntervalSchedule(JAN1, timedelta(days=1), JAN1.add(days=2))
        assert schedule.next(5, after=JAN1) == [JAN1.add(days=1), JAN1.add(days=2)]
        assert isinstance(schedule.clocks[0], clocks.IntervalClock)

    def test_interval_schedule_needs_an_interval(self) -> None:
        with pytest.raises(TypeError, match="needs an interval"):
            IntervalSchedule(start_date=JAN1)
        with pytest.raises(ValueError, match="greater than 0"):
            IntervalSchedule(interval=timedelta(0))

    def test_cron_schedule(self) -> None:
        start = pendulum.datetime(2024, 3, 8, tz=NY)
        schedule = CronSchedule("0 9 * * *", start_date=start, end_date=start.add(days=3))
        times = schedule.next(5, after=start)
        assert [(t.day, t.hour) for t in times] == [(8, 9), (9, 9), (10, 9)]
        assert {t.timezone_name for t in times} == {NY}

    def test_cron_schedule_day_or(self) -> None:
        times = CronSchedule("0 0 13 * 5", day_or=False).next(2, after=JAN1)
        assert [(t.year, t.month, t.day) for t in times] == [(2024, 9, 13), (2024, 12, 13)]

    def test_cron_schedule_invalid(self) -> None:
        with pytest.raises(ValueError, match="Invalid cron string 'every day'"):
            CronSchedule("every day")
