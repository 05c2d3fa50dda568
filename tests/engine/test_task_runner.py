"""Tests for prefectlite.engine.task_runner: one class per step of a task run.

Most tests drive :class:`TaskRunner` (Prefect 1's unit-test entry point) with hand-made
upstream states; a few run small flows to see the step inside a real walk.
"""

from __future__ import annotations

import datetime
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, context, task
from prefectlite import triggers as tr
from prefectlite.core.edge import Edge
from prefectlite.engine import cache_validators as cv
from prefectlite.engine import interrupts, signals, task_runner, task_steps
from prefectlite.engine.state import (
    Cached,
    Failed,
    Mapped,
    Paused,
    Pending,
    Resume,
    Retrying,
    Running,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
)
from prefectlite.engine.task_runner import TaskRunner, run_task
from prefectlite.exceptions import TaskTimeoutSignal

UTC = datetime.UTC
NO_WAIT = datetime.timedelta(0)


class Recorder:
    """A task body that counts its calls and returns (or raises) what it is told to."""

    def __init__(self, outcome: Any = "done") -> None:
        self.calls: list[dict[str, Any]] = []
        self.outcome = outcome

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def make_task(body: Callable[..., Any] | None = None, name: str = "t", **kwargs: Any) -> Task:
    body = body or Recorder()

    def fn(**inputs: Any) -> Any:
        return body(**inputs)

    return task(fn, name=name, **kwargs)


def upstream(downstream: Task, *states: State, keys: bool = False) -> dict[Edge, State]:
    """Upstream states keyed by fresh edges into ``downstream`` (keyed ``x0``, ``x1``...)."""
    return {
        Edge(Task(name=f"up{i}"), downstream, key=f"x{i}" if keys else None): s
        for i, s in enumerate(states)
    }


def run(t: Task, *states: State, **kwargs: Any) -> State:
    return TaskRunner(t).run(upstream_states=upstream(t, *states), **kwargs)


# -- 1. upstream check --------------------------------------------------------------------


class TestCheckUpstream:
    @pytest.mark.parametrize("state", [Pending(), Running(), Retrying(), Paused()])
    def test_unfinished_upstream_keeps_the_task_pending(self, state: State) -> None:
        body = Recorder()
        new = run(make_task(body), Success(), state)
        assert type(new) is Pending
        assert new.message == "Not all upstream states are finished; waiting."
        assert body.calls == []

    def test_upstream_skip_skips_the_task(self) -> None:
        body = Recorder()
        new = run(make_task(body), Success(), Skipped())
        assert type(new) is Skipped
        assert "skip_on_upstream_skip=False" in new.message
        assert body.calls == []

    def test_skipped_child_of_a_mapped_upstream_skips_the_task(self) -> None:
        body = Recorder()
        new = run(make_task(body), Mapped(map_states=[Success(), Skipped()]))
        assert type(new) is Skipped
        assert body.calls == []

    def test_skip_on_upstream_skip_false_runs(self) -> None:
        body = Recorder()
        new = run(make_task(body, skip_on_upstream_skip=False), Skipped())
        assert type(new) is Success
        assert len(body.calls) == 1

    def test_skip_is_decided_before_the_trigger(self) -> None:
        # all_failed would reject a Skipped upstream; the skip wins, as in Prefect 1
        new = run(make_task(trigger=tr.all_failed), Skipped())
        assert type(new) is Skipped

    def test_no_upstream_runs(self) -> None:
        assert type(TaskRunner(make_task()).run()) is Success


# -- 2. trigger ---------------------------------------------------------------------------

S, F, K = Success, Failed, Skipped
TRIGGER_CASES = [
    # trigger, upstream state classes, expected final state class
    (tr.all_successful, [S, S], Success),
    (tr.all_successful, [S, F], TriggerFailed),
    (tr.all_failed, [F, F], Success),
    (tr.all_failed, [F, S], TriggerFailed),
    (tr.any_successful, [F, S], Success),
    (tr.any_successful, [F, F], TriggerFailed),
    (tr.any_failed, [F, S], Success),
    (tr.any_failed, [S, S], TriggerFailed),
    (tr.all_finished, [F, S], Success),
    (tr.always_run, [F, TimedOut], Success),
    (tr.not_all_skipped, [K, S], Success),
    (tr.not_all_skipped, [K, K], Skipped),
    (tr.not_all_skipped, [K, F], TriggerFailed),
    (tr.some_successful(at_least=2), [S, S, F], Success),
    (tr.some_successful(at_least=2), [S, F, F], TriggerFailed),
    (tr.some_failed(at_most=1), [F, S], Success),
    (tr.some_failed(at_most=1), [F, F], TriggerFailed),
    (tr.manual_only, [S], Paused),
    (tr.manual_only, [], Paused),
]


class TestTrigger:
    @pytest.mark.parametrize(
        ("trigger", "classes", "expected"), TRIGGER_CASES,
        ids=[f"{getattr(c[0], '__name__', c[0])}-{[k.__name__ for k in c[1]]}"
             for c in TRIGGER_CASES],
    )
    def test_trigger(self, trigger: Any, classes: list[type[State]], expected: type) -> None:
        body = Recorder()
        # skip_on_upstream_skip=False so that not_all_skipped sees the skipped upstreams
        t = make_task(body, trigger=trigger, skip_on_upstream_skip=False)
        new = run(t, *(cls() for cls in classes))
        assert type(new) is expected
        assert len(body.calls) == (1 if expected is Success else 0)

    def test_trigger_failed_message_is_prefect_1s(self) -> None:
        new = run(make_task(), Success(), Failed())
        assert new.message == 'Trigger was "all_successful" but some of the upstream tasks failed.'

    def test_manual_only_pauses_with_a_message(self) -> None:
        new = run(make_task(trigger=tr.manual_only), Success())
        assert type(new) is Paused
        assert "manual_only" in new.message

    def test_manual_only_runs_when_the_context_says_resume(self) -> None:
        new = run(make_task(trigger=tr.manual_only), Success(), context={"resume": True})
        assert type(new) is Success

    def test_manual_only_runs_when_the_task_starts_from_resume(self) -> None:
        # Prefect 1: a task whose state is Resume passes manual_only (context.resume=True)
        new = run(make_task(trigger=tr.manual_only), Success(), state=Resume())
        assert type(new) is Success

    def test_a_trigger_returning_false_fails_naming_it(self) -> None:
        def never(upstream_states: Any) -> bool:
            return False

        new = run(make_task(trigger=never), Success())
        assert type(new) is TriggerFailed
        assert "never" in new.message

    def test_a_raising_trigger_fails_naming_it(self) -> None:
        def broken_trigger(upstream_states: Any) -> bool:
            raise ZeroDivisionError("oops")

        body = Recorder()
        new = run(make_task(body, trigger=broken_trigger), Success())
        assert type(new) is TriggerFailed
        assert "broken_trigger" in new.message and "ZeroDivisionError('oops')" in new.message
        assert isinstance(new.result, ZeroDivisionError)
        assert body.calls == []

    def test_trigger_failed_is_not_retried(self) -> None:
        t = make_task(max_retries=3, retry_delay=NO_WAIT)
        assert type(run(t, Failed())) is TriggerFailed


# -- 3-5. inputs and the run itself -------------------------------------------------------


class TestRun:
    def test_success_holds_the_return_value(self) -> None:
        new = TaskRunner(make_task(Recorder(42))).run()
        assert new == Success(message="Task run succeeded.", result=42)

    def test_inputs_come_from_keyed_edges_and_constants(self) -> None:
        body = Recorder()
        t = make_task(body)
        states = upstream(t, Success(result=1), Success(result=2), keys=True)
        states[Edge(Task(name="only-state"), t)] = Success(result="ignored")
        TaskRunner(t).run(upstream_states=states, inputs={"c": 3})
        assert body.calls == [{"x0": 1, "x1": 2, "c": 3}]

    def test_a_mapped_upstream_passes_its_children_results(self) -> None:
        body = Recorder()
        t = make_task(body)
        mapped = Mapped(map_states=[Success(result=1), Success(result=2)])
        TaskRunner(t).run(upstream_states=upstream(t, mapped, keys=True))
        assert body.calls == [{"x0": [1, 2]}]

    def test_exception_gives_failed_with_the_exception_as_result(self) -> None:
        error = ValueError("bad value 17")
        new = TaskRunner(make_task(Recorder(error))).run()
        assert type(new) is Failed
        assert new.result is error
        assert "bad value 17" in new.message
        assert new.message == "Error during execution of task: ValueError('bad value 17')"

    def test_a_missing_argument_fails_with_the_python_message(self) -> None:
        @task
        def needs(x):
            return x

        new = TaskRunner(needs).run()
        assert type(new) is Failed
        assert "missing 1 required positional argument: 'x'" in new.message

    @pytest.mark.parametrize(
        ("signal", "expected"),
        [
            (signals.SUCCESS, Success),
            (signals.FAIL, Failed),
            (signals.TRIGGERFAIL, TriggerFailed),
            (signals.VALIDATIONFAIL, ValidationFailed),
            (signals.SKIP, Skipped),
            (signals.RETRY, Retrying),
            (signals.PAUSE, Paused),
        ],
    )
    def test_signals_give_their_state(self, signal: type, expected: type) -> None:
        new = TaskRunner(make_task(Recorder(signal("told so", result=7)))).run()
        assert type(new) is expected
        assert new.message == "told so"
        assert new.result == 7

    def test_a_signal_without_result_keeps_the_signal_as_result(self) -> None:
        sig = signals.FAIL("no result given")
        new = TaskRunner(make_task(Recorder(sig))).run()
        assert new.result is sig

    def test_signals_are_not_swallowed_by_except_exception(self) -> None:
        @task
        def careless():
            try:
                raise signals.SKIP("nothing to do")
            except Exception:  # a SKIP is a BaseException: this does not catch it
                return "swallowed"

        assert type(TaskRunner(careless).run()) is Skipped

    @pytest.mark.parametrize(
        "make_value",
        [threading.Lock, lambda: (i for i in range(3)), lambda: lambda: None],
        ids=["lock", "generator", "lambda"],
    )
    def test_an_unpicklable_result_is_fine_locally(self, make_value: Callable[[], Any]) -> None:
        value = make_value()
        new = TaskRunner(make_task(Recorder(value))).run()
        assert type(new) is Success and new.result is value

    def test_an_unpicklable_result_flows_downstream(self) -> None:
        @task
        def make_lock():
            return threading.Lock()

        @task
        def use(lock):
            with lock:
                return "used"

        with Flow("locks") as flow:
            done = use(make_lock())
        state = flow.run()
        assert state.is_successful() and state.result[done].result == "used"


# -- 5b. timeout --------------------------------------------------------------------------


class TestTimeout:
    def test_a_task_sleeping_past_its_timeout_is_timed_out_quickly(self) -> None:
        release, finished = threading.Event(), threading.Event()

        @task(timeout_seconds=0.05)
        def sleepy():
            release.wait(60)
            finished.set()
            return "late"

        new = TaskRunner(sleepy).run()
        assert type(new) is TimedOut
        assert new.message == "Task timed out after 0.05 seconds."
        assert not finished.is_set()  # did not wait for the function
        # Documented limit: Python cannot stop a thread. The function keeps running in its
        # daemon thread and finishes on its own; only its result is thrown away.
        release.set()
        assert finished.wait(60)
        assert finished.wait(5)

    def test_a_timed_out_thread_is_a_daemon_named_for_prefectlite(self) -> None:
        release = threading.Event()

        @task(timeout_seconds=0.02)
        def blocked():
            release.wait(5)

        new = TaskRunner(blocked).run()
        assert type(new) is TimedOut
        assert isinstance(new.result, TaskTimeoutSignal)  # as in Prefect 1.4
        threads = [t for t in threading.enumerate() if t.name == "prefectlite-timeout"]
        assert threads and all(t.daemon for t in threads)
        release.set()
        for t in threads:
            t.join(5)

    def test_a_task_within_its_timeout_succeeds(self) -> None:
        @task(timeout=5)
        def quick():
            return 1

        assert TaskRunner(quick).run().result == 1

    def test_timedelta_timeout(self) -> None:
        release = threading.Event()

        @task(timeout_seconds=datetime.timedelta(milliseconds=30))  # timeout= is whole seconds
        def slow():
            release.wait(60)

        assert type(TaskRunner(slow).run()) is TimedOut
        release.set()

    def test_errors_and_signals_cross_the_timeout_thread(self) -> None:
        @task(timeout=5)
        def raises():
            raise KeyError("k")

        @task(timeout=5)
        def skips():
            raise signals.SKIP("skip inside the timeout thread")

        failed = TaskRunner(raises).run()
        assert type(failed) is Failed and isinstance(failed.result, KeyError)
        assert type(TaskRunner(skips).run()) is Skipped

    def test_the_context_is_visible_in_the_timeout_thread(self) -> None:
        @task(timeout=5)
        def who():
            return context.task_name, context.get("answer")

        assert TaskRunner(who).run(context={"answer": 42}).result == ("who", 42)

    def test_a_timed_out_task_does_not_hold_up_the_flow(self) -> None:
        release, returned = threading.Event(), threading.Event()

        @task(timeout_seconds=0.05)
        def stuck():
            release.wait(60)
            returned.set()

        @task
        def other():
            return "ran"

        with Flow("timeouts") as flow:
            s = stuck()
            o = other()
        state = flow.run()
        assert not returned.is_set()  # the run did not wait for the function
        release.set()
        assert type(state.result[s]) is TimedOut
        assert state.result[o].result == "ran"
        assert state.is_failed()


# -- 6. retries ---------------------------------------------------------------------------


class TestRetries:
    def test_a_failure_with_retries_left_is_retrying_with_start_time_and_run_count(
        self,
    ) -> None:
        error = RuntimeError("flaky")
        t = make_task(Recorder(error), max_retries=2, retry_delay=datetime.timedelta(minutes=5))
        before = datetime.datetime.now(UTC)
        new = TaskRunner(t).run()
        assert type(new) is Retrying
        assert new.run_count == 1
        assert new.result is error
        assert new.message.startswith("Retrying task (after attempt 1 of 3): ")
        assert "RuntimeError('flaky')" in new.message
        delay = new.start_time - before
        assert datetime.timedelta(minutes=5) <= delay < datetime.timedelta(minutes=5, seconds=5)

    def test_run_count_comes_from_the_context(self) -> None:
        t = make_task(Recorder(RuntimeError("flaky")), max_retries=2, retry_delay=NO_WAIT)
        second = TaskRunner(t).run(context={"task_run_count": 2})
        assert type(second) is Retrying and second.run_count == 2
        last = TaskRunner(t).run(context={"task_run_count": 3})
        assert type(last) is Failed

    def test_task_runner_counts_runs_from_a_retrying_state(self) -> None:
        # Prefect 1: TaskRunner.run(state=Retrying(run_count=n)) runs attempt n + 1
        seen = []
        t = make_task(lambda: seen.append(context.task_run_count) or 1 / 0,
                      max_retries=2, retry_delay=NO_WAIT)
        new = TaskRunner(t).run(state=Retrying(run_count=1))
        assert seen == [2]
        assert type(new) is Retrying and new.run_count == 2
        assert type(TaskRunner(t).run(state=new)) is Failed

    def test_task_run_count_increases_inside_the_task_during_a_flow_run(self) -> None:
        seen = []

        @task(max_retries=3, retry_delay=NO_WAIT)
        def flaky():
            seen.append(context.task_run_count)
            if len(seen) < 3:
                raise RuntimeError("not yet")
            return "finally"

        with Flow("retries") as flow:
            f = flaky()
        state = flow.run()
        assert seen == [1, 2, 3]
        assert state.is_successful() and state.result[f].result == "finally"

    def test_retries_run_out(self) -> None:
        body = Recorder(RuntimeError("always"))
        t = make_task(body, max_retries=2, retry_delay=NO_WAIT)
        with Flow("no luck") as flow:
            t()
        state = flow.run()
        assert len(body.calls) == 3
        assert state.is_failed()

    def test_timed_out_is_retried(self) -> None:
        attempts = []
        gate = [threading.Event()]  # the first attempt waits here, past its timeout

        @task(timeout_seconds=0.05, max_retries=1, retry_delay=NO_WAIT)
        def slow_once():
            attempts.append(1)
            if len(attempts) == 1:
                gate[0].wait(60)
            return len(attempts)

        first = TaskRunner(slow_once).run()
        gate[0].set()
        assert type(first) is Retrying and "timed out" in first.message
        with Flow("timeout retry") as flow:
            s = slow_once()
        attempts.clear()
        gate[0] = threading.Event()
        state = flow.run()
        gate[0].set()
        assert state.result[s].result == 2

    def test_retry_signal_gives_retrying_even_without_max_retries(self) -> None:
        new = TaskRunner(make_task(Recorder(signals.RETRY("again")))).run(
            context={"task_run_count": 4})
        assert type(new) is Retrying and new.message == "again" and new.run_count == 4

    def test_retry_signal_in_a_flow_runs_again(self) -> None:
        seen = []

        @task
        def once_more():
            seen.append(context.task_run_count)
            if len(seen) == 1:
                raise signals.RETRY("once more")
            return "ok"

        with Flow("retry signal") as flow:
            t = once_more()
        state = flow.run()
        assert seen == [1, 2]
        assert state.result[t].result == "ok"


# -- 5c. LOOP -----------------------------------------------------------------------------


class TestLoop:
    def test_loop_runs_again_with_loop_count_and_loop_result(self) -> None:
        seen = []

        @task
        def count_up(limit):
            seen.append((context.task_loop_count, context.get("task_loop_result")))
            total = context.get("task_loop_result", 0)
            if total >= limit:
                return total
            raise signals.LOOP(message=f"at {total}", result=total + 10)

        new = TaskRunner(count_up).run(inputs={"limit": 30})
        assert new == Success(message="Task run succeeded.", result=30)
        assert seen == [(1, None), (2, 10), (3, 20), (4, 30)]

    def test_state_handlers_see_each_loop(self) -> None:
        seen: list[tuple[str, str]] = []

        def handler(t: Task, old: State, new: State) -> None:
            seen.append((type(old).__name__, type(new).__name__))

        @task(state_handlers=[handler])
        def twice():
            if context.task_loop_count < 2:
                raise signals.LOOP(result=1)
            return "done"

        assert TaskRunner(twice).run().result == "done"
        assert seen == [("Pending", "Running"), ("Running", "Looped"), ("Running", "Success")]

    def test_max_loops_caps_a_runaway_loop(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(task_runner, "MAX_LOOPS", 3)
        calls = []

        @task
        def forever():
            calls.append(context.task_loop_count)
            raise signals.LOOP(result=len(calls))

        new = TaskRunner(forever).run()
        assert calls == [1, 2, 3]
        assert type(new) is Failed
        assert new.message == (
            "Task 'forever' looped 3 times, the most allowed "
            "(prefectlite.engine.task_runner.MAX_LOOPS); end the loop by returning instead "
            "of raising LOOP."
        )

    def test_loop_in_a_flow(self) -> None:
        @task
        def fib(n):
            a, b, i = context.get("task_loop_result", (0, 1, 0))
            if i == n:
                return a
            raise signals.LOOP(result=(b, a + b, i + 1))

        with Flow("loop") as flow:
            f = fib(10)
        assert flow.run().result[f].result == 55


# -- handlers -----------------------------------------------------------------------------


def recording_handler(log: list[tuple[str, str]]) -> Callable[..., None]:
    def handler(t: Task, old: State, new: State) -> None:
        log.append((type(old).__name__, type(new).__name__))

    return handler


class TestStateHandlers:
    def test_called_on_every_transition(self) -> None:
        log: list[tuple[str, str]] = []
        assert TaskRunner(make_task(state_handlers=[recording_handler(log)])).run()
        assert log == [("Pending", "Running"), ("Running", "Success")]

    def test_every_state_a_handler_sees_carries_the_task_tags(self) -> None:
        seen: list[State] = []

        def keep(t: Task, old: State, new: State) -> None:
            seen.extend((old, new))

        TaskRunner(make_task(state_handlers=[keep], tags=["alice", "bob"])).run()
        assert len(seen) == 4
        assert all(sorted(s.context["tags"]) == ["alice", "bob"] for s in seen)

    def test_called_on_failure(self) -> None:
        log: list[tuple[str, str]] = []
        t = make_task(Recorder(ValueError()), state_handlers=[recording_handler(log)])
        TaskRunner(t).run()
        assert log == [("Pending", "Running"), ("Running", "Failed")]

    def test_called_once_when_the_task_does_not_run(self) -> None:
        log: list[tuple[str, str]] = []
        t = make_task(state_handlers=[recording_handler(log)])
        run(t, Failed())
        assert log == [("Pending", "TriggerFailed")]

    def test_retry_transitions_in_a_flow(self) -> None:
        log: list[tuple[str, str]] = []
        attempts = []

        @task(max_retries=1, retry_delay=NO_WAIT, state_handlers=[recording_handler(log)])
        def flaky():
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("first")

        with Flow("handlers") as flow:
            flaky()
        flow.run()
        assert log == [("Pending", "Running"), ("Running", "Retrying"),
                       ("Retrying", "Running"), ("Running", "Success")]

    def test_handlers_receive_the_task(self) -> None:
        got = []
        t = make_task(state_handlers=[lambda task_, old, new: got.append(task_)])
        TaskRunner(t).run()
        assert got == [t, t]

    def test_a_handler_can_replace_the_new_state(self) -> None:
        def forgive(t: Task, old: State, new: State) -> State | None:
            if new.is_failed():
                return Skipped(message="forgiven")
            return None

        t = make_task(Recorder(ValueError("x")), state_handlers=[forgive])
        assert TaskRunner(t).run() == Skipped(message="forgiven")

    def test_handlers_chain_each_sees_the_previous_result(self) -> None:
        seen = []
        t = make_task(state_handlers=[
            lambda task_, old, new: Success(result=1) if new.is_finished() else None,
            lambda task_, old, new: seen.append(new.result),
        ])
        assert TaskRunner(t).run().result == 1
        assert seen[-1] == 1

    def test_replacing_running_stops_the_run(self) -> None:
        body = Recorder()

        def veto(t: Task, old: State, new: State) -> State | None:
            return Skipped(message="vetoed") if new.is_running() else None

        new = TaskRunner(make_task(body, state_handlers=[veto])).run()
        assert new == Skipped(message="vetoed")
        assert body.calls == []

    def test_a_raising_handler_fails_the_task_naming_the_handler(self) -> None:
        def bad_handler(t: Task, old: State, new: State) -> None:
            if new.is_finished():
                raise RuntimeError("handler bug")

        new = TaskRunner(make_task(state_handlers=[bad_handler])).run()
        assert type(new) is Failed
        assert "bad_handler" in new.message and "RuntimeError('handler bug')" in new.message
        assert isinstance(new.result, RuntimeError)

    def test_a_raising_handler_does_not_stop_the_flow(self) -> None:
        def bad_handler(t: Task, old: State, new: State) -> None:
            raise RuntimeError("handler bug")

        later, independent = Recorder(), Recorder()
        with Flow("bad handler") as flow:
            a = make_task(name="a", state_handlers=[bad_handler])()
            b = make_task(later, name="b")(upstream_tasks=[a])
            c = make_task(independent, name="c")()
        state = flow.run()
        assert state.is_failed()
        assert "bad_handler" in state.result[a].message
        assert type(state.result[b]) is TriggerFailed and later.calls == []
        assert state.result[c].is_successful() and len(independent.calls) == 1

    def test_on_failure_is_called_with_task_and_state(self) -> None:
        calls = []
        t = make_task(Recorder(ValueError("x")), on_failure=lambda t_, s: calls.append((t_, s)))
        new = TaskRunner(t).run()
        assert calls == [(t, new)]

    def test_on_failure_not_called_on_success(self) -> None:
        calls = []
        TaskRunner(make_task(on_failure=lambda t_, s: calls.append(s))).run()
        assert calls == []

    def test_on_failure_called_for_trigger_failed(self) -> None:
        calls = []
        t = make_task(on_failure=lambda t_, s: calls.append(s))
        run(t, Failed())
        assert [type(s) for s in calls] == [TriggerFailed]

    def test_a_raising_on_failure_fails_like_any_state_handler(self) -> None:
        # on_failure is a state handler, as in Prefect 1: its error is the task's failure
        def alert(t: Task, s: State) -> None:
            raise OSError("mail server down")

        t = make_task(Recorder(ValueError("x")), on_failure=alert)
        new = TaskRunner(t).run()
        assert type(new) is Failed and isinstance(new.result, OSError)
        assert "state handler alert" in new.message and "mail server down" in new.message

    def test_task_runner_state_handlers_get_the_runner(self) -> None:
        seen = []
        runner = TaskRunner(make_task(),
                            state_handlers=[lambda r, old, new: seen.append((r, type(new)))])
        runner.run()  # on every change of state, as in Prefect 1
        assert seen == [(runner, Running), (runner, Success)]


# -- log_stdout ---------------------------------------------------------------------------


class TestLogStdout:
    def test_prints_go_to_the_task_logger(
        self, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
    ) -> None:
        @task(log_stdout=True)
        def chatty():
            print("hello from", "chatty")
            print("second line")
            return 1

        with caplog.at_level(logging.INFO):
            assert TaskRunner(chatty).run().result == 1
        lines = [r.getMessage() for r in caplog.records if r.name == "prefectlite.chatty"]
        assert lines == ["hello from chatty", "second line"]
        assert "chatty" not in capsys.readouterr().out

    def test_a_partial_last_line_is_flushed(self, caplog: pytest.LogCaptureFixture) -> None:
        @task(log_stdout=True)
        def partial():
            print("no newline", end="")

        with caplog.at_level(logging.INFO):
            TaskRunner(partial).run()
        assert [r.getMessage() for r in caplog.records
                if r.name == "prefectlite.partial"] == ["no newline"]

    def test_without_log_stdout_prints_go_to_stdout(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        @task
        def plain():
            print("to stdout")

        TaskRunner(plain).run()
        assert capsys.readouterr().out == "to stdout\n"

    def test_stdout_is_restored_after_a_failure(self) -> None:
        before = sys.stdout

        @task(log_stdout=True)
        def fails():
            print("about to fail")
            raise ValueError("x")

        assert type(TaskRunner(fails).run()) is Failed
        assert sys.stdout is before

    def test_overlapping_runs_in_threads_keep_their_own_lines_and_restore_stdout(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Two log_stdout tasks overlapping in threads (as on a threaded executor):
        # a enters, b enters, a leaves, then b prints and leaves.
        before = sys.stdout
        a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

        @task(log_stdout=True)
        def first():
            a_in.set()
            b_in.wait(5)
            print("line of first")

        @task(log_stdout=True)
        def second():
            a_in.wait(5)
            b_in.set()
            a_out.wait(5)
            print("line of second")

        def run_first() -> None:
            TaskRunner(first).run()
            a_out.set()

        with caplog.at_level(logging.INFO):
            threads = [threading.Thread(target=run_first),
                       threading.Thread(target=TaskRunner(second).run)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
        assert sys.stdout is before
        by_logger = {(r.name, r.getMessage()) for r in caplog.records
                     if "line of" in r.getMessage()}
        assert by_logger == {("prefectlite.first", "line of first"),
                             ("prefectlite.second", "line of second")}


# -- task_run_name ------------------------------------------------------------------------


class TestTaskRunName:
    def test_a_template_over_inputs_and_context(self) -> None:
        @task(task_run_name="{task_name}-{x}")
        def named(x):
            return context.task_run_name

        assert TaskRunner(named).run(inputs={"x": 3}).result == "named-3"

    def test_a_callable(self) -> None:
        @task(task_run_name=lambda **kw: f"item {kw['x'] * 2}")
        def named(x):
            return context.task_run_name

        assert TaskRunner(named).run(inputs={"x": 4}).result == "item 8"

    def test_mapped_children_get_their_own_names(self) -> None:
        @task(task_run_name="row-{map_index}-{x}")
        def named(x):
            return context.task_run_name

        with Flow("names") as flow:
            n = named.map(["a", "b"])
        assert flow.run().result[n].result == ["row-0-a", "row-1-b"]

    def test_a_bad_template_fails_with_a_message(self) -> None:
        body = Recorder()
        t = make_task(body, task_run_name="{nope}")
        new = TaskRunner(t).run(inputs={"x": 1})
        assert type(new) is Failed
        assert "task_run_name '{nope}'" in new.message
        assert "could not be formatted" in new.message and "KeyError('nope')" in new.message
        assert body.calls == []


# -- caching ------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[State]]:
    cache: dict[str, list[State]] = {}
    monkeypatch.setattr(task_steps, "CACHE", cache)
    return cache


HOUR = datetime.timedelta(hours=1)


def cached_task(body: Recorder, **kwargs: Any) -> Task:
    return make_task(body, name="cached", cache_for=HOUR, **kwargs)


def run_inputs(t: Task, inputs: dict[str, Any], parameters: dict[str, Any] | None = None
               ) -> State:
    return TaskRunner(t).run(inputs=inputs, context={"parameters": parameters or {}})


@pytest.mark.usefixtures("fresh_cache")
class TestCaching:
    def test_no_cache_for_runs_every_time(self) -> None:
        body = Recorder()
        t = make_task(body)
        run_inputs(t, {})
        assert type(run_inputs(t, {})) is Success
        assert len(body.calls) == 2

    def test_duration_only_is_the_default(self) -> None:
        body = Recorder(5)
        t = cached_task(body)
        first = run_inputs(t, {"x": 1})
        second = run_inputs(t, {"x": 2})  # other inputs: still cached
        assert type(first) is Success
        assert type(second) is Cached and second.result == 5
        assert second.message == "Task run used a cached result."
        assert len(body.calls) == 1

    def test_an_expired_cache_runs_again(self) -> None:
        body = Recorder()
        t = make_task(body, cache_for=datetime.timedelta(microseconds=1))
        run_inputs(t, {})
        time.sleep(0.01)
        assert type(run_inputs(t, {})) is Success
        assert len(body.calls) == 2

    def test_the_cached_state_records_inputs_parameters_and_expiration(
        self, fresh_cache: dict[str, list[State]]
    ) -> None:
        t = cached_task(Recorder())
        before = datetime.datetime.now(UTC)
        run_inputs(t, {"x": 1}, {"p": 2})
        [cached] = [s for entries in fresh_cache.values() for s in entries]
        assert isinstance(cached, Cached)
        assert cached.cached_inputs == {"x": 1} and cached.cached_parameters == {"p": 2}
        assert before + HOUR <= cached.cached_result_expiration <= before + HOUR * 1.01

    def test_failed_runs_are_not_cached(self) -> None:
        body = Recorder(ValueError("x"))
        t = cached_task(body)
        run_inputs(t, {})
        assert type(run_inputs(t, {})) is Failed
        assert len(body.calls) == 2

    @pytest.mark.parametrize(
        ("validator", "first", "second", "cached"),
        [
            (cv.never_use, ({"x": 1}, {}), ({"x": 1}, {}), False),
            (cv.duration_only, ({"x": 1}, {}), ({"x": 2}, {"p": 1}), True),
            (cv.all_inputs, ({"x": 1}, {}), ({"x": 1}, {"p": 1}), True),
            (cv.all_inputs, ({"x": 1}, {}), ({"x": 2}, {}), False),
            (cv.all_parameters, ({"x": 1}, {"p": 1}), ({"x": 2}, {"p": 1}), True),
            (cv.all_parameters, ({"x": 1}, {"p": 1}), ({"x": 1}, {"p": 2}), False),
            (cv.partial_inputs_only(["x"]), ({"x": 1, "y": 1}, {}), ({"x": 1, "y": 2}, {}),
             True),
            (cv.partial_inputs_only(["x"]), ({"x": 1, "y": 1}, {}), ({"x": 2, "y": 1}, {}),
             False),
            (cv.partial_parameters_only(["p"]), ({}, {"p": 1, "q": 1}), ({}, {"p": 1, "q": 2}),
             True),
            (cv.partial_parameters_only(["p"]), ({}, {"p": 1, "q": 1}), ({}, {"p": 2, "q": 1}),
             False),
        ],
    )
    def test_validators(self, validator: Any, first: tuple, second: tuple, cached: bool
                        ) -> None:
        body = Recorder()
        t = cached_task(body, cache_validator=validator)
        assert type(run_inputs(t, *first)) is Success
        new = run_inputs(t, *second)
        assert type(new) is (Cached if cached else Success)
        assert len(body.calls) == (1 if cached else 2)

    def test_a_newer_entry_wins(self) -> None:
        body = Recorder()
        t = cached_task(body, cache_validator=cv.all_inputs)
        for x in (1, 2):
            body.outcome = x * 10
            run_inputs(t, {"x": x})
        assert run_inputs(t, {"x": 1}).result == 10
        assert run_inputs(t, {"x": 2}).result == 20
        assert len(body.calls) == 2

    def test_cache_key_is_shared_between_tasks(self) -> None:
        one, two = Recorder("from one"), Recorder("from two")
        t1 = make_task(one, name="one", cache_for=HOUR, cache_key="shared")
        t2 = make_task(two, name="two", cache_for=HOUR, cache_key="shared")
        run_inputs(t1, {})
        new = run_inputs(t2, {})
        assert type(new) is Cached and new.result == "from one"
        assert two.calls == []

    def test_without_cache_key_tasks_do_not_share(self) -> None:
        one, two = Recorder(), Recorder()
        run_inputs(make_task(one, name="same", cache_for=HOUR), {})
        run_inputs(make_task(two, name="same", cache_for=HOUR, slug="other"), {})
        assert len(two.calls) == 1

    def test_a_raising_validator_fails_naming_it(self) -> None:
        def picky(state: State, inputs: Any, parameters: Any) -> bool:
            raise LookupError("cannot tell")

        t = cached_task(Recorder(), cache_validator=picky)
        run_inputs(t, {})
        new = run_inputs(t, {})
        assert type(new) is Failed
        assert "picky" in new.message and "LookupError('cannot tell')" in new.message

    def test_across_flow_runs_in_one_process(self) -> None:
        body = Recorder()

        @task(cache_for=HOUR, cache_validator=cv.all_parameters)
        def expensive(x):
            body(x=x)
            return x * 2

        with Flow("cache") as flow:
            e = expensive(Parameter("x"))
        first = flow.run(x=1)
        second = flow.run(x=1)
        third = flow.run(x=2)
        assert type(first.result[e]) is Success
        assert type(second.result[e]) is Cached and second.result[e].result == 2
        assert type(third.result[e]) is Success and third.result[e].result == 4
        assert len(body.calls) == 2


# -- run_task directly --------------------------------------------------------------------


class TestRunTask:
    def test_context_is_restored_after_the_run(self) -> None:
        before = context.to_dict()
        run_task(make_task(Recorder(ValueError())), {}, {}, {"task_name": "x"})
        assert context.to_dict() == before

    def test_list_of_child_states_stands_for_a_mapped_upstream(self) -> None:
        body = Recorder()
        t = make_task(body)
        edge = Edge(Task(name="up"), t, key="xs")
        new = run_task(t, {edge: [Success(result=1), Success(result=2)]}, {}, {})
        assert new.is_successful() and body.calls == [{"xs": [1, 2]}]

    def test_flattened_edge_concatenates(self) -> None:
        body = Recorder()
        t = make_task(body)
        edge = Edge(Task(name="up"), t, key="xs", flattened=True)
        run_task(t, {edge: Success(result=[[1], [2, 3]])}, {}, {})
        assert body.calls == [{"xs": [1, 2, 3]}]

    def test_flattening_a_non_list_passes_it_on(self) -> None:
        body = Recorder()
        t = make_task(body)
        edge = Edge(Task(name="up"), t, key="xs", flattened=True)
        run_task(t, {edge: Success(result=5)}, {}, {})
        assert body.calls == [{"xs": 5}]

    @pytest.mark.usefixtures("sigint_raises")
    def test_ctrl_c_in_the_driver_propagates(self) -> None:
        def press_ctrl_c(**kwargs: Any) -> None:
            signal.raise_signal(signal.SIGINT)

        with interrupts.marking_sigint(), pytest.raises(KeyboardInterrupt):
            run_task(make_task(press_ctrl_c), {}, {}, {})

    @pytest.mark.parametrize("error", [KeyboardInterrupt("own"), SystemExit(3),
                                       GeneratorExit("g"), type("Custom", (BaseException,), {})()])
    def test_any_base_exception_a_task_raises_fails_that_task(self, error: BaseException) -> None:
        t = make_task(Recorder(error))
        state = run_task(t, {}, {}, {})
        assert type(state) is Failed and state.result is error
        assert state.message.startswith(f"Task {t.name!r} raised {type(error).__name__}(")
        assert "the flow run goes on" in state.message

    def test_an_exception_whose_repr_raises(self) -> None:
        class Hostile(Exception):
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

            __str__ = __repr__

        error = Hostile()
        state = run_task(make_task(Recorder(error)), {}, {}, {})
        assert type(state) is Failed and state.result is error
        assert state.message == ("Error during execution of task: <Hostile object (its repr() "
                                 "raised RuntimeError('no repr'))>")

    def test_a_state_handler_raising_system_exit_fails_the_task(self) -> None:
        def handler(task: Task, old: State, new: State) -> None:
            raise SystemExit("from a handler")

        t = make_task(Recorder(1))
        t.state_handlers = [handler]
        state = run_task(t, {}, {}, {})
        assert type(state) is Failed and type(state.result) is SystemExit
        assert f"Task {t.name!r} raised SystemExit('from a handler')" in state.message
