"""Flow behaviour that follows Prefect 1 to the letter: on_failure, logger, equality, the
unused-task warning, validate(), cached graph queries, update options, run() keywords."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from prefectlite import Edge, Flow, Parameter, Task, task
from prefectlite.engine.state import Failed, Success
from prefectlite.tasks.core.constants import Constant
from prefectlite.utilities.configuration import set_temporary_config

UNUSED = "Tasks were created but not added to the flow"


@task
def double(x: int) -> int:
    return 2 * x


@task
def boom() -> None:
    raise RuntimeError("boom")


class TestCreate:
    def test_on_failure_is_called_with_the_failed_state(self) -> None:
        seen: list[tuple[Flow, Any]] = []
        with Flow("f", on_failure=lambda flow, state: seen.append((flow, state))) as flow:
            boom()
        assert len(flow.state_handlers) == 1
        state = flow.run()
        assert state.is_failed() and seen == [(flow, state)]

    def test_on_failure_is_quiet_on_success(self) -> None:
        seen: list[Any] = []
        with Flow("f", on_failure=lambda *a: seen.append(a)) as flow:
            double(1)
        assert flow.run().is_successful() and seen == []

    def test_on_failure_must_be_callable(self) -> None:
        with pytest.raises(TypeError, match="on_failure=3 is not callable"):
            Flow("f", on_failure=3)

    def test_state_handlers_must_be_a_list(self) -> None:
        with pytest.raises(TypeError, match="state_handlers should be iterable"):
            Flow("f", state_handlers=lambda *a: None)  # type: ignore[arg-type]

    def test_logger_is_named_after_the_flow(self) -> None:
        flow = Flow("nightly load")
        assert isinstance(flow.logger, logging.Logger)
        assert flow.logger.name == "prefectlite.nightly load"


class TestEquality:
    def test_same_name_tasks_edges_and_reference_tasks(self) -> None:
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        one, two = Flow("f"), Flow("f")
        for flow in (one, two):
            flow.add_edge(a, b)
        assert one == two and one != Flow("g") and one != "f"
        two.add_task(c)
        assert one != two
        one.add_task(c)
        one.set_reference_tasks([b])
        assert one != two
        two.set_reference_tasks([b])
        assert one == two
        assert len({one, two}) == 2  # still usable as keys, by identity

    def test_a_copy_is_equal(self) -> None:
        with Flow("f") as flow:
            double(double(1))
        assert flow.copy() == flow


class TestUnusedTaskWarning:
    def test_a_task_made_and_never_used(self) -> None:
        with pytest.warns(UserWarning, match=UNUSED) as record, Flow("f"):
            Parameter("x")
        assert len(record) == 1 and "<Parameter: x>" in str(record[0].message)

    def test_used_tasks_and_values_are_fine(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with Flow("f") as flow:
                x = Parameter("x")
                flow.add_task(x)
                inline = task(lambda v: v)
                inline(double(x))
                Task(name="list")[0]
        assert len(flow.tasks) == 5  # x, double, the lambda task, list and its GetItem

    def test_only_the_innermost_flow_reports(self) -> None:
        with pytest.warns(UserWarning, match=UNUSED) as record, Flow("outer"), Flow("inner"):
            Task(name="lost")
        assert len(record) == 1

    def test_an_unused_copy_is_reported(self) -> None:
        p = Parameter("x")
        with pytest.warns(UserWarning, match=r"<Parameter: y>"), Flow("f"):
            p.copy("y")

    def test_no_report_when_the_block_raises(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(RuntimeError), Flow("f"):
                Task(name="lost")
                raise RuntimeError("stop")


class TestValidate:
    def test_edges_whose_tasks_were_removed_from_tasks(self) -> None:
        flow, a, b = Flow("f"), Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        flow.tasks.remove(b)
        with pytest.raises(ValueError, match="Some edges refer to tasks not contained in this"):
            flow.validate()

    def test_reference_tasks_removed_from_tasks(self) -> None:
        flow, a = Flow("f"), Task(name="a")
        flow.add_task(a)
        flow.set_reference_tasks([a])
        flow.tasks.remove(a)
        with pytest.raises(ValueError, match="Some reference tasks are not contained in"):
            flow.validate()

    def test_config_turns_on_eager_cycle_checks(self) -> None:
        a, b = Task(name="a"), Task(name="b")
        with set_temporary_config({"flows.eager_edge_validation": True}):
            flow = Flow("f")
            flow.add_edge(a, b)
            with pytest.raises(ValueError, match="Cycle found"):
                flow.add_edge(b, a)
            flow.add_edge(b, a, validate=False)  # an explicit False still wins
        with pytest.raises(ValueError, match="Cycle found"):
            flow.validate()

    def test_flow_edges_validate_on_request(self) -> None:
        a, b = Task(name="a"), Task(name="b")
        with pytest.raises(ValueError, match="Cycle found"):
            Flow("f", edges=[Edge(a, b), Edge(b, a)], validate=True)
        assert len(Flow("f", edges=[Edge(a, b), Edge(b, a)]).edges) == 2


class TestCache:
    def test_queries_are_cached_under_prefect_1_keys_until_a_change(self) -> None:
        flow, a, b, c = Flow("f"), Task(name="a"), Task(name="b"), Task(name="c")
        flow.add_edge(a, b)
        assert flow.sorted_tasks() == (a, b) and flow.sorted_tasks([b]) == (b,)
        assert flow.root_tasks() == {a} and flow.terminal_tasks() == {b}
        assert flow.all_upstream_edges()[b] == {Edge(a, b)}
        assert flow.all_downstream_edges()[a] == {Edge(a, b)}
        assert set(flow._cache) == {
            ("_sorted_tasks", (("root_tasks", ()),)), ("_sorted_tasks", (("root_tasks", (b,)),)),
            ("root_tasks", ()), ("terminal_tasks", ()), ("all_upstream_edges", ()),
            ("all_downstream_edges", ()),
        }
        flow.add_edge(b, c)
        assert flow.sorted_tasks() == (a, b, c) and flow.terminal_tasks() == {c}
        flow.set_reference_tasks([a])
        assert not flow._cache

    def test_a_pickled_flow_keeps_working(self) -> None:
        with Flow("f") as flow:
            y = double(double(1))
        flow.sorted_tasks()
        copy = cloudpickle.loads(cloudpickle.dumps(flow))
        (new_y,) = copy.get_tasks(slug=flow.slugs[y])
        assert copy.sorted_tasks()[-1] is new_y and copy.run().result[new_y].result == 4


class TestUpdate:
    def test_merge_reference_tasks(self) -> None:
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        one, two = Flow("one", tasks=[a]), Flow("two", edges=[Edge(b, c)])
        two.set_reference_tasks([b])
        plain = one.copy()
        plain.update(two)
        assert plain.reference_tasks() == {a, c}  # the terminal tasks
        one.update(two, merge_reference_tasks=True)  # this flow's (now: a, c) and two's (b)
        assert one.reference_tasks() == {a, b, c}

    def test_edges_already_present_are_skipped(self) -> None:
        a, b = Task(name="a"), Task(name="b")
        add = double.copy()
        one = Flow("one", edges=[Edge(a, b)])
        one.add_edge(a, add, key="x")
        two = one.copy()
        one.update(two)  # the keyed edge a -> add (x) is the same edge: no duplicate argument
        assert one.edges == two.edges and len(one.edges) == 2

    def test_merge_parameters_keeps_the_incoming_parameter(self) -> None:
        with Flow("one") as one:
            mine = double(Parameter("n", default=1))
        with Flow("two") as two:
            theirs = double(Parameter("n", default=5))
        one.update(two, merge_parameters=True)
        (n,) = one.parameters()
        assert n.default == 5
        state = one.run()
        assert state.result[mine].result == state.result[theirs].result == 10


class TestRunKeywords:
    def test_parameter_names_and_options(self) -> None:
        with Flow("f") as flow:
            y = double(Parameter("x"))
        assert flow.run(x=2).result[y].result == 4
        with pytest.raises(TypeError, match=r"Flow.run\(\) got unexpected keyword argument\(s\) "
                           r"colour: neither Parameters of flow 'f' \(its Parameters: x\)"):
            flow.run(x=2, colour="red")
        with pytest.raises(ValueError, match="Flow.run received the following unexpected "
                           "parameters: colour"):
            flow.run(parameters={"x": 2, "colour": "red"})
        with pytest.raises(ValueError, match="Flow.run did not receive the following required "
                           "parameters: x"):
            flow.run()

    def test_return_tasks_is_refused(self) -> None:
        flow = Flow("f", tasks=[Task(name="t")])
        with pytest.raises(ValueError, match="`return_tasks` keyword cannot be provided"):
            flow.run(return_tasks=flow.tasks)


class TestTwoFlows:
    def test_one_task_bound_in_two_flows_runs_in_each(self) -> None:
        add = task(lambda x, y: x + y, name="add")
        with Flow("f") as f:
            add.bind(4, 2)
        with Flow("g") as g:
            add.bind(7, 8)
        assert f.run().result[add].result == 6 and g.run().result[add].result == 15


class TestSlugs:
    def test_tags_are_part_of_a_generated_slug(self) -> None:
        with Flow("f") as flow:
            a1 = Task(name="a")()
            a_tagged = Task(name="a", tags=["z", "b"])()
            a2 = Task(name="a")()
            a_tagged2 = Task(name="a", tags=["b", "z"])()
        assert [flow.slugs[t] for t in (a1, a_tagged, a2, a_tagged2)] == [
            "a-1", "a-b-z-1", "a-2", "a-b-z-2"
        ]

    def test_a_failed_change_gives_the_number_back(self) -> None:
        flow = Flow("f")
        t, clash = Task(name="t", tags=["x"]), Task(name="c", slug="c")
        flow.add_task(Task(name="c", slug="c"))
        with pytest.raises(ValueError):
            flow.chain(t, clash)
        flow.add_task(t)
        assert flow.slugs[t] == "t-x-1"


class TestConstants:
    def test_replace_with_a_value(self) -> None:
        with Flow("f") as flow:
            x = Parameter("x")
            y = double(x)
        copy = flow.copy()
        copy.replace(x, 21)
        assert copy.constants[y] == {"x": 21} and not flow.constants
        assert copy.run().result[y].result == 42
        assert any(isinstance(t, Constant) for t in copy.tasks)

    def test_failed_and_success_states_of_reference_tasks(self) -> None:
        with Flow("f") as flow:
            ok = double(1)
            bad = boom()
        state = flow.run()
        assert isinstance(state.result[ok], Success) and isinstance(state.result[bad], Failed)


class TestSaveLoad:
    def test_to_a_path_and_back(self, tmp_path: Path) -> None:
        with Flow("f") as flow:
            y = double(double(2))
        target = tmp_path / "my.flow"
        assert flow.save(target) == str(target)
        loaded = Flow.load(str(target))
        assert loaded.name == "f" and len(loaded.tasks) == 2
        (new_y,) = loaded.get_tasks(slug=flow.slugs[y])
        assert loaded.run().result[new_y].result == 8

    def test_default_place_by_name_or_slug(self, tmp_path: Path) -> None:
        flow = Flow("I aM a-test!", tasks=[Task(name="t", slug="t")])
        with set_temporary_config({"home_dir": str(tmp_path)}):
            path = flow.save()
            assert path == str(tmp_path / "flows" / "i-am-a-test.prefect")
            for name in ("I aM a-test!", "i-am-a-test"):
                loaded = Flow.load(name)
                assert loaded.name == "I aM a-test!" and loaded.slugs == {
                    t: "t" for t in loaded.tasks
                }

    def test_not_a_flow(self, tmp_path: Path) -> None:
        target = tmp_path / "x.prefect"
        target.write_bytes(cloudpickle.dumps([1]))
        with pytest.raises(TypeError, match="holds list, not a Flow"):
            Flow.load(str(target))


def test_run_inside_the_flow_block_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"`flow.run\(\)` from within a `Flow` context "
                       r"manager \(flow 'f'\)"), Flow("f") as flow:
        double(1)
        flow.run()
    assert flow.run().is_successful()  # after the block it runs


def test_flow_run_name_reaches_the_context() -> None:
    from prefectlite import context

    read = task(lambda: context.get("flow_run_name"), name="read")
    with Flow("f") as flow:
        out = read()
    assert flow.run(flow_run_name="nightly").result[out].result == "nightly"
