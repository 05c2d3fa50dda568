"""Schedule adjustments: elapsed ``add`` and calendar ``next_weekday``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pendulum
import pytest

from prefectlite.schedules import adjustments

NY, LONDON = "America/New_York", "Europe/London"


class TestAdd:
    def test_adds_elapsed_time(self) -> None:
        dt = pendulum.datetime(2024, 1, 1, 9)
        assert adjustments.add(timedelta(minutes=5))(dt) == pendulum.datetime(2024, 1, 1, 9, 5)

    def test_elapsed_across_spring_forward_matches_pendulum(self) -> None:
        dt = pendulum.datetime(2024, 3, 31, 0, 30, tz=LONDON)
        moved = adjustments.add(timedelta(hours=1))(dt)
        assert moved == dt + timedelta(hours=1)
        assert (moved.hour, moved.minute, moved.offset) == (2, 30, 3600)

    def test_day_is_24_elapsed_hours_even_as_a_pendulum_duration(self) -> None:
        dt = pendulum.datetime(2024, 3, 9, 12, tz=NY)
        moved = adjustments.add(pendulum.duration(days=1))(dt)
        assert moved.in_timezone("UTC") == (dt + timedelta(hours=24)).in_timezone("UTC")
        assert moved.hour == 13 and moved.timezone_name == NY

    def test_negative_interval_moves_back(self) -> None:
        dt = pendulum.datetime(2024, 1, 1, 9)
        assert adjustments.add(timedelta(hours=-1))(dt) == pendulum.datetime(2024, 1, 1, 8)

    def test_naive_and_stdlib_inputs_return_pendulum(self) -> None:
        moved = adjustments.add(timedelta(hours=1))(datetime(2024, 1, 1))
        assert isinstance(moved, pendulum.DateTime) and moved == pendulum.datetime(2024, 1, 1, 1)
        aware = adjustments.add(timedelta(hours=1))(datetime(2024, 1, 1, tzinfo=ZoneInfo(NY)))
        assert aware.timezone_name == NY and aware.hour == 1

    def test_rejects_non_timedeltas(self) -> None:
        with pytest.raises(TypeError, match="add expects a timedelta"):
            adjustments.add(60)  # type: ignore[arg-type]


class TestNextWeekday:
    @pytest.mark.parametrize("day", [6, 7])
    def test_weekend_moves_to_monday_same_local_time(self, day: int) -> None:
        dt = pendulum.datetime(2024, 1, day, 9, 15, tz=LONDON)
        assert adjustments.next_weekday(dt) == pendulum.datetime(2024, 1, 8, 9, 15, tz=LONDON)

    @pytest.mark.parametrize("day", [1, 2, 3, 4, 5])
    def test_weekdays_are_unchanged(self, day: int) -> None:
        dt = pendulum.datetime(2024, 1, day, 9, tz=NY)
        assert adjustments.next_weekday(dt) == dt

    def test_keeps_local_time_across_a_dst_weekend(self) -> None:
        saturday = pendulum.datetime(2024, 3, 9, 9, tz=NY)  # clocks spring forward on Sunday
        monday = adjustments.next_weekday(saturday)
        assert monday.in_timezone("UTC") == saturday.add(days=2).in_timezone("UTC")
        assert (monday.day, monday.hour, monday.offset) == (11, 9, -4 * 3600)

    def test_naive_is_utc(self) -> None:
        moved = adjustments.next_weekday(datetime(2024, 1, 6, 9))
        assert moved == pendulum.datetime(2024, 1, 8, 9) and moved.offset == 0
