"""Property: a flow ends in the same states, with the same results, on every executor.

Hypothesis builds random flows from a small vocabulary: tasks that compute, fail, raise
signals (``SKIP``, ``FAIL``), fail once and succeed on their retry (zero delay), or do
what no task should (``sys.exit``); random triggers and ``skip_on_upstream_skip``; maps over
lists (and over values that cannot be mapped over), reductions, and ``case``/``merge``
branches. Each flow runs on the ``LocalExecutor``, ``LocalDaskExecutor`` with threads and
with processes, the ``LocalProcessPoolExecutor``, and the ``DaskExecutor`` on the session's
``LocalCluster``; every task's
final state type and result (exceptions by class and message, mapped tasks child by child)
must be the same on all of them.

Sized for CI: two dozen examples of up to eight tasks, each run five times (about a minute
of CPU, most of it starting process pools; marked ``slow``). With ``CI`` set in the
environment the examples are derandomized (the same on every run); elsewhere each run tries
new ones.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefectlite import Flow, Task, context, task
from prefectlite.engine import signals
from prefectlite.engine.state import Mapped, State
from prefectlite.executors import Executor, LocalExecutor
from prefectlite.tasks.control_flow import case, merge
from prefectlite.triggers import all_finished, all_successful, any_failed, any_successful
from prefectlite.utilities.errors import safe_str

pytestmark = [pytest.mark.dask, pytest.mark.slow]

settings.register_profile(
    "executor-equivalence-ci", max_examples=24, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "executor-equivalence", max_examples=24, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = "executor-equivalence-ci" if os.environ.get("CI") else "executor-equivalence"
TRIGGERS = {"all_successful": all_successful, "all_finished": all_finished,
            "any_failed": any_failed, "any_successful": any_successful}

# -- the vocabulary (module level: worker processes import these by reference) ------------


def _number(value: Any) -> int:
    if isinstance(value, list):
        return sum(_number(v) for v in value)
    return value if isinstance(value, int) else 0


@task
def combine(i: int, a: Any = 0, b: Any = 0) -> int:
    return i + _number(a) + _number(b)


@task
def make_list(i: int, a: Any = 0) -> list[int]:
    return [i, _number(a), i + 1][: 1 + i % 3]


@task
def crash(i: int, a: Any = 0, b: Any = 0) -> int:
    raise ValueError(f"task {i} fails on {_number(a) + _number(b)}")


@task
def signal(i: int, a: Any = 0, b: Any = 0) -> int:
    if i % 2:
        raise signals.SKIP(f"task {i} skips")
    raise signals.FAIL(f"task {i} signals failure")


@task(max_retries=1, retry_delay=datetime.timedelta(0))
def flaky(i: int, a: Any = 0, b: Any = 0) -> int:
    if context.get("task_run_count", 1) < 2:
        raise RuntimeError(f"task {i}: first attempt fails")
    return i + _number(a) + _number(b)


@task
def leave(i: int, a: Any = 0, b: Any = 0) -> int:
    sys.exit(i)


@task
def inc(x: Any) -> int:
    return _number(x) + 1


@task
def is_even(x: Any) -> bool:
    return _number(x) % 2 == 0


SIMPLE: dict[str, Task] = {"combine": combine, "crash": crash, "signal": signal,
                           "flaky": flaky, "exit": leave}

# -- random flows ---------------------------------------------------------------------------

node = st.fixed_dictionaries({
    "kind": st.sampled_from(["combine", "combine", "combine", "list", "map", "case", "crash",
                             "signal", "flaky", "exit"]),
    "ups": st.lists(st.integers(0, 20), max_size=2),
    "trigger": st.sampled_from(sorted(TRIGGERS)),
    "skip": st.booleans(),
})


def build(nodes: list[dict[str, Any]]) -> Flow:
    """The flow described by ``nodes``: node ``i`` reads from earlier nodes only."""
    with Flow("random") as flow:
        made: list[Task] = []
        for i, spec in enumerate(nodes):
            ups = [made[u % i] for u in spec["ups"]] if i else []
            made.append(_node(i, spec, ups))
    return flow


def _node(i: int, spec: dict[str, Any], ups: list[Task]) -> Task:
    args = {"trigger": TRIGGERS[spec["trigger"]], "skip_on_upstream_skip": spec["skip"]}
    kind = spec["kind"]
    if kind == "list":
        return make_list(i, *ups[:1], task_args=args)
    if kind == "map" and ups:
        return inc.map(ups[0], task_args=args)
    if kind == "case" and ups:
        cond = is_even(ups[0])
        with case(cond, True):
            yes = combine(i, ups[0])
        with case(cond, False):
            no = inc(ups[0])
        return merge(yes, no)
    fn = SIMPLE.get(kind, combine)
    keywords = dict(zip("ab", ups))
    return fn(i, **keywords, task_args=args)


def summary(state: State) -> dict[str, Any]:
    return {t.slug: _summary(s) for t, s in state.result.items()}


def _summary(state: State) -> Any:
    if isinstance(state, Mapped):
        return ("Mapped", [_summary(child) for child in state.map_states])
    result = state.result
    if isinstance(result, BaseException):
        result = (type(result).__name__, safe_str(result))
    return (type(state).__name__, result)


# -- the property ---------------------------------------------------------------------------


@pytest.fixture
def executors(dask_address: str) -> dict[str, Callable[[], Executor]]:
    pytest.importorskip("dask")
    from prefectlite.executors import DaskExecutor, LocalDaskExecutor, LocalProcessPoolExecutor

    return {
        "threads": lambda: LocalDaskExecutor("threads", num_workers=3),
        "processes": lambda: LocalDaskExecutor("processes", num_workers=2),
        "process-pool": lambda: LocalProcessPoolExecutor(2),
        "dask": lambda: DaskExecutor(address=dask_address),
    }


@pytest.mark.timeout(1800)
@settings(settings.get_profile(PROFILE))
@given(nodes=st.lists(node, min_size=1, max_size=8))
def test_every_executor_ends_a_flow_in_the_same_states(
    executors: dict[str, Callable[[], Executor]], nodes: list[dict[str, Any]]
) -> None:
    flow = build(nodes)
    expected = flow.run(executor=LocalExecutor())
    for name, make in executors.items():
        got = flow.run(executor=make())
        assert summary(got) == summary(expected), name
        assert type(got) is type(expected), name
