"""Build time and memory per task for chains and fans of tasks (nothing is run), next to
networkx adding the same nodes and edges to a ``MultiDiGraph`` in the same process.

``ratio`` is our build time over networkx's: the target is at most 2 (building inside
``with Flow()`` also copies each task, binds its arguments, checks them and names it). Times
are the process's CPU time (``time.process_time``), steadier than wall time on a busy machine.

Usage: python benchmarks/build.py [N ...]   (default: 10000 100000)

The functions are importable (``benchmarks/compare.py`` uses them): ``chain(n)`` and
``fan(n)`` build a flow, ``networkx_baseline(shape, n)`` times networkx alone, ``measure`` and
``compare`` return the figures.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import networkx as nx

from prefectlite import Flow, task


@task
def inc(x):
    return x + 1


@task
def total(xs):
    return sum(xs)


def chain(n: int) -> Flow:
    with Flow("chain") as flow:
        t = inc(0)
        for _ in range(n - 1):
            t = inc(t)
    return flow


def fan(n: int) -> Flow:
    with Flow("fan") as flow:
        root = inc(0)
        total([inc(root) for _ in range(n - 2)])
    return flow


SHAPES = {"chain": chain, "fan": fan}


class _Node:
    """A stand-in for a task: hashed by identity, like tasks."""

    __slots__ = ()


def _shape_edges(shape: str, n: int) -> tuple[list[_Node], list[tuple[_Node, _Node, str]]]:
    """The nodes and keyed edges of ``shape`` with ``n`` tasks, as a flow of that shape has
    them (a fan's gather task counts as one more node, as ``total``'s list task does)."""
    nodes = [_Node() for _ in range(n)]
    if shape == "chain":
        return nodes, [(a, b, "x") for a, b in zip(nodes, nodes[1:])]
    root, gather = nodes[0], nodes[-1]
    edges = []
    for i, node in enumerate(nodes[1:-1], 1):
        edges += [(root, node, "x"), (node, gather, f"arg_{i}")]
    return nodes, edges


def networkx_baseline(shape: str, n: int) -> tuple[float, float]:
    """Seconds networkx takes to add the nodes and edges of ``shape`` to a MultiDiGraph, and
    the bytes per node the graph then holds."""
    nodes, edges = _shape_edges(shape, n)
    gc.collect()
    start = time.process_time()
    graph = nx.MultiDiGraph()
    for node in nodes:
        graph.add_node(node)
    for u, v, key in edges:
        graph.add_edge(u, v, key=key)
    elapsed = time.process_time() - start
    del graph
    gc.collect()
    tracemalloc.start()
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, current / n


def measure(build, n: int) -> tuple[float, float]:
    """Seconds to build a flow with ``build(n)``, and its bytes per task."""
    gc.collect()
    start = time.process_time()
    flow = build(n)
    elapsed = time.process_time() - start
    del flow
    gc.collect()
    tracemalloc.start()
    flow = build(n)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(flow) >= n - 1
    return elapsed, current / len(flow)


def compare(shape: str, n: int) -> dict[str, float]:
    """Our build next to networkx's, both per task, measured one after the other."""
    ours, ours_bytes = measure(SHAPES[shape], n)
    theirs, theirs_bytes = networkx_baseline(shape, n)
    return {"us_per_task": ours / n * 1e6, "nx_us_per_task": theirs / n * 1e6,
            "ratio": ours / theirs, "bytes_per_task": ours_bytes, "nx_bytes_per_task": theirs_bytes}


def main(sizes: list[int]) -> None:
    print(f"{'shape':<6} {'tasks':>8} {'us/task':>9} {'nx us':>7} {'ratio':>6} "
          f"{'bytes/task':>11} {'nx bytes':>9}")
    for shape in SHAPES:
        for n in sizes:
            r = compare(shape, n)
            print(f"{shape:<6} {n:>8} {r['us_per_task']:>9.1f} {r['nx_us_per_task']:>7.1f} "
                  f"{r['ratio']:>6.2f} {r['bytes_per_task']:>11.0f} {r['nx_bytes_per_task']:>9.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
