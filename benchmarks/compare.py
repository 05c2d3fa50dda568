"""prefectlite's per-task cost next to Dask's, measured in the same process and run.

Local part, for a chain, a fan-out/fan-in and a map (``total(inc.map(range(N)))``) of N tasks:
each figure comes from a fresh Python process (one per measurement), which builds the flow,
runs it twice and, in the same process, runs the same-shaped raw graph twice on Dask's
synchronous scheduler (``dask.local.get_sync``). Per task, in microseconds:

``build``    building the flow inside ``with Flow()``, next to networkx alone adding the same
             nodes and edges to a ``MultiDiGraph`` (``ratio`` = prefectlite / networkx; none
             for the map, whose graph has three tasks whatever N)
``1st run``  the first ``flow.run()`` of the process, per-task lines quiet
             (``prefectlite.TaskRunner`` at WARNING); ordering and planning are part of it.
             ``ratio`` = prefectlite / Dask's first ``get_sync`` in that process
``2nd run``  the same flow run again, next to Dask's second ``get_sync``
``INFO``     a first run with the default INFO lines (written to the process's stderr, which
             is discarded); ``ratio`` = INFO / quiet first run
``journal``  a first ``flow.run(journal=True)`` in a fresh ``PREFECTLITE_HOME`` (what
             ``prefectlite run`` does); ``ratio`` = journaled / plain first run

Dask part (``--dask``): the fan-out and map workloads of ``benchmarks/dask.py`` on one
LocalCluster (2 workers x 1 thread), ``flow.run(executor=DaskExecutor(...))`` next to the raw
graph and ``client.map`` on the same cluster (``ratio`` = prefectlite / the faster of the two).

Usage: python benchmarks/compare.py [--quick] [--dask] [--no-local] [--repeat R] [--clock cpu]
       [--sizes N ...]
       (sizes: 10k and 100k locally, 1k and 10k on Dask; --quick: 1k/10k and 200/1k;
       with --repeat, each figure is the best of R processes)
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path, and benchmarks/dask.py would shadow dask.
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    sys.path.pop(0)

SHAPES = ("chain", "fan", "map")
MODES = ("quiet", "info", "journal")


def inc(x: int) -> int:
    return x + 1


def total(xs: list[int]) -> int:
    return sum(xs)


# -- the graphs, each shape built three ways --------------------------------------------------

def build_flow(shape: str, n: int) -> Any:
    """The prefectlite flow of ``shape`` with ``n`` tasks (map: ``n`` children)."""
    from prefectlite import Flow, task

    inc_t, total_t = task(inc, name="inc"), task(total, name="total")
    with Flow(shape) as flow:
        if shape == "chain":
            t = inc_t(0)
            for _ in range(n - 1):
                t = inc_t(t)
        elif shape == "fan":
            root = inc_t(0)
            total_t([inc_t(root) for _ in range(n - 2)])
        else:
            total_t(inc_t.map(list(range(n))))
    return flow


def networkx_build(shape: str, n: int) -> Any:
    """networkx alone: the nodes and edges of the same graph added to a ``MultiDiGraph``."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    nodes = [object() for _ in range(n)]
    graph.add_nodes_from(nodes)
    if shape == "chain":
        for a, b in zip(nodes, nodes[1:], strict=False):
            graph.add_edge(a, b)
    elif shape == "fan":
        for node in nodes[1:-1]:
            graph.add_edge(nodes[0], node)
            graph.add_edge(node, nodes[-1])
    else:
        for node in nodes[:-1]:
            graph.add_edge(node, nodes[-1])
    return graph


def dask_graph(shape: str, n: int) -> tuple[dict[str, Any], str]:
    """The same-shaped raw Dask graph and the key of its last task."""
    if shape == "chain":
        graph: dict[str, Any] = {"t0": (inc, 0)}
        graph.update((f"t{i}", (inc, f"t{i - 1}")) for i in range(1, n))
        return graph, f"t{n - 1}"
    if shape == "fan":
        graph = {"root": (inc, 0)}
        graph.update((f"t{i}", (inc, "root")) for i in range(n - 2))
        graph["total"] = (total, [f"t{i}" for i in range(n - 2)])
        return graph, "total"
    graph = {f"t{i}": (inc, i) for i in range(n)}
    graph["total"] = (total, [f"t{i}" for i in range(n)])
    return graph, "total"


# -- one measurement, in a fresh process ------------------------------------------------------

CLOCK = time.perf_counter  # --clock cpu: time.process_time (every thread of the process)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = CLOCK()
    value = fn()
    return CLOCK() - start, value


def run_flow(flow: Any, **kwargs: Any) -> float:
    elapsed, state = timed(lambda: flow.run(**kwargs))
    assert state.is_successful(), state
    return elapsed


def measure(shape: str, n: int, mode: str) -> dict[str, float]:
    """Everything one fresh process measures (seconds), printed as JSON by ``--measure``."""
    import logging

    from dask.local import get_sync

    import prefectlite  # noqa: F401  (importing is not building)

    if mode != "info":
        logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)
    graph, last = dask_graph(shape, n)
    out = {"dask1": timed(lambda: get_sync(graph, last))[0]}
    gc.collect()
    out["build"], flow = timed(lambda: build_flow(shape, n))
    if mode == "journal":
        with tempfile.TemporaryDirectory() as home:
            from prefectlite.utilities.configuration import set_temporary_config

            with set_temporary_config({"home_dir": home}):
                out["run1"] = run_flow(flow, journal=True)
        return out
    out["run1"] = run_flow(flow)
    if mode == "quiet":
        out["run2"] = run_flow(flow)
        out["dask2"] = timed(lambda: get_sync(graph, last))[0]
        del flow
        gc.collect()
        out["networkx"] = timed(lambda: networkx_build(shape, n))[0]
    return out


def in_fresh_process(shape: str, n: int, mode: str) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", shape, str(n), mode,
               "--clock", "cpu" if CLOCK is time.process_time else "wall"]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}); run it to see why")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best_of(repeat: int, shape: str, n: int, mode: str) -> dict[str, float]:
    runs = [in_fresh_process(shape, n, mode) for _ in range(repeat)]
    return {key: min(r[key] for r in runs) for key in runs[0]}


# -- the tables -------------------------------------------------------------------------------

def cell(ours: float, theirs: float, n: int) -> str:
    return f"{ours / n * 1e6:7.1f} {ours / theirs:5.2f}x"


def local_table(sizes: list[int], repeat: int) -> None:
    print("Local, us per task (ratio): build (x networkx), 1st run quiet (x dask sync), "
          "2nd run (x dask sync), INFO (x quiet), journal (x plain)")
    print(f"{'shape':<6} {'tasks':>7} | {'build':>13} | {'1st run':>13} | {'2nd run':>13} | "
          f"{'INFO':>13} | {'journal':>13} | {'dask 1st':>8}")
    for n in sizes:
        for shape in SHAPES:
            quiet, info, journal = (best_of(repeat, shape, n, mode) for mode in MODES)
            # a map is three tasks in the graph, whatever N: nothing to set against networkx
            build = cell(quiet["build"], quiet["networkx"], n) if shape != "map" else (
                f"{quiet['build'] / n * 1e6:7.1f}      ")
            print(f"{shape:<6} {n:>7} | {build} | "
                  f"{cell(quiet['run1'], quiet['dask1'], n)} | "
                  f"{cell(quiet['run2'], quiet['dask2'], n)} | "
                  f"{cell(info['run1'], quiet['run1'], n)} | "
                  f"{cell(journal['run1'], quiet['run1'], n)} | {quiet['dask1'] / n * 1e6:8.1f}",
                  flush=True)


def load_benchmark(name: str) -> Any:
    """A sibling benchmark script as a module (``dask.py`` cannot be imported by its name)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dask_rows(bench: Any, client: Any, address: str, n: int) -> list[tuple[str, ...]]:
    rows = []
    for name, build, raw, direct in (
            ("fan", bench.fan_flow, bench.delayed_fan, bench.futures_fan),
            ("map", bench.map_flow, bench.delayed_map, bench.futures_map)):
        flow = build(n)
        ours = min(timed(lambda: bench.prefectlite_run(flow, address))[0] for _ in range(2))  # noqa: B023
        graph = min(timed(lambda: raw(client, n))[0] for _ in range(2))  # noqa: B023
        mapped = min(timed(lambda: direct(client, n))[0] for _ in range(2))  # noqa: B023
        rows.append((name, str(n), *(f"{t / n * 1e6:8.1f}" for t in (ours, graph, mapped)),
                     f"{ours / min(graph, mapped):5.2f}x"))
    return rows


def dask_table(sizes: list[int]) -> None:
    import logging

    from distributed import Client, LocalCluster

    bench = load_benchmark("dask")
    logging.getLogger("prefectlite").setLevel(logging.WARNING)
    print("\nDask LocalCluster (2 workers x 1 thread), us per task, best of 2")
    print(f"{'shape':<6} {'tasks':>7} | {'DaskExecutor':>12} | {'raw graph':>9} | "
          f"{'client.map':>10} | {'ratio':>6}")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        dask_rows(bench, client, cluster.scheduler_address, 50)  # warm-up on every side
        for n in sizes:
            for row in dask_rows(bench, client, cluster.scheduler_address, n):
                print(f"{row[0]:<6} {row[1]:>7} | {row[2]:>12} | {row[3]:>9} | {row[4]:>10} | "
                      f"{row[5]:>6}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--dask", action="store_true", help="also the LocalCluster comparison")
    parser.add_argument("--no-local", action="store_true", help="skip the local comparison")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per figure")
    parser.add_argument("--sizes", type=int, nargs="+", help="local sizes (instead of the "
                        "defaults or --quick's)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: CPU time of the process, steadier on a busy machine "
                             "(but blind to waiting, e.g. for fsync)")
    parser.add_argument("--measure", nargs=3, metavar=("SHAPE", "N", "MODE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.setrecursionlimit(20_000)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.measure:
        shape, n, mode = args.measure
        print(json.dumps(measure(shape, int(n), mode)))
        return
    if not args.no_local:
        sizes = args.sizes or ([1_000, 10_000] if args.quick else [10_000, 100_000])
        local_table(sizes, args.repeat)
    if args.dask:
        dask_table([200, 1_000] if args.quick else [1_000, 10_000])


if __name__ == "__main__":
    main()
