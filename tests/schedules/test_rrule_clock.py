"""RRuleClock and RRuleSchedule: run times from dateutil recurrence rules."""

from __future__ import annotations

from datetime import datetime

import pendulum
import pytest
from dateutil import rrule

from prefectlite.schedules import RRuleSchedule, Schedule, clocks

JAN1 = datetime(2024, 1, 1, 6)


def test_rejects_anything_but_a_rule() -> None:
    with pytest.raises(TypeError, match="needs a dateutil rrule or rruleset, got str"):
        clocks.RRuleClock("FREQ=DAILY")  # type: ignore[arg-type]


def test_naive_rules_are_utc_and_after_is_exclusive() -> None:
    clock = clocks.RRuleClock(rrule.rrule(rrule.DAILY, dtstart=JAN1))
    got = clock.next(2, after=pendulum.datetime(2024, 1, 3, 6))
    assert got == [pendulum.datetime(2024, 1, 4, 6), pendulum.datetime(2024, 1, 5, 6)]
    assert all(t.timezone_name == "UTC" for t in got)


def test_after_in_another_zone_is_compared_as_an_instant() -> None:
    clock = clocks.RRuleClock(rrule.rrule(rrule.DAILY, dtstart=JAN1))
    after = pendulum.datetime(2024, 1, 3, 2, tz="America/New_York")  # 07:00 UTC
    assert clock.next(1, after=after) == [pendulum.datetime(2024, 1, 4, 6)]


def test_aware_rules_keep_their_zone_across_dst() -> None:
    paris = pendulum.timezone("Europe/Paris")
    rule = rrule.rrule(rrule.DAILY, dtstart=datetime(2024, 3, 29, 9, tzinfo=paris))
    got = clocks.RRuleClock(rule).next(3, after=pendulum.datetime(2024, 3, 29, 12))
    assert [t.in_timezone("Europe/Paris").hour for t in got] == [9, 9, 9]
    assert [t.in_timezone("UTC").hour for t in got] == [8, 7, 7]


def test_start_date_is_inclusive_and_end_date_stops() -> None:
    start, end = pendulum.datetime(2024, 2, 1, 6), pendulum.datetime(2024, 2, 3, 6)
    clock = clocks.RRuleClock(rrule.rrule(rrule.DAILY, dtstart=JAN1), start, end)
    assert clock.next(10, after=pendulum.datetime(2023, 1, 1)) == [
        start, start.add(days=1), end,
    ]
    assert clock.next(1, after=end) == []


def test_events_carry_parameter_defaults_and_labels() -> None:
    clock = clocks.RRuleClock(rrule.rrule(rrule.HOURLY, dtstart=JAN1),
                              parameter_defaults={"n": 1}, labels=["dev"])
    event, = clock.next(1, after=JAN1, return_events=True)
    assert event.parameter_defaults == {"n": 1} and event.labels == ["dev"]


def test_without_after_events_start_from_now() -> None:
    now = pendulum.now("UTC").replace(microsecond=0)
    clock = clocks.RRuleClock(rrule.rrule(rrule.MINUTELY, dtstart=now.subtract(minutes=5)))
    first = clock.next(1)[0]
    assert now <= first <= now.add(minutes=1, seconds=1)


def test_rulesets_and_finite_rules() -> None:
    rules = rrule.rruleset()
    rules.rrule(rrule.rrule(rrule.DAILY, dtstart=JAN1, count=3))
    rules.exdate(datetime(2024, 1, 2, 6))
    assert clocks.RRuleClock(rules).next(5, after=datetime(2023, 12, 1)) == [
        pendulum.datetime(2024, 1, 1, 6), pendulum.datetime(2024, 1, 3, 6),
    ]
    assert clocks.RRuleClock(rrule.rruleset()).next(3, after=JAN1) == []


def test_rrule_schedule_has_one_rrule_clock() -> None:
    schedule = RRuleSchedule(rrule.rrule(rrule.WEEKLY, dtstart=JAN1), end_date=datetime(2024, 2, 1))
    assert isinstance(schedule, Schedule)
    assert isinstance(schedule.clocks[0], clocks.RRuleClock)
    assert len(schedule.next(10, after=datetime(2023, 1, 1))) == 5
