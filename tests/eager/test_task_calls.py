"""Tasks inside a running eager flow: calls, states, futures, maps, wait_for, resolution of
futures and states, retries, timeouts and the mistakes each of them can meet."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from prefectlite import allow_failure, context, flow, get_run_logger, quote, task, unmapped
from prefectlite.eager.exceptions import (
    ForeignFutureError,
    MappingLengthMismatch,
    MappingMissingIterable,
    TaskRunTimeoutError,
    UpstreamTaskError,
)
from prefectlite.engine import signals
from prefectlite.futures import PrefectFuture, PrefectFutureList, as_completed, wait
from prefectlite.states import Completed, State
from prefectlite.task_runners import SequentialTaskRunner


@task
def add(x, y=1):
    return x + y


@task
def boom(message="boom"):
    raise ValueError(message)


def run(fn, **options: Any) -> Any:
    """Run ``fn`` as the body of a fresh flow; return what it returns."""
    return flow(**options)(fn)()


class TestCalls:
    def test_value_and_state(self) -> None:
        def body():
            state = add(1, return_state=True)
            return add(2), state, add(x=3, y=3)

        value, state, keyword = run(body)
        assert (value, keyword) == (3, 6)
        assert isinstance(state, State) and state.is_completed() and state.result() == 2
        assert state.state_details.task_run_id is not None

    def test_failure_raises_or_is_a_state(self) -> None:
        def body():
            state = boom(return_state=True)
            with pytest.raises(ValueError, match="boom"):
                boom()
            return state.is_failed(), type(state.result(raise_on_failure=False))

        assert run(body) == (True, ValueError)

    def test_bad_call_raises_at_once(self) -> None:
        def body():
            with pytest.raises(TypeError, match=r"<Task: add>.*unexpected keyword"):
                add(1, z=2)
            with pytest.raises(TypeError, match="missing a required argument: 'x'"):
                add()
            with pytest.raises(TypeError, match="multiple values"):
                add(1, x=2)

        run(body)

    def test_run_names_and_context(self) -> None:
        seen = []

        @task
        def look():
            seen.append((context.task_run_name, context.flow_name, context.map_index))

        def body():
            look()
            look()

        run(body, name="ctx-flow")
        assert seen == [("look-0", "ctx-flow", None), ("look-1", "ctx-flow", None)]

    def test_prefect1_class_tasks_run_too(self) -> None:
        from prefectlite import Task

        class Double(Task):
            def run(self, x):
                return 2 * x

        assert run(lambda: Double()(4)) == 8

    def test_prefect1_signals(self) -> None:
        @task
        def skip():
            raise signals.SKIP("nothing to do")

        state = run(lambda: skip(return_state=True))
        assert state.name == "Skipped" and state.is_completed() and state.result() is None

    def test_nested_task_calls(self) -> None:
        @task
        def outer(x):
            return add(x) * 10

        assert run(lambda: outer(1)) == 20
        assert run(lambda: outer.submit(1).result()) == 20

    def test_returned_generator_and_states(self) -> None:
        @task
        def gen():
            yield from (1, 2)

        @task
        def manual():
            return Completed(message="fine", name="Skipped")

        assert run(lambda: gen()) == [1, 2]
        state = run(lambda: manual(return_state=True))
        assert state.name == "Skipped" and state.message == "fine"

    def test_get_run_logger(self, caplog: pytest.LogCaptureFixture) -> None:
        @task
        def talk():
            get_run_logger().warning("from the task")

        def body():
            get_run_logger().warning("from the flow")
            talk()

        run(body)
        lines = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("Task run 'talk-0' - from the task") for m in lines)
        assert any(m.startswith("Flow run '") and m.endswith("' - from the flow")
                   for m in lines)

    def test_get_run_logger_outside_runs(self) -> None:
        from prefectlite.eager.exceptions import MissingContextError

        with pytest.raises(MissingContextError, match="no flow or task run"):
            get_run_logger()


class TestResolution:
    def test_futures_and_states_as_arguments(self) -> None:
        def body():
            future = add.submit(1)
            state = add(10, return_state=True)
            return add(future, state), add(x=[future, {"k": state}], y=[0])

        assert run(body) == (13, [2, {"k": 11}, 0])

    def test_quote_leaves_things_alone(self) -> None:
        @task
        def kind(x):
            return type(x).__name__

        def body():
            return kind(quote(add.submit(1)))

        assert run(body) == "PrefectFuture"

    def test_failed_upstream_makes_not_ready(self) -> None:
        def body():
            bad = boom.submit()
            state = add(bad, return_state=True)
            assert state.name == "NotReady" and state.is_pending()
            with pytest.raises(UpstreamTaskError, match=r"boom-0.*COMPLETED"):
                add(bad)
            later = add.submit(bad)
            return later.state.name if later.wait() is None else None

        assert run(body) == "NotReady"

    def test_allow_failure_passes_the_exception(self) -> None:
        @task
        def describe(x):
            return repr(x)

        def body():
            bad = boom.submit("no")
            return describe(allow_failure(bad)), add(1, wait_for=[allow_failure(bad)])

        assert run(body) == ("ValueError('no')", 2)

    def test_wait_for(self) -> None:
        order = []

        @task
        def slow():
            time.sleep(0.05)
            order.append("slow")

        @task
        def after():
            order.append("after")

        def body():
            first = slow.submit()
            after.submit(wait_for=[first]).wait()
            state = add(1, wait_for=[boom.submit()], return_state=True)
            plain = add(1, wait_for=[ValueError("not a future"), Completed()])
            nested = add(1, wait_for=[add.map([1, 2]), (boom.submit(),)], return_state=True)
            return state.name, plain, nested.name

        assert run(body) == ("NotReady", 2, "NotReady")
        assert order == ["slow", "after"]

    def test_upstream_tasks_is_wait_for(self) -> None:
        assert run(lambda: add(1, upstream_tasks=[boom.submit()], return_state=True).name) \
            == "NotReady"


class TestForeignFutures:
    def test_a_future_of_another_flow_run(self) -> None:
        kept: list[PrefectFuture] = []

        @flow(name="first")
        def first():
            kept.append(add.submit(1))

        @flow(name="second")
        def second():
            return add(kept[0])

        first()
        with pytest.raises(ForeignFutureError) as info:
            second()
        text = str(info.value)
        assert "Task 'add' was given the future of task run 'add-0' from flow run" in text
        assert "(flow 'first')" in text and "(flow 'second')" in text
        assert "future.result()" in text

    def test_sibling_subflow_future_is_refused_but_parent_future_is_fine(self) -> None:
        kept: list[PrefectFuture] = []

        @flow
        def child_makes():
            kept.append(add.submit(1))

        @flow
        def child_uses(parent_future):
            return add(parent_future), kept and add.submit(kept[0])

        @flow
        def parent():
            child_makes()
            mine = add.submit(100)
            with pytest.raises(ForeignFutureError):
                child_uses(mine)
            kept.clear()
            inner = flow(lambda: add(mine))
            return inner(), child_uses(mine)

        assert parent() == (102, (102, []))


class TestSubmitAndMap:
    def test_future_api(self) -> None:
        def body():
            future = add.submit(1)
            assert future.result() == 2 and future.done()
            assert future.wait() is None and future.state.is_completed()
            calls = []
            future.add_done_callback(calls.append)
            assert calls == [future]
            failed = boom.submit()
            failed.wait()
            assert failed.state.is_failed()
            with pytest.raises(ValueError):
                failed.result()
            assert isinstance(failed.result(raise_on_failure=False), ValueError)
            assert repr(future) == "<PrefectFuture 'add-0': Completed>"
            return add.submit(5, return_state=True)

        assert run(body).result() == 6

    def test_result_timeout_and_pending_state(self) -> None:
        release = threading.Event()

        @task
        def blocked():
            release.wait(5)

        def body():
            future = blocked.submit()
            with pytest.raises(TimeoutError, match="did not complete within 0.05"):
                future.result(timeout=0.05)
            assert future.state.type.value in ("PENDING", "RUNNING")
            release.set()
            return future.result()

        assert run(body) is None

    def test_map_with_unmapped(self) -> None:
        def body():
            futures = add.map([1, 2, 3], y=unmapped(10))
            assert isinstance(futures, PrefectFutureList)
            assert [f.task_run_name for f in futures] == ["add-0", "add-1", "add-2"]
            futures.wait()
            return futures.result(), add.map(x=(1, 2), y=[3, 4]).result()

        assert run(body) == ([11, 12, 13], [4, 6])

    def test_map_over_a_future_and_strings(self) -> None:
        @task
        def numbers():
            return [1, 2]

        @task
        def join(a, b):
            return f"{a}{b}"

        def body():
            return join.map(numbers.submit(), b="xy").result(), \
                add.map([1, 2], return_state=True)[0].result()

        assert run(body) == (["1xy", "2xy"], 2)

    def test_map_mistakes(self) -> None:
        def body():
            with pytest.raises(MappingLengthMismatch, match=r"\{'x': 2, 'y': 3\}"):
                add.map([1, 2], [1, 2, 3])
            with pytest.raises(MappingMissingIterable, match="no iterable argument"):
                add.map(1, y="ab")
            with pytest.raises(UpstreamTaskError, match="Cannot map 'add' over 'x'"):
                add.map(boom.submit())

        run(body)

    def test_mapped_call_and_prefect1_mapped_keyword(self) -> None:
        assert run(lambda: add([1, 2], mapped=True).result()) == [2, 3]

    def test_futures_helpers(self) -> None:
        def body():
            futures = add.map([1, 2, 3])
            done, not_done = wait(futures)
            assert len(done) == 3 and not not_done
            return sorted(f.result() for f in as_completed(futures))

        assert run(body) == [2, 3, 4]

    def test_dependent_submissions_never_block_workers(self) -> None:
        from prefectlite.task_runners import ThreadPoolTaskRunner

        @task
        def slow(x):
            time.sleep(0.02)
            return x

        def body():
            chain = slow.submit(0)
            for _ in range(5):
                chain = slow.submit(chain)
            return chain.result()

        assert run(body, task_runner=ThreadPoolTaskRunner(max_workers=1)) == 0

    def test_flow_waits_for_unreturned_futures(self) -> None:
        done = []

        @task
        def slow():
            time.sleep(0.05)
            done.append(1)

        state = run(lambda: slow.submit() and None)
        assert state is None and done == [1]


class TestRetriesAndTimeouts:
    def test_task_retries(self) -> None:
        calls = []

        @task(retries=2, retry_delay_seconds=0)
        def flaky():
            calls.append(context.task_run_count)
            if len(calls) < 3:
                raise RuntimeError("not yet")
            return "ok"

        assert run(lambda: flaky()) == "ok"
        assert calls == [1, 2, 3]
        calls.clear()
        assert run(lambda: flaky.submit().result()) == "ok"

    def test_retries_run_out(self) -> None:
        @task(retries=1)
        def always():
            raise RuntimeError("never")

        with pytest.raises(RuntimeError, match="never"):
            run(lambda: always())

    def test_task_blocking_past_timeout_seconds(self) -> None:
        release = threading.Event()

        @task(timeout_seconds=0.1)
        def stuck():
            release.wait(5)

        def body():
            started = time.monotonic()
            state = stuck(return_state=True)
            elapsed = time.monotonic() - started
            with pytest.raises(TaskRunTimeoutError, match="timed out after 0.1 seconds"):
                stuck()
            release.set()
            return state, elapsed

        state, elapsed = run(body)
        assert state.is_failed() and state.name == "TimedOut" and elapsed < 2
        assert isinstance(state.result(raise_on_failure=False), TimeoutError)


class TestRunners:
    def test_sequential_runner(self) -> None:
        threads = set()

        @task
        def where(i):
            threads.add(threading.get_ident())

        def body():
            where.map(range(4)).wait()

        run(body, task_runner=SequentialTaskRunner())
        assert threads == {threading.get_ident()}
