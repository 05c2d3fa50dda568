"""Task runners: the thread pool (default), the sequential runner, and the Dask task runner
over prefectlite's Dask executors (local pools and the session's real LocalCluster)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from prefectlite import flow, task
from prefectlite.task_runners import (
    ConcurrentTaskRunner,
    DaskTaskRunner,
    ProcessPoolTaskRunner,
    SequentialTaskRunner,
    TaskRunner,
    ThreadPoolTaskRunner,
)

# -- module level, so that worker processes import them by reference ------------------------


@task
def inc(x: int) -> int:
    return x + 1


@task
def pid(_: Any = None) -> int:
    return os.getpid()


@task
def fails(x: int) -> int:
    raise ValueError(f"bad {x}")


@task
def unpicklable() -> Any:
    return threading.Lock()


@task
def nested(x: int) -> int:
    return inc(x) * 10


@task(retries=2)
def flaky(marker: str) -> str:
    from prefectlite import context

    if context.task_run_count < 2:
        raise RuntimeError("first attempt")
    return marker


def mark_process(value: str) -> None:
    os.environ["PREFECTLITE_TEST_RUNNER_MARK"] = value


@task
def marked() -> str | None:
    return os.environ.get("PREFECTLITE_TEST_RUNNER_MARK")


def pipeline(n: int = 4) -> Any:
    futures = inc.map(range(n))
    doubled = inc.map(futures, wait_for=[futures[0]])
    bad = fails.submit(1)
    after_bad = inc.submit(bad)
    after_bad.wait()
    bad.wait()
    return (doubled.result(), bad.state.is_failed(), after_bad.state.name,
            flaky.submit("ok").result())


class TestThreadPool:
    def test_options_and_copies(self) -> None:
        runner = ThreadPoolTaskRunner(max_workers=3)
        copy = runner.duplicate()
        assert copy is not runner and copy.max_workers == 3
        assert copy.executor is not runner.executor and copy.executor._pool is None
        assert repr(runner) == "<TaskRunner: ThreadPoolTaskRunner (max_workers=3)>"
        assert ConcurrentTaskRunner is ThreadPoolTaskRunner
        for bad in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="max_workers"):
                ThreadPoolTaskRunner(max_workers=bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("workers", [1, 3])
    def test_max_workers_bounds_concurrency(self, workers: int) -> None:
        lock, running, peak = threading.Lock(), [0], [0]
        all_in = threading.Barrier(3, timeout=30)  # passes only with 3 runs at once

        @task
        def nap(i):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            if workers == 3:
                all_in.wait()
            else:
                time.sleep(0.02)  # room for a second run to overlap, were one let in
            with lock:
                running[0] -= 1
            return i

        @flow(task_runner=ThreadPoolTaskRunner(max_workers=workers))
        def naps():
            return nap.map(range(3)).result()

        assert naps() == [0, 1, 2]
        assert peak[0] == workers

    def test_exit_waits_for_running_work(self) -> None:
        done = []
        with ThreadPoolTaskRunner(max_workers=1) as runner:
            runner.submit(lambda t, i, c: time.sleep(0.05) or done.append(1), None, {}, {})
        assert done == [1]

    def test_the_base_class(self) -> None:
        with pytest.raises(NotImplementedError, match="must implement submit"):
            TaskRunner().submit(lambda t, i, c: None, None, {}, {})  # type: ignore[arg-type]

    def test_sequential(self) -> None:
        future = SequentialTaskRunner().submit(lambda t, i, c: 1 / 0, None, {}, {})
        with pytest.raises(ZeroDivisionError):
            future.result()


class TestProcessPool:
    def test_an_adapter_over_the_process_pool_executor(self) -> None:
        from prefectlite.executors import LocalProcessPoolExecutor

        runner = ProcessPoolTaskRunner(max_workers=2, initializer=mark_process, initargs=("a",))
        assert isinstance(runner.executor, LocalProcessPoolExecutor)
        copy = runner.duplicate()
        assert copy.executor is not runner.executor and copy.executor._pool is None
        assert (copy.max_workers, copy.initializer, copy.initargs) == (2, mark_process, ("a",))
        assert repr(runner) == "<TaskRunner: ProcessPoolTaskRunner (max_workers=2)>"
        for bad in (0, 1.5, True):
            with pytest.raises(ValueError, match=r"^ProcessPoolTaskRunner\(max_workers="):
                ProcessPoolTaskRunner(max_workers=bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^ProcessPoolTaskRunner\(initializer="):
            ProcessPoolTaskRunner(initializer="setup")  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="ProcessPoolTaskRunner is not started"):
            runner.submit(lambda t, i, c: None, None, {}, {})

    def test_a_flow_on_processes(self) -> None:
        @flow(task_runner=ProcessPoolTaskRunner(max_workers=2, initializer=mark_process,
                                                initargs=("ready",)))
        def in_processes():
            pids = set(pid.map(range(4)).result())
            bad = unpicklable.submit()
            bad.wait()
            return pipeline(), pids, bad.state, marked.submit().result()

        result, pids, bad, mark = in_processes()
        assert result == ([2, 3, 4, 5], True, "NotReady", "ok")
        assert os.getpid() not in pids and mark == "ready"
        assert bad.is_failed()
        assert bad.message.startswith("Task 'unpicklable-0' ran, but its result could not be "
                                      "sent back from the worker")


class TestDaskTaskRunnerOptions:
    def test_executor_or_cluster_options(self) -> None:
        from prefectlite.executors import DaskExecutor, LocalDaskExecutor

        assert isinstance(DaskTaskRunner().executor, DaskExecutor)
        local = LocalDaskExecutor("threads")
        runner = DaskTaskRunner(executor=local)
        assert runner.executor is local and runner.duplicate().executor is not local
        with pytest.raises(ValueError, match="either executor= or the cluster options"):
            DaskTaskRunner(address="tcp://x:1", executor=local)

    def test_not_started(self) -> None:
        from prefectlite.executors import LocalDaskExecutor

        runner = DaskTaskRunner(executor=LocalDaskExecutor("threads"))
        with pytest.raises(RuntimeError, match="not started"):
            runner.submit(lambda t, i, c: None, None, {}, {})


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_local_dask_in_process(scheduler: str) -> None:
    from prefectlite.executors import LocalDaskExecutor

    @flow(task_runner=DaskTaskRunner(executor=LocalDaskExecutor(scheduler, num_workers=2)))
    def on_dask():
        return pipeline(), nested.submit(1).result()

    assert on_dask() == (([2, 3, 4, 5], True, "NotReady", "ok"), 20)


@pytest.mark.dask
def test_local_dask_processes() -> None:
    from prefectlite.executors import LocalDaskExecutor

    @flow(task_runner=DaskTaskRunner(executor=LocalDaskExecutor("processes", num_workers=2)))
    def in_processes():
        pids = set(pid.map(range(4)).result())
        bad = unpicklable.submit()
        bad.wait()
        return pipeline(), pids, bad.state

    result, pids, bad = in_processes()
    assert result == ([2, 3, 4, 5], True, "NotReady", "ok")
    assert os.getpid() not in pids
    assert bad.is_failed() and "pickle" in bad.message


@pytest.fixture
def dask_runner(dask_address: str) -> Iterator[DaskTaskRunner]:
    yield DaskTaskRunner(address=dask_address)


@pytest.mark.dask
def test_dask_cluster(dask_runner: DaskTaskRunner) -> None:
    @flow(task_runner=dask_runner)
    def on_cluster():
        pids = set(pid.map(range(6)).result())
        return pipeline(), pids, inc(inc.submit(1))

    result, pids, direct = on_cluster()
    assert result == ([2, 3, 4, 5], True, "NotReady", "ok")
    assert os.getpid() not in pids and direct == 3


@pytest.mark.dask
def test_dask_cluster_subflow_has_its_own_runner(dask_runner: DaskTaskRunner) -> None:
    @flow(task_runner=dask_runner)
    def child():
        return pid.submit().result()

    @flow
    def parent():
        return pid.submit().result(), child()

    here, there = parent()
    assert here == os.getpid() and there != os.getpid()


class TestAdaptersOverExecutors:
    """Every runner submits through an executor; any executor will do."""

    @pytest.mark.parametrize("make", [
        lambda: DaskTaskRunner(executor=__import__("prefectlite.executors").executors
                               .LocalExecutor()),
        lambda: TaskRunner(executor=__import__("prefectlite.executors").executors
                           .LocalThreadPoolExecutor(max_workers=2)),
    ], ids=["dask-runner-over-local-executor", "base-runner-over-thread-pool"])
    def test_any_executor(self, make: Any) -> None:
        @flow(task_runner=make())
        def anywhere():
            return pipeline(), nested.submit(1).result()

        assert anywhere() == (([2, 3, 4, 5], True, "NotReady", "ok"), 20)

    def test_runners_name_their_executor(self) -> None:
        from prefectlite.executors import LocalExecutor, LocalThreadPoolExecutor

        assert isinstance(SequentialTaskRunner().executor, LocalExecutor)
        assert isinstance(ThreadPoolTaskRunner(3).executor, LocalThreadPoolExecutor)
        with pytest.raises(TypeError, match="give an executor"):
            DaskTaskRunner(executor="threads")

    def test_sequential_futures_are_finished_futures(self) -> None:
        from prefectlite.utilities.futures import DoneFuture

        future = SequentialTaskRunner().submit(lambda t, i, c: i["x"], None, {"x": 1}, {})
        assert isinstance(future, DoneFuture) and future.result() == 1

    def test_thread_pool_needs_starting(self) -> None:
        with pytest.raises(RuntimeError, match="ThreadPoolTaskRunner is not started"):
            ThreadPoolTaskRunner().submit(lambda t, i, c: None, None, {}, {})

    def test_a_lost_run_is_crashed(self) -> None:
        from prefectlite.executors import LocalThreadPoolExecutor

        class Losing(LocalThreadPoolExecutor):
            def result(self, future: Any) -> Any:
                raise ConnectionError("worker gone")

        with TaskRunner(executor=Losing(1)) as runner:
            state = runner.submit(lambda t, i, c: 1, None, {}, {"task_run_name": "t-0"}).result()
        assert state.is_crashed() and "'t-0' was lost" in state.message
        assert isinstance(state.data, ConnectionError)
