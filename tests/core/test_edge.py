"""Tests for prefectlite.core.edge: the Edge value."""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle
import pytest

from prefectlite import Edge, Task
from prefectlite.tasks.core.constants import Constant
from prefectlite.utilities.edges import flatten, mapped, unmapped


@pytest.fixture
def ab() -> tuple[Task, Task]:
    return Task(name="a"), Task(name="b")


def test_fields_and_defaults(ab: tuple[Task, Task]) -> None:
    a, b = ab
    edge = Edge(a, b)
    assert (edge.upstream_task, edge.downstream_task) == (a, b)
    assert (edge.key, edge.mapped, edge.flattened) == (None, False, False)
    assert edge.tasks == {a, b}


def test_equality_and_hash(ab: tuple[Task, Task]) -> None:
    a, b = ab
    assert Edge(a, b, key="x") == Edge(a, b, key="x")
    assert hash(Edge(a, b, key="x")) == hash(Edge(a, b, key="x"))
    assert len({Edge(a, b), Edge(a, b), Edge(a, b, key="x")}) == 2
    different = [Edge(b, a, key="x"), Edge(a, b, key="y"), Edge(a, b, key="x", mapped=True),
                 Edge(a, b, key="x", flattened=True), Edge(a, Task(name="b"), key="x")]
    assert all(Edge(a, b, key="x") != other for other in different)
    assert Edge(a, b) != (a, b, None, False, False)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "<Edge: a to b>"),
        ({"key": "x"}, "<Edge (key=x): a to b>"),
        ({"key": "x", "mapped": True}, "<Edge (key=x, mapped): a to b>"),
        ({"key": "x", "mapped": True, "flattened": True},
         "<Edge (key=x, mapped, flattened): a to b>"),
        ({"mapped": True}, "<Edge (key=None, mapped): a to b>"),
    ],
)
def test_repr(ab: tuple[Task, Task], kwargs: dict, text: str) -> None:
    assert repr(Edge(*ab, **kwargs)) == text


@pytest.mark.parametrize("key", ["not valid", "1x", "", 3, "x-y"])
def test_key_must_be_an_identifier(ab: tuple[Task, Task], key: object) -> None:
    with pytest.raises(ValueError, match=r"Key must be a valid identifier \(received .*\): it "
                       r"names an argument of the downstream task's run\(\) \(edge from "
                       r"<Task: a> to <Task: b>\)"):
        Edge(*ab, key=key)  # type: ignore[arg-type]


def test_edges_are_immutable_slots(ab: tuple[Task, Task]) -> None:
    edge = Edge(*ab)
    with pytest.raises(AttributeError):
        edge.colour = "red"  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", [pickle, cloudpickle], ids=["pickle", "cloudpickle"])
def test_pickle_round_trip(ab: tuple[Task, Task], module: object) -> None:
    edge = Edge(*ab, key="x", mapped=True, flattened=True)
    up, down, copied = module.loads(module.dumps((*ab, edge)))  # type: ignore[attr-defined]
    assert copied == Edge(up, down, key="x", mapped=True, flattened=True)
    assert copied.tasks == {up, down}


class TestMarkersOnTheTasks:
    """Edge(mapped(a), b): the marker sets the flag and beats the keyword argument."""

    @pytest.mark.parametrize(
        ("wrap", "kwargs", "flags"),
        [
            (mapped, {}, (True, False)),
            (mapped, {"mapped": False}, (True, False)),
            (unmapped, {"mapped": True}, (False, False)),
            (flatten, {}, (False, True)),
            (flatten, {"flattened": False}, (False, True)),
            (lambda t: flatten(mapped(t)), {}, (True, True)),
        ],
    )
    def test_marker_sets_the_flags(
        self, ab: tuple[Task, Task], wrap: Any, kwargs: dict, flags: tuple[bool, bool]
    ) -> None:
        a, b = ab
        edge = Edge(wrap(a), b, key="x", **kwargs)
        assert (edge.upstream_task, edge.downstream_task) == (a, b)
        assert (edge.mapped, edge.flattened) == flags

    def test_values_stay_as_they_are(self, ab: tuple[Task, Task]) -> None:
        # (flow.add_edge makes tasks of values; the engine's edges hold task references)
        edge = Edge(5, ab[1], key="x")
        assert edge.upstream_task == 5 and not isinstance(edge.upstream_task, Constant)

    @pytest.mark.parametrize("thing", [1, None, "self"])
    def test_nothing_connects_to_itself(self, ab: tuple[Task, Task], thing: Any) -> None:
        same = ab[0] if thing == "self" else thing
        with pytest.raises(ValueError, match="Edges can not connect a task to itself"):
            Edge(same, same)

    def test_marker_value_alias(self, ab: tuple[Task, Task]) -> None:
        marker = unmapped(ab[0])
        assert marker.value is marker.task is ab[0]
