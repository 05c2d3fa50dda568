"""Two styles, one engine: the same tasks built into a graph and called in an eager flow give
the same results, go through the same task runner (retries, caching, handlers, signals), and
each style's states stay its own."""

from __future__ import annotations

import datetime

import pytest

from prefectlite import Flow, Parameter, flow, task, unmapped
from prefectlite.engine import signals
from prefectlite.engine import state as p1
from prefectlite.states import State


@task
def extract(n):
    return list(range(n))


@task(retries=1, retry_delay_seconds=0)
def transform(x, factor):
    return x * factor


@task
def load(values):
    return sum(values)


def graph_etl() -> tuple[Flow, object]:
    with Flow("etl") as etl:
        n = Parameter("n", default=4)
        numbers = extract(n)
        scaled = transform.map(numbers, factor=unmapped(10))
        total = load(scaled)
    return etl, total


@flow(name="etl")
def eager_etl(n: int = 4):
    numbers = extract(n)
    scaled = transform.map(numbers, factor=unmapped(10))
    return load(scaled)


def test_same_tasks_same_result() -> None:
    etl, total = graph_etl()
    graph_state = etl.run(n=5)
    assert isinstance(graph_state, p1.State) and graph_state.is_successful()
    assert graph_state.result[total].result == 100
    assert eager_etl(5) == 100
    assert isinstance(eager_etl(5, return_state=True), State)


def test_same_options_on_both_paths() -> None:
    calls = []

    @task(max_retries=1, retry_delay=datetime.timedelta(0),
          state_handlers=[lambda t, old, new: calls.append(type(new).__name__)])
    def flaky():
        if len(calls) < 1:
            raise RuntimeError("first")
        return "ok"

    with Flow("graph") as graph:
        node = flaky()
    assert graph.run().result[node].result == "ok"
    graph_calls, calls[:] = list(calls), []

    @flow
    def eager():
        return flaky()

    assert eager() == "ok"
    assert calls == graph_calls  # the handlers saw the same transitions


def test_caching_is_the_engines() -> None:
    runs = []

    @task(cache_for=datetime.timedelta(minutes=1))
    def expensive():
        runs.append(1)
        return 42

    @flow(name="cached")
    def twice():
        first = expensive(return_state=True)
        second = expensive(return_state=True)
        return first.name, second.name, second.result()

    assert twice() == ("Completed", "Cached", 42) and runs == [1]


def test_signals_in_both_styles() -> None:
    @task
    def maybe(skip):
        if skip:
            raise signals.SKIP("nothing to do")
        return "done"

    with Flow("graph") as graph:
        node = maybe(True)
    assert isinstance(graph.run().result[node], p1.Skipped)

    @flow
    def eager():
        return maybe(True, return_state=True).name, maybe(False)

    assert eager() == ("Skipped", "done")


def test_each_style_keeps_its_state_api() -> None:
    @task
    def one():
        return 1

    with Flow("graph") as graph:
        node = one()
    graph_task_state = graph.run().result[node]
    assert graph_task_state.result == 1  # Prefect 1: an attribute

    @flow
    def eager():
        return one(return_state=True)

    assert eager().result() == 1  # Prefect 3: a method
    with pytest.raises(TypeError):
        graph_task_state.result()  # type: ignore[operator]
