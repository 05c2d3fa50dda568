"""Tests for apply_map (prefectlite.core.apply_map via prefectlite.utilities.tasks)."""

from __future__ import annotations

from typing import Any

import pytest

from prefectlite import Edge, Flow, Parameter, Task, apply_map, task, unmapped
from prefectlite.exceptions import FlowContextError
from prefectlite.tasks.core.constants import Constant


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


def state_of(flow: Flow) -> tuple[set, set, dict]:
    return set(flow.tasks), set(flow.edges), {t: dict(v) for t, v in flow.constants.items()}


def test_a_chain_of_calls_is_mapped_child_to_child() -> None:
    with Flow("f") as flow:
        out = apply_map(lambda x: inc(inc(x)), [1, 2, 3])
    (source,) = flow.root_tasks()
    assert isinstance(source, Constant) and source.value == [1, 2, 3]
    first, second = flow.sorted_tasks()[1:]
    assert out is second
    assert flow.edges == {Edge(source, first, key="x", mapped=True),
                          Edge(first, second, key="x", mapped=True)}
    assert [flow.slugs[t] for t in flow.sorted_tasks()] == ["[1, 2, 3]-1", "inc-1", "inc-2"]


def test_unmapped_arguments_and_constants() -> None:
    with Flow("f") as flow:
        xs, offset = Task(name="xs")(), Task(name="offset")()
        out = apply_map(lambda x, y: add(inc(x), y=y) + 10, xs, y=unmapped(offset))
    incs = flow.get_tasks(name="inc")
    adds = flow.get_tasks(name="add")
    assert len(incs) == len(adds) == 1
    assert Edge(xs, incs[0], key="x", mapped=True) in flow.edges
    assert Edge(incs[0], adds[0], key="x", mapped=True) in flow.edges
    assert Edge(offset, adds[0], key="y") in flow.edges  # unmapped stays whole
    assert Edge(adds[0], out, key="x", mapped=True) in flow.edges
    assert flow.constants[out] == {"y": 10}  # constants stay constants


def test_tasks_are_moved_into_the_flow_with_its_own_slugs() -> None:
    with Flow("f") as flow:
        before = inc(0)
        apply_map(inc, [1])
    assert [flow.slugs[t] for t in flow.sorted_tasks()] == ["inc-1", "[1]-1", "inc-2"]
    assert flow.slugs[before] == "inc-1"
    with flow:  # moved tasks belong to the flow and can be connected further
        last = flow.sorted_tasks()[-1]
        inc(last)


def test_parameters_as_mapped_and_unmapped_inputs() -> None:
    with Flow("f") as flow:
        xs, y = Parameter("xs"), Parameter("y")
        out = apply_map(add, xs, y=unmapped(y))
    assert flow.edges == {Edge(xs, out, key="x", mapped=True), Edge(y, out, key="y")}


def test_explicit_flow() -> None:
    flow = Flow("f")
    out = apply_map(inc, [1, 2], flow=flow)
    assert out in flow.tasks and len(flow) == 2


def test_outside_a_flow() -> None:
    with pytest.raises(FlowContextError, match=r"Couldn't infer a flow in the current context: "
                       r"call apply_map\(\) inside `with Flow\(\.\.\.\):` or pass flow="):
        apply_map(inc, [1, 2])


def test_entry_tasks_wait_for_every_input_and_run_once_per_element() -> None:
    @task
    def hello() -> str:
        return "hi"

    with Flow("f") as flow:
        offset = Task(name="offset")()
        out, hi = apply_map(lambda x, y: (add(x, y), hello()), [1, 2], y=unmapped(offset))
        only_y = apply_map(lambda x, y: inc(y), [1, 2, 3], y=unmapped(3))
    (source,) = [t for t in flow.upstream_tasks(hi) if isinstance(t, Constant)]
    assert flow.edges_to(hi) == {Edge(source, hi, mapped=True), Edge(offset, hi)}
    assert Edge(offset, out, key="y") in flow.edges  # unmapped inputs stay whole
    assert flow.constants[only_y] == {"x": 3}  # an unmapped constant stays a constant
    state = flow.run()
    assert state.result[hi].result == ["hi", "hi"]
    assert state.result[only_y].result == [4, 4, 4]


def test_inputs_must_be_sequences_or_tasks() -> None:
    with Flow("f") as flow:
        before = state_of(flow)
        with pytest.raises(TypeError, match=r"Cannot map over non-sequence object of type "
                           r"`int`"):
            apply_map(inc, [1], y=5)
    assert state_of(flow) == before


def test_mapping_inside_the_function_is_refused() -> None:
    with Flow("f") as flow:
        with pytest.raises(ValueError, match="running from inside a mapped context"):
            apply_map(lambda x: inc.map(x), [1, 2])
        assert len(flow) == 0


def test_an_error_in_the_function_changes_nothing() -> None:
    def broken(x: Any) -> None:
        inc(x)
        raise RuntimeError("boom")

    with Flow("f") as flow:
        inc(0)
        before = state_of(flow)
        with pytest.raises(RuntimeError, match="boom"):
            apply_map(broken, [1, 2])
    assert state_of(flow) == before


def test_returns_what_the_function_returns() -> None:
    with Flow("f"):
        result = apply_map(lambda x: {"out": inc(x)}, [1])
    assert set(result) == {"out"} and isinstance(result["out"], Task)


def test_a_tuple_of_mapped_results_is_zipped() -> None:
    @task
    def pair_sum(pair: tuple[int, int]) -> int:
        return pair[0] + pair[1]

    with Flow("f") as flow:
        low, high = apply_map(lambda x: (inc(x), inc(inc(x))), [1, 2, 3])
        sums = apply_map(pair_sum, (low, high))
    assert flow.run().result[sums].result == [5, 7, 9]


def test_inside_a_case_block_the_whole_sub_graph_is_conditional() -> None:
    from prefectlite import case

    with Flow("f") as flow:
        go = Parameter("go")
        with case(go, True):
            out = apply_map(lambda x: inc(inc(x)), [1, 2])
    assert flow.run(go=True).result[out].result == [3, 4]
    assert flow.run(go=False).result[out].is_skipped()
