"""``prefectlite.context`` while flows run: what tasks see, and what does not leak.

(The ``Context`` mapping itself is tested in tests/test_context.py; the keys the engine sets
are listed in tests/engine/test_flow_runner.py::TestContext.)
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

from prefectlite import Flow, context, task
from prefectlite.engine.task_runner import TaskRunner
from prefectlite.triggers import all_finished


@task
def read(key: str) -> Any:
    return context.get(key)


def test_values_set_around_flow_run_reach_the_tasks() -> None:
    with Flow("outer") as flow:
        r = read("secret")
    with context(secret="s3"):
        state = flow.run()
    assert state.result[r].result == "s3"


def test_run_context_overrides_engine_values_for_backfills() -> None:
    # Prefect 1 users backfill by running with another "today"
    with Flow("backfill") as flow:
        r = read("today")
    assert flow.run(context={"today": "2020-01-31"}).result[r].result == "2020-01-31"


def test_a_task_changing_the_context_does_not_leak() -> None:
    @task
    def change():
        context.update(leaked=True)
        context.task_name = "renamed"
        return context.task_name

    with Flow("leak") as flow:
        c = change()
        later = read("leaked", upstream_tasks=[c])
    state = flow.run()
    assert state.result[c].result == "renamed"
    assert state.result[later].result is None
    assert "leaked" not in context


def test_a_timed_out_task_changing_the_context_does_not_leak() -> None:
    release = threading.Event()

    @task(timeout=0.05)
    def stuck():
        context.update(from_thread=True)
        release.wait(5)

    with Flow("thread") as flow:
        s = stuck()
        after = read("from_thread", upstream_tasks=[s], task_args={"trigger": all_finished})
    state = flow.run()
    release.set()
    assert state.result[s].is_failed()
    assert state.result[after].result is None
    assert "from_thread" not in context


def test_task_runner_gives_the_counters_a_flow_would() -> None:
    @task
    def counters():
        return context.task_run_count, context.task_loop_count, context.map_index

    assert TaskRunner(counters).run().result == (1, 1, None)


def test_each_mapped_child_sees_its_own_values() -> None:
    @task
    def mine(x):
        return x, context.map_index, context.task_full_name

    with Flow("children") as flow:
        m = mine.map([10, 20, 30])
    assert flow.run().result[m].result == [
        (10, 0, "mine[0]"), (20, 1, "mine[1]"), (30, 2, "mine[2]")]


def test_scheduled_start_time_is_when_flow_run_started_it() -> None:
    @task
    def times():
        return context.scheduled_start_time, context.date

    with Flow("times") as flow:
        t = times()
    scheduled, date = flow.run().result[t].result
    assert scheduled <= date  # flow.run schedules the run, then the runner starts it
    assert date - scheduled < datetime.timedelta(minutes=1)
    assert date.tzinfo is not None and scheduled.tzinfo is not None
    assert abs(date - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
