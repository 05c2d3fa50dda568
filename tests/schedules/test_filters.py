"""Schedule filters: each predicate, window wrapping, and local-vs-instant semantics."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pendulum
import pytest

from prefectlite.schedules import filters

NY = "America/New_York"


class TestOnDatetime:
    def test_matches_the_same_instant_in_any_zone(self) -> None:
        keep = filters.on_datetime(pendulum.datetime(2024, 1, 1, 14))
        assert keep(pendulum.datetime(2024, 1, 1, 9, tz=NY))
        assert keep(datetime(2024, 1, 1, 14))  # naive = UTC
        assert not keep(pendulum.datetime(2024, 1, 1, 14, 0, 1))

    def test_distinguishes_the_two_repeated_hours(self) -> None:
        first = pendulum.datetime(2024, 11, 3, 5, tz="UTC").in_timezone(NY)  # 01:00 EDT
        second = pendulum.datetime(2024, 11, 3, 6, tz="UTC").in_timezone(NY)  # 01:00 EST
        assert filters.on_datetime(first)(first)
        assert not filters.on_datetime(first)(second)


class TestBetweenDatetimes:
    def test_inclusive_bounds(self) -> None:
        keep = filters.between_datetimes(datetime(2024, 1, 1), datetime(2024, 1, 2))
        assert keep(datetime(2024, 1, 1)) and keep(datetime(2024, 1, 2))
        assert keep(pendulum.datetime(2024, 1, 1, 12, tz=NY))
        assert not keep(pendulum.datetime(2024, 1, 1, 20, tz=NY))  # 01:00 UTC on the 2nd
        assert not keep(datetime(2023, 12, 31, 23, 59))

    def test_mixes_aware_and_naive(self) -> None:
        keep = filters.between_datetimes(
            datetime(2024, 1, 1, tzinfo=UTC), pendulum.datetime(2024, 1, 2, tz=NY)
        )
        assert keep(datetime(2024, 1, 2, 4, 59))
        assert not keep(datetime(2024, 1, 2, 5, 1))


class TestOnDate:
    def test_any_year(self) -> None:
        keep = filters.on_date(2, 29)
        assert keep(datetime(2024, 2, 29, 23)) and keep(datetime(2028, 2, 29))
        assert not keep(datetime(2024, 3, 1))

    def test_uses_local_date(self) -> None:
        # 02:00 UTC on 1 January is still 31 December in New York.
        candidate = pendulum.datetime(2024, 1, 1, 2, tz="UTC").in_timezone(NY)
        assert filters.on_date(12, 31)(candidate)

    @pytest.mark.parametrize("month, day", [(13, 1), (2, 30), (0, 1), (4, 31)])
    def test_rejects_impossible_days(self, month: int, day: int) -> None:
        with pytest.raises(ValueError, match=f"month={month}, day={day}"):
            filters.on_date(month, day)


class TestBetweenDates:
    def test_window_within_a_year(self) -> None:
        keep = filters.between_dates(3, 15, 4, 15)
        assert keep(datetime(2024, 3, 15)) and keep(datetime(2024, 4, 15, 23, 59))
        assert not keep(datetime(2024, 3, 14)) and not keep(datetime(2024, 4, 16))

    def test_window_wraps_across_new_year(self) -> None:
        keep = filters.between_dates(12, 1, 1, 31)
        assert keep(datetime(2024, 12, 25)) and keep(datetime(2025, 1, 10))
        assert not keep(datetime(2024, 11, 30)) and not keep(datetime(2025, 2, 1))

    def test_window_within_one_month_wrapping(self) -> None:
        # start after end in the same month: everything but 11..19 March (Prefect 1 kept nothing)
        keep = filters.between_dates(3, 20, 3, 10)
        assert keep(datetime(2024, 3, 25)) and keep(datetime(2024, 7, 1))
        assert keep(datetime(2024, 3, 5))
        assert not keep(datetime(2024, 3, 15))

    def test_rejects_impossible_days(self) -> None:
        with pytest.raises(ValueError, match="month=2, day=31"):
            filters.between_dates(1, 1, 2, 31)


class TestTimes:
    def test_at_time_is_exact(self) -> None:
        keep = filters.at_time(time(9, 30))
        assert keep(datetime(2024, 1, 1, 9, 30))
        assert not keep(datetime(2024, 1, 1, 9, 30, 1))

    def test_at_time_uses_local_time(self) -> None:
        assert filters.at_time(time(9))(pendulum.datetime(2024, 7, 1, 9, tz=NY))

    def test_between_times_inclusive(self) -> None:
        keep = filters.between_times(time(9), time(17))
        assert keep(datetime(2024, 1, 1, 9)) and keep(datetime(2024, 1, 1, 17))
        assert not keep(datetime(2024, 1, 1, 17, 0, 1)) and not keep(datetime(2024, 1, 1, 8))

    def test_between_times_wraps_midnight(self) -> None:
        keep = filters.between_times(time(22), time(2))
        assert keep(datetime(2024, 1, 1, 23)) and keep(datetime(2024, 1, 1, 0, 30))
        assert keep(datetime(2024, 1, 1, 2)) and not keep(datetime(2024, 1, 1, 12))

    def test_between_times_single_instant(self) -> None:
        keep = filters.between_times(time(9), time(9))
        assert keep(datetime(2024, 1, 1, 9)) and not keep(datetime(2024, 1, 1, 9, 1))

    def test_aware_times_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="naive time"):
            filters.at_time(time(9, tzinfo=UTC))
        with pytest.raises(ValueError, match="naive time"):
            filters.between_times(time(9), time(10, tzinfo=UTC))

    def test_non_times_are_rejected(self) -> None:
        with pytest.raises(TypeError, match="datetime.time"):
            filters.at_time(9)  # type: ignore[arg-type]


class TestCalendarPredicates:
    @pytest.mark.parametrize("day, weekday", [(1, True), (5, True), (6, False), (7, False)])
    def test_weekday_and_weekend(self, day: int, weekday: bool) -> None:
        dt = datetime(2024, 1, day, 12)  # 1 January 2024 is a Monday
        assert filters.is_weekday(dt) is weekday
        assert filters.is_weekend(dt) is not weekday

    def test_weekday_uses_local_date(self) -> None:
        saturday_utc = pendulum.datetime(2024, 1, 6, 2, tz="UTC")
        assert filters.is_weekend(saturday_utc)
        assert filters.is_weekday(saturday_utc.in_timezone(NY))  # still Friday evening

    def test_is_day_of_week(self) -> None:
        assert filters.is_day_of_week(0)(datetime(2024, 1, 1))
        assert filters.is_day_of_week(6)(datetime(2024, 1, 7))
        assert not filters.is_day_of_week(6)(datetime(2024, 1, 1))
        with pytest.raises(ValueError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
            filters.is_day_of_week(7)

    @pytest.mark.parametrize(
        "dt, start, end",
        [
            (datetime(2024, 1, 1), True, False),
            (datetime(2024, 1, 31, 23), False, True),
            (datetime(2024, 2, 28), False, False),
            (datetime(2024, 2, 29), False, True),
            (datetime(2023, 2, 28), False, True),
            (datetime(2024, 12, 31), False, True),
            (datetime(2024, 6, 15), False, False),
        ],
    )
    def test_month_start_and_end(self, dt: datetime, start: bool, end: bool) -> None:
        assert filters.is_month_start(dt) is start
        assert filters.is_month_end(dt) is end


@pytest.mark.parametrize("keep", [
    filters.on_datetime(datetime(2024, 1, 1, 9)),
    filters.between_datetimes(datetime(2024, 1, 1), datetime(2024, 1, 2)),
    filters.on_date(1, 1),
    filters.between_dates(12, 31, 1, 2),
    filters.at_time(time(9)),
    filters.between_times(time(8), time(10)),
    filters.is_day_of_week(0),
    filters.is_weekday,
    filters.is_month_start,
])
def test_every_filter_takes_its_candidate_as_dt(keep) -> None:
    assert keep(dt=datetime(2024, 1, 1, 9)) is True
