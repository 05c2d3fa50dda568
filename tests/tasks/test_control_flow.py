"""Tests for prefectlite.tasks.control_flow: case, merge, ifelse, switch (and CompareValue).

Branches are decided at run time by ``CompareValue`` tasks that raise SKIP; the tests build
small flows and look at which tasks ran (``Success``) and which were ``Skipped``.
"""

from __future__ import annotations

from typing import Any

import pytest

import prefectlite
from prefectlite import Flow, Parameter, Task, apply_map, case, context, task, unmapped
from prefectlite import triggers as tr
from prefectlite.engine import signals
from prefectlite.engine.state import Failed, Mapped, Skipped, State, Success, TriggerFailed
from prefectlite.tasks.control_flow import CompareValue, ifelse, merge, switch
from prefectlite.tasks.control_flow.conditional import Merge


@task
def label(name: str) -> str:
    return name


@task
def inc(x: int) -> int:
    return x + 1


@task
def ident(x: Any) -> Any:
    return x


def kind(flow_state: State, t: Task) -> type:
    return type(flow_state.result[t])


class TestCompareValue:
    def test_matching_value_succeeds(self) -> None:
        assert CompareValue(3).run(3) is None

    def test_other_value_skips_with_a_message(self) -> None:
        with pytest.raises(signals.SKIP, match=r"Provided value 2 did not match 3\."):
            CompareValue(3).run(2)

    def test_name(self) -> None:
        assert CompareValue("a").name == "CompareValue: 'a'"


class TestCase:
    def test_exported_at_top_level(self) -> None:
        assert prefectlite.case is case
        assert "case" in prefectlite.__all__

    def test_tasks_inside_run_only_when_matching(self) -> None:
        with Flow("f") as flow:
            mode = Parameter("mode")
            with case(mode, "a"):
                a1 = label("a")
                a2 = ident(a1)
            with case(mode, "b"):
                b1 = label("b")
        state = flow.run(mode="a")
        assert state.is_successful()
        assert [kind(state, t) for t in (a1, a2, b1)] == [Success, Success, Skipped]
        assert state.result[a2].result == "a"
        state = flow.run(mode="b")
        assert [kind(state, t) for t in (a1, a2, b1)] == [Skipped, Skipped, Success]
        state = flow.run(mode="z")
        assert [kind(state, t) for t in (a1, a2, b1)] == [Skipped, Skipped, Skipped]
        assert state.is_successful()  # skips count as success

    def test_condition_is_compared_with_equality(self) -> None:
        with Flow("f") as flow:
            n = Parameter("n")
            with case(n > 1, True):
                big = label("big")
        assert kind(flow.run(n=2), big) is Success
        assert kind(flow.run(n=1), big) is Skipped

    def test_only_entry_tasks_get_the_condition_upstream(self) -> None:
        with Flow("f") as flow:
            outside = label("outside")
            mode = Parameter("mode")
            with case(mode, 1):
                first = ident(outside)
                second = ident(first)
        (condition,) = flow.get_tasks(name="case(1)")
        assert condition in flow.upstream_tasks(first)
        assert condition not in flow.upstream_tasks(second)
        assert flow.upstream_tasks(outside) == set()

    def test_tasks_after_the_block_are_not_conditioned(self) -> None:
        with Flow("f") as flow:
            mode = Parameter("mode")
            with case(mode, 1):
                inside = label("in")
            after = label("after")
        state = flow.run(mode=0)
        assert kind(state, inside) is Skipped and kind(state, after) is Success

    def test_an_empty_block_adds_nothing(self) -> None:
        with Flow("f") as flow:
            mode = ident(Parameter("mode"))
            with case(mode, 1):
                pass
        assert not flow.get_tasks(task_type=CompareValue)

    def test_nested_cases(self) -> None:
        with Flow("f") as flow:
            a, b = Parameter("a"), Parameter("b")
            with case(a, True):
                outer = label("outer")
                with case(b, True):
                    inner = label("inner")
        runs = {(x, y): flow.run(a=x, b=y) for x in (True, False) for y in (True, False)}
        assert {k: (kind(s, outer), kind(s, inner)) for k, s in runs.items()} == {
            (True, True): (Success, Success),
            (True, False): (Success, Skipped),
            (False, True): (Skipped, Skipped),
            (False, False): (Skipped, Skipped),
        }

    def test_case_on_a_task_result(self) -> None:
        @task
        def is_even(x: int) -> bool:
            return x % 2 == 0

        with Flow("f") as flow:
            x = Parameter("x")
            with case(is_even(x), True):
                half = label("even")
        assert kind(flow.run(x=4), half) is Success
        assert kind(flow.run(x=3), half) is Skipped

    def test_task_with_skip_on_upstream_skip_false_runs_anyway(self) -> None:
        @task(skip_on_upstream_skip=False)
        def always(x: Any = None) -> str:
            return f"ran with {x!r}"

        with Flow("f") as flow:
            mode = Parameter("mode")
            with case(mode, "on"):
                value = label("v")
                entry = always()  # its upstream is the (skipped) condition itself
                later = always(value)  # its upstream is a skipped task of the block
        state = flow.run(mode="off")
        assert kind(state, value) is Skipped
        assert state.result[entry].result == "ran with None"
        assert state.result[later].result == "ran with None"

    def test_mapped_task_inside_a_case(self) -> None:
        with Flow("f") as flow:
            on = Parameter("on")
            with case(on, True):
                out = inc.map([1, 2, 3])
        assert flow.run(on=True).result[out].result == [2, 3, 4]
        state = flow.run(on=False)
        assert state.is_successful()
        # as in Prefect 1, the upstream skip is decided before mapping: the parent is Skipped
        assert state.result[out].is_skipped(), state.result[out]

    def test_mapped_task_in_a_branch_not_taken_is_skipped_whatever_its_input(self) -> None:
        # Prefect 1 decides the upstream skip before it maps, so the branch's mapped task is
        # Skipped even when its mapped input (here None) could not be mapped over.
        with Flow("f") as flow:
            mode = Parameter("mode")
            items = Parameter("items", default=None)
            with case(mode, "batch"):
                out = inc.map(items)
        state = flow.run(mode="single")
        assert state.result[out].is_skipped(), state.result[out]
        assert state.is_successful()

    def test_case_inside_apply_map(self) -> None:
        def classify(x: Task) -> Task:
            big = x > 1
            with case(big, True):
                hi = label("big")
            with case(big, False):
                lo = label("small")
            return merge(hi, lo)

        with Flow("f") as flow:
            out = apply_map(classify, [0, 1, 2, 3])
        state = flow.run()
        assert state.result[out].result == ["small", "small", "big", "big"]

    def test_case_on_an_unmapped_argument_inside_apply_map(self) -> None:
        def maybe_inc(x: Task, flag: Task) -> Task:
            with case(flag, True):
                y = inc(x)
            return merge(y, x)

        with Flow("f") as flow:
            flag = Parameter("flag")
            out = apply_map(maybe_inc, [0, 1, 2], flag=unmapped(flag))
        (condition,) = flow.get_tasks(task_type=CompareValue)
        assert [e.mapped for e in flow.edges_to(condition) if e.key] == [False]  # flag whole
        assert any(e.mapped for e in flow.edges_to(condition))  # once per element (Prefect 1)
        assert flow.run(flag=True).result[out].result == [1, 2, 3]
        assert flow.run(flag=False).result[out].result == [0, 1, 2]

    def test_needs_a_task(self) -> None:
        with pytest.raises(TypeError, match=r"case\(\) needs a task as its condition, got 3"):
            case(3, 3)  # type: ignore[arg-type]

    def test_imperative_blocks_need_no_flow_context(self) -> None:
        flow = Flow("imperative")
        mode = Parameter("mode")
        flow.add_task(mode)
        with case(mode, 1):
            one = label.copy().bind("one", flow=flow)
        with case(mode, 2):
            two = label.copy()
            flow.add_task(two)
            two.bind("two", flow=flow)
        assert {t.name for t in flow.upstream_tasks(one)} == {"case(1)"}
        assert {t.name for t in flow.upstream_tasks(two)} == {"case(2)"}
        state = flow.run(mode=2)
        assert state.result[one].is_skipped() and state.result[two].result == "two"

    def test_one_block_cannot_span_two_flows(self) -> None:
        first, second = Flow("first"), Flow("second")
        with pytest.raises(ValueError, match="Multiple flows cannot be used with the same "
                           "case"), case(Parameter("p"), 1):
            first.add_task(Task())
            second.add_task(Task())

    def test_the_block_is_the_context_case(self) -> None:
        outer, inner = case(Parameter("p"), 1), case(Parameter("q"), 2)
        with Flow("f"):
            with outer:
                assert context["case"] is outer
                with inner:
                    assert context["case"] is inner
                assert context["case"] is outer
            assert "case" not in context

    def test_value_cannot_be_a_task(self) -> None:
        with pytest.raises(TypeError, match="`value` cannot be a task"):
            case(Parameter("p"), Parameter("q"))

    def test_task_from_another_flow(self) -> None:
        # as in Prefect 1, a task of another flow simply joins this one
        with Flow("one"):
            condition = label("x")
        with Flow("two") as two, case(condition, "x"):
            inside = label("y")
        assert condition in two.tasks and inside in two.tasks
        assert two.upstream_tasks(inside) and two.constants[inside] == {"name": "y"}

    def test_an_error_inside_the_block_adds_no_condition(self) -> None:
        mode = Parameter("mode")  # (made here: inside, it would be reported unused)
        with Flow("f") as flow, pytest.raises(RuntimeError, match="boom"), case(mode, 1):
            label("x")
            raise RuntimeError("boom")
        assert not flow.get_tasks(task_type=CompareValue)


class TestMerge:
    def test_first_result_of_the_branch_that_ran(self) -> None:
        with Flow("f") as flow:
            mode = Parameter("mode")
            with case(mode, "a"):
                a = label("A")
            with case(mode, "b"):
                b = label("B")
            out = merge(a, b)
        assert flow.run(mode="a").result[out].result == "A"
        assert flow.run(mode="b").result[out].result == "B"

    def test_order_decides_when_several_ran(self) -> None:
        with Flow("f") as flow:
            first = merge(label("x"), label("y"))
            second = merge(label("x"), label("y"), label("z"))
        state = flow.run()
        assert state.result[first].result == "x"
        assert state.result[second].result == "x"

    def test_skipped_when_every_branch_skipped(self) -> None:
        # PH#1768: merge of branches that all skipped is itself skipped, and so is what follows
        with Flow("f") as flow:
            mode = Parameter("mode")
            with case(mode, "a"):
                a = label("A")
            with case(mode, "b"):
                b = label("B")
            out = merge(a, b)
            after = ident(out)
        state = flow.run(mode="c")
        assert kind(state, out) is Skipped
        assert kind(state, after) is Skipped
        assert state.is_successful()

    def test_a_failed_branch_fails_the_merge(self) -> None:
        # not_all_skipped: skipped branches are fine, a failed one is not (as in Prefect 1)
        @task
        def broken() -> None:
            raise ValueError("no")

        with Flow("f") as flow:
            out = merge(broken(), label("fallback"))
        state = flow.run()
        assert kind(state, out) is TriggerFailed
        assert state.result[out].message.startswith('Trigger was "not_all_skipped"')

    def test_a_branch_that_raised_skip_is_passed_over(self) -> None:
        @task
        def skipper() -> None:
            raise signals.SKIP("not today")

        with Flow("f") as flow:
            out = merge(skipper(), label("fallback"))
        assert flow.run().result[out].result == "fallback"

    def test_merge_of_one(self) -> None:
        with Flow("f") as flow:
            out = merge(label("only"))
        assert flow.run().result[out].result == "only"

    def test_merge_of_nothing(self) -> None:
        with Flow("f"), pytest.raises(
            ValueError, match=r"merge\(\) needs at least one task, e\.g\. merge\(branch_a, "
            r"branch_b\)\."
        ):
            merge()

    def test_merge_runs_when_upstream_skipped(self) -> None:
        merged = Merge()
        assert merged.skip_on_upstream_skip is False
        assert merged.trigger is tr.not_all_skipped

    def test_mapped_merge(self) -> None:
        @task
        def keep_even(x: int) -> int:
            if x % 2:
                raise signals.SKIP("odd")
            return x

        @task
        def keep_odd(x: int) -> int:
            if not x % 2:
                raise signals.SKIP("even")
            return -x

        with Flow("f") as flow:
            xs = [0, 1, 2, 3]
            out = merge(keep_even.map(xs), keep_odd.map(xs), mapped=True)
        state = flow.run()
        assert isinstance(state.result[out], Mapped)
        assert state.result[out].result == [0, -1, 2, -3]


class TestIfElse:
    def test_runs_one_branch(self) -> None:
        with Flow("f") as flow:
            flag = Parameter("flag")
            yes, no = label("yes"), label("no")
            ifelse(flag, yes, no)
            out = merge(yes, no)
        state = flow.run(flag=1)
        assert (kind(state, yes), kind(state, no), state.result[out].result) == (
            Success, Skipped, "yes")
        state = flow.run(flag=[])  # falsy
        assert (kind(state, yes), kind(state, no), state.result[out].result) == (
            Skipped, Success, "no")

    def test_without_a_false_branch(self) -> None:
        with Flow("f") as flow:
            flag = Parameter("flag")
            yes = label("yes")
            ifelse(flag, yes, None)
        assert kind(flow.run(flag=False), yes) is Skipped
        assert kind(flow.run(flag=True), yes) is Success

    def test_downstream_of_a_branch_is_skipped_with_it(self) -> None:
        with Flow("f") as flow:
            flag = Parameter("flag")
            yes, no = label("yes"), label("no")
            ifelse(flag, yes, no)
            after_yes = ident(yes)
        assert kind(flow.run(flag=False), after_yes) is Skipped

    def test_imperative_with_flow_argument(self) -> None:
        flow = Flow("imperative")
        flag = Parameter("flag")
        flow.add_task(flag)
        yes, no = label.copy(), label.copy()
        yes.bind(name="yes", flow=flow)
        no.bind(name="no", flow=flow)
        ifelse(flag, yes, no, flow=flow)
        out = merge(yes, no, flow=flow)
        assert out in flow.tasks
        assert flow.run(flag=True).result[out].result == "yes"
        assert flow.run(flag=False).result[out].result == "no"


class TestSwitch:
    def test_several_cases(self) -> None:
        with Flow("f") as flow:
            color = Parameter("color")
            branches = {c: label(c.upper()) for c in ("red", "green", "blue")}
            switch(color, branches)
            out = merge(*branches.values())
        for color in ("red", "green", "blue"):
            state = flow.run(color=color)
            assert state.result[out].result == color.upper()
            assert [kind(state, t) for t in branches.values()].count(Success) == 1
        state = flow.run(color="purple")
        assert kind(state, out) is Skipped
        assert {kind(state, t) for t in branches.values()} == {Skipped}

    def test_one_compare_task_per_case(self) -> None:
        with Flow("f") as flow:
            color = Parameter("color")
            switch(color, {1: label("one"), 2: label("two")})
        compares = flow.get_tasks(task_type=CompareValue)
        assert sorted(c.value for c in compares) == [1, 2]
        assert all(flow.upstream_tasks(c) == {color} for c in compares)
        assert all("switch" in c.tags for c in compares)

    def test_imperative_with_flow_argument(self) -> None:
        flow = Flow("imperative")
        n = Parameter("n")
        flow.add_task(n)
        branches = {}
        for value in (1, 2, 3):
            t = label.copy()
            t.bind(name=f"branch {value}", flow=flow)
            branches[value] = t
        switch(n, branches, flow=flow)
        out = merge(*branches.values(), flow=flow)
        assert flow.run(n=2).result[out].result == "branch 2"
        assert kind(flow.run(n=4), out) is Skipped

    def test_mapped_switch(self) -> None:
        @task
        def is_big(x: int) -> bool:
            return x > 1

        with Flow("f") as flow:
            xs = Parameter("xs")
            small = inc.map(xs)
            large = ident.map(xs)
            switch(is_big.map(xs), {False: small, True: large}, mapped=True)
            out = merge(small, large, mapped=True)
        state = flow.run(xs=[0, 1, 2, 3])
        assert state.result[out].result == [1, 2, 2, 3]

    def test_downstream_trigger_failure_is_not_a_skip(self) -> None:
        @task
        def broken(x: Any) -> None:
            raise ValueError("no")

        with Flow("f") as flow:
            n = Parameter("n")
            one = broken(1)
            switch(n, {1: one})
            after = ident(one)
        state = flow.run(n=1)
        assert kind(state, after) is TriggerFailed
        assert state.is_failed()


@task
def succeed() -> str:
    return "ok"


@task
def fail() -> None:
    raise ValueError("failed")


@task
def skip() -> None:
    raise signals.SKIP("skipped")


UPSTREAM = {"Success": succeed, "Failed": fail, "Skipped": skip}


class TestSkipRules:
    """The rows of the skip propagation table in docs/control_flow.md."""

    @pytest.mark.parametrize(("upstreams", "skip_on_upstream_skip", "trigger", "expected"), [
        (["Skipped"], True, tr.all_successful, Skipped),
        (["Skipped"], False, tr.all_successful, Success),
        (["Skipped", "Failed"], True, tr.all_successful, Skipped),  # skip is checked first
        (["Skipped", "Failed"], False, tr.all_successful, TriggerFailed),
        (["Failed"], True, tr.all_successful, TriggerFailed),
        (["Skipped", "Failed"], True, tr.all_finished, Skipped),
        (["Skipped", "Failed"], False, tr.all_finished, Success),
        (["Skipped", "Skipped"], False, tr.not_all_skipped, Skipped),
        (["Skipped", "Success"], False, tr.not_all_skipped, Success),
        (["Skipped", "Failed"], False, tr.not_all_skipped, TriggerFailed),
    ])
    def test_one_task_after_its_upstreams(
        self, upstreams: list[str], skip_on_upstream_skip: bool, trigger: Any, expected: type
    ) -> None:
        @task(skip_on_upstream_skip=skip_on_upstream_skip, trigger=trigger)
        def downstream(**inputs: Any) -> dict[str, Any]:
            return inputs

        with Flow("f") as flow:
            out = downstream(**{f"x{i}": UPSTREAM[k]() for i, k in enumerate(upstreams)})
        assert kind(flow.run(), out) is expected

    def test_a_skipped_upstream_passes_none_or_its_skip_signal(self) -> None:
        @task(skip_on_upstream_skip=False)
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            raised = show(skip())            # the task raised SKIP itself: its signal
            propagated = show(ident(skip()))  # skipped by propagation: None
        state = flow.run()
        assert isinstance(state.result[raised].result, signals.SKIP)
        assert state.result[propagated].result is None

    def test_a_flow_whose_terminal_task_skipped_succeeds_even_if_a_task_failed(self) -> None:
        # Prefect 1 semantics (PH#4866, PH#5071): the skip wins over the failure downstream,
        # and the flow's state comes from the (skipped) terminal task
        @task
        def both(a: Any, b: Any) -> None:
            return None

        with Flow("f") as flow:
            failed = fail()
            out = both(failed, skip())
        state = flow.run()
        assert kind(state, failed) is Failed and kind(state, out) is Skipped
        assert state.is_successful()


class TestMergeOptions:
    def test_merge_must_not_skip_on_upstream_skip(self) -> None:
        with pytest.raises(ValueError, match=r"Merge tasks must have "
                           r"`skip_on_upstream_skip=False`"):
            Merge(skip_on_upstream_skip=True)

    def test_merge_passes_options_to_the_task(self) -> None:
        with Flow("f"):
            merged = merge(Parameter("a"), Parameter("b"), name="either", checkpoint=False)
        assert merged.name == "either" and merged.checkpoint is False
