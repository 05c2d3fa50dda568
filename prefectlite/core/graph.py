"""Pure functions over a flow's networkx graph (nodes are tasks, edges carry ``Edge``).

The graph comes first and is never changed. Orders are deterministic: among tasks that could
come next, the one added to the flow first comes first, whatever the hash seed.
"""

from __future__ import annotations

import heapq
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
    nodes = sorted(graph, key=index.__getitem__) if roots is not None else list(graph)
    order = _insertion_order_if_sorted(graph, nodes, index)
    if order is None:
        order = _smallest_first(graph, nodes, index)
    if order is None:
        raise cycle_error(find_cycle(graph) or [], labels)
    return order


def _insertion_order_if_sorted(graph: nx.MultiDiGraph, nodes: list[Hashable],
                               index: dict[Hashable, int]) -> list[Hashable] | None:
    """``nodes`` (in insertion order) when every edge points from an earlier node to a later
    one: then they are the smallest-first topological order already (the usual case, as
    ``with Flow()`` adds a task after its upstream tasks). ``None`` otherwise."""
    pred = graph._pred
    for node in nodes:
        i = index[node]
        for up in pred[node]:
            if index[up] >= i:
                return None
    return nodes


def _smallest_first(graph: nx.MultiDiGraph, nodes: list[Hashable],
                    index: dict[Hashable, int]) -> list[Hashable] | None:
    """Kahn's topological sort, taking the ready node added first each time (what networkx's
    ``lexicographical_topological_sort`` does with that key), or ``None`` on a cycle."""
    succ, pred = graph._succ, graph._pred
    waiting = {node: len(pred[node]) for node in nodes}
    ready = [index[node] for node in nodes if not waiting[node]]
    heapq.heapify(ready)
    by_index = {index[node]: node for node in nodes}
    order = []
    while ready:
        node = by_index[heapq.heappop(ready)]
        order.append(node)
        for down in succ[node]:
            waiting[down] -= 1
            if not waiting[down]:
                heapq.heappush(ready, index[down])
    return order if len(order) == len(nodes) else None


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
