"""The one schedule loop (prefectlite.engine.scheduling), driven by a fake clock: nothing
here sleeps, and every ending of the loop is reached on purpose."""

from __future__ import annotations

import datetime
from typing import Any

import pendulum

from prefectlite.engine.scheduling import TICK, Clock, run_on_schedule
from prefectlite.engine.state import Cancelled, Failed, State, Success
from prefectlite.schedules import Schedule
from prefectlite.schedules.clocks import DatesClock

START = pendulum.datetime(2030, 1, 1, 9, 0, 0, tz="UTC")


class FakeClock(Clock):
    """Time that moves only when the loop sleeps; records every sleep."""

    def __init__(self, now: datetime.datetime = START) -> None:
        self.moment = now
        self.sleeps: list[float] = []

    def now(self) -> datetime.datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.moment += datetime.timedelta(seconds=seconds)


def dates(*minutes: int, **defaults: Any) -> Schedule:
    return Schedule(clocks=[DatesClock([START.add(minutes=m) for m in minutes],
                                       parameter_defaults=defaults or None)])


class Runs:
    """A ``run`` callback recording the events and the clock's time when each ran."""

    def __init__(self, clock: FakeClock, states: list[State] | None = None) -> None:
        self.clock, self.states = clock, list(states or [])
        self.events: list[Any] = []
        self.times: list[datetime.datetime] = []

    def __call__(self, event: Any) -> State:
        self.events.append(event)
        self.times.append(self.clock.now())
        return self.states.pop(0) if self.states else Success()


def test_runs_each_event_at_its_time_until_the_schedule_ends() -> None:
    clock = FakeClock()
    run = Runs(clock)
    done = run_on_schedule(dates(1, 2), run, after=START, clock=clock)
    assert [e.start_time for e in run.events] == [START.add(minutes=1), START.add(minutes=2)]
    assert run.times == [e.start_time for e in run.events]  # not before its time
    assert (done.runs, done.failed, done.exhausted, done.stopped) == (2, 0, True, False)
    assert max(clock.sleeps) <= TICK  # waits in ticks, so the stop hook is asked often


def test_max_runs_ends_the_loop() -> None:
    clock = FakeClock()
    run = Runs(clock)
    done = run_on_schedule(dates(1, 2, 3), run, max_runs=2, after=START, clock=clock)
    assert done.runs == 2 and len(run.events) == 2
    assert not done.exhausted and not done.stopped


def test_failed_runs_are_counted_and_the_last_state_kept() -> None:
    clock = FakeClock()
    failed = Failed("no")
    done = run_on_schedule(dates(1, 2), Runs(clock, [Success(), failed]), after=START,
                           clock=clock)
    assert (done.runs, done.failed) == (2, 1) and done.last is failed


def test_the_stop_hook_ends_the_wait_without_running() -> None:
    clock = FakeClock()
    run = Runs(clock)
    asked: list[datetime.datetime] = []

    def stop() -> bool:  # says stop once the clock passed 30 s of waiting
        asked.append(clock.now())
        return clock.now() >= START.add(seconds=30)

    done = run_on_schedule(dates(1), run, stop=stop, after=START, clock=clock)
    assert run.events == [] and done.runs == 0 and done.stopped
    assert clock.now() < START.add(minutes=1)
    assert len(asked) > 1


def test_the_stop_hook_is_asked_after_each_run() -> None:
    clock = FakeClock()
    run = Runs(clock)
    done = run_on_schedule(dates(1, 2), run, stop=lambda: bool(run.events), after=START,
                           clock=clock)
    assert len(run.events) == 1 and done.stopped and done.runs == 1


def test_a_cancelled_run_ends_the_loop() -> None:
    clock = FakeClock()
    run = Runs(clock, [Cancelled("Ctrl-C in the run")])
    done = run_on_schedule(dates(1, 2), run, after=START, clock=clock)
    assert len(run.events) == 1 and done.stopped and isinstance(done.last, Cancelled)


def test_ctrl_c_while_waiting_ends_the_loop_cleanly() -> None:
    class Interrupted(FakeClock):
        def sleep(self, seconds: float) -> None:
            raise KeyboardInterrupt

    clock = Interrupted()
    run = Runs(clock)
    done = run_on_schedule(dates(1), run, after=START, clock=clock)
    assert run.events == [] and done.stopped and done.last is None


def test_announce_is_told_each_event_before_the_wait() -> None:
    clock = FakeClock()
    told: list[tuple[Any, datetime.datetime]] = []
    run_on_schedule(dates(1, 2), Runs(clock), announce=lambda e: told.append((e, clock.now())),
                    after=START, clock=clock)
    assert [e.start_time for e, _ in told] == [START.add(minutes=1), START.add(minutes=2)]
    assert told[0][1] == START  # announced before waiting


def test_events_parameter_defaults_reach_the_run() -> None:
    clock = FakeClock()
    run = Runs(clock)
    run_on_schedule(dates(1, x=3), run, after=START, clock=clock)
    assert run.events[0].parameter_defaults == {"x": 3}


def test_an_event_already_due_runs_at_once() -> None:
    clock = FakeClock(START.add(minutes=5))
    run = Runs(clock)
    done = run_on_schedule(dates(1), run, after=START, clock=clock)
    assert done.runs == 1 and clock.sleeps == []


def test_max_runs_zero_runs_nothing() -> None:
    clock = FakeClock()
    run = Runs(clock)
    done = run_on_schedule(dates(1), run, max_runs=0, after=START, clock=clock)
    assert run.events == [] and done.runs == 0 and not done.exhausted
