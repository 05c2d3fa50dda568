"""Tests for prefectlite.engine.flow_runner: ``flow.run()`` and ``FlowRunner`` end to end.

One class per concern: the First Steps acceptance, the flow's state, ``task_states`` and
``return_tasks``, parameters, flow state handlers, Ctrl-C, retries that don't block, the
event-driven walk, executors, the context inside tasks, schedules and logging.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pendulum
import pytest

from prefectlite import Flow, Parameter, Task, context, flatten, task
from prefectlite.engine import signals, walker
from prefectlite.engine.flow_runner import FlowRunner, final_state
from prefectlite.engine.state import (
    Cancelled,
    Failed,
    Finished,
    Mapped,
    Paused,
    Pending,
    Resume,
    Retrying,
    Running,
    Skipped,
    State,
    Success,
    TriggerFailed,
)
from prefectlite.exceptions import ParameterError, TaskNotInFlowError
from prefectlite.executors import Executor, LocalExecutor
from prefectlite.schedules import Schedule
from prefectlite.schedules.clocks import DatesClock
from prefectlite.triggers import all_finished, manual_only

REPO = Path(__file__).resolve().parents[2]
NO_WAIT = datetime.timedelta(0)


@task
def add(x, y=1):
    return x + y


@task
def fail():
    raise RuntimeError("boom")


@task
def identity(x):
    return x


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """flow.run() configures the ``prefectlite`` logger; put it back after each test."""
    names = ["prefectlite", "prefectlite.TaskRunner", "prefectlite.FlowRunner"]
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers)) for n in names}
    yield
    for name, (level, handlers) in saved.items():
        log = logging.getLogger(name)
        log.setLevel(level)
        log.handlers[:] = handlers


# -- acceptance: the First Steps page -----------------------------------------------------


class TestFirstSteps:
    def test_functional_api(self) -> None:
        with Flow("My first flow!") as flow:
            first_result = add(1, y=2)
            second_result = add(x=first_result, y=100)
        state = flow.run()
        assert state.is_successful()
        assert state.result[first_result].result == 3
        assert state.result[second_result].result == 103

    def test_parameter_say_hello(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task
        def say_hello(person: str) -> None:
            print(f"Hello, {person}!")

        with Flow("Say hi!") as flow:
            name = Parameter("name")
            say_hello(name)
        state = flow.run(name="Marvin")
        assert state.is_successful()
        assert capsys.readouterr().out == "Hello, Marvin!\n"

    def test_imperative_api_runs_say_hello_after_second_add(self) -> None:
        order: list[str] = []

        class AddTask(Task):
            def run(self, x, y=1):
                order.append(f"add {x}")
                return x + y

        class SayHello(Task):
            def run(self, person):
                order.append(f"hello {person}")
                return f"Hello, {person}!"

        add_task, second_add, say_hello = AddTask(), AddTask(), SayHello()
        name = Parameter("name")
        flow = Flow("My imperative flow!")
        flow.add_task(add_task)
        flow.add_task(second_add)
        flow.add_task(say_hello)
        say_hello.set_upstream(second_add, flow=flow)
        add_task.bind(x=1, y=2, flow=flow)
        second_add.bind(x=add_task, y=100, flow=flow)
        say_hello.bind(person=name, flow=flow)

        state = flow.run(name="Marvin")
        assert state.is_successful()
        assert state.result[second_add].result == 103
        assert state.result[say_hello].result == "Hello, Marvin!"
        assert order.index("hello Marvin") > order.index("add 3")

    def test_every_task_has_a_state(self) -> None:
        with Flow("all states") as flow:
            add(add(1))
        state = flow.run()
        assert set(state.result) == flow.tasks
        assert all(isinstance(s, Success) for s in state.result.values())


# -- the flow's state ---------------------------------------------------------------------


class TestFlowState:
    def test_a_failed_terminal_task_fails_the_flow(self) -> None:
        with Flow("f") as flow:
            add(fail())
        state = flow.run()
        assert type(state) is Failed and state.message == "Some reference tasks failed."

    def test_by_default_only_terminal_tasks_count(self) -> None:
        # Prefect 1: a cleanup task that always runs hides the failure upstream of it
        cleanup = task(lambda: "cleaned", name="cleanup", trigger=all_finished)
        with Flow("f") as flow:
            f = fail()
            c = cleanup(upstream_tasks=[f])
        state = flow.run()
        assert type(state.result[f]) is Failed and type(state.result[c]) is Success
        assert type(state) is Success

    def test_set_reference_tasks_decides(self) -> None:
        cleanup = task(lambda: "cleaned", name="cleanup", trigger=all_finished)
        with Flow("f") as flow:
            f = fail()
            cleanup(upstream_tasks=[f])
        flow.set_reference_tasks([f])
        assert type(flow.run()) is Failed

    def test_reference_tasks_in_the_constructor(self) -> None:
        ok = Task(name="ok")
        flow = Flow("f", tasks=[ok], reference_tasks=[ok])
        flow.add_task(fail.copy())
        assert flow.run().is_successful()

    def test_skipped_reference_tasks_count_as_success(self) -> None:
        @task
        def skipper():
            raise signals.SKIP("nothing to do")

        with Flow("f") as flow:
            s = skipper()
            after = add(s)
        state = flow.run()
        assert type(state.result[after]) is Skipped
        assert type(state) is Success

    def test_a_failed_child_of_a_mapped_reference_task_fails_the_flow(self) -> None:
        @task
        def inverse(x):
            return 1 / x

        with Flow("f") as flow:
            inverse.map([1, 0, 2])
        state = flow.run()
        assert type(state) is Failed

    def test_an_unfinished_reference_task_leaves_the_flow_running(self) -> None:
        approve = task(lambda: "approved", name="approve", trigger=manual_only)
        with Flow("f") as flow:
            a = approve()
            after = identity(a)
        state = flow.run()
        assert type(state.result[a]) is Paused
        assert type(state.result[after]) is Pending
        assert type(state) is Running and state.message == "Running flow."

    @pytest.mark.parametrize(
        ("states", "expected"),
        [
            ([Success(), Skipped()], Success),
            ([Success(), Failed()], Failed),
            ([Success(), Finished()], Success),  # "No reference tasks failed."
            ([Success(), Pending()], Running),
            ([Mapped(map_states=[Success(), TriggerFailed()])], Failed),
            ([], Success),
        ],
    )
    def test_final_state(self, states: list[State], expected: type) -> None:
        tasks = [Task(name=f"t{i}") for i in range(len(states))]
        flow = Flow("f", tasks=tasks)
        assert type(final_state(flow, dict(zip(tasks, states, strict=True)))) is expected

    def test_flow_state_carries_the_run_id(self) -> None:
        with Flow("f") as flow:
            add(1)
        state = flow.run()
        assert uuid.UUID(state.context["flow_run_id"])


# -- task_states and return_tasks ---------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x: Any = None) -> Any:
        self.calls += 1
        return x


class TestTaskStates:
    def test_preset_finished_states_are_not_rerun(self) -> None:
        upstream_calls, downstream_calls = Counter(), Counter()
        up = task(upstream_calls, name="up")
        down = task(downstream_calls, name="down")
        with Flow("resume") as flow:
            u = up(1)
            d = down(u)
        state = flow.run(task_states={u: Success(result=10)})
        assert upstream_calls.calls == 0 and downstream_calls.calls == 1
        assert state.result[d].result == 10
        assert state.result[u] == Success(result=10)

    def test_resuming_a_failed_run_by_hand(self) -> None:
        attempts = Counter()

        @task
        def expensive():
            attempts()
            return 42

        @task
        def flaky(x):
            if not context.parameters.get("fixed"):
                raise RuntimeError("broken")
            return x + 1

        with Flow("resume") as flow:
            fixed = Parameter("fixed", default=False)
            e = expensive()
            f = flaky(e, upstream_tasks=[fixed])
        first = flow.run()
        assert first.is_failed() and attempts.calls == 1
        keep = {t: s for t, s in first.result.items() if s.is_successful() and t is not fixed}
        second = flow.run(task_states=keep, fixed=True)
        assert second.is_successful() and second.result[f].result == 43
        assert attempts.calls == 1

    def test_a_preset_failed_state_triggers_downstream(self) -> None:
        calls = Counter()
        with Flow("f") as flow:
            u = add(1)
            d = task(calls, name="d")(u)
        state = flow.run(task_states={u: Failed(message="earlier")})
        assert state.result[u].message == "earlier"
        assert type(state.result[d]) is TriggerFailed and calls.calls == 0

    def test_a_preset_unfinished_state_runs(self) -> None:
        with Flow("f") as flow:
            u = add(1)
        state = flow.run(task_states={u: Pending()})
        assert state.result[u].result == 2

    def test_resume_state_passes_manual_only(self) -> None:
        approve = task(lambda: "approved", name="approve", trigger=manual_only)
        with Flow("approval") as flow:
            a = approve()
            after = identity(a)
        paused = flow.run()
        assert type(paused.result[a]) is Paused
        resumed = flow.run(task_states={a: Resume()})
        assert resumed.is_successful() and resumed.result[after].result == "approved"

    def test_preset_mapped_states_are_not_rerun(self) -> None:
        calls = Counter()
        with Flow("f") as flow:
            m = task(calls, name="m").map([1, 2])
            total = identity(m)
        preset = Mapped(map_states=[Success(result=10), Success(result=20)])
        state = flow.run(task_states={m: preset})
        assert calls.calls == 0 and state.result[total].result == [10, 20]

    def test_a_preset_mapped_state_keeps_its_failed_children(self) -> None:
        # resuming a mapped run: the failed child's downstream child must not run
        seen: list[Any] = []
        with Flow("f") as flow:
            m = identity.map([1, 2, 3])
            after = task(lambda x: seen.append(x), name="after").map(m)
        preset = Mapped(map_states=[Success(result=1), Failed(result=ValueError("x")),
                                    Success(result=3)])
        state = flow.run(task_states={m: preset})
        assert [type(s) for s in state.result[after].map_states] == [
            Success, TriggerFailed, Success]
        assert seen == [1, 3]

    def test_a_task_states_key_not_in_the_flow_is_an_error(self) -> None:
        with Flow("f") as flow:
            add(1)
        stranger = Task(name="stranger")
        with pytest.raises(TaskNotInFlowError,
                           match=r"task_states names <Task: stranger>, which is not a task of "
                                 r"flow 'f'"):
            flow.run(task_states={stranger: Success()})

    def test_a_task_states_value_must_be_a_state(self) -> None:
        with Flow("f") as flow:
            a = add(1)
        with pytest.raises(TypeError, match=r"task_states\[<Task: add>\] must be a State"):
            flow.run(task_states={a: 3})

    def test_return_tasks(self) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
        state = FlowRunner(flow).run(return_tasks=[b])
        assert set(state.result) == {b} and state.result[b].result == 3

    def test_return_tasks_empty(self) -> None:
        with Flow("f") as flow:
            add(1)
        assert FlowRunner(flow).run(return_tasks=[]).result == {}

    def test_return_tasks_not_in_the_flow_is_an_error(self) -> None:
        # Prefect 1: "Some tasks in return_tasks were not found in the flow."
        with Flow("f") as flow:
            add(1)
        state = FlowRunner(flow).run(return_tasks=[Task(name="stranger")])
        assert type(state) is Failed
        assert state.message == ("Unexpected error: ValueError('Some tasks in return_tasks were "
                                 "not found in the flow.')")


# -- mapping details the runner owns ------------------------------------------------------


class TestMappedRuns:
    def test_flatten_over_a_mapped_upstream(self) -> None:
        @task
        def upto(n):
            return list(range(n))

        with Flow("flat") as flow:
            lists = upto.map([1, 2, 3])
            flat = add.map(flatten(lists))
        state = flow.run()
        assert state.result[flat].result == [1, 1, 2, 1, 2, 3]

    def test_local_runs_go_depth_first_along_a_pipeline(self) -> None:
        order: list[tuple[str, int]] = []
        first = task(lambda x: order.append(("a", x)) or x, name="first")
        second = task(lambda x: order.append(("b", x)) or x, name="second")
        with Flow("dfe") as flow:
            second.map(first.map([1, 2, 3]))
        flow.run()
        assert order == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("b", 3)]

    def test_a_zero_width_map_gives_downstream_an_empty_list(self) -> None:
        # Prefect 1 reduces an empty map to []; the reducing task must not receive None
        with Flow("empty") as flow:
            m = add.map([])
            again = add.map(m)
            total = identity(again)
        state = flow.run()
        assert state.is_successful()
        assert state.result[m].map_states == [] and state.result[again].map_states == []
        assert state.result[total].result == []


# -- parameters ---------------------------------------------------------------------------


class TestParameters:
    @pytest.fixture
    def flow(self) -> Flow:
        with Flow("params") as flow:
            a, b = Parameter("a"), Parameter("b")
            c = Parameter("c", default=3)
            identity([a, b, c])
        return flow

    def test_defaults_and_given_values(self, flow: Flow) -> None:
        state = flow.run(a=1, b=2)
        [out] = flow.terminal_tasks()
        assert state.result[out].result == [1, 2, 3]

    def test_parameters_dict_and_keywords_combine(self, flow: Flow) -> None:
        state = flow.run(parameters={"a": 1, "c": 30}, b=2)
        [out] = flow.terminal_tasks()
        assert state.result[out].result == [1, 2, 30]

    def test_required_missing_names_all_of_them(self, flow: Flow) -> None:
        with pytest.raises(ParameterError,
                           match=r"needs a value for the required parameter\(s\) 'a', 'b'"):
            flow.run()

    def test_unknown_name_lists_the_known_ones(self, flow: Flow) -> None:
        with pytest.raises(ParameterError,
                           match=r"has no parameter\(s\) 'z'; its parameters are: a, b, c\."):
            flow.run(parameters={"a": 1, "b": 2, "z": 0})

    def test_parameter_errors_are_value_errors_and_nothing_runs(self) -> None:
        calls = Counter()
        with Flow("f") as flow:
            task(calls, name="t")(Parameter("p"))
        with pytest.raises(ValueError):
            flow.run()
        assert calls.calls == 0

    def test_a_flow_without_parameters_says_so(self) -> None:
        with Flow("none") as flow:
            add(1)
        with pytest.raises(ParameterError, match=r"its parameters are: \(none\)"):
            flow.run(parameters={"x": 1})

    def test_parameters_are_in_the_context(self) -> None:
        @task
        def read():
            return dict(context.parameters)

        with Flow("ctx") as flow:
            r = read(upstream_tasks=[Parameter("a")])
        assert flow.run(a=5).result[r].result == {"a": 5}


# -- flow state handlers ------------------------------------------------------------------


class TestFlowStateHandlers:
    def test_called_on_every_flow_transition(self) -> None:
        seen: list[tuple[str, str]] = []

        def handler(flow: Flow, old: State, new: State) -> None:
            seen.append((type(old).__name__, type(new).__name__))

        flow = Flow("f", state_handlers=[handler], tasks=[Task(name="t")])
        flow.run()  # flow.run() starts the run Scheduled (for now), as Prefect 1 does
        assert seen == [("Scheduled", "Running"), ("Running", "Success")]
        seen.clear()
        FlowRunner(flow).run()
        assert seen == [("Pending", "Running"), ("Running", "Success")]

    def test_runner_handlers_run_after_the_flow_handlers(self) -> None:
        seen: list[str] = []
        flow = Flow("f", tasks=[Task()], state_handlers=[lambda f, o, n: seen.append("flow")])
        FlowRunner(flow, state_handlers=[lambda f, o, n: seen.append("runner")]).run()
        assert seen == ["flow", "runner", "flow", "runner"]

    def test_a_handler_can_replace_the_final_state(self) -> None:
        def soften(flow: Flow, old: State, new: State) -> State | None:
            return Success(message="failure accepted", result=new.result) if new.is_failed() \
                else None

        with Flow("f", state_handlers=[soften]) as flow:
            f = fail()
        state = flow.run()
        assert state.message == "failure accepted" and type(state.result[f]) is Failed

    def test_a_raising_handler_fails_the_flow_naming_it(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls = Counter()

        def broken_flow_handler(flow: Flow, old: State, new: State) -> None:
            if new.is_finished():
                raise RuntimeError("handler bug")

        with Flow("f", state_handlers=[broken_flow_handler]) as flow:
            task(calls, name="t")()
        state = flow.run()
        assert type(state) is Failed
        assert state.message == ("Unexpected error while calling state handlers: "
                                 "RuntimeError('handler bug')")
        assert any("broken_flow_handler" in r.getMessage() for r in caplog.records)
        assert calls.calls == 1  # the tasks ran; the flow finished

    def test_a_handler_raising_before_the_run_stops_it(self) -> None:
        calls = Counter()

        def refuse(flow: Flow, old: State, new: State) -> None:
            raise PermissionError("not today")

        with Flow("f", state_handlers=[refuse]) as flow:
            task(calls, name="t")()
        state = flow.run()
        assert type(state) is Failed and "PermissionError('not today')" in state.message
        assert calls.calls == 0


# -- Ctrl-C -------------------------------------------------------------------------------


class TestKeyboardInterrupt:
    @pytest.mark.usefixtures("sigint_raises")
    def test_ctrl_c_cancels_and_keeps_finished_states(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        after = Counter()

        @task
        def interrupted(x):
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, delivered to this (the main) thread

        with Flow("ctrl-c") as flow:
            first = add(1)
            stop = interrupted(first)
            later = task(after, name="later")(stop)
        with caplog.at_level(logging.WARNING, logger="prefectlite.FlowRunner"):
            state = flow.run()  # not re-raised
        assert type(state) is Cancelled
        assert "KeyboardInterrupt" in state.message
        assert state.result[first] == Success(message="Task run succeeded.", result=2)
        assert type(state.result[stop]) is Pending and type(state.result[later]) is Pending
        assert after.calls == 0
        assert any("interrupted" in r.getMessage() for r in caplog.records)

    def test_a_keyboard_interrupt_raised_by_a_task_fails_only_that_task(self) -> None:
        @task
        def raises_it():
            raise KeyboardInterrupt("the task's own")

        with Flow("own") as flow:
            bad = raises_it()
            other = add(1)
            after = add(bad)
        state = flow.run()
        assert type(state) is Failed
        assert type(state.result[bad]) is Failed
        assert type(state.result[bad].result) is KeyboardInterrupt
        assert "'raises_it' raised KeyboardInterrupt" in state.result[bad].message
        assert type(state.result[after]) is TriggerFailed
        assert state.result[other].result == 2

    def test_ctrl_c_during_a_retry_wait(self, monkeypatch: pytest.MonkeyPatch) -> None:
        @task(max_retries=1, retry_delay=datetime.timedelta(seconds=30))
        def flaky():
            raise RuntimeError("down")

        def interrupted_sleep(seconds: float) -> None:
            raise KeyboardInterrupt  # what Ctrl-C does to the runner's wait for the retry

        monkeypatch.setattr(walker, "time",
                            types.SimpleNamespace(sleep=interrupted_sleep,
                                                  monotonic=time.monotonic))
        with Flow("wait") as flow:
            f = flaky()
        state = flow.run()
        assert type(state) is Cancelled
        assert type(state.result[f]) is Pending


# -- retries don't block, the walk is event-driven ----------------------------------------


class TestNonBlocking:
    def test_a_retry_delay_does_not_block_an_independent_task(self) -> None:
        events: list[tuple[str, float]] = []

        # the delay only has to be long next to two trivial tasks (never tighter than 5x)
        @task(max_retries=1, retry_delay=datetime.timedelta(seconds=1))
        def flaky():
            events.append((f"flaky attempt {context.task_run_count}", time.monotonic()))
            if context.task_run_count == 1:
                raise RuntimeError("first attempt fails")
            return "ok"

        @task
        def independent():
            events.append(("independent done", time.monotonic()))
            return 1

        @task
        def after_independent(x):
            events.append(("after independent done", time.monotonic()))

        with Flow("retries") as flow:
            f = flaky()
            after_independent(independent())
        state = flow.run()
        assert state.is_successful() and state.result[f].result == "ok"
        names = [name for name, _ in events]
        assert names == ["flaky attempt 1", "independent done", "after independent done",
                         "flaky attempt 2"]
        times = dict(events)
        assert times["flaky attempt 2"] - times["flaky attempt 1"] >= 0.99  # delay honoured

    def test_a_retrying_state_has_a_start_time_the_runner_honours(self) -> None:
        seen: list[State] = []

        def watch(t: Task, old: State, new: State) -> None:
            seen.append(new)

        @task(max_retries=1, retry_delay=datetime.timedelta(seconds=0.1),
              state_handlers=[watch])
        def flaky():
            if context.task_run_count == 1:
                raise RuntimeError("again")

        with Flow("f") as flow:
            flaky()
        flow.run()
        [retrying] = [s for s in seen if isinstance(s, Retrying)]
        assert retrying.run_count == 1
        assert retrying.start_time <= datetime.datetime.now(datetime.UTC)

    def test_the_walk_is_event_driven(self) -> None:
        # With a thread pool, a short chain runs to its end while a slow task is running:
        # the runner waits for *any* future, never for one in particular.
        done: dict[str, float] = {}
        release = threading.Event()

        @task
        def slow():
            release.wait(60)  # set by step 3: only a walk that did not wait for us gets there
            done["slow"] = time.monotonic()

        @task
        def step(x):
            done[f"step{x}"] = time.monotonic()
            if x == 3:
                release.set()
            return x + 1

        with Flow("events") as flow:
            slow()
            step(step(step(1)))
        state = flow.run(executor=ThreadPoolTestExecutor())
        assert state.is_successful()
        assert done["step3"] < done["slow"]


class ThreadPoolTestExecutor(Executor):
    """A minimal thread-pool executor used to observe the runner's scheduling."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    @contextmanager
    def start(self) -> Iterator[None]:
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            self.pool = pool
            yield

    def submit(self, fn: Callable[..., Any], *args: Any,
               extra_context: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        assert self.pool is not None
        return self.pool.submit(fn, *args, **kwargs)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        done, _ = concurrent.futures.wait(futures, timeout, concurrent.futures.FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any) -> Any:
        return future.result()


# -- executors ----------------------------------------------------------------------------


class CountingExecutor(LocalExecutor):
    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class TestExecutors:
    def test_flow_run_with_an_explicit_executor(self) -> None:
        ex = CountingExecutor()
        with Flow("f") as flow:
            add(add(1))
        assert flow.run(executor=ex).is_successful()
        assert ex.submitted == len(flow.tasks)

    def test_flow_executor_is_the_default(self) -> None:
        ex = CountingExecutor()
        with Flow("f", executor=ex) as flow:
            add(1)
        flow.run()
        assert ex.submitted == len(flow.tasks)

    def test_an_explicit_executor_wins_over_the_flow_executor(self) -> None:
        on_flow, given = CountingExecutor(), CountingExecutor()
        with Flow("f", executor=on_flow) as flow:
            add(1)
        flow.run(executor=given)
        assert on_flow.submitted == 0 and given.submitted == len(flow.tasks)

    def test_local_executor_is_the_fallback(self) -> None:
        with Flow("f") as flow:
            t = task(lambda: threading.current_thread(), name="where")()
        assert flow.run().result[t].result is threading.current_thread()


# -- context inside tasks -----------------------------------------------------------------


class TestContext:
    def test_values_available_inside_a_task(self) -> None:
        @task
        def snapshot(x):
            return {k: context.get(k) for k in (
                "flow_name", "flow_run_id", "task_name", "task_slug", "task_full_name",
                "parameters", "today", "yesterday", "tomorrow", "date",
                "scheduled_start_time", "logger", "map_index", "task_run_count",
                "task_loop_count", "custom")}

        with Flow("context flow") as flow:
            p = Parameter("p", default=1)
            s = snapshot(p)
        state = flow.run(p=7, context={"custom": "mine"})
        got = state.result[s].result
        assert got["flow_name"] == "context flow"
        assert got["flow_run_id"] == state.context["flow_run_id"]
        assert got["task_name"] == "snapshot"
        assert got["task_slug"] == flow.slugs[s] == "snapshot-1"
        assert got["task_full_name"] == "snapshot"
        assert got["parameters"] == {"p": 7}
        date = got["date"]
        assert isinstance(date, pendulum.DateTime)
        assert got["today"] == date.strftime("%Y-%m-%d")
        assert got["yesterday"] == date.subtract(days=1).strftime("%Y-%m-%d")
        assert got["tomorrow"] == date.add(days=1).strftime("%Y-%m-%d")
        assert abs((pendulum.now("UTC") - date).total_seconds()) < 60
        assert abs((got["scheduled_start_time"] - date).total_seconds()) < 60
        assert got["logger"] is s.logger and got["logger"].name == "prefectlite.snapshot"
        assert got["map_index"] is None
        assert got["task_run_count"] == 1 and got["task_loop_count"] == 1
        assert got["custom"] == "mine"

    def test_mapped_children_see_their_index(self) -> None:
        @task
        def where(x):
            return context.map_index, context.task_full_name

        with Flow("f") as flow:
            w = where.map(["a", "b"])
        assert flow.run().result[w].result == [(0, "where[0]"), (1, "where[1]")]

    def test_one_run_id_per_run(self) -> None:
        @task
        def run_id():
            return context.flow_run_id

        with Flow("f") as flow:
            a, b = run_id(), run_id()
        first, second = flow.run(), flow.run()
        assert first.result[a].result == first.result[b].result
        assert first.result[a].result != second.result[a].result

    def test_the_context_is_clean_after_the_run(self) -> None:
        before = context.to_dict()
        with Flow("f") as flow:
            add(1)
        flow.run()
        assert context.to_dict() == before

    def test_the_task_logger_logs_under_prefectlite(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @task
        def talk():
            context.logger.info("from inside")

        with Flow("f") as flow:
            talk()
        with caplog.at_level(logging.INFO):
            flow.run()
        assert ("prefectlite.talk", "from inside") in [
            (r.name, r.getMessage()) for r in caplog.records]


# -- schedules ----------------------------------------------------------------------------


class TestSchedule:
    @staticmethod
    def soon(*offsets: float) -> Schedule:
        now = pendulum.now("UTC")
        return Schedule(clocks=[DatesClock([now.add(microseconds=int(s * 1e6))
                                            for s in offsets])])

    def test_two_close_dates_run_twice(self) -> None:
        starts: list[Any] = []

        @task
        def tick():
            starts.append(context.scheduled_start_time)

        schedule = self.soon(1.0, 1.2)  # far enough ahead to still be ahead on a busy machine
        with Flow("scheduled", schedule=schedule) as flow:
            tick()
        state = flow.run()
        assert state.is_successful()
        assert starts == schedule.clocks[0].dates

    def test_run_on_schedule_false_runs_once_now(self) -> None:
        calls = Counter()
        with Flow("scheduled", schedule=self.soon(30)) as flow:
            task(calls, name="t")()
        start = time.monotonic()
        assert flow.run(run_on_schedule=False).is_successful()
        assert calls.calls == 1 and time.monotonic() - start < 5

    def test_clock_parameter_defaults_reach_the_run(self) -> None:
        seen: list[Any] = []
        now = pendulum.now("UTC")
        clock = DatesClock([now.add(seconds=1)], parameter_defaults={"x": 9})
        with Flow("scheduled", schedule=Schedule(clocks=[clock])) as flow:
            task(lambda x: seen.append(x), name="t")(Parameter("x", default=0))
        flow.run()
        assert seen == [9]

    @pytest.mark.usefixtures("sigint_raises")
    def test_ctrl_c_during_a_scheduled_run_ends_the_schedule(self) -> None:
        # scheduling.py: Ctrl-C "ends the loop cleanly after the current run and returns the
        # last run's state"; the interrupted run must not be followed by the next one
        calls = Counter()

        @task
        def interrupted():
            calls()
            signal.raise_signal(signal.SIGINT)  # Ctrl-C

        with Flow("scheduled", schedule=self.soon(1.0, 1.2)) as flow:
            interrupted()
        state = flow.run()
        assert calls.calls == 1
        assert type(state) is Cancelled

    def test_a_schedule_in_the_past_is_an_error(self) -> None:
        past = Schedule(clocks=[DatesClock([pendulum.datetime(2020, 1, 1)])])
        with Flow("old", schedule=past) as flow:
            add(1)
        with pytest.raises(ValueError, match="has no more scheduled runs"):
            flow.run()


# -- logging ------------------------------------------------------------------------------

LINE = re.compile(
    r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}\] INFO - prefectlite\.TaskRunner \| "
    r"Task 'add': Finished task run for task with final state: 'Success'$"
)
SCRIPT = """
import logging
{setup}
from prefectlite import Flow, task

@task
def add(x, y=1):
    return x + y

with Flow("logging") as flow:
    add(1, 2)
flow.run()
root = logging.getLogger()
print(len(root.handlers), logging.getLevelName(root.level))
"""


def run_script(setup: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p), **env}
    environ.pop("PREFECTLITE__LOGGING__LEVEL", None)
    environ.update(env)
    code = textwrap.dedent(SCRIPT).format(setup=setup)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environ, cwd=REPO, timeout=60, check=True)


class TestLogging:
    def test_a_plain_script_shows_prefect_style_lines_and_leaves_root_alone(self) -> None:
        proc = run_script()
        lines = proc.stderr.splitlines()
        assert any(LINE.match(line) for line in lines), proc.stderr
        assert any("INFO - prefectlite.FlowRunner | Flow run SUCCESS" in line
                   for line in lines)
        assert proc.stdout.strip() == "0 WARNING"  # no root handler, root level untouched

    def test_the_level_comes_from_the_environment(self) -> None:
        proc = run_script(PREFECTLITE__LOGGING__LEVEL="WARNING")
        assert proc.stderr == ""
        assert proc.stdout.strip() == "0 WARNING"

    def test_an_application_that_configured_logging_gets_each_line_once(self) -> None:
        proc = run_script(setup='logging.basicConfig(format="APP %(name)s: %(message)s")')
        finished = [line for line in proc.stderr.splitlines() if "Finished task run" in line]
        assert finished == [
            "APP prefectlite.TaskRunner: Task 'add': Finished task run for task with final "
            "state: 'Success'"]
        assert proc.stdout.strip() == "1 WARNING"

    def test_root_logger_untouched_in_process(self) -> None:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        with Flow("f") as flow:
            add(1)
        flow.run()
        assert root.handlers == handlers and root.level == level

    def test_environment_level_in_process(
        self, config_env: Callable[..., None], caplog: pytest.LogCaptureFixture
    ) -> None:
        config_env("PREFECTLITE__LOGGING__LEVEL", "warning")
        with Flow("f") as flow:
            add(1)
        with caplog.at_level(logging.DEBUG):
            flow.run()
        assert logging.getLogger("prefectlite").level == logging.WARNING
        assert [r for r in caplog.records if r.name.startswith("prefectlite")] == []

    def test_quieting_the_task_runner_keeps_flow_lines(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)
        with Flow("f") as flow:
            add(1)
        with caplog.at_level(logging.INFO):
            flow.run()
        names = {r.name for r in caplog.records}
        assert "prefectlite.TaskRunner" not in names
        assert "prefectlite.FlowRunner" in names

    def test_quieted_task_runner_still_reports_errors(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)
        with Flow("f") as flow:
            fail()
        with caplog.at_level(logging.INFO):
            flow.run()
        errors = [r for r in caplog.records if r.name == "prefectlite.TaskRunner"]
        assert [r.levelname for r in errors] == ["ERROR"]
        assert "RuntimeError('boom')" in errors[0].getMessage()
        assert errors[0].exc_info is not None
