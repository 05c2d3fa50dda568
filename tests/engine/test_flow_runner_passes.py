"""Tests for prefectlite.engine.flow_runner: ``FlowRunner`` as Prefect 1's public class.

A bare ``FlowRunner.run`` is one pass over the flow (tasks that must wait keep their state,
the flow stays Running, the caller passes the states back); its pipeline steps, context
filling, final-state rules and task-runner hooks are public and tested here one by one.
``flow.run()`` is tested in test_flow_runner.py.
"""

from __future__ import annotations

import datetime
import logging

import pendulum
import pytest

from prefectlite import Flow, Parameter, Task, context, task
from prefectlite.engine import FlowRunner, TaskRunner
from prefectlite.engine.flow_runner import ENDRUN, FlowRunnerInitializeResult
from prefectlite.engine.state import (
    Failed,
    Mapped,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    State,
    Success,
    TriggerFailed,
)
from prefectlite.executors import LocalExecutor

NO_WAIT = datetime.timedelta(0)
LATER = datetime.timedelta(hours=1)


def later() -> pendulum.DateTime:
    return pendulum.now("UTC") + LATER


@task
def one():
    return 1


@task
def inc(x):
    return x + 1


class Flaky(Task):
    """Fails until it has run ``failures`` times."""

    def __init__(self, failures: int, **kwargs) -> None:
        self.failures, self.calls = failures, 0
        super().__init__(**kwargs)

    def run(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ValueError(f"failure {self.calls}")
        return self.calls


class TestOnePass:
    def test_a_retrying_task_keeps_its_state_and_the_flow_stays_running(self) -> None:
        flaky = Flaky(1, max_retries=1, retry_delay=NO_WAIT, name="flaky")
        flow = Flow("retry", tasks=[flaky])
        after = inc.copy()
        flow.set_dependencies(after, keyword_tasks={"x": flaky})
        first = FlowRunner(flow).run(return_tasks=flow.tasks)
        assert type(first) is Running and first.message == "Running flow."
        assert type(first.result[flaky]) is Retrying and first.result[flaky].run_count == 1
        assert type(first.result[after]) is Pending
        second = FlowRunner(flow).run(return_tasks=flow.tasks, task_states=first.result)
        assert type(second) is Success
        assert second.result[flaky].result == 2 and second.result[after].result == 3

    def test_flow_run_waits_for_the_retry_instead(self) -> None:
        flaky = Flaky(1, max_retries=1, retry_delay=NO_WAIT, name="flaky")
        flow = Flow("retry", tasks=[flaky])
        state = flow.run()
        assert type(state) is Success and state.result[flaky].result == 2

    def test_a_task_scheduled_for_later_is_kept(self) -> None:
        with Flow("later") as flow:
            a = one()
            b = inc(a)
        given = Scheduled(start_time=later())
        state = FlowRunner(flow).run(return_tasks=[a, b], task_states={a: given})
        assert state.is_running()
        assert state.result[a] is given and type(state.result[b]) is Pending

    def test_a_task_scheduled_in_the_past_runs(self) -> None:
        with Flow("past") as flow:
            a = one()
        past = Scheduled(start_time=pendulum.now("UTC").subtract(minutes=1))
        state = FlowRunner(flow).run(return_tasks=[a], task_states={a: past})
        assert type(state) is Success and state.result[a].result == 1

    def test_a_paused_task_stays_paused(self) -> None:
        with Flow("paused") as flow:
            a = one()
        state = FlowRunner(flow).run(return_tasks=[a], task_states={a: Paused()})
        assert state.is_running() and type(state.result[a]) is Paused

    def test_a_mapped_task_scheduled_for_later_is_not_mapped_yet(self) -> None:
        with Flow("mapped later") as flow:
            m = inc.map([1, 2])
        state = FlowRunner(flow).run(return_tasks=[m],
                                     task_states={m: Scheduled(start_time=later())})
        assert state.is_running() and type(state.result[m]) is Scheduled

    def test_a_retrying_mapped_child_is_run_again_in_the_next_pass(self) -> None:
        calls = []

        @task(max_retries=1, retry_delay=NO_WAIT)
        def picky(x):
            calls.append(x)
            if x == 2 and calls.count(2) == 1:
                raise ValueError("once")
            return x

        with Flow("mapped retry") as flow:
            m = picky.map([1, 2])
        first = FlowRunner(flow).run(return_tasks=[m])
        assert first.is_running()
        assert [type(s) for s in first.result[m].map_states] == [Success, Retrying]
        second = FlowRunner(flow).run(return_tasks=[m], task_states=first.result)
        assert type(second) is Success and second.result[m].result == [1, 2]
        assert calls == [1, 2, 2]  # the finished child was not run again

    def test_caches_are_not_kept_across_bare_flow_runner_runs(self) -> None:
        calls = []

        @task(cache_for=datetime.timedelta(minutes=5))
        def costly():
            calls.append(1)
            return len(calls)

        with Flow("caching pass") as flow:
            c = costly()
        first = FlowRunner(flow).run(return_tasks=[c]).result[c].result
        second = FlowRunner(flow).run(return_tasks=[c]).result[c].result
        assert (first, second) == (1, 2)


class TestPipeline:
    def test_a_finished_flow_state_is_returned_as_it_is(self) -> None:
        flow = Flow("done", tasks=[one])
        given = Success(result=5)
        assert FlowRunner(flow).run(state=given) is given

    def test_a_flow_scheduled_for_later_does_not_run(self) -> None:
        calls = []
        flow = Flow("not yet", tasks=[task(lambda: calls.append(1), name="t")])
        given = Scheduled(start_time=later())
        assert FlowRunner(flow).run(state=given) is given and calls == []

    @pytest.mark.parametrize("state", [Pending(), Scheduled(), Retrying(), Running()])
    def test_pending_and_running_states_may_run(self, state: State) -> None:
        runner = FlowRunner(Flow("f"))
        assert runner.check_flow_is_pending_or_running(state) is state
        assert runner.set_flow_to_running(state).is_running()

    @pytest.mark.parametrize("state", [Success(), Failed(), State()])
    def test_other_states_end_the_run(self, state: State) -> None:
        with pytest.raises(ENDRUN):
            FlowRunner(Flow("f")).check_flow_is_pending_or_running(state)

    def test_get_flow_run_state_needs_a_running_state(self) -> None:
        given = Pending()
        with pytest.raises(ENDRUN) as end:
            FlowRunner(Flow("f", tasks=[one])).get_flow_run_state(
                given, task_states={}, task_contexts={}, return_tasks=set(),
                task_runner_state_handlers=[], executor=LocalExecutor())
        assert end.value.state is given

    def test_an_error_in_a_step_fails_the_flow_through_its_handlers(self) -> None:
        seen = []

        class Broken(FlowRunner):
            def initialize_run(self, *args, **kwargs):
                raise OSError("no disk")

        flow = Flow("broken", state_handlers=[lambda f, o, n: seen.append(type(n).__name__)])
        state = Broken(flow).run()
        assert type(state) is Failed and isinstance(state.result, OSError)
        assert state.message == "Unexpected error while running flow: OSError('no disk')"
        assert seen == ["Failed"]

    def test_the_default_return_is_no_task_states(self) -> None:
        with Flow("f") as flow:
            one()
        assert FlowRunner(flow).run().result == {}

    def test_repr(self) -> None:
        assert repr(FlowRunner(Flow("shown"))) == "<FlowRunner: shown>"


class TestInitializeRun:
    def run_init(self, flow: Flow, **kwargs) -> FlowRunnerInitializeResult:
        args = {"state": None, "task_states": {}, "context": {}, "task_contexts": {},
                "parameters": {}, **kwargs}
        return FlowRunner(flow).initialize_run(**args)

    def test_parameters_defaults_then_context_then_arguments(self) -> None:
        flow = Flow("p", tasks=[Parameter("a", default=1), Parameter("b", default=2),
                                Parameter("c")])
        result = self.run_init(flow, context={"parameters": {"b": 20, "c": 30, "z": 0}},
                               parameters={"c": 300})
        assert result.context["parameters"] == {"a": 1, "b": 20, "c": 300, "z": 0}
        assert type(result.state) is Pending

    def test_dates_come_from_a_given_date(self) -> None:
        day = pendulum.datetime(2024, 2, 29, 12, tz="UTC")
        ctx = self.run_init(Flow("d"), context={"date": day.to_datetime_string()}).context
        assert ctx["date"] == day
        assert (ctx["today"], ctx["yesterday"], ctx["tomorrow"]) == (
            "2024-02-29", "2024-02-28", "2024-03-01")
        assert (ctx["today_nodash"], ctx["yesterday_nodash"], ctx["tomorrow_nodash"]) == (
            "20240229", "20240228", "20240301")

    def test_an_unparsable_date_is_kept_with_a_warning(self, caplog) -> None:
        with caplog.at_level(logging.WARNING, logger="prefectlite.FlowRunner"):
            ctx = self.run_init(Flow("d"), context={"date": "whenever"}).context
        assert ctx["date"] == "whenever"
        assert ctx["today"] == pendulum.now("UTC").strftime("%Y-%m-%d")
        assert any("could not be parsed" in r.getMessage() for r in caplog.records)

    def test_every_task_gets_its_name_and_slug(self) -> None:
        with Flow("slugs") as flow:
            a = one()
            inc(a)
        got = self.run_init(flow, task_contexts={a: {"extra": 1}}).task_contexts
        assert got[a] == {"extra": 1, "task_name": "one", "task_slug": flow.slugs[a]}
        assert {c["task_slug"] for c in got.values()} == set(flow.slugs.values())

    def test_task_contexts_reach_the_task(self) -> None:
        @task
        def shows():
            return context.get("extra")

        flow = Flow("tc", tasks=[shows])
        state = FlowRunner(flow).run(return_tasks=[shows],
                                     task_contexts={shows: {"extra": "given"}})
        assert state.result[shows].result == "given"


class TestFinalState:
    def test_a_finished_but_unsuccessful_reference_task_counts_as_no_failure(self) -> None:
        flow = Flow("f", tasks=[one])
        runner = FlowRunner(flow)
        final = runner.determine_final_state(Running(), key_states=[State(message="odd")],
                                             return_states={}, terminal_states=[Success()])
        assert type(final) is Success and final.message == "No reference tasks failed."

    def test_the_flows_terminal_state_handler_has_the_last_word(self) -> None:
        seen = []

        def forgive(flow, state, reference_states):
            seen.append({type(s) for s in reference_states})
            return Success(message="forgiven", result=state.result)

        @task
        def fail():
            raise ValueError("x")

        flow = Flow("forgiving", tasks=[fail], terminal_state_handler=forgive)
        state = FlowRunner(flow).run(return_tasks=[fail])
        assert state.message == "forgiven" and type(state.result[fail]) is Failed
        assert seen == [{Failed}]

    def test_mapped_reference_children_count_one_by_one(self) -> None:
        @task
        def inverse(x):
            return 1 / x

        with Flow("m") as flow:
            m = inverse.map([1, 0])
        state = FlowRunner(flow).run(return_tasks=[m])
        assert type(state) is Failed and state.message == "Some reference tasks failed."
        assert type(state.result[m]) is Mapped


class TestTaskRunnerHooks:
    def test_task_runner_state_handlers_see_every_transition(self) -> None:
        seen = []
        flow = Flow("handlers", tasks=[one])
        FlowRunner(flow).run(task_runner_state_handlers=[
            lambda r, old, new: seen.append((type(r).__name__, type(new).__name__))])
        assert seen == [("TaskRunner", "Running"), ("TaskRunner", "Success")]

    def test_a_task_runner_subclass_runs_every_task(self) -> None:
        ran = []

        class Counting(TaskRunner):
            def run(self, *args, **kwargs):
                ran.append(self.task.name)
                return super().run(*args, **kwargs)

        with Flow("custom runner") as flow:
            a = one()
            b = inc(a)
        state = FlowRunner(flow, task_runner_cls=Counting).run(return_tasks=[b])
        assert state.result[b].result == 2 and ran == ["one", "inc"]

    def test_the_default_task_runner_class(self) -> None:
        assert FlowRunner(Flow("f")).task_runner_cls is TaskRunner

    def test_a_trigger_failure_still_reaches_the_dependents(self) -> None:
        @task
        def fail():
            raise ValueError("x")

        with Flow("tf") as flow:
            b = inc(fail())
        state = FlowRunner(flow, task_runner_cls=TaskRunner).run(return_tasks=[b])
        assert type(state.result[b]) is TriggerFailed
