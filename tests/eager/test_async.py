"""Async tasks and flows: await, asyncio.run, sync tasks in async flows, gather over async
subflows, retries and timeouts of coroutines, and an async task called without await."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings

import pytest

from prefectlite import context, flow, task
from prefectlite.eager.exceptions import TaskRunTimeoutError, UnawaitedTaskWarning


@task
async def double(x):
    await asyncio.sleep(0.01)
    return 2 * x


@task
def inc(x):
    return x + 1


class TestBasics:
    def test_await_tasks_and_sync_tasks_in_an_async_flow(self) -> None:
        @flow
        async def mixed(x: int):
            doubled = await double(x)
            return inc(doubled), await double(inc(1))

        assert asyncio.run(mixed("3")) == (7, 4)
        state = asyncio.run(mixed(1, return_state=True))
        assert state.is_completed() and state.result() == (3, 4)

    def test_async_flow_failure(self) -> None:
        @flow
        async def broken():
            await asyncio.sleep(0)
            raise ValueError("async broke")

        with pytest.raises(ValueError, match="async broke"):
            asyncio.run(broken())
        assert asyncio.run(broken(return_state=True)).is_failed()

    def test_return_state_of_an_async_task(self) -> None:
        @task
        async def fails():
            raise KeyError("k")

        @flow
        async def f():
            state = await fails(return_state=True)
            return state.is_failed(), state.name

        assert asyncio.run(f()) == (True, "Failed")

    def test_an_async_task_in_a_sync_flow_runs_to_completion(self) -> None:
        @flow
        def sync_flow():
            return double(5), double.submit(1).result(), double.map([1, 2]).result()

        assert sync_flow() == (10, 2, [2, 4])

    def test_an_async_subflow_of_a_sync_flow(self) -> None:
        @flow
        async def child(x: int):
            return await double(x)

        @flow
        def parent():
            return child(4)

        assert parent() == 8

    def test_a_sync_subflow_in_an_async_flow_calls_async_tasks(self) -> None:
        @flow
        def middle():
            return double(3)

        @flow
        async def top():
            return middle()

        assert asyncio.run(top()) == 6

    def test_submit_and_futures_in_an_async_flow(self) -> None:
        @flow
        async def f():
            futures = double.map([1, 2, 3])
            return inc(futures[0]), [x.result() for x in futures]

        assert asyncio.run(f()) == (3, [2, 4, 6])

    def test_async_generator_tasks_and_flows(self) -> None:
        @task
        async def agen(n):
            for i in range(n):
                yield i

        @flow
        async def stream(n: int):
            for value in await agen(n):
                yield value

        async def collect():
            return [v async for v in stream("3")]

        assert asyncio.run(collect()) == [0, 1, 2]


class TestConcurrency:
    def test_gather_over_async_subflows(self) -> None:
        meeting = asyncio.Barrier(4)  # passes only when all four children run at once

        @flow
        async def child(i: int):
            await asyncio.wait_for(meeting.wait(), 60)
            return context.flow_name, i

        @flow
        async def parent():
            return await asyncio.gather(*(child(i) for i in range(4)))

        results = asyncio.run(parent())
        assert results == [("child", 0), ("child", 1), ("child", 2), ("child", 3)]

    def test_gather_over_async_tasks(self) -> None:
        meeting = asyncio.Barrier(5)  # passes only when all five tasks run at once

        @task
        async def nap(i):
            await asyncio.wait_for(meeting.wait(), 60)
            return i

        @flow
        async def f():
            return await asyncio.gather(*(nap(i) for i in range(5)))

        assert asyncio.run(f()) == [0, 1, 2, 3, 4]


class TestRetriesAndTimeouts:
    def test_async_retries(self) -> None:
        calls = []

        @task(retries=2, retry_delay_seconds=0.01)
        async def flaky():
            calls.append(context.task_run_count)
            if len(calls) < 3:
                raise RuntimeError("again")
            return "ok"

        @flow
        async def f():
            return await flaky()

        assert asyncio.run(f()) == "ok" and calls == [1, 2, 3]

    def test_async_task_timeout_cancels_the_coroutine(self) -> None:
        cancelled = []

        @task(timeout_seconds=0.05)
        async def stuck():
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        @flow
        async def f():
            state = await stuck(return_state=True)
            with pytest.raises(TaskRunTimeoutError):
                await stuck()
            return state.name

        assert asyncio.run(f()) == "TimedOut" and cancelled == [True, True]

    def test_own_timeout_error_is_a_plain_failure(self) -> None:
        @task(timeout_seconds=5)
        async def raises_timeout():
            raise TimeoutError("mine")

        @flow
        async def f():
            return (await raises_timeout(return_state=True)).name

        assert asyncio.run(f()) == "Failed"

    def test_async_flow_timeout(self) -> None:
        @flow(timeout_seconds=0.1)
        async def slow():
            await asyncio.sleep(5)

        started = time.monotonic()
        state = asyncio.run(slow(return_state=True))
        assert state.name == "TimedOut" and time.monotonic() - started < 2

    def test_async_flow_retries(self) -> None:
        attempts = []

        @flow(retries=1)
        async def flaky():
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("first time")
            return "second"

        assert asyncio.run(flaky()) == "second"


def test_an_async_task_called_without_await(caplog: pytest.LogCaptureFixture) -> None:
    @flow
    async def forgetful():
        double(1)  # no await: a coroutine that never runs
        return "done"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.warns(UnawaitedTaskWarning, match=r"Task 'double' was called without "
                          r"`await` in async flow run '.*' \(flow 'forgetful'\), so it never "
                          r"ran\. Write `await double\(\.\.\.\)`"):
            assert asyncio.run(forgetful()) == "done"
        gc.collect()
    assert not [w for w in caught if "was never awaited" in str(w.message)]
    assert any("was called without `await`" in r.getMessage() for r in caplog.records)
