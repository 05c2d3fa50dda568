"""Tests for mapping at run time: ``task.map``, ``unmapped``, ``flatten``, ``apply_map``, LOOP.

The walk's bookkeeping lives in :mod:`prefectlite.engine.walk` (expansion, ``map_width``,
pipelined children), the submitting in :mod:`prefectlite.engine.flow_runner` and the per-run
steps in :mod:`prefectlite.engine.task_runner`; these tests run whole flows and look at the
states. Two small executors built on ``concurrent.futures`` live here (``tests/`` has no
packages and ``tests/conftest.py`` belongs to the Dask fixtures): ``ThreadExecutor`` runs
submitted runs concurrently, ``EagerExecutor`` also resolves futures found in the arguments
(``resolves_futures = True``), which switches the walk to its eager mode.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, apply_map, case, context, flatten, task, unmapped
from prefectlite import triggers as tr
from prefectlite.engine import mapping, signals, task_runner
from prefectlite.engine.mapping import UNMAPPABLE
from prefectlite.engine.state import (
    Cached,
    Failed,
    Mapped,
    Pending,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefectlite.executors.base import Executor
from prefectlite.executors.local import LocalExecutor
from prefectlite.tasks.control_flow import merge

NO_WAIT = datetime.timedelta(0)


# -- executors ------------------------------------------------------------------------------


class ThreadExecutor(Executor):
    """Runs every submitted run at once on a thread pool (no limit on runs in flight)."""

    def __init__(self, workers: int = 8) -> None:
        self.workers = workers
        self.pool: cf.ThreadPoolExecutor | None = None

    @contextmanager
    def start(self) -> Iterator[None]:
        with cf.ThreadPoolExecutor(self.workers, thread_name_prefix="test-executor") as pool:
            self.pool = pool
            try:
                yield
            finally:
                self.pool = None

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future:
        assert self.pool is not None, "submit() outside start()"
        return self.pool.submit(fn, *args, **kwargs)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any) -> Any:
        return future.result()

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future)


class EagerExecutor(ThreadExecutor):
    """Takes futures among the arguments and resolves them in the worker thread, like
    ``dask.distributed``; plenty of threads so that runs waiting for inputs never starve the
    runs they wait for."""

    resolves_futures = True

    def __init__(self, workers: int = 64) -> None:
        super().__init__(workers)
        self.resolved = 0  # futures received as arguments (proves the eager walk ran)
        self._lock = threading.Lock()

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future:
        assert self.pool is not None, "submit() outside start()"
        return self.pool.submit(lambda: fn(*self.resolve(args), **self.resolve(kwargs)))

    def resolve(self, value: Any) -> Any:
        """Replace futures (also inside lists and dict values) by their results; blocks."""
        if isinstance(value, cf.Future):
            with self._lock:
                self.resolved += 1
            return value.result()
        if isinstance(value, list | tuple):
            return type(value)(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


# -- tasks ----------------------------------------------------------------------------------


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def collect(xs: Any) -> Any:
    return xs


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def upto(n: int) -> list[int]:
    return list(range(n))


@task
def fail_on(x: int, bad: int = 2) -> int:
    if x == bad:
        raise ValueError(f"bad {x}")
    return x


def states_of(flow_state: State, t: Task) -> list[State]:
    state = flow_state.result[t]
    assert isinstance(state, Mapped), state
    return state.map_states


def kinds(states: list[State]) -> list[type]:
    return [type(s) for s in states]


# -- tests ----------------------------------------------------------------------------------


class TestMapInputs:
    def test_map_over_a_list_constant(self) -> None:
        with Flow("f") as flow:
            out = inc.map([1, 2, 3])
        state = flow.run()
        assert state.is_successful()
        assert state.result[out].result == [2, 3, 4]

    def test_map_over_a_parameter_value(self) -> None:
        with Flow("f") as flow:
            out = inc.map(Parameter("xs"))
        assert flow.run(xs=[10, 20]).result[out].result == [11, 21]
        assert flow.run(xs=range(3)).result[out].result == [1, 2, 3]

    def test_map_over_a_task_result(self) -> None:
        with Flow("f") as flow:
            out = inc.map(upto(4))
        assert flow.run().result[out].result == [1, 2, 3, 4]

    def test_map_over_a_tuple_and_a_string(self) -> None:
        @task
        def upper(c: str) -> str:
            return c.upper()

        with Flow("f") as flow:
            a = inc.map((1, 2))
            b = upper.map("ab")
        state = flow.run()
        assert state.result[a].result == [2, 3]
        assert state.result[b].result == ["A", "B"]

    def test_several_mapped_inputs_are_zipped(self) -> None:
        with Flow("f") as flow:
            out = add.map([1, 2, 3], y=upto(3))
        assert flow.run().result[out].result == [1, 3, 5]

    def test_unmapped_input_is_passed_whole_to_every_child(self) -> None:
        with Flow("f") as flow:
            out = add.map([1, 2, 3], unmapped(10))
            whole = add.map([[1], [2]], unmapped([7, 8, 9]))  # a list would be mapped over
        state = flow.run()
        assert state.result[out].result == [11, 12, 13]
        assert state.result[whole].result == [[1, 7, 8, 9], [2, 7, 8, 9]]

    def test_unmapped_task_result(self) -> None:
        with Flow("f") as flow:
            out = add.map(x=upto(3), y=unmapped(total([1, 2])))
        assert flow.run().result[out].result == [3, 4, 5]

    def test_plain_values_in_a_map_call_are_mapped_over(self) -> None:
        with Flow("f") as flow:
            out = add.map([1, 2], [10, 20])
        assert flow.run().result[out].result == [11, 22]

    def test_flatten_a_plain_list_of_lists(self) -> None:
        with Flow("f") as flow:
            out = inc.map(flatten([[1, 2], [], [3]]))
        assert flow.run().result[out].result == [2, 3, 4]

    def test_flatten_a_task_returning_a_list_of_lists(self) -> None:
        @task
        def nested() -> list[list[int]]:
            return [[1], [2, 3]]

        with Flow("f") as flow:
            out = inc.map(flatten(nested()))
        assert flow.run().result[out].result == [2, 3, 4]

    def test_flatten_a_mapped_upstream(self) -> None:
        with Flow("f") as flow:
            lists = upto.map([1, 2, 3])  # [0], [0, 1], [0, 1, 2]
            out = inc.map(flatten(lists))
        assert flow.run().result[out].result == [1, 1, 2, 1, 2, 3]

    def test_flatten_in_a_plain_call_concatenates(self) -> None:
        with Flow("f") as flow:
            lists = upto.map([2, 3])
            out = collect(flatten(lists))
        assert flow.run().result[out].result == [0, 1, 0, 1, 2]

    def test_upstream_tasks_are_mapped_by_default(self) -> None:
        with Flow("f") as flow:
            first = fail_on.map([1, 2, 3])
            out = inc.map([10, 20, 30], upstream_tasks=[first])
        state = flow.run()
        # child i waits for (and follows the trigger over) child i of `first` only
        assert kinds(states_of(state, out)) == [Success, TriggerFailed, Success]
        assert state.result[out].result[::2] == [11, 31]

    def test_upstream_tasks_unmapped_are_state_only(self) -> None:
        @task
        def side_effect() -> None:
            order.append("side")

        order: list[str] = []
        with Flow("f") as flow:
            done = side_effect()
            out = inc.map([1, 2], upstream_tasks=[unmapped(done)])
        state = flow.run()
        assert state.result[out].result == [2, 3]
        assert order == ["side"]
        assert {e.mapped for e in flow.edges_to(out) if e.key is None} == {False}

    def test_a_failed_unmapped_upstream_task_fails_every_child(self) -> None:
        @task
        def broken() -> None:
            raise RuntimeError("no")

        with Flow("f") as flow:
            out = inc.map([1, 2], upstream_tasks=[unmapped(broken())])
        state = flow.run()
        assert state.is_failed()
        assert kinds(states_of(state, out)) == [TriggerFailed, TriggerFailed]


class TestMappedState:
    def test_map_states_in_order_and_result_list(self) -> None:
        with Flow("f") as flow:
            out = fail_on.map([0, 1, 2, 3], bad=unmapped(2))
        state = flow.run()
        parent = state.result[out]
        assert isinstance(parent, Mapped)
        assert parent.n_map_states == 4
        assert kinds(parent.map_states) == [Success, Success, Failed, Success]
        assert [s.result for s in parent.map_states[:2]] == [0, 1]
        assert parent.result[:2] == [0, 1] and parent.result[3] == 3
        assert isinstance(parent.result[2], ValueError)

    def test_map_index_inside_children(self) -> None:
        @task
        def where(x: str) -> tuple[str, int | None, str]:
            return x, context.map_index, context.task_full_name

        @task
        def outside() -> int | None:
            return context.get("map_index")

        with Flow("f") as flow:
            out = where.map(["a", "b", "c"])
            plain = outside()
        state = flow.run()
        assert state.result[out].result == [("a", 0, "where[0]"), ("b", 1, "where[1]"),
                                            ("c", 2, "where[2]")]
        assert state.result[plain].result is None

    def test_children_names_in_log_lines_carry_the_index(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with Flow("f") as flow:
            inc.map([1, 2, 3, 4])
        with caplog.at_level(logging.INFO, logger="prefectlite"):
            flow.run()
        lines = [r.getMessage() for r in caplog.records if r.name == "prefectlite.TaskRunner"]
        assert "Task 'inc[3]': Starting task run..." in lines
        assert "Task 'inc[3]': Finished task run for task with final state: 'Success'" in lines
        assert not any("Task 'inc':" in line for line in lines)

    def test_failed_child_error_is_logged_with_its_index(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with Flow("f") as flow:
            fail_on.map([1, 2, 3])
        with caplog.at_level(logging.INFO, logger="prefectlite"):
            flow.run()
        errors = [r for r in caplog.records if r.levelno == logging.ERROR
                  and r.name == "prefectlite.TaskRunner"]
        assert len(errors) == 1
        assert errors[0].getMessage().startswith("Task 'fail_on[1]': Error during execution")

    def test_flow_state_reflects_failed_children(self) -> None:
        with Flow("f") as flow:
            fail_on.map([1, 2, 3])
        assert flow.run().is_failed()
        with Flow("g") as good:
            fail_on.map([1, 3])
        assert good.run().is_successful()

    def test_skipped_children_count_as_success_for_the_flow(self) -> None:
        @task
        def skip_odd(x: int) -> int:
            if x % 2:
                raise signals.SKIP("odd")
            return x

        with Flow("f") as flow:
            out = skip_odd.map([0, 1, 2])
        state = flow.run()
        assert state.is_successful()
        assert kinds(states_of(state, out)) == [Success, Skipped, Success]


class TestPipelining:
    def test_child_i_feeds_child_i(self) -> None:
        with Flow("f") as flow:
            a = add.map([1, 2, 3], unmapped(10))
            b = add.map(a, [100, 200, 300])
            c = inc.map(b)
        assert flow.run().result[c].result == [112, 213, 314]

    def test_local_executor_goes_depth_first(self) -> None:
        order: list[str] = []

        @task
        def step(x: int, name: str) -> int:
            order.append(f"{name}{context.map_index}")
            return x

        with Flow("f") as flow:
            a = step.map([0, 1, 2], unmapped("a"))
            b = step.map(a, unmapped("b"))
            step.map(b, unmapped("c"))
        flow.run()
        assert order == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]

    def test_a_failed_child_only_stops_its_own_pipeline(self) -> None:
        with Flow("f") as flow:
            a = fail_on.map([1, 2, 3])
            b = inc.map(a)
        state = flow.run()
        assert kinds(states_of(state, b)) == [Success, TriggerFailed, Success]
        assert state.result[b].result[::2] == [2, 4]

    @pytest.mark.parametrize("executor_class", [ThreadExecutor, EagerExecutor])
    def test_downstream_child_finishes_before_the_last_upstream_child(
        self, executor_class: type[Executor]
    ) -> None:
        b0_done = threading.Event()
        events: list[str] = []

        @task
        def first(x: int) -> int:
            if x == 2:  # the last child holds on until child 0 downstream has finished
                assert b0_done.wait(10), "second[0] did not run before first[2] finished"
            events.append(f"first{x}")
            return x

        @task
        def second(x: int) -> int:
            events.append(f"second{x}")
            if x == 0:
                b0_done.set()
            return 10 * x

        with Flow("f") as flow:
            out = second.map(first.map([0, 1, 2]))
            summed = total(out)
        state = flow.run(executor=executor_class())
        assert state.is_successful(), state.result
        assert state.result[summed].result == 30
        assert events.index("second0") < events.index("first2")


class TestNestedMapping:
    def test_map_over_children_that_return_lists(self) -> None:
        with Flow("f") as flow:
            lists = upto.map([1, 2, 3])
            sums = total.map(lists)  # child i gets the whole list of child i
            flat = inc.map(flatten(lists))
            grand = total(flat)
        state = flow.run()
        assert state.result[sums].result == [0, 1, 3]
        assert state.result[flat].result == [1, 1, 2, 1, 2, 3]
        assert state.result[grand].result == 10

    def test_flatten_of_a_mapped_upstream_with_a_failed_child(self) -> None:
        # Prefect 1 semantics: a child that failed (or skipped) stands for one element of
        # the flattened list, so only the downstream child of that element fails
        @task
        def groups(n: int) -> list[int]:
            if n == 0:
                raise ValueError("no group")
            return list(range(n))

        with Flow("f") as flow:
            lists = groups.map([1, 0, 2])  # [0], Failed, [0, 1]
            out = inc.map(flatten(lists))
        state = flow.run()
        assert isinstance(state.result[out], Mapped), state.result[out]
        children = states_of(state, out)
        assert kinds(children) == [Success, TriggerFailed, Success, Success]
        assert [children[i].result for i in (0, 2, 3)] == [1, 1, 2]

    def test_map_of_flatten_of_map_of_flatten(self) -> None:
        with Flow("f") as flow:
            level1 = upto.map([2, 3])  # [0, 1], [0, 1, 2]
            level2 = upto.map(flatten(level1))  # [], [0], [], [0], [0, 1]
            out = inc.map(flatten(level2))
        assert flow.run().result[out].result == [1, 1, 1, 2]

    def test_map_inside_apply_map_is_refused(self) -> None:
        # every edge inside apply_map is mapped already; `.map` there is an error (Prefect 1)
        with Flow("f") as flow, pytest.raises(ValueError, match=r"Cannot set `mapped=True` "
                                              r"when running from inside a mapped context"):
            apply_map(lambda xs: collect.map(xs), [[1, 2], [3]])
        assert len(flow) == 0

    def test_map_inside_apply_map_with_flatten(self) -> None:
        def per_item(n: Task) -> Task:
            return inc(n)

        with Flow("f") as flow:
            groups = upto.map([2, 3])  # [0, 1], [0, 1, 2]
            out = apply_map(per_item, flatten(groups))
            direct = apply_map(per_item, flatten([[1, 2], [3]]))
        state = flow.run()
        assert state.result[out].result == [1, 2, 1, 2, 3]
        assert state.result[direct].result == [2, 3, 4]

    def test_apply_map_children_reduce_their_own_list(self) -> None:
        with Flow("f") as flow:
            out = apply_map(lambda xs: inc(total(xs)), [[1, 2], [3], []])
        assert flow.run().result[out].result == [4, 4, 1]

    def test_apply_map_of_a_chain(self) -> None:
        with Flow("f") as flow:
            out = apply_map(lambda x: inc(add(x, 10)), Parameter("xs"))
        assert flow.run(xs=[1, 2]).result[out].result == [12, 13]


class TestZeroLength:
    def test_an_empty_map_is_mapped_with_no_children(self) -> None:
        calls: list[int] = []

        @task
        def record(x: int) -> int:
            calls.append(x)
            return x

        with Flow("f") as flow:
            out = record.map([])
            after = inc.map(out)
        state = flow.run()
        assert state.is_successful()
        for t in (out, after):
            assert isinstance(state.result[t], Mapped)
            assert state.result[t].map_states == []
        assert calls == []

    def test_an_empty_map_from_a_parameter(self) -> None:
        with Flow("f") as flow:
            out = inc.map(Parameter("xs"))
        state = flow.run(xs=[])
        assert state.is_successful() and states_of(state, out) == []

    def test_a_reducer_gets_an_empty_list(self) -> None:
        with Flow("f") as flow:
            out = inc.map(upto(0))
            got = collect(out)
        state = flow.run()
        assert state.result[got].is_successful(), state.result[got]
        assert state.result[got].result == []


class TestChildren:
    def test_children_retry_individually(self) -> None:
        attempts: dict[int, int] = {}

        @task(max_retries=2, retry_delay=NO_WAIT)
        def flaky(x: int) -> tuple[int, int]:
            attempts[x] = context.task_run_count
            if x == 1 and context.task_run_count < 3:
                raise ValueError("not yet")
            return x, context.task_run_count

        with Flow("f") as flow:
            out = flaky.map([0, 1, 2])
        state = flow.run()
        assert state.is_successful()
        assert state.result[out].result == [(0, 1), (1, 3), (2, 1)]
        assert attempts == {0: 1, 1: 3, 2: 1}

    def test_a_child_runs_out_of_retries(self) -> None:
        @task(max_retries=1, retry_delay=NO_WAIT)
        def always_bad(x: int) -> int:
            if x:
                raise ValueError("bad")
            return x

        with Flow("f") as flow:
            out = always_bad.map([0, 1])
        state = flow.run()
        assert kinds(states_of(state, out)) == [Success, Failed]

    def test_a_child_times_out_alone(self) -> None:
        release = threading.Event()

        @task(timeout_seconds=0.2)
        def slow(x: int) -> int:
            if x == 1:
                release.wait(10)
            return x

        with Flow("f") as flow:
            out = slow.map([0, 1, 2])
        try:
            state = flow.run()
        finally:
            release.set()
        assert kinds(states_of(state, out)) == [Success, TimedOut, Success]
        assert state.result[out].map_states[1].message == "Task timed out after 0.2 seconds."
        assert state.is_failed()

    def test_a_child_skips_alone(self) -> None:
        @task
        def skip_one(x: int) -> int:
            if x == 1:
                raise signals.SKIP("not this one")
            return x

        with Flow("f") as flow:
            out = skip_one.map([0, 1, 2])
            after = inc.map(out)
        state = flow.run()
        assert kinds(states_of(state, out)) == [Success, Skipped, Success]
        assert states_of(state, out)[1].message == "not this one"
        assert kinds(states_of(state, after)) == [Success, Skipped, Success]

    def test_a_child_fails_alone(self) -> None:
        with Flow("f") as flow:
            out = fail_on.map([1, 2, 3])
        child = states_of(flow.run(), out)[1]
        assert isinstance(child, Failed)
        assert child.message == "Error during execution of task: ValueError('bad 2')"


class TestReducer:
    def test_a_reducer_gets_the_list_of_child_results(self) -> None:
        with Flow("f") as flow:
            got = collect(inc.map([1, 2, 3]))
        assert flow.run().result[got].result == [2, 3, 4]

    def test_all_successful_fails_when_one_child_failed(self) -> None:
        with Flow("f") as flow:
            got = collect(fail_on.map([1, 2, 3]))
        state = flow.run().result[got]
        assert isinstance(state, TriggerFailed)
        assert state.message == (
            'Trigger was "all_successful" but some of the upstream tasks failed.'
        )

    def test_all_finished_runs_with_the_failed_child_result(self) -> None:
        @task(trigger=tr.all_finished)
        def summary(xs: list[Any]) -> list[str]:
            return [type(x).__name__ for x in xs]

        with Flow("f") as flow:
            got = summary(fail_on.map([1, 2, 3]))
        state = flow.run()
        assert state.result[got].result == ["int", "ValueError", "int"]
        assert state.is_successful()  # the reducer is the reference task, not the children

    def test_any_failed_trigger_over_children(self) -> None:
        @task(trigger=tr.any_failed)
        def alarm(xs: list[Any]) -> str:
            return "alarm"

        with Flow("f") as flow:
            quiet = alarm(inc.map([1, 2]))
            loud = alarm(fail_on.map([1, 2]))
        state = flow.run()
        assert isinstance(state.result[quiet], TriggerFailed)
        assert state.result[loud].result == "alarm"

    def test_a_reducer_skips_when_a_child_skipped(self) -> None:
        @task
        def skip_one(x: int) -> int:
            if x == 1:
                raise signals.SKIP("no")
            return x

        @task(skip_on_upstream_skip=False)
        def tolerant(xs: list[Any]) -> int:
            return len(xs)

        with Flow("f") as flow:
            children = skip_one.map([0, 1])
            strict = collect(children)
            lenient = tolerant(children)
        state = flow.run()
        assert isinstance(state.result[strict], Skipped)
        assert state.result[lenient].result == 2

    def test_a_reducer_of_a_pipelined_map(self) -> None:
        with Flow("f") as flow:
            got = total(inc.map(inc.map([1, 2, 3])))
        assert flow.run().result[got].result == 12


class TestLoop:
    def test_loop_with_loop_result_and_count(self) -> None:
        seen: list[tuple[int, Any]] = []

        @task
        def count_to(n: int) -> tuple[int, int]:
            loops, so_far = context.task_loop_count, context.get("task_loop_result", 0)
            seen.append((loops, so_far))
            if so_far < n:
                raise signals.LOOP(result=so_far + 1)
            return loops, so_far

        with Flow("f") as flow:
            out = count_to(3)
        assert flow.run().result[out].result == (4, 3)
        assert seen == [(1, 0), (2, 1), (3, 2), (4, 3)]

    def test_loop_in_mapped_children(self) -> None:
        @task
        def count_to(n: int) -> int:
            so_far = context.get("task_loop_result", 0)
            if so_far < n:
                raise signals.LOOP(result=so_far + 1)
            return context.task_loop_count

        with Flow("f") as flow:
            out = count_to.map([0, 2, 5])
        assert flow.run().result[out].result == [1, 3, 6]

    def test_the_loop_cap_fails_with_a_message(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(task_runner, "MAX_LOOPS", 5)
        calls: list[int] = []

        @task
        def forever(x: int) -> None:
            calls.append(context.task_loop_count)
            raise signals.LOOP(result=x)

        with Flow("f") as flow:
            out = forever.map([7])
        child = states_of(flow.run(), out)[0]
        assert isinstance(child, Failed)
        assert child.message == (
            "Task 'forever[0]' looped 5 times, the most allowed "
            "(prefectlite.engine.task_runner.MAX_LOOPS); end the loop by returning instead "
            "of raising LOOP."
        )
        assert calls == [1, 2, 3, 4, 5]


class TestResume:
    def test_only_unfinished_children_run_again(self) -> None:
        calls: list[int] = []

        @task
        def record(x: int) -> int:
            calls.append(x)
            return x * 10

        with Flow("f") as flow:
            out = record.map([1, 2, 3, 4])
            got = collect(out)
        given = Mapped(map_states=[Success(result=10), Failed(message="earlier"), Pending(),
                                   Success(result=40)])
        state = flow.run(task_states={out: given})
        assert calls == [3]
        children = states_of(state, out)
        assert kinds(children) == [Success, Failed, Success, Success]
        assert children[1].message == "earlier"
        assert [children[i].result for i in (0, 2, 3)] == [10, 30, 40]
        assert isinstance(state.result[got], TriggerFailed)

    def test_finished_children_are_not_run_again(self) -> None:
        calls: list[int] = []

        @task
        def record(x: int) -> int:
            calls.append(x)
            return x

        with Flow("f") as flow:
            out = record.map([1, 2])
            got = collect(out)
        state = flow.run(task_states={out: Mapped(map_states=[Success(result=5),
                                                              Success(result=6)])})
        assert calls == []
        assert state.result[got].result == [5, 6]

    def test_a_preset_of_another_width_runs_every_child_again(self) -> None:
        calls: list[int] = []

        @task
        def record(x: int) -> int:
            calls.append(x)
            return x

        with Flow("f") as flow:
            out = record.map([1, 2, 3])
        state = flow.run(task_states={out: Mapped(map_states=[Success(result=0), Pending()])})
        assert calls == [1, 2, 3] and state.result[out].result == [1, 2, 3]

    def test_resumed_children_feed_their_pipeline(self) -> None:
        with Flow("f") as flow:
            first = inc.map([1, 2])
            second = inc.map(first)
        state = flow.run(task_states={first: Mapped(map_states=[Success(result=100),
                                                                Pending()])})
        assert state.result[second].result == [101, 4]


class TestBadInput:
    def test_mapped_inputs_of_unequal_length_map_like_zip(self) -> None:
        with Flow("f") as flow:
            out = add.map([1, 2, 3], y=upto(2))
            after = collect(out)
        state = flow.run()
        assert state.result[out].result == [1, 3]
        assert state.result[after].result == [1, 3]
        assert state.is_successful()

    def test_a_longer_pipelined_input_is_cut_to_the_shortest(self) -> None:
        with Flow("f") as flow:
            out = add.map(inc.map([1, 2, 3]), upto(2))
            after = inc.map(out)
        state = flow.run()
        assert state.result[out].result == [2, 4]
        assert state.result[after].result == [3, 5]

    def test_mapping_over_an_int(self) -> None:
        with Flow("f") as flow:
            out = inc.map(Parameter("n"))
        state = flow.run(n=5)
        assert isinstance(state.result[out], Failed)
        assert state.result[out].message == UNMAPPABLE
        assert isinstance(state.result[out].result, TypeError)
        assert str(state.result[out].result).startswith(
            "Cannot map task 'inc' over x: int 5 is not a sized, indexable value."
        )

    def test_mapping_over_none_names_the_argument(self, caplog: Any) -> None:
        with Flow("f") as flow:
            out = add.map(x=[1], y=Parameter("ys", default=None))
        state = flow.run().result[out]
        assert state.message == UNMAPPABLE
        assert "over y: NoneType None is not a sized, indexable value" in str(state.result)
        assert "over y: NoneType None" in caplog.text  # the detail is logged too

    def test_mapped_upstream_tasks_must_be_mappable_too(self) -> None:
        @task
        def nothing() -> None:
            return None

        with Flow("f") as flow:
            out = inc.map([1], upstream_tasks=[nothing()])
        error = flow.run().result[out].result
        assert "over upstream 'nothing': NoneType None is not a sized" in str(error)

    def test_no_successful_mapped_input(self) -> None:
        with Flow("f") as flow:
            out = inc.map(inc(None))
            after = inc.map(out)
        state = flow.run()
        assert isinstance(state.result[out], Failed)
        assert state.result[out].message == "No upstream states can be mapped over."
        assert state.result[after].message == "No upstream states can be mapped over."
        assert state.is_failed()

    def test_flatten_of_a_list_of_non_iterables_maps_over_the_list(self) -> None:
        with Flow("f") as flow:
            out = inc.map(flatten([1, 2]))
        assert flow.run().result[out].result == [2, 3]

    def test_flatten_of_a_non_iterable_in_a_plain_call_passes_it_on(self) -> None:
        with Flow("f") as flow:
            out = collect(flatten(Parameter("v")))
        assert flow.run(v=3).result[out].result == 3

    def test_flatten_of_a_non_iterable_child_passes_it_on_with_a_warning(
        self, caplog: Any
    ) -> None:
        @task
        def wrap(x: int) -> Any:
            return x if x == 2 else [x]

        with Flow("f") as flow:
            out = inc.map(flatten(wrap.map([1, 2, 3])))
        assert flow.run().result[out].result == [2, 3, 4]
        assert "`flatten` was used on upstream task that did not return an iterable" in (
            caplog.text)

    def test_case_with_a_task_from_another_flow(self) -> None:
        # as in Prefect 1, the condition joins this flow (without flow one's constants)
        with Flow("one"):
            condition = inc(1)
        with Flow("two") as two, case(condition, 2):
            inside = inc(3)
        assert condition in two.tasks and inside in two.tasks and condition not in two.constants

    def test_merge_of_nothing(self) -> None:
        with Flow("f"), pytest.raises(ValueError, match=r"merge\(\) needs at least one task"):
            merge()


# -- the eager walk: the same flows give the same states ------------------------------------


def _flaky_body(x: int) -> int:
    if x % 2 and context.task_run_count < 2:
        raise ValueError("first attempt")
    return x


flaky = task(_flaky_body, name="flaky", max_retries=2, retry_delay=NO_WAIT)


def _maps() -> Flow:
    with Flow("maps") as flow:
        xs = Parameter("xs", default=[1, 2, 3])
        a = inc.map(xs)
        add.map(a, unmapped(10))
        inc.map([])
        inc.map(flatten(upto.map([1, 2])))
    return flow


def _pipeline_and_reducers() -> Flow:
    with Flow("pipeline") as flow:
        a = fail_on.map([1, 2, 3, 4])
        b = inc.map(a)
        collect(b)
        task(lambda xs: len(xs), name="count", trigger=tr.all_finished)(b)
        total(inc.map(inc.map([1, 2, 3])))
    return flow


def _case_merge() -> Flow:
    with Flow("case") as flow:
        mode = Parameter("mode", default="up")
        with case(mode, "up"):
            up = inc.map([1, 2])
        with case(mode, "down"):
            down = add.map([1, 2], unmapped(-1))
        collect(merge(up, down))
    return flow


def _retries() -> Flow:
    with Flow("retries") as flow:
        total(flaky.map([1, 2, 3]))
        flaky(5)
    return flow


def _nested() -> Flow:
    def per_item(x: Task) -> Task:
        big = x > 1
        with case(big, True):
            y = inc(x)
        return merge(y, x)

    with Flow("nested") as flow:
        collect(apply_map(per_item, [0, 1, 2, 3]))
    return flow


def summary(state: State) -> Any:
    """What must agree between executors: the state's class, result and children."""
    result = state.result
    if isinstance(result, BaseException):
        result = (type(result).__name__, str(result))
    elif isinstance(result, list):
        result = [(type(r).__name__, str(r)) if isinstance(r, BaseException) else r
                  for r in result]
    children = [summary(s) for s in state.map_states] if isinstance(state, Mapped) else None
    return type(state).__name__, result, children


def run_summary(flow: Flow, executor: Executor, **parameters: Any) -> dict[str, Any]:
    state = flow.run(executor=executor, **parameters)
    per_task = {flow.slugs[t]: summary(s) for t, s in state.result.items()}
    return {"flow": type(state).__name__, **per_task}


FLOWS = {
    "maps": (_maps, {}), "pipeline": (_pipeline_and_reducers, {}),
    "case-up": (_case_merge, {"mode": "up"}), "case-down": (_case_merge, {"mode": "down"}),
    "case-none": (_case_merge, {"mode": "sideways"}), "retries": (_retries, {}),
    "nested": (_nested, {}),
}


class TestParentHandlers:
    def test_handlers_see_the_parent_map_once_before_the_children(self) -> None:
        seen: list[tuple[str, str, Any]] = []

        def handler(t: Task, old: State, new: State) -> None:
            seen.append((type(old).__name__, type(new).__name__, context.get("map_index")))

        with Flow("f") as flow:
            out = inc.map([1, 2], task_args={"state_handlers": [handler]})
        assert flow.run().result[out].result == [2, 3]
        assert seen[0] == ("Pending", "Mapped", None)
        assert [s for s in seen if s[1] == "Mapped"] == [seen[0]]
        assert {s[2] for s in seen[1:]} == {0, 1}

    def test_the_parent_state_carries_the_width(self) -> None:
        widths: list[int] = []

        def handler(t: Task, old: State, new: State) -> None:
            if isinstance(new, Mapped):
                widths.append(new.n_map_states)

        with Flow("f") as flow:
            inc.map(upto(3), task_args={"state_handlers": [handler]})
        flow.run()
        assert widths == [3]

    def test_handlers_see_a_parent_that_cannot_map(self) -> None:
        seen: list[str] = []

        def handler(t: Task, old: State, new: State) -> None:
            seen.append(str(new.message))

        with Flow("f") as flow:
            inc.map(Parameter("n"), task_args={"state_handlers": [handler]})
        flow.run(n=3)
        assert seen == [UNMAPPABLE]

    def test_a_handler_can_stop_the_map(self) -> None:
        def veto(t: Task, old: State, new: State) -> State | None:
            return Skipped(message="not today") if isinstance(new, Mapped) else None

        with Flow("f") as flow:
            out = inc.map([1, 2], task_args={"state_handlers": [veto]})
            after = inc.map(out)
        state = flow.run()
        assert state.result[out] == Skipped(message="not today")
        assert isinstance(state.result[after], Skipped)


class TestEagerWalk:
    @pytest.mark.parametrize("name", sorted(FLOWS))
    @pytest.mark.parametrize("executor_class", [ThreadExecutor, EagerExecutor])
    def test_same_states_as_the_local_executor(
        self, name: str, executor_class: type[Executor]
    ) -> None:
        build, parameters = FLOWS[name]
        flow = build()
        expected = run_summary(flow, LocalExecutor(), **parameters)
        assert run_summary(flow, executor_class(), **parameters) == expected

    def test_dependents_receive_futures(self) -> None:
        release = threading.Event()

        @task
        def gate() -> int:
            assert release.wait(10)
            return 1

        @task
        def opener(x: int) -> int:
            release.set()
            return x

        with Flow("f") as flow:
            slow = gate()
            out = add(slow, 1)  # submitted with gate's future, before gate finished
            opener(2)
        executor = EagerExecutor()
        state = flow.run(executor=executor)
        assert state.result[out].result == 2
        assert executor.resolved >= 1

    def test_retries_happen_in_place(self) -> None:
        with Flow("f") as flow:
            out = flaky.map([1, 2])
            after = inc.map(out)
            downstream = total(after)
        executor = EagerExecutor()
        state = flow.run(executor=executor)
        assert state.result[after].result == [2, 3]
        assert state.result[downstream].result == 5
        assert state.is_successful()
        assert executor.resolved >= 1

    def test_unequal_lengths_map_like_zip_too(self) -> None:
        with Flow("f") as flow:
            out = add.map(inc.map([1, 2]), [1, 2, 3])
        state = flow.run(executor=EagerExecutor())
        assert state.result[out].result == [3, 5]
        with Flow("g") as flow:
            out = add.map(inc.map([1, 2, 3]), [1, 2])
        state = flow.run(executor=EagerExecutor())
        assert state.result[out].result == [3, 5]


# -- the rules of prefectlite.engine.mapping, state by state ---------------------------------


class TestMappingRules:
    def test_element_of_a_cached_state_stays_cached(self) -> None:
        element = mapping.element_state(Cached(result=[4, 5]), 1)
        assert type(element) is Cached and element.result == 5

    def test_element_keeps_the_result_class(self) -> None:
        from prefectlite.engine.results import PrefectResult

        upstream = Success(result=PrefectResult([1, 2]))
        element = mapping.element_state(upstream, 0)
        assert type(element._result) is PrefectResult and element.result == 1
        assert upstream.result == [1, 2]  # the upstream state is not changed

    def test_element_of_a_failed_state_has_no_result(self) -> None:
        element = mapping.element_state(Failed(message="boom", result=ValueError()), 3)
        assert type(element) is Failed and element.message == "boom"
        assert element.result is None

    def test_element_past_the_end_has_no_result(self) -> None:
        assert mapping.element_state(Success(result=[1]), 4).result is None

    def test_mappable_values(self) -> None:
        assert all(map(mapping.mappable, ([], (), "ab", range(3))))
        # Prefect 1 indexes by position (value[0], ...): a dict has no positions
        assert not any(map(mapping.mappable, (None, 3, {1}, iter([1]), {"a": 1}, {0: "a"})))

    def test_flatten_state_of_nested_and_flat_values(self) -> None:
        assert mapping.flatten_state(Success(result=[(1, 2), [3]])).result == [1, 2, 3]
        flat = Success(result=[1, 2])
        assert mapping.flatten_state(flat) is flat

    def test_flattened_children(self, caplog: Any) -> None:
        skipped, failed = Skipped(message="s"), Failed(message="f")
        parent = Mapped(map_states=[Success(result=[1, 2]), skipped, failed,
                                    Success(result=7), Success(result=[])])
        elements = mapping.flattened_states(parent)
        assert [e.result for e in elements[:2]] == [1, 2]
        assert elements[2] is skipped and elements[3] is failed
        assert elements[4].result == 7 and len(elements) == 5
        assert "did not return an iterable" in caplog.text

    def test_flattened_value_of_an_unmapped_edge(self) -> None:
        parent = Mapped(map_states=[Success(result=[1]), Skipped(), Success(result=[2, 3])])
        assert mapping.flattened_value(parent) == [1, None, 2, 3]
        assert mapping.flattened_value(Success(result=[[1], [2]])) == [1, 2]
        assert mapping.flattened_value(Success(result=None)) is None
