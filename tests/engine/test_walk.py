"""Tests for prefectlite.engine.walk: the walk's bookkeeping, with no executor at all.

Each test plays the flow runner's part by hand (pop a ready run, expand or finish it) and
asserts the *whole* bookkeeping after every step, the way dask's ``test_finish_task`` does.
Tasks show up by their slug; runs as ``(slug, index)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from prefectlite import Flow, flatten, task, unmapped
from prefectlite.core.task import Task
from prefectlite.engine.state import Failed, Mapped, Pending, Retrying, Skipped, Success
from prefectlite.engine.walk import Walk, make_plan, map_width

S = Success


@task
def numbers(n):
    return list(range(1, n + 1))


@task
def inc(x):
    return x + 1


@task
def add(x, y):
    return x + y


@task
def total(xs):
    return sum(xs)


def new_walk(flow: Flow) -> Walk:
    return Walk(make_plan(flow))


def snapshot(walk: Walk) -> dict[str, Any]:
    """Every bookkeeping field of ``walk`` (not the plan), with tasks replaced by slugs."""
    slugs = walk.plan.slugs

    def plain(x: Any) -> Any:
        if isinstance(x, Task):
            return slugs[x]
        if isinstance(x, dict):
            return {plain(k): plain(v) for k, v in x.items()}
        if isinstance(x, list):
            return [plain(v) for v in x]
        if isinstance(x, tuple):
            return tuple(plain(v) for v in x)
        if isinstance(x, set | frozenset):
            return {plain(v) for v in x}
        return x

    return {f.name: plain(getattr(walk, f.name)) for f in dataclasses.fields(walk)
            if f.name not in ("plan", "resolves_futures")}


def expect(walk: Walk, **fields: Any) -> dict[str, Any]:
    """The bookkeeping of a fresh walk of the same plan, with ``fields`` changed."""
    base = snapshot(Walk(walk.plan))
    unknown = set(fields) - set(base)
    assert not unknown, f"not Walk fields: {unknown}"
    return {**base, **fields}


def by_slug(flow: Flow) -> dict[str, Task]:
    return {slug: t for t, slug in flow.slugs.items()}


# -- plain tasks --------------------------------------------------------------------------


@pytest.fixture
def diamond() -> Flow:
    """a, b -> c(a, b) -> d"""
    with Flow("diamond") as flow:
        a, b = inc(1), inc(2)
        inc(add(a, b))
    return flow


class TestStart:
    def test_start_queues_the_roots_first_added_on_top(self, diamond: Flow) -> None:
        walk = new_walk(diamond)
        walk.start({})
        assert snapshot(walk) == expect(
            walk,
            waiting={"inc-1": 0, "inc-2": 0, "add-1": 2, "inc-3": 1},
            ready=[("inc-2", None), ("inc-1", None)],
        )
        assert walk.ready.pop() == (by_slug(diamond)["inc-1"], None)

    def test_finished_states_are_not_queued_and_release_their_dependents(
        self, diamond: Flow
    ) -> None:
        t = by_slug(diamond)
        walk = new_walk(diamond)
        walk.start({t["inc-1"]: S(result=2), t["inc-3"]: S(result=9)})
        assert snapshot(walk) == expect(
            walk,
            waiting={"inc-1": 0, "inc-2": 0, "add-1": 1, "inc-3": 1},
            ready=[("inc-2", None)],
            states={"inc-1": S(result=2), "inc-3": S(result=9)},
        )

    def test_a_finished_task_is_never_queued_again(self, diamond: Flow) -> None:
        t = by_slug(diamond)
        walk = new_walk(diamond)
        walk.start({t["inc-3"]: S()})
        popped = []
        while walk.ready:
            run = walk.ready.pop()
            popped.append(run)
            walk.finish_task(run[0], S())
        assert popped == [(t["inc-1"], None), (t["inc-2"], None), (t["add-1"], None)]
        assert walk.waiting[t["inc-3"]] == 0


class TestFinishTask:
    def test_each_step_of_the_diamond(self, diamond: Flow) -> None:
        t = by_slug(diamond)
        walk = new_walk(diamond)
        walk.start({})
        assert walk.ready.pop() == (t["inc-1"], None)
        walk.finish_task(t["inc-1"], S(result=2))
        assert snapshot(walk) == expect(
            walk,
            waiting={"inc-1": 0, "inc-2": 0, "add-1": 1, "inc-3": 1},
            ready=[("inc-2", None)],
            states={"inc-1": S(result=2)},
        )
        assert walk.ready.pop() == (t["inc-2"], None)
        walk.finish_task(t["inc-2"], Failed())
        assert snapshot(walk) == expect(
            walk,
            waiting={"inc-1": 0, "inc-2": 0, "add-1": 0, "inc-3": 1},
            ready=[("add-1", None)],
            states={"inc-1": S(result=2), "inc-2": Failed()},
        )
        assert walk.ready.pop() == (t["add-1"], None)
        walk.finish_task(t["add-1"], S(result=5))
        assert walk.ready.pop() == (t["inc-3"], None)
        walk.finish_task(t["inc-3"], S(result=6))
        assert snapshot(walk) == expect(
            walk,
            waiting={"inc-1": 0, "inc-2": 0, "add-1": 0, "inc-3": 0},
            states={"inc-1": S(result=2), "inc-2": Failed(), "add-1": S(result=5),
                    "inc-3": S(result=6)},
        )

    def test_one_task_feeding_two_arguments_is_one_link(self) -> None:
        with Flow("twice") as flow:
            a = inc(1)
            b = add(a, a)
        walk = new_walk(flow)
        assert walk.plan.n_links[b] == 1
        walk.start({})
        walk.ready.pop()
        walk.finish_task(a, S(result=2))
        assert walk.ready == [(b, None)]

    def test_upstream_state_of_a_plain_edge(self, diamond: Flow) -> None:
        t = by_slug(diamond)
        walk = new_walk(diamond)
        walk.start({t["inc-1"]: S(result=2)})
        [edge] = [e for e in walk.plan.in_edges[t["add-1"]] if e.upstream_task is t["inc-1"]]
        assert walk.upstream_state(edge, None) == S(result=2)


# -- mapped tasks -------------------------------------------------------------------------


@pytest.fixture
def pipeline() -> Flow:
    """numbers -> inc.map -> inc.map -> total"""
    with Flow("pipeline") as flow:
        total(inc.map(inc.map(numbers(2))))
    return flow


class TestMapped:
    def test_plan_marks_pipelined_links(self, pipeline: Flow) -> None:
        t = by_slug(pipeline)
        plan = make_plan(pipeline)
        assert plan.mapped == {t["inc-1"], t["inc-2"]}
        assert plan.dependents[t["numbers-1"]] == ((t["inc-1"], False),)
        assert plan.dependents[t["inc-1"]] == ((t["inc-2"], True),)
        assert plan.dependents[t["inc-2"]] == ((t["total-1"], False),)

    def test_unmapped_or_flattened_links_are_not_pipelined(self) -> None:
        with Flow("links") as flow:
            a = inc.map(numbers(2))
            both = add.map(a, unmapped(a))
            lists = numbers.map(a)
            flat = inc.map(flatten(lists))
        plan = make_plan(flow)
        assert plan.dependents[a] == ((both, False), (lists, True))
        assert plan.dependents[lists] == ((flat, False),)

    def test_expand_then_children_step_by_step(self, pipeline: Flow) -> None:
        t = by_slug(pipeline)
        nums, first, second, tot = t["numbers-1"], t["inc-1"], t["inc-2"], t["total-1"]
        walk = new_walk(pipeline)
        walk.start({})
        assert walk.ready.pop() == (nums, None)
        walk.finish_task(nums, S(result=[1, 2]))
        assert walk.ready.pop() == (first, None)
        assert map_width(walk, first) == 2
        walk.expand(first, 2)
        base = dict(waiting={"numbers-1": 0, "inc-1": 0, "inc-2": 0, "total-1": 1},
                    states={"numbers-1": S(result=[1, 2])})
        assert snapshot(walk) == expect(
            walk, **base,
            ready=[("inc-1", 1), ("inc-1", 0), ("inc-2", None)],
            children={"inc-1": [None, None]},
            available={"inc-1": [False, False]},
            child_wait={"inc-1": [0, 0]},
            left={"inc-1": 2},
        )
        # the runner pops the pipelined downstream task and expands it too
        assert walk.ready.pop() == (second, None)
        assert map_width(walk, second) == 2
        walk.expand(second, 2)
        assert snapshot(walk) == expect(
            walk, **base,
            ready=[("inc-1", 1), ("inc-1", 0)],
            children={"inc-1": [None, None], "inc-2": [None, None]},
            available={"inc-1": [False, False], "inc-2": [False, False]},
            child_wait={"inc-1": [0, 0], "inc-2": [1, 1]},
            left={"inc-1": 2, "inc-2": 2},
        )
        # child 0 upstream releases child 0 downstream only: depth-first
        assert walk.ready.pop() == (first, 0)
        walk.finish_child(first, 0, S(result=2))
        assert snapshot(walk) == expect(
            walk, **base,
            ready=[("inc-1", 1), ("inc-2", 0)],
            children={"inc-1": [S(result=2), None], "inc-2": [None, None]},
            available={"inc-1": [True, False], "inc-2": [False, False]},
            child_wait={"inc-1": [0, 0], "inc-2": [0, 1]},
            left={"inc-1": 1, "inc-2": 2},
        )
        [edge] = walk.plan.in_edges[second]
        assert walk.upstream_state(edge, 0) == S(result=2)
        assert walk.ready.pop() == (second, 0)
        walk.finish_child(second, 0, S(result=3))
        assert walk.ready.pop() == (first, 1)
        walk.finish_child(first, 1, S(result=3))
        done_first = Mapped(message="Mapped tasks finished.",
                            map_states=[S(result=2), S(result=3)], result=[2, 3])
        assert snapshot(walk) == expect(
            walk,
            waiting=base["waiting"],
            ready=[("inc-2", 1)],
            states={"numbers-1": S(result=[1, 2]), "inc-1": done_first},
            children={"inc-1": [S(result=2), S(result=3)], "inc-2": [S(result=3), None]},
            available={"inc-1": [True, True], "inc-2": [True, False]},
            child_wait={"inc-1": [0, 0], "inc-2": [0, 0]},
            left={"inc-1": 0, "inc-2": 1},
        )
        assert walk.ready.pop() == (second, 1)
        walk.finish_child(second, 1, S(result=4))
        assert walk.ready == [(tot, None)]
        assert walk.waiting[tot] == 0
        assert walk.states[second] == Mapped(message="Mapped tasks finished.",
                                             map_states=[S(result=3), S(result=4)],
                                             result=[3, 4])
        [edge] = walk.plan.in_edges[tot]
        assert walk.upstream_state(edge, None).result == [3, 4]

    def test_children_finished_earlier_are_not_queued(self, pipeline: Flow) -> None:
        t = by_slug(pipeline)
        first = t["inc-1"]
        walk = new_walk(pipeline)
        walk.start({t["numbers-1"]: S(result=[1, 2, 3])})
        walk.ready.pop()
        walk.expand(first, 3, done=[(0, S(result=2))])
        assert walk.ready == [(first, 2), (first, 1), (t["inc-2"], None)]
        assert walk.children[first] == [S(result=2), None, None]
        assert walk.left[first] == 2 and walk.available[first] == [True, False, False]

    def test_a_zero_width_map(self, pipeline: Flow) -> None:
        t = by_slug(pipeline)
        first, second = t["inc-1"], t["inc-2"]
        walk = new_walk(pipeline)
        walk.start({t["numbers-1"]: S(result=[])})
        walk.ready.pop()
        assert map_width(walk, first) == 0
        walk.expand(first, 0)
        empty = walk.states[first]  # its result is checked by the next test
        assert type(empty) is Mapped and empty.map_states == []
        assert snapshot(walk) == expect(
            walk,
            waiting={"numbers-1": 0, "inc-1": 0, "inc-2": 0, "total-1": 1},
            ready=[("inc-2", None)],
            states={"numbers-1": S(result=[]), "inc-1": empty},
            children={"inc-1": []}, available={"inc-1": []}, child_wait={"inc-1": []},
            left={"inc-1": 0},
        )
        walk.ready.pop()
        assert map_width(walk, second) == 0
        walk.expand(second, 0)
        assert type(walk.states[second]) is Mapped and walk.states[second].map_states == []
        assert walk.ready == [(t["total-1"], None)]

    def test_a_mapped_reduce_sees_an_empty_list_after_a_zero_width_map(
        self, pipeline: Flow
    ) -> None:
        # Prefect 1 passes [] to the reducing task; Mapped() alone has result None
        t = by_slug(pipeline)
        walk = new_walk(pipeline)
        walk.start({t["numbers-1"]: S(result=[])})
        walk.ready.pop()
        walk.expand(t["inc-1"], 0)
        assert walk.states[t["inc-1"]].result == []


class TestMapWidth:
    def test_unequal_lengths_map_like_zip(self) -> None:
        with Flow("unequal") as flow:
            a, b = numbers(2), numbers(3)
            s = add.map(x=a, y=b)
        walk = new_walk(flow)
        walk.start({a: S(result=[1, 2]), b: S(result=[1, 2, 3])})
        assert map_width(walk, s) == 2

    def test_a_non_indexable_input_fails_naming_it(self) -> None:
        with Flow("scalar") as flow:
            n = inc(1)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: S(result=5)})
        width = map_width(walk, m)
        assert isinstance(width, Failed)
        assert width.message == "At least one upstream state has an unmappable result."
        assert isinstance(width.result, TypeError)
        assert "Cannot map task 'inc' over x: int 5 is not a sized, indexable" in str(
            width.result)

    def test_a_set_is_not_mappable(self) -> None:
        with Flow("set") as flow:
            n = inc(1)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: S(result={1, 2})})
        assert isinstance(map_width(walk, m), Failed)

    def test_no_successful_mapped_input_fails(self) -> None:
        with Flow("bad input") as flow:
            n = numbers(2)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: Failed()})
        width = map_width(walk, m)
        assert isinstance(width, Failed)
        assert width.message == "No upstream states can be mapped over."

    def test_a_skipped_input_skips_the_whole_task(self) -> None:
        with Flow("skip") as flow:
            n = numbers(2)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: Skipped()})
        assert isinstance(map_width(walk, m), Skipped)

    def test_a_skipped_child_of_an_unmapped_input_skips_the_whole_task(self) -> None:
        with Flow("skip child") as flow:
            first = inc.map(numbers(2))
            n = numbers(2)
            m = add.map(x=n, y=unmapped(first))
        walk = new_walk(flow)
        walk.start({n: S(result=[1, 2]), first: Mapped(map_states=[S(result=1), Skipped()])})
        assert isinstance(map_width(walk, m), Skipped)

    def test_an_unfinished_input_keeps_the_task_pending(self) -> None:
        with Flow("pending") as flow:
            n = numbers(2)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: S(result=[1])})
        walk.states[n] = Retrying()
        assert isinstance(map_width(walk, m), Pending)

    def test_a_failed_input_beside_a_successful_one_is_mapped_too(self) -> None:
        with Flow("half") as flow:
            a, b = numbers(2), inc(0)
            s = add.map(x=a, y=b)
        walk = new_walk(flow)
        walk.start({a: S(result=[1, 2]), b: Failed(result=ValueError("no"))})
        assert map_width(walk, s) == 2
        edge = next(e for e in walk.plan.in_edges[s] if e.key == "y")
        child = walk.upstream_state(edge, 1)
        assert isinstance(child, Failed) and child.result is None

    def test_flattened_width(self) -> None:
        with Flow("flat") as flow:
            n = numbers(2)
            m = inc.map(flatten(n))
        walk = new_walk(flow)
        walk.start({n: S(result=[[1, 2], [3]])})
        assert map_width(walk, m) == 3

    def test_a_flat_list_is_flattened_to_itself(self) -> None:
        with Flow("flat") as flow:
            n = numbers(2)
            m = inc.map(flatten(n))
        walk = new_walk(flow)
        walk.start({n: S(result=[1, 2])})
        assert map_width(walk, m) == 2

    def test_a_given_width_wins_once_upstreams_allow(self) -> None:
        with Flow("rerun") as flow:
            n = numbers(2)
            m = inc.map(n)
        walk = new_walk(flow)
        walk.start({n: S()})  # the state is known, its data is not
        assert map_width(walk, m, given=3) == 3
        edge = walk.plan.in_edges[m][0]
        assert walk.upstream_state(edge, 2) == S()


class TestZip:
    def test_a_longer_pipelined_upstream_releases_only_the_zipped_children(self) -> None:
        with Flow("zip") as flow:
            short = numbers(2)
            long = inc.map(numbers(3))
            out = add.map(long, short)
        walk = new_walk(flow)
        nums = next(e.upstream_task for e in walk.plan.in_edges[long])
        walk.start({short: S(result=[10, 20]), nums: S(result=[1, 2, 3])})
        walk.ready.clear()
        walk.expand(long, 3)
        assert map_width(walk, out) == 2
        walk.ready.clear()
        walk.expand(out, 2)
        assert walk.ready == []  # every child waits for its lane upstream
        walk.finish_child(long, 2, S(result=4))  # a lane past the zip's end
        assert walk.ready == [] and walk.child_wait[out] == [1, 1]
        walk.finish_child(long, 0, S(result=2))
        assert walk.ready == [(out, 0)]
