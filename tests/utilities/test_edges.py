"""Tests for prefectlite.utilities.edges: unmapped, mapped, flatten and unwrap."""

from __future__ import annotations

import pytest

from prefectlite import Edge, Flow, Task, flatten, mapped, task, unmapped
from prefectlite.utilities.edges import EdgeAnnotation, unwrap


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (5, False, (5, False, False)),
        (5, True, (5, True, False)),
        (unmapped(5), True, (5, False, False)),
        (mapped(5), False, (5, True, False)),
        (flatten(5), False, (5, False, True)),
        (flatten(5), True, (5, True, True)),
        (unmapped(flatten(5)), True, (5, False, True)),
        (flatten(unmapped(5)), True, (5, False, True)),
        (unmapped(mapped(5)), False, (5, True, False)),  # the inner marker wins
        (mapped(unmapped(5)), False, (5, False, False)),
        (mapped(unmapped(mapped(5))), False, (5, True, False)),
        (unmapped(mapped(unmapped(5))), True, (5, False, False)),
    ],
)
def test_unwrap(value: object, default: bool, expected: tuple) -> None:
    assert unwrap(value, mapped=default) == expected


def test_markers_hold_their_value() -> None:
    t = Task(name="t")
    for marker in (unmapped, mapped, flatten):
        wrapped = marker(t)
        assert isinstance(wrapped, EdgeAnnotation) and wrapped.task is t
        assert repr(wrapped) == f"{marker.__name__}(<Task: t>)"
    assert repr(unmapped(flatten(3))) == "unmapped(flatten(3))"


def test_markers_have_no_instance_dict() -> None:
    with pytest.raises(AttributeError):
        unmapped(1).extra = 2  # type: ignore[attr-defined]


def test_markers_in_a_flow() -> None:
    @task
    def add(x: int, y: int) -> int:
        return x + y

    with Flow("f") as flow:
        xs, ys = Task(name="xs")(), Task(name="ys")()
        plain = add(mapped(xs), y=ys)
        mapped_call = add.map(xs, y=unmapped(ys))
        flat = add.map(flatten(xs), y=unmapped(flatten(ys)))
    assert flow.edges_to(plain) == {Edge(xs, plain, key="x", mapped=True),
                                    Edge(ys, plain, key="y")}
    assert flow.edges_to(mapped_call) == {Edge(xs, mapped_call, key="x", mapped=True),
                                          Edge(ys, mapped_call, key="y")}
    assert flow.edges_to(flat) == {Edge(xs, flat, key="x", mapped=True, flattened=True),
                                   Edge(ys, flat, key="y", flattened=True)}


def test_imported_from_the_top_level_package() -> None:
    import prefectlite
    from prefectlite.utilities import edges

    assert prefectlite.unmapped is edges.unmapped
    assert prefectlite.mapped is edges.mapped and prefectlite.flatten is edges.flatten


def test_nested_markers_merge_their_flags() -> None:
    t = Task(name="t")
    both = mapped(flatten(t))
    assert both.annotations == {"mapped": True, "flattened": True} and both.task is t
    assert unmapped(mapped(t)).annotations == {"mapped": True}  # the inner one wins
    assert mapped.annotations == {"mapped": True} and both.value is t
