"""Tests for prefectlite.core.graph: pure helpers over a networkx graph."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefectlite import Task
from prefectlite.core import graph
from prefectlite.exceptions import CycleError


def edges_of(g: nx.MultiDiGraph) -> list:
    return sorted(g.edges(keys=True))


class TestFindCycle:
    def test_cycle_and_no_cycle(self) -> None:
        assert graph.find_cycle(nx.MultiDiGraph([("a", "b"), ("b", "a")])) == ["a", "b", "a"]
        assert graph.find_cycle(nx.MultiDiGraph([("a", "a")])) == ["a", "a"]
        assert graph.find_cycle(nx.MultiDiGraph([("a", "b"), ("a", "c"), ("b", "c")])) is None
        assert graph.find_cycle(nx.MultiDiGraph()) is None

    def test_cycle_error_names_tasks_by_label_then_name(self) -> None:
        a, b = Task(name="a"), Task(name="b")
        error = graph.cycle_error([a, b, a], labels={a: "a-slug"})
        assert isinstance(error, CycleError) and isinstance(error, ValueError)
        assert str(error) == ("Cycle found; flows must be acyclic! The cycle: a-slug -> b -> "
                              "a-slug. Remove one of these dependencies.")
        assert error.cycle == [a, b, a]
        prefix = "Cycle found; flows must be acyclic! The cycle: "
        assert str(graph.cycle_error(["x", "y", "x"])).startswith(prefix + "x -> y")
        assert str(graph.cycle_error([a, b, a])).startswith(prefix + "a -> b -> a.")


class TestSortedNodes:
    def test_ties_follow_insertion_order(self) -> None:
        g = nx.MultiDiGraph()
        g.add_nodes_from(["z", "y", "x", "w"])
        g.add_edge("x", "z")
        # whenever several nodes are ready, the one added first goes next
        assert graph.sorted_nodes(g) == ["y", "x", "z", "w"]

    def test_parallel_edges(self) -> None:
        g = nx.MultiDiGraph([("a", "b"), ("a", "b"), ("b", "c")])
        assert graph.sorted_nodes(g) == ["a", "b", "c"]

    def test_roots(self) -> None:
        g = nx.MultiDiGraph()
        g.add_nodes_from(range(200, 240))  # unrelated nodes make the kept subgraph small
        g.add_edges_from([(100, 6), (100, 2), (100, 9), (2, 5), (50, 5)])
        # insertion order, not the order of a set of the kept nodes (which is 9, 2, 100, 6)
        assert graph.sorted_nodes(g, roots=[100]) == [100, 6, 2, 9, 5]
        assert graph.sorted_nodes(g, roots=[5]) == [5]
        assert graph.sorted_nodes(g, roots=[2, 50]) == [2, 50, 5]
        assert graph.sorted_nodes(g, roots=[]) == []

    @given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=30),
           st.permutations(range(13)))
    def test_same_order_as_networkx_smallest_first(self, pairs, insertion) -> None:
        # edges both ways of the insertion order (the fast path and Kahn's sort), no cycles
        g = nx.MultiDiGraph()
        g.add_nodes_from(insertion)
        g.add_edges_from((min(a, b), max(a, b)) for a, b in pairs if a != b)
        index = {node: i for i, node in enumerate(g)}
        expected = list(nx.lexicographical_topological_sort(g, key=index.__getitem__))
        assert graph.sorted_nodes(g) == expected
        for root in (insertion[0], insertion[-1]):
            kept = g.subgraph({root} | nx.descendants(g, root))
            assert graph.sorted_nodes(g, roots=[root]) == list(
                nx.lexicographical_topological_sort(kept, key=index.__getitem__))

    def test_edge_against_insertion_order(self) -> None:
        g = nx.MultiDiGraph()
        g.add_nodes_from(["a", "b", "c"])
        g.add_edge("c", "a")  # added later, runs first
        assert graph.sorted_nodes(g) == ["b", "c", "a"]

    def test_cycle(self) -> None:
        g = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "b")])
        with pytest.raises(CycleError, match=r"cycle: (b -> c -> b|c -> b -> c)") as info:
            graph.sorted_nodes(g)
        assert info.value.cycle[0] == info.value.cycle[-1]

    def test_graph_is_not_changed(self) -> None:
        g = nx.MultiDiGraph([("a", "b"), ("b", "c")])
        before = (list(g), edges_of(g))
        graph.sorted_nodes(g, roots=["b"])
        graph.reaches(g, "a", "c")
        graph.path_between(g, "a", "c")
        graph.find_cycle(g)
        assert (list(g), edges_of(g)) == before


class TestPaths:
    def test_reaches(self) -> None:
        g = nx.MultiDiGraph([("a", "b"), ("b", "c")])
        g.add_node("lonely")
        assert graph.reaches(g, "a", "c") and graph.reaches(g, "a", "a")
        assert not graph.reaches(g, "c", "a")
        assert not graph.reaches(g, "lonely", "a")
        assert not graph.reaches(g, "missing", "a") and not graph.reaches(g, "a", "missing")

    def test_path_between(self) -> None:
        g = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("a", "c")])
        assert graph.path_between(g, "a", "c") == ["a", "c"]
        assert graph.path_between(g, "b", "b") == ["b"]
        with pytest.raises(nx.NetworkXNoPath):
            graph.path_between(g, "c", "a")
