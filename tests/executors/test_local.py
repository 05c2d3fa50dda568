"""What is particular to the ``LocalExecutor`` (the shared contract is in test_contract.py).

It runs each submitted function at once, in the calling thread, one at a time: no pool, no
pickling, plain Python tracebacks. That makes a local flow run depth-first and lets tasks
return objects that could never cross a process boundary.
"""

from __future__ import annotations

import threading
import time

import pytest

from prefectlite import Flow, context, task
from prefectlite.engine.state import Failed, Success, TimedOut
from prefectlite.executors import Executor, LocalExecutor


def test_is_an_executor_with_a_readable_repr() -> None:
    ex = LocalExecutor()
    assert isinstance(ex, Executor)
    assert repr(ex) == "<Executor: LocalExecutor>"


def test_one_run_at_a_time_and_no_futures_passed_to_workers() -> None:
    ex = LocalExecutor()
    assert ex.max_in_flight == 1
    assert ex.resolves_futures is False


def test_submit_runs_at_once_in_the_calling_thread() -> None:
    calls = []
    ex = LocalExecutor()
    with ex.start():
        future = ex.submit(lambda: calls.append(threading.current_thread()) or "done")
        assert calls == [threading.current_thread()]  # before anyone waits
        assert future == "done"  # as in Prefect 1: the "future" is the value itself
        assert ex.result(future) == "done"


def test_wait_any_returns_every_future_without_waiting() -> None:
    ex = LocalExecutor()
    with ex.start():
        futures = [ex.submit(pow, 2, n) for n in range(3)]
        start = time.monotonic()
        assert ex.wait_any(futures, timeout=10) == futures
        assert time.monotonic() - start < 1


def test_an_exception_in_fn_propagates_from_submit() -> None:
    # nothing is hidden in a future: the engine's run_task never raises, plain functions do
    ex = LocalExecutor()
    with ex.start(), pytest.raises(ZeroDivisionError):
        ex.submit(lambda: 1 / 0)


def test_wait_returns_values_unchanged() -> None:
    ex = LocalExecutor()
    with ex.start():
        a = ex.submit(pow, 2, 3)
        assert ex.wait({"a": [a, "x"], "b": {a}}) == {"a": [8, "x"], "b": {8}}
        assert ex.wait(5) == 5
        values = [1, 2]
        assert ex.wait(values) is values


def test_prepare_task_is_the_task_itself() -> None:
    @task
    def t():
        return 1

    assert LocalExecutor().prepare_task(t) is t


def test_extra_context_is_not_passed_to_fn() -> None:
    ex = LocalExecutor()
    with ex.start():
        assert ex.submit(dict, a=1, extra_context={"task_full_name": "x"}) == {"a": 1}


def test_a_flow_runs_in_the_calling_thread_depth_first() -> None:
    order = []

    @task
    def first(x):
        order.append(("first", x, threading.current_thread()))
        return x

    @task
    def second(x):
        order.append(("second", x, threading.current_thread()))
        return x

    with Flow("local") as flow:
        second.map(first.map([1, 2]))
    assert LocalExecutor().max_in_flight == 1
    state = flow.run(executor=LocalExecutor())
    assert state.is_successful()
    me = threading.current_thread()
    assert order == [("first", 1, me), ("second", 1, me), ("first", 2, me), ("second", 2, me)]


def test_unpicklable_values_pass_between_tasks() -> None:
    @task
    def make():
        return (i for i in range(3))  # a generator cannot be pickled

    @task
    def consume(gen):
        return sum(gen)

    with Flow("local values") as flow:
        c = consume(make())
    assert flow.run(executor=LocalExecutor()).result[c].result == 3


def test_a_timed_out_task_leaves_its_thread_running() -> None:
    # Documented limit: on the LocalExecutor, as on every executor, a timed-out function is
    # not stopped; its (daemon) thread runs on and its result is dropped.
    release, done = threading.Event(), threading.Event()

    @task(timeout_seconds=0.05)
    def slow():
        release.wait(60)
        done.set()

    with Flow("timeout") as flow:
        s = slow()
    state = flow.run(executor=LocalExecutor())
    assert type(state.result[s]) is TimedOut and not done.is_set()
    release.set()
    assert done.wait(60)


def test_context_reaches_tasks_unchanged() -> None:
    @task
    def who():
        return context.task_name, context.flow_name

    with Flow("ctx") as flow:
        w = who()
    assert flow.run(executor=LocalExecutor()).result[w].result == ("who", "ctx")


def test_a_failed_task_does_not_raise_out_of_the_run() -> None:
    @task
    def boom():
        raise ValueError("no")

    with Flow("fails") as flow:
        b = boom()
    state = flow.run(executor=LocalExecutor())
    assert type(state) is Failed and isinstance(state.result[b].result, ValueError)
    assert not isinstance(state.result[b], Success)


class TestLocalThreadPoolExecutor:
    def test_bad_max_workers(self) -> None:
        from prefectlite.executors import LocalThreadPoolExecutor

        for bad in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="max_workers"):
                LocalThreadPoolExecutor(max_workers=bad)  # type: ignore[arg-type]

    def test_not_started(self) -> None:
        from prefectlite.executors import LocalThreadPoolExecutor

        with pytest.raises(RuntimeError, match="not started"):
            LocalThreadPoolExecutor().submit(print)

    def test_runs_in_pool_threads_and_copies_unstarted(self) -> None:
        import copy
        import threading

        from prefectlite.executors import LocalThreadPoolExecutor

        ex = LocalThreadPoolExecutor(max_workers=2)
        with ex.start():
            name = ex.wait(ex.submit(lambda: threading.current_thread().name))
            twin = copy.copy(ex)
        assert name.startswith("prefectlite-task")
        assert twin._pool is None and twin.max_workers == 2
        assert repr(ex) == "<Executor: LocalThreadPoolExecutor (max_workers=2)>"
        assert ex.max_in_flight == 4


def test_dask_executors_without_dask_say_which_extra(monkeypatch) -> None:
    import importlib.util

    import pytest

    from prefectlite.executors import DaskExecutor, LocalDaskExecutor

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("dask", "distributed") else
                        real(name, *a))
    with pytest.raises(ImportError, match=r"^DaskExecutor needs the dask extra \(dask and "
                                          r"distributed\); dask and distributed are not installed"):
        DaskExecutor()
    with pytest.raises(ImportError, match=r"^LocalDaskExecutor needs the dask extra \(dask\)"):
        LocalDaskExecutor()
