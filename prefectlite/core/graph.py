"""Pure functions over a flow's networkx graph (nodes are tasks, edges carry ``Edge``).

The graph comes first and is never changed. Orders are deterministic: among tasks that could
come next, the one added to the flow first comes first, whatever the hash seed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx

from prefectlite.exceptions import CycleError


def _name(node: Any, labels: dict | None = None) -> str:
    label = (labels or {}).get(node)
    return str(label or getattr(node, "name", node))


def find_cycle(graph: nx.MultiDiGraph) -> list[Hashable] | None:
    """The nodes of one cycle in ``graph`` (first node repeated at the end), or ``None``.

    Examples
    --------
    >>> g = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    >>> find_cycle(g)
    ['a', 'b', 'c', 'a']
    >>> find_cycle(nx.MultiDiGraph([("a", "b")])) is None
    True
    """
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    nodes = [edge[0] for edge in edges]
    return nodes + [nodes[0]]


def cycle_error(cycle: list[Hashable], labels: dict | None = None) -> CycleError:
    """A :class:`CycleError` whose message lists the tasks on ``cycle`` (by ``labels``, such as
    their slugs, else by name)."""
    path = " -> ".join(_name(n, labels) for n in cycle)
    return CycleError(
        f"Cycle found; flows must be acyclic! The cycle: {path}. Remove one of these "
        "dependencies.",
        cycle,
    )


def sorted_nodes(
    graph: nx.MultiDiGraph, roots: Iterable[Hashable] | None = None, labels: dict | None = None
) -> list[Hashable]:
    """Topological order of ``graph`` (or of ``roots`` and everything downstream of them).

    Ties are broken by insertion order. Raises :class:`CycleError` naming a cycle.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_nodes_from(["c", "b", "a"])
    >>> _ = g.add_edge("a", "b")
    >>> sorted_nodes(g)
    ['c', 'a', 'b']
    >>> sorted_nodes(g, roots=["b"])
    ['b']
    """
    # Index the whole graph: a subgraph view may iterate its nodes in set (id) order.
    index = {node: i for i, node in enumerate(graph)}
    if roots is not None:
        keep: set[Hashable] = set()
        for root in roots:
            keep.add(root)
            keep.update(nx.descendants(graph, root))
        graph = graph.subgraph(keep)
    try:
        return list(nx.lexicographical_topological_sort(graph, key=index.__getitem__))
    except nx.NetworkXUnfeasible:
        cycle = find_cycle(graph)
        raise cycle_error(cycle or [], labels) from None


def reaches(graph: nx.MultiDiGraph, source: Hashable, target: Hashable) -> bool:
    """Whether a path leads from ``source`` to ``target`` (cheap when ``source`` has no exits).

    Examples
    --------
    >>> g = nx.MultiDiGraph([("a", "b"), ("b", "c")])
    >>> reaches(g, "a", "c"), reaches(g, "c", "a")
    (True, False)
    """
    if source == target:
        return True
    if source not in graph or target not in graph or not graph._succ[source]:
        return False
    return bool(nx.has_path(graph, source, target))


def path_between(graph: nx.MultiDiGraph, source: Hashable, target: Hashable) -> list[Hashable]:
    """One path from ``source`` to ``target`` (both included).

    Examples
    --------
    >>> path_between(nx.MultiDiGraph([("a", "b"), ("b", "c")]), "a", "c")
    ['a', 'b', 'c']
    """
    if source == target:
        return [source]
    return list(nx.shortest_path(graph, source, target))
