"""The cyclic garbage collector during flow runs (prefectlite.engine.collector)."""

from __future__ import annotations

import gc
import threading

import pytest

from prefectlite import Flow, task
from prefectlite.engine import collector


@pytest.fixture(autouse=True)
def default_collector():
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.enable()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)
    (gc.enable if enabled else gc.disable)()


def observed_inside_run() -> dict:
    seen: dict = {}

    @task
    def look():
        seen.update(threshold=gc.get_threshold(), frozen=gc.get_freeze_count())

    with Flow("gc") as flow:
        look()
    assert flow.run().is_successful()
    return seen


def test_a_run_collects_in_larger_steps_and_puts_everything_back() -> None:
    seen = observed_inside_run()
    assert seen["threshold"] == (collector.YOUNG_THRESHOLD, 10, 10)
    assert seen["frozen"] > 0  # the objects made before the run
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_higher_threshold_of_the_application_is_kept() -> None:
    gc.set_threshold(10 * collector.YOUNG_THRESHOLD, 5, 5)
    assert observed_inside_run()["threshold"] == (10 * collector.YOUNG_THRESHOLD, 5, 5)
    assert gc.get_threshold() == (10 * collector.YOUNG_THRESHOLD, 5, 5)


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    seen = observed_inside_run()
    assert not gc.isenabled()
    assert seen["threshold"] == (700, 10, 10) and seen["frozen"] == 0
    gc.enable()
    gc.set_threshold(0)
    assert observed_inside_run()["threshold"][0] == 0
    assert gc.get_threshold()[0] == 0


def test_objects_the_application_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        observed_inside_run()
        # not thawed (a few frozen objects may have been freed meanwhile)
        assert gc.get_freeze_count() > frozen * 0.9
    finally:
        gc.unfreeze()


def test_nested_runs_restore_once_the_outer_run_ends() -> None:
    inner_seen: dict = {}

    @task
    def run_inner():
        with Flow("inner") as inner:
            task(lambda: inner_seen.update(threshold=gc.get_threshold()))()
        assert inner.run().is_successful()
        return gc.get_threshold()

    with Flow("outer") as outer:
        after_inner = run_inner()
    state = outer.run()
    assert state.is_successful()
    assert inner_seen["threshold"][0] == collector.YOUNG_THRESHOLD
    assert state.result[after_inner].result[0] == collector.YOUNG_THRESHOLD  # still outer's
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_concurrent_runs_restore_when_the_last_one_ends() -> None:
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list = []

    @task
    def hold():
        first_inside.set()
        assert second_done.wait(30)
        seen.append(gc.get_threshold()[0])

    with Flow("holding") as holding:
        hold()
    with Flow("quick") as quick:
        task(lambda: 1)()
    thread = threading.Thread(target=holding.run)
    thread.start()
    assert first_inside.wait(30)
    assert quick.run().is_successful()
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD  # the first run goes on
    second_done.set()
    thread.join(30)
    assert seen == [collector.YOUNG_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_settings_come_back_when_the_run_raises() -> None:
    with pytest.raises(RuntimeError), collector.run_collection():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0
