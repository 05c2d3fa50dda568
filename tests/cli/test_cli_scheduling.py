"""The command line's Ctrl-C policy (prefectlite.cli.scheduling.Stopper) driving the library's
schedule loop: real SIGINTs sent to this process, a fake clock, no sleeping."""

from __future__ import annotations

import datetime
import os
import signal
from typing import Any

import pendulum

from prefectlite.cli.scheduling import Stopper
from prefectlite.engine.scheduling import Clock, run_on_schedule
from prefectlite.engine.state import Cancelled, State, Success
from prefectlite.schedules import Schedule
from prefectlite.schedules.clocks import DatesClock

START = pendulum.datetime(2030, 1, 1, tz="UTC")


class FakeClock(Clock):
    def __init__(self, on_sleep: Any = None) -> None:
        self.moment, self.on_sleep = START, on_sleep

    def now(self) -> datetime.datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        if self.on_sleep is not None:
            self.on_sleep()
        self.moment += datetime.timedelta(seconds=seconds)


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def schedule(n: int) -> Schedule:
    return Schedule(clocks=[DatesClock([START.add(minutes=m + 1) for m in range(n)])])


def loop(stopper: Stopper, run: Any, clock: FakeClock) -> Any:
    return run_on_schedule(schedule(3), stopper.around_run(run), stop=lambda: stopper.stop,
                           after=START, clock=clock)


def test_ctrl_c_while_waiting_stops_at_once() -> None:
    said: list[str] = []
    runs: list[Any] = []
    with Stopper(said.append) as stopper:
        done = loop(stopper, lambda e: runs.append(e) or Success(), FakeClock(ctrl_c))
    assert runs == [] and done.stopped and said == []


def test_ctrl_c_during_a_run_lets_it_finish_then_stops() -> None:
    said: list[str] = []

    def run(event: Any) -> State:
        ctrl_c()
        return Success()

    with Stopper(said.append) as stopper:
        done = loop(stopper, run, FakeClock())
    assert done.runs == 1 and done.stopped and isinstance(done.last, Success)
    assert said == ["Ctrl-C: stopping after the current run finishes (press Ctrl-C again to "
                    "cancel it)."]


def test_a_second_ctrl_c_interrupts_the_run() -> None:
    def run(event: Any) -> State:
        ctrl_c()
        try:
            ctrl_c()
        except KeyboardInterrupt:  # what the flow runner turns into a Cancelled run
            return Cancelled("interrupted")
        raise AssertionError("the second Ctrl-C did not interrupt the run")

    with Stopper(lambda text: None) as stopper:
        done = loop(stopper, run, FakeClock())
    assert done.runs == 1 and isinstance(done.last, Cancelled)


def test_the_old_handler_is_put_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with Stopper(lambda text: None):
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before

