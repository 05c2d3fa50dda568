"""Tests for prefectlite.core.flow: the First Steps flows, the Flow API, errors and rollback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import prefectlite
from prefectlite import Edge, Flow, Parameter, Task, task
from prefectlite.exceptions import (
    CycleError,
    DuplicateArgumentError,
    DuplicateSlugError,
    NotATaskError,
    TaskNotInFlowError,
)
from prefectlite.tasks.core.collections import List
from prefectlite.tasks.core.constants import Constant


def state_of(flow: Flow) -> tuple[set, set, dict, list, set]:
    """Everything a failed change must leave as it was."""
    constants = {t: dict(v) for t, v in flow.constants.items()}
    return (set(flow.tasks), set(flow.edges), constants, slugs_of(flow), flow.reference_tasks())


def slugs_of(flow: Flow) -> list[str]:
    return [flow.slugs[t] for t in flow.sorted_tasks()]


def make_add() -> Task:
    @task
    def add(x, y=1):
        return x + y

    return add


def make_say_hello() -> Task:
    @task
    def say_hello(person: str) -> None:
        print(f"Hello, {person}!")

    return say_hello


class AddTask(Task):
    """The task-class version of ``add`` from First Steps."""

    def __init__(self, default: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def run(self, x: int, y: int | None = None) -> int:
        if y is None:
            y = self.default
        return x + y


class TestFirstSteps:
    """The flows of Prefect 1's "First Steps" page build the graphs they describe."""

    @pytest.mark.parametrize("make", [make_add, lambda: AddTask(default=1, name="add")],
                             ids=["decorator", "subclass"])
    def test_functional_api(self, make: Callable[[], Task]) -> None:
        add = make()
        with Flow("My first flow!") as flow:
            first_result = add(1, y=2)
            second_result = add(x=first_result, y=100)

        assert flow.name == "My first flow!"
        assert flow.tasks == {first_result, second_result}
        assert add not in flow.tasks and add.slug is None and first_result.slug is None
        assert flow.edges == {Edge(first_result, second_result, key="x")}
        assert flow.constants == {first_result: {"x": 1, "y": 2}, second_result: {"y": 100}}
        assert flow.root_tasks() == {first_result}
        assert flow.terminal_tasks() == {second_result}
        assert flow.sorted_tasks() == (first_result, second_result)
        assert slugs_of(flow) == ["add-1", "add-2"]

    def test_subclass_keeps_its_own_attributes_on_copies(self) -> None:
        add = AddTask(default=10)
        with Flow("f"):
            result = add(1)
        assert type(result) is AddTask and result.default == 10 and result.name == "AddTask"
        assert result.run(1) == 11

    def test_parameter(self) -> None:
        say_hello = make_say_hello()
        with Flow("Say hi!") as flow:
            name = Parameter("name")
            greeting = say_hello(name)

        assert flow.tasks == {name, greeting}
        assert flow.edges == {Edge(name, greeting, key="person")}
        assert flow.parameters() == {name}
        assert flow.root_tasks() == {name} and flow.terminal_tasks() == {greeting}
        assert slugs_of(flow) == ["name", "say_hello-1"]
        assert name.required and flow.constants == {}

    def build_imperative(self) -> tuple[Flow, dict[str, Task]]:
        add, say_hello = make_add(), make_say_hello()
        flow = Flow("My imperative flow!")

        name = Parameter("name")
        second_add = add.copy()

        flow.add_task(add)
        flow.add_task(second_add)
        flow.add_task(say_hello)

        say_hello.set_upstream(second_add, flow=flow)

        add.bind(x=1, y=2, flow=flow)
        second_add.bind(x=add, y=100, flow=flow)
        say_hello.bind(person=name, flow=flow)
        return flow, {"add": add, "second_add": second_add, "say_hello": say_hello,
                      "name": name}

    def test_imperative_api(self) -> None:
        flow, t = self.build_imperative()
        assert flow.tasks == set(t.values())
        assert flow.edges == {
            Edge(t["add"], t["second_add"], key="x"),
            Edge(t["second_add"], t["say_hello"]),
            Edge(t["name"], t["say_hello"], key="person"),
        }
        assert flow.constants == {t["add"]: {"x": 1, "y": 2}, t["second_add"]: {"y": 100}}
        assert flow.root_tasks() == {t["add"], t["name"]}
        assert flow.terminal_tasks() == {t["say_hello"]}
        assert flow.reference_tasks() == {t["say_hello"]}
        assert slugs_of(flow) == ["add-1", "add-2", "name", "say_hello-1"]
        flow.validate()

    def test_mixing_in_the_functional_api_afterwards(self) -> None:
        flow, t = self.build_imperative()
        with flow:
            with pytest.warns(UserWarning, match="You are making a copy of a task that has "
                              "dependencies"):  # as in Prefect 1
                third = t["second_add"].copy()(t["second_add"], y=5)
            t["say_hello"].set_upstream(third)
        assert Edge(t["second_add"], third, key="x") in flow.edges
        assert Edge(third, t["say_hello"]) in flow.edges
        assert flow.constants[third] == {"y": 5}
        assert slugs_of(flow) == ["add-1", "add-2", "name", "add-3", "say_hello-1"]
        # leaving the block leaves no flow behind
        with pytest.raises(ValueError, match="active Flow context"):
            t["add"].copy()(1)


class TestBuilding:
    def test_repr_len_iter(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
        assert repr(flow) == '<Flow: name="f">'
        assert len(flow) == 2 and list(flow) == [a, b]
        assert len(Flow("empty")) == 0 and list(Flow("empty")) == []

    @pytest.mark.parametrize("name", ["", None, 3])
    def test_flow_needs_a_name(self, name: Any) -> None:
        with pytest.raises(ValueError, match="A name must be provided for the flow"):
            Flow(name)

    def test_state_handlers_must_be_callable(self) -> None:
        with pytest.raises(TypeError, match=r"Flow 'f': state handler 3 is not callable"):
            Flow("f", state_handlers=[3])

    def test_constructor_arguments(self) -> None:
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        flow = Flow("f", tasks=[c], edges=[Edge(a, b)], reference_tasks=[c])
        assert flow.tasks == {a, b, c} and flow.edges == {Edge(a, b)}
        assert flow.reference_tasks() == {c}
        with pytest.raises(ValueError, match="reference tasks must be part of the flow"):
            Flow("f", edges=[Edge(a, b)], reference_tasks=[a])  # (set before the edges)

    def test_nested_flow_contexts(self) -> None:
        outer, inner = Flow("outer"), Flow("inner")
        with outer:
            a = Task(name="a")()
            with inner:
                b = Task(name="b")()
            c = Task(name="c")()
        assert outer.tasks == {a, c} and inner.tasks == {b}
        assert prefectlite.context.get("flow") is None

    def test_re_entering_a_flow(self) -> None:
        add = make_add()
        flow = Flow("f")
        with flow:
            a = add(1)
        with flow:
            b = add(a)
        assert flow.sorted_tasks() == (a, b)

    def test_constants_and_collections(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1)
            plain = add([1, 2], y={"k": (3, 4)})
            holds = add([a, 2])
        assert flow.constants[plain] == {"x": [1, 2], "y": {"k": (3, 4)}}
        (edge,) = flow.edges_to(holds)
        assert isinstance(edge.upstream_task, List) and edge.key == "x"
        assert flow.constants[edge.upstream_task] == {"arg_2": 2}  # 1-based, as in Prefect 1
        assert flow.edges_to(edge.upstream_task) == {Edge(a, edge.upstream_task, key="arg_1")}


class TestAddTask:
    def test_slugs_are_numbered_per_name(self) -> None:
        flow = Flow("f")
        ts = [Task(name="a"), Task(name="b"), Task(name="a"), Task(name="a")]
        for t in ts:
            assert flow.add_task(t) is t
        assert [flow.slugs[t] for t in ts] == ["a-1", "b-1", "a-2", "a-3"]
        assert all(t.slug is None for t in ts)

    def test_adding_twice_is_a_no_op(self) -> None:
        flow, t = Flow("f"), Task(name="t")
        flow.add_task(t)
        flow.add_task(t)
        assert len(flow) == 1 and flow.slugs == {t: "t-1"}

    def test_explicit_slugs_are_kept_and_skipped(self) -> None:
        flow = Flow("f")
        explicit = flow.add_task(Task(name="a", slug="a-1"))
        t = flow.add_task(Task(name="a"))
        assert flow.slugs == {explicit: "a-1", t: "a-2"}

    def test_one_task_has_a_slug_in_each_flow(self) -> None:
        shared, one, two = Task(name="shared"), Flow("one"), Flow("two")
        two.add_task(Task(name="shared"))
        one.add_task(shared)
        two.add_task(shared)
        assert one.slugs[shared] == "shared-1" and two.slugs[shared] == "shared-2"

    def test_two_tasks_with_the_same_slug(self) -> None:
        flow = Flow("f")
        first = flow.add_task(Task(name="first", slug="s"))
        before = state_of(flow)
        with pytest.raises(DuplicateSlugError, match=r'A task with the slug "s" already exists in '
                           r"this flow \('f': <Task: first>\); give <Task: second> another slug"):
            flow.add_task(Task(name="second", slug="s"))
        assert state_of(flow) == before and flow.get_tasks(slug="s") == [first]

    def test_slug_clash_through_an_edge_changes_nothing(self) -> None:
        flow = Flow("f")
        a = flow.add_task(Task(name="a", slug="s"))
        before = state_of(flow)
        with pytest.raises(DuplicateSlugError, match='slug "s"'):
            flow.add_edge(a, Task(name="b", slug="s"))
        assert state_of(flow) == before

    def test_parameter_name_used_twice(self) -> None:
        add, other_x = make_add(), Parameter("x")
        with Flow("f") as flow:
            x = Parameter("x")()
            before = state_of(flow)
            with pytest.raises(DuplicateSlugError, match=r"flow 'f' already has a Parameter "
                               r"named 'x'.*Reuse the existing Parameter, pick another name"):
                add(other_x)
        assert state_of(flow) == before and flow.parameters() == {x}

    def test_duplicate_slug_is_a_value_error(self) -> None:
        flow = Flow("f")
        flow.add_task(Parameter("x"))
        with pytest.raises(ValueError, match="Parameter named 'x'"):
            flow.add_task(Parameter("x"))

    @pytest.mark.parametrize("thing", [3, "task", print, None])
    def test_not_a_task(self, thing: Any) -> None:
        flow = Flow("f")
        with pytest.raises(NotATaskError, match=r"Tasks must be Task instances \(received .*\): "
                           r"flow 'f': add_task\(\) got .*Decorate functions with @task"):
            flow.add_task(thing)
        assert len(flow) == 0

    def test_not_a_task_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="Tasks must be Task instances"):
            Flow("f").add_task(3)


class TestAddEdge:
    def test_returns_the_edge_and_adds_both_tasks(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), make_add()
        edge = flow.add_edge(a, b, key="x", mapped=True, flattened=True)
        assert edge == Edge(a, b, key="x", mapped=True, flattened=True)
        assert flow.tasks == {a, b} and flow.edges == {edge}

    def test_the_same_state_edge_twice_is_one_edge(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        flow.add_edge(a, b)
        b.set_upstream(a, flow=flow)
        assert flow.edges == {Edge(a, b)}
        assert len(flow.edges_to(b)) == 1 and flow._graph.number_of_edges() == 1

    def test_a_mapped_and_an_unmapped_state_edge_are_different(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        flow.add_edge(a, b, mapped=True)
        assert flow.edges == {Edge(a, b), Edge(a, b, mapped=True)}

    def test_one_task_can_feed_several_keys(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), make_add()
        flow.add_edge(a, b, key="x")
        flow.add_edge(a, b, key="y")
        flow.add_edge(a, b)
        assert len(flow.edges_to(b)) == 3

    def test_edges_between_existing_tasks_refresh_every_view(self) -> None:
        flow = Flow("f")
        a, b = flow.add_task(Task(name="a")), flow.add_task(Task(name="b"))
        assert flow.edges == set() and flow.sorted_tasks() == (a, b)  # cached now
        assert flow.root_tasks() == {a, b}
        flow.add_edge(b, a)
        assert flow.edges == {Edge(b, a)}
        assert flow.sorted_tasks() == (b, a) and list(flow) == [b, a]
        assert flow.root_tasks() == {b} and flow.terminal_tasks() == {a}

    def test_unknown_key(self) -> None:
        flow, a, add = Flow("f"), Task(name="a"), make_add()
        with pytest.raises(TypeError, match=r"<Task: add> has no argument 'z'; its run\(\) "
                           r"takes x, y"):
            flow.add_edge(a, add, key="z")
        with pytest.raises(TypeError, match=r"<Task: b> has no argument 'z'; its run\(\) takes "
                           r"no arguments"):
            flow.add_edge(a, Task(name="b"), key="z")
        assert len(flow) == 0

    def test_unknown_key_without_validation(self) -> None:
        flow, a, b = Flow("f"), Task(name="a"), Task(name="b")
        assert flow.add_edge(a, b, key="z", validate=False).key == "z"

    def test_kwargs_accept_any_key(self) -> None:
        @task
        def f(**kwargs: Any) -> None:
            pass

        flow = Flow("f")
        flow.add_edge(Task(name="a"), f, key="anything")
        assert len(flow.edges) == 1

    def test_key_must_be_an_identifier(self) -> None:
        with pytest.raises(ValueError, match=r'Key must be a valid identifier \(received "not '
                           r'valid"\)'):
            Flow("f").add_edge(Task(name="a"), Task(name="b"), key="not valid", validate=False)

    def test_key_bound_twice(self) -> None:
        flow, a, add = Flow("f"), Task(name="a"), make_add()
        flow.add_edge(a, add, key="x")
        before = state_of(flow)
        with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add> has '
                           r"already been assigned in this flow \('f'\)"):
            flow.add_edge(Task(name="b"), add, key="x")
        with pytest.raises(DuplicateArgumentError, match='Argument "x"'):
            flow.add_edge(a, add, key="x")
        assert state_of(flow) == before

    def test_binding_a_bound_key_again_is_refused_and_changes_nothing(self) -> None:
        add, a, b = make_add(), Task(name="a"), Task(name="b")
        with Flow("f") as flow:
            add.bind(x=a)
            before = state_of(flow)
            with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add>'):
                add.bind(b, y=a)  # x again, by position: neither b nor y is added
        assert state_of(flow) == before and b not in flow.tasks

    def test_binding_a_parameter_to_an_upstream_task_is_refused(self) -> None:
        p, a = Parameter("p"), Task(name="a")
        with Flow("f") as flow, pytest.raises(ValueError, match="Parameters must be root tasks"):
            flow.set_dependencies(p, keyword_tasks={"x": a}, validate=False)
        assert not flow.tasks

    def test_nodes_and_edges_share_one_read_only_attribute_mapping(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            first = add(1)
            second = add(first)
        graph = flow._graph
        node_data = [graph.nodes[t] for t in (first, second)]
        edge_data = [d for _, _, d in graph.edges(data=True)]
        assert len({id(d) for d in node_data + edge_data}) == 1 and node_data[0] == {}
        with pytest.raises(TypeError):
            node_data[0]["color"] = "red"  # type: ignore[index]
        copy = graph.copy()  # networkx's own copy gets dicts of its own, and the same graph
        copy.nodes[first]["color"] = "red"
        assert set(copy.edges(keys=True)) == set(graph.edges(keys=True))
        assert graph.nodes[first] == {} and flow.copy().sorted_tasks() == (first, second)

    def test_key_bound_as_a_constant(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            add.bind(x=1)
        with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add>'):
            flow.add_edge(Task(name="a"), add, key="x")

    @pytest.mark.parametrize("position", ["upstream", "downstream"])
    def test_a_value_becomes_a_constant_task(self, position: str) -> None:
        flow, t = Flow("f"), Task(name="t")
        args = (3, t) if position == "upstream" else (t, 3)
        edge = flow.add_edge(*args)
        value = edge.upstream_task if position == "upstream" else edge.downstream_task
        assert isinstance(value, Constant) and value.value == 3
        assert flow.tasks == {t, value} and flow.edges == {edge}

    def test_a_keyed_constant_becomes_a_value_of_the_flow(self) -> None:
        flow, add = Flow("f"), make_add()
        edge = flow.add_edge(Constant(5), add, key="x")
        assert edge.key == "x" and isinstance(edge.upstream_task, Constant)
        assert flow.constants[add] == {"x": 5} and flow.tasks == {add} and not flow.edges
        with pytest.raises(DuplicateArgumentError, match='Argument "x"'):
            flow.add_edge(Constant(6), add, key="x")
        mapped_edge = flow.add_edge(Constant([1, 2]), add, key="y", mapped=True)
        assert mapped_edge in flow.edges  # mapped: the constant stays a task to map over

    def test_a_downstream_parameter_is_refused(self) -> None:
        flow, p = Flow("f"), Parameter("p")
        with pytest.raises(ValueError, match=r"Parameters must be root tasks and can not have "
                           r"upstream dependencies"):
            flow.add_edge(Task(name="t"), p)
        assert len(flow) == 0

    def test_task_of_another_flow(self) -> None:
        add = make_add()
        with Flow("first") as first:
            a = add(1)
        second = Flow("second")
        b = Task(name="b")
        second.add_edge(a, b)  # as in Prefect 1, a task may be part of several flows
        assert second.tasks == {a, b} and first.tasks == {a}
        assert second.constants == {}  # a's constant x=1 belongs to `first`

    def test_keys_are_checked_unless_validate_is_false(self) -> None:
        flow, a, b = Flow("f"), Task(name="a"), Task(name="b")
        with pytest.raises(TypeError, match=r"<Task: b> has no argument 'x'"):
            flow.add_edge(a, b, key="x")
        flow.add_edge(a, b, key="x", validate=False)
        assert flow.edges == {Edge(a, b, key="x")}

    def test_chain(self) -> None:
        flow = Flow("f")
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        edges = flow.chain(a, b, c)
        assert edges == [Edge(a, b), Edge(b, c)] and flow.sorted_tasks() == (a, b, c)
        assert flow.chain() == [] and flow.chain(a) == []

    def test_chain_is_all_or_nothing(self) -> None:
        flow = Flow("f")
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        flow.add_edge(a, b)
        before = state_of(flow)
        with pytest.raises(CycleError):
            flow.chain(c, Task(name="d"), b, a, validate=True)
        assert state_of(flow) == before


class TestCycles:
    def test_back_edge(self) -> None:
        flow = Flow("f")
        a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
        flow.chain(a, b, c)
        before = state_of(flow)
        with pytest.raises(CycleError, match=r"Cycle found; flows must be acyclic! The cycle: "
                           r"c-1 -> a-1 -> b-1 -> c-1\. Remove one of these dependencies") as info:
            flow.add_edge(c, a, validate=True)
        assert info.value.cycle == [c, a, b, c]
        assert state_of(flow) == before

    def test_cycles_are_found_by_validate_and_run_by_default(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        flow.add_edge(b, a)  # as in Prefect 1: not checked until validation
        with pytest.raises(CycleError, match="Cycle found; flows must be acyclic!"):
            flow.validate()
        with pytest.raises(CycleError, match="Cycle found"):
            flow.run()

    def test_self_loop(self) -> None:
        flow, a = Flow("f"), Task(name="a")
        with pytest.raises(ValueError, match=r"Edges can not connect a task to itself \(<Task: "
                           r"a>\)"):
            flow.add_edge(a, a)
        assert len(flow) == 0

    def test_cycle_error_is_a_value_error(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        with pytest.raises(ValueError, match="Cycle found"):
            flow.add_edge(b, a, validate=True)

    def test_through_set_upstream(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
            a.set_upstream(b)
        with pytest.raises(CycleError, match=r"add-(1|2) -> add-(1|2) -> add-(1|2)") as info:
            flow.validate()
        assert set(info.value.cycle) == {a, b}

    def test_bind_whose_second_argument_closes_a_cycle(self) -> None:
        @task
        def two(p: Any, q: Any) -> None:
            pass

        add = make_add()
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
            t = two.copy()
            flow.add_edge(t, a)
            before = state_of(flow)
            with pytest.raises(CycleError, match=r"add-2 -> two-1 -> add-1 -> add-2"):
                flow.set_dependencies(t, keyword_tasks={"p": 5, "q": b}, validate=True)
            with pytest.raises(CycleError):  # p alone would be fine: it must not stay behind
                flow.set_dependencies(t, keyword_tasks={"p": a, "q": b}, validate=True)
        assert state_of(flow) == before
        assert flow.edges_to(t) == set() and t not in flow.constants

    def test_a_failed_call_leaves_no_copy_and_no_slug_gap(self) -> None:
        @task
        def two(p: Any, q: Any) -> None:
            pass

        add, bad = make_add(), Task(name="bad", slug="add-1")
        with Flow("f") as flow:
            a = add(1)
            before = state_of(flow)
            # the copy of `two`, a List task for p and p's edges exist when q fails
            with pytest.raises(DuplicateSlugError):
                two(p=[a, 1], q=bad)
            assert state_of(flow) == before
            ok = two(p=[a, 2], q=a)
        assert flow.slugs[ok] == "two-1"
        assert slugs_of(flow) == ["add-1", "List-1", "two-1"]


class TestSetDependencies:
    def test_all_kinds(self) -> None:
        flow = Flow("f")
        up, down, key_task, t = Task(name="up"), Task(name="down"), Task(name="k"), make_add()
        flow.set_dependencies(t, upstream_tasks=[up], downstream_tasks=[down],
                              keyword_tasks={"x": key_task, "y": 7})
        assert flow.edges == {Edge(up, t), Edge(t, down), Edge(key_task, t, key="x")}
        assert flow.constants[t] == {"y": 7}

    def test_task_alone(self) -> None:
        flow, t = Flow("f"), Task(name="t")
        flow.set_dependencies(t)
        assert flow.tasks == {t}

    def test_plain_values_become_constant_tasks_where_a_node_is_needed(self) -> None:
        flow, t = Flow("f"), Task(name="t")
        flow.set_dependencies(t, upstream_tasks=[5])
        (edge,) = flow.edges
        assert isinstance(edge.upstream_task, Constant) and edge.upstream_task.value == 5

    def test_all_or_nothing(self) -> None:
        flow = Flow("f")
        a, b, t = Task(name="a"), Task(name="b"), make_add()
        flow.add_edge(t, a)
        before = state_of(flow)
        with pytest.raises(CycleError):
            flow.set_dependencies(t, upstream_tasks=[b], downstream_tasks=[Task(name="c")],
                                  keyword_tasks={"y": 2, "x": a}, validate=True)
        assert state_of(flow) == before

    def test_not_a_task(self) -> None:
        with pytest.raises(NotATaskError, match=r"set_dependencies\(\) needs tasks, got 'x'"):
            Flow("f").set_dependencies("x")


class TestReading:
    @pytest.fixture
    def diamond(self) -> tuple[Flow, dict[str, Task]]:
        """a -> (b, c) -> d, with b feeding d's x and c a state edge; a Parameter p feeds c."""

        @task
        def join(x: Any, y: Any = None) -> None:
            pass

        a, b, c = Task(name="a", tags=["t1"]), Task(name="b", tags=["t1", "t2"]), Task(name="c")
        p, d = Parameter("p"), join
        flow = Flow("diamond")
        flow.add_edge(a, b)
        flow.add_edge(a, c)
        flow.add_edge(b, d, key="x")
        flow.add_edge(c, d)
        flow.add_edge(p, d, key="y")
        return flow, {"a": a, "b": b, "c": c, "d": d, "p": p}

    def test_root_terminal_reference(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        assert flow.root_tasks() == {t["a"], t["p"]}
        assert flow.terminal_tasks() == {t["d"]} == flow.reference_tasks()
        flow.set_reference_tasks([t["b"], t["c"]])
        assert flow.reference_tasks() == {t["b"], t["c"]}
        flow.set_reference_tasks([])
        assert flow.reference_tasks() == {t["d"]}

    def test_reference_task_not_in_the_flow(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        flow.set_reference_tasks([t["b"]])
        with pytest.raises(TaskNotInFlowError, match=r"reference tasks must be part of the flow: "
                           r"<Task: x> is not in flow 'diamond'; add it first"):
            flow.set_reference_tasks([Task(name="x")])
        assert flow.reference_tasks() == {t["b"]}

    def test_upstream_and_downstream(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        assert flow.upstream_tasks(t["d"]) == {t["b"], t["c"], t["p"]}
        assert flow.downstream_tasks(t["a"]) == {t["b"], t["c"]}
        assert flow.upstream_tasks(t["a"]) == set() and flow.downstream_tasks(t["d"]) == set()
        assert flow.edges_to(t["d"]) == {
            Edge(t["b"], t["d"], key="x"), Edge(t["c"], t["d"]), Edge(t["p"], t["d"], key="y"),
        }
        assert flow.edges_from(t["a"]) == {Edge(t["a"], t["b"]), Edge(t["a"], t["c"])}

    def test_all_edges(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        up, down = flow.all_upstream_edges(), flow.all_downstream_edges()
        assert set(up) == set(down) == flow.tasks
        assert up[t["a"]] == set() and up[t["d"]] == flow.edges_to(t["d"])
        assert down[t["d"]] == set() and down[t["a"]] == flow.edges_from(t["a"])
        assert set().union(*up.values()) == flow.edges == set().union(*down.values())

    @pytest.mark.parametrize(
        "method", ["upstream_tasks", "downstream_tasks", "edges_to", "edges_from"]
    )
    def test_task_not_in_flow(self, diamond: tuple[Flow, dict[str, Task]], method: str) -> None:
        flow, _ = diamond
        with pytest.raises(TaskNotInFlowError, match=r'Task <Task: x> was not found in Flow '
                           r'<Flow: name="diamond">'):
            getattr(flow, method)(Task(name="x"))

    def test_get_tasks(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        assert flow.get_tasks(name="b") == [t["b"]]
        assert flow.get_tasks(slug="a-t1-1") == [t["a"]]  # tags are part of a made-up slug
        assert flow.get_tasks(tags=["t1"]) == [t["a"], t["b"]]
        assert flow.get_tasks(tags=["t1", "t2"]) == [t["b"]]
        assert flow.get_tasks(task_type=Parameter) == [t["p"]]
        assert flow.get_tasks(name="a", tags=["t2"]) == []
        assert flow.get_tasks() == list(flow.sorted_tasks())
        assert flow.get_tasks(name="missing") == []

    def test_parameters(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        assert flow.parameters() == {t["p"]}
        assert Flow("empty").parameters() == set()

    def test_sorted_tasks(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        assert [x.name for x in flow.sorted_tasks()] == ["a", "b", "c", "p", "join"]
        assert flow.sorted_tasks(root_tasks=[t["c"]]) == (t["c"], t["d"])
        assert flow.sorted_tasks(root_tasks=[t["b"], t["c"]]) == (t["b"], t["c"], t["d"])
        assert flow.sorted_tasks(root_tasks=[]) == flow.sorted_tasks()  # no roots: all
        with pytest.raises(TaskNotInFlowError):
            flow.sorted_tasks(root_tasks=[Task(name="x")])

    def test_sorted_tasks_from_roots_follows_insertion_order(self) -> None:
        flow = Flow("f")
        for i in range(50):  # many unrelated tasks make the kept part a small subgraph
            flow.add_task(Task(name=f"other{i}"))
        root = Task(name="root")
        children = [Task(name=f"child{i}") for i in range(8)]
        for child in children:
            flow.add_edge(root, child)
        assert flow.sorted_tasks(root_tasks=[root]) == (root, *children)

    def test_validate(self, diamond: tuple[Flow, dict[str, Task]]) -> None:
        flow, t = diamond
        flow.set_reference_tasks([t["b"]])
        edges, tasks = set(flow.edges), set(flow.tasks)
        assert flow.validate() is None and Flow("empty").validate() is None
        assert (flow.edges, flow.tasks, flow.reference_tasks()) == (edges, tasks, {t["b"]})
        flow.tasks.discard(t["b"])  # the same flow made invalid: validate() says so
        with pytest.raises(ValueError, match="reference tasks|edges refer"):
            flow.validate()

    def test_validate_finds_a_cycle_made_without_checks(self) -> None:
        flow = Flow("f")
        a, b = Task(name="a"), Task(name="b")
        flow.add_edge(a, b)
        flow.add_edge(b, a)  # not checked by default
        with pytest.raises(CycleError, match=r"cycle: (a-1 -> b-1 -> a-1|b-1 -> a-1 -> b-1)"):
            flow.validate()

    def test_tasks_and_edges_are_fresh_sets(self) -> None:
        flow = Flow("f")
        a = flow.add_task(Task(name="a"))
        assert flow.tasks == {a}
        flow.add_task(Task(name="b"))
        assert len(flow.tasks) == 2


class TestUpdate:
    def test_update(self) -> None:
        add, other = make_add(), make_add()
        other.name = "other"
        with Flow("one") as one:
            a = add(1)
        with Flow("two") as two:
            b = other(2)
            c = other(b, y=3)
        two.set_reference_tasks([b])
        one.update(two)
        assert one.tasks == {a, b, c}
        assert one.edges == {Edge(b, c, key="x")}
        assert one.constants == {a: {"x": 1}, b: {"x": 2}, c: {"y": 3}}
        assert one.reference_tasks() == {a, c}  # two's are not taken over by default
        assert two.tasks == {b, c}  # the other flow is unchanged
        with one:  # tasks taken over can be connected further in this flow
            d = add(c)
        assert Edge(c, d, key="x") in one.edges

    def test_update_with_tasks_of_the_same_name(self) -> None:
        add = make_add()
        with Flow("one") as one:
            a = add(1)
        with Flow("two") as two:
            b = add(2)
            c = add(b)
        one.update(two)
        assert one.tasks == {a, b, c} and one.edges == two.edges
        assert slugs_of(one) == ["add-1", "add-2", "add-3"]
        assert slugs_of(two) == ["add-1", "add-2"]  # slugs belong to each flow

    def test_a_conflicting_update_changes_nothing(self) -> None:
        add = make_add()
        with Flow("one") as one:
            a = add(1)
            b = add(a)
        two = Flow("two")
        two.add_edge(Task(name="z"), Task(name="other"))
        two.add_task(b)  # a task already in a flow may be connected there
        two.add_edge(Task(name="z2"), b, key="x")  # but b's x is bound to a in `one`
        before = state_of(one)
        with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add>'):
            one.update(two)
        assert state_of(one) == before

    def test_update_with_a_shared_parameter_name(self) -> None:
        say = make_say_hello()
        with Flow("one") as one:
            name_one = Parameter("name")
            say(name_one)
        with Flow("two") as two:
            name_two = Parameter("name")
            say(name_two, task_args={"name": "greet"})
        before = state_of(one)
        with pytest.raises(DuplicateSlugError, match="Parameter named 'name'"):
            one.update(two)
        assert state_of(one) == before
        one.update(two, merge_parameters=True)  # two's Parameter takes the place of one's
        assert one.parameters() == {name_two}
        assert {e.upstream_task for e in one.edges} == {name_two} and len(one.edges) == 2
        assert name_one not in one.tasks


class TestCopy:
    def test_copy_is_independent_and_shares_tasks(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
        flow.set_reference_tasks([a])
        new = flow.copy()
        assert new is not flow and new.name == "f"
        assert new.tasks == flow.tasks and new.edges == flow.edges
        assert new.constants == flow.constants and new.constants is not flow.constants
        assert new.reference_tasks() == {a}
        assert new.sorted_tasks() == flow.sorted_tasks()

        with new:
            c = add(b)
        new.constants[a]["y"] = 5
        new.set_reference_tasks([c])
        assert c not in flow.tasks and len(flow.edges) == 1
        assert flow.constants[a] == {"x": 1}
        assert flow.reference_tasks() == {a}
        assert len(new) == 3 and new.slugs[c] == "add-3" and c not in flow.slugs

        with flow:
            d = add(b)
        assert flow.slugs[d] == "add-3" and d not in new.tasks


class TestReplace:
    def test_replace_rewires_edges_constants_and_reference(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1, y=2)
            b = add(a)
            c = add(b)
        flow.set_reference_tasks([b])
        new = make_add()
        flow.replace(b, new)
        assert b not in flow.tasks and new in flow.tasks
        assert flow.edges == {Edge(a, new, key="x"), Edge(new, c, key="x")}
        assert flow.reference_tasks() == {new}
        assert flow.sorted_tasks() == (a, c, new) or flow.sorted_tasks()[0] is a
        flow.replace(a, 10)  # a keyed value: a constant of the flow, as in Prefect 1
        assert flow.edges_to(new) == set() and flow.constants[new] == {"x": 10}
        assert b not in flow.slugs and flow.get_tasks(slug="add-2") == []

    def test_replace_moves_constants(self) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1, y=2)
        new = make_add()
        flow.replace(a, new)
        assert flow.constants == {new: {"x": 1, "y": 2}}

    def test_replace_a_task_not_in_the_flow(self) -> None:
        with pytest.raises(TaskNotInFlowError, match=r'Task <Task: x> was not found in Flow '
                           r'<Flow: name="f">'):
            Flow("f").replace(Task(name="x"), Task(name="y"))

    @pytest.mark.parametrize("problem", ["slug", "bound", "cycle"])
    def test_a_failed_replace_changes_nothing(self, problem: str) -> None:
        add = make_add()
        with Flow("f") as flow:
            a = add(1, y=2)
            b = add(a)
            c = add(b)
            up = Task(name="up")
            flow.add_edge(up, a)
        flow.set_reference_tasks([a])
        before = state_of(flow)
        new, error = {
            "slug": (Task(name="new", slug="add-3"), DuplicateSlugError),
            "bound": (c, ValueError),  # c would feed itself
            "cycle": (up, CycleError),  # a -> up would close up -> a
        }[problem]
        with pytest.raises(error):
            flow.replace(b, new)
        assert state_of(flow) == before
        assert flow.get_tasks(slug="add-2") == [b]
        with flow:
            assert flow.slugs[add(c)] == "add-4"


def _snapshot_script() -> str:
    return textwrap.dedent(
        """
        from prefectlite import Flow, Parameter, Task, tags, task, unmapped

        @task
        def combine(x, y=None, **more):
            return x

        with Flow("hash seed") as flow:
            params = [Parameter(name) for name in ("zeta", "alpha", "mid", "beta")]
            with tags("b", "a", "c"):
                leaves = [Task(name=f"leaf-{s}")() for s in ("q", "w", "e", "r", "t", "y")]
            bag = combine({"k2": leaves[0], "k1": leaves[1], "k3": params[0]}, y={leaves[2]})
            many = combine.map(params[1], y=unmapped(params[2]), **{"zz": params[3], "aa": 1})
            for leaf in leaves[3:]:
                bag = combine(bag, y=[leaf, many], upstream_tasks=leaves[:2])
            total = (bag + many) * 2
        slugs = flow.slugs
        print([slugs[t] for t in flow.sorted_tasks()])
        print(sorted((slugs[e.upstream_task], slugs[e.downstream_task], e.key or "")
                     for e in flow.edges))
        print(flow.to_mermaid())
        """
    )


def test_order_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    script = tmp_path / "build.py"
    script.write_text(_snapshot_script())
    package_root = str(Path(prefectlite.__file__).resolve().parent.parent)
    outputs = set()
    for seed in ("0", "1", "2", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
    first_line = outputs.pop().splitlines()[0]
    assert first_line.startswith("['leaf-q-a-b-c-1', 'leaf-w-a-b-c-1', 'leaf-e-a-b-c-1'")


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, list[int], list[tuple[int, int]]]:
    """A number of tasks, the order they are added in, and forward edges (i < j)."""
    n = draw(st.integers(min_value=2, max_value=12))
    order = draw(st.permutations(range(n)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=30))
    return n, order, edges


@settings(max_examples=60, deadline=None)
@given(dags(), st.data())
def test_random_dags(
    dag: tuple[int, list[int], list[tuple[int, int]]], data: st.DataObject
) -> None:
    n, order, edges = dag
    tasks = [Task(name=f"t{i}") for i in range(n)]
    flow = Flow("random")
    for i in order:
        flow.add_task(tasks[i])
    assert flow.sorted_tasks() == tuple(tasks[i] for i in order)  # and cached
    for i, j in edges:
        flow.add_edge(tasks[i], tasks[j])

    sorted_tasks = flow.sorted_tasks()
    assert sorted(sorted_tasks, key=id) == sorted(tasks, key=id)  # each task exactly once
    position = {t: k for k, t in enumerate(sorted_tasks)}
    assert all(position[e.upstream_task] < position[e.downstream_task] for e in flow.edges)
    assert flow.root_tasks() == {t for t in tasks if not flow.upstream_tasks(t)}
    root = data.draw(st.sampled_from(tasks))
    below = flow.sorted_tasks(root_tasks=[root])
    assert below[0] is root and len(set(below)) == len(below)
    assert all(flow.upstream_tasks(t) & set(below) for t in below[1:])

    if edges:  # a back edge along a path closes a cycle and is refused
        i, j = data.draw(st.sampled_from(edges))
        before = state_of(flow)
        with pytest.raises(CycleError) as info:
            flow.add_edge(tasks[j], tasks[i], validate=True)
        cycle = info.value.cycle
        assert cycle[0] is cycle[-1] is tasks[j] and cycle[1] is tasks[i]
        assert all(b in flow.downstream_tasks(a) for a, b in zip(cycle[1:], cycle[2:]))
        assert state_of(flow) == before
