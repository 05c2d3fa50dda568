"""Per-task cost of prefectlite's DaskExecutor next to plain Dask, on one LocalCluster.

Usage: python benchmarks/dask.py [N ...]   (default 1000 10000; 2 workers x 1 thread)

Workloads, each run by ``flow.run(executor=DaskExecutor(address))`` and, on the same cluster
in the same process, by plain Dask:

* ``fan``: one root task, N tasks that each add one to it, one task that sums them; plain
  Dask computes the same dict graph with one ``client.get``;
* ``map``: ``inc.map(range(N))`` and a sum of the results; plain Dask is ``client.map``
  and one ``client.submit`` of the sum.

Each figure is the best of ``repeat`` runs (interleaved), per task: wall time, and CPU time
of every process involved (this one, which also runs the LocalCluster's scheduler, plus the
workers), which says more than wall time on a loaded machine. Ratios are prefectlite over
plain Dask. Flow building is not timed; one small warm-up run of each kind comes first.
Per-task lines are quiet (WARNING). The functions taking sizes are importable
(``measure(client, address, "fan", 1000)`` returns seconds per task).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and its name would shadow dask.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from prefectlite import Flow, task  # noqa: E402
from prefectlite.executors import DaskExecutor  # noqa: E402
from prefectlite.utilities.logging import temporary_logger_config  # noqa: E402

__all__ = ["WORKLOADS", "cluster", "measure", "per_task_seconds"]


def inc(x: int) -> int:
    return x + 1


def add_up(xs: list[int]) -> int:
    return sum(xs)


inc_task = task(inc, name="inc")
total_task = task(add_up, name="total")


def fan_flow(n: int) -> Flow:
    with Flow("fan") as flow:
        root = inc_task(0)
        total_task([inc_task(root) for _ in range(n)])
    return flow


def map_flow(n: int) -> Flow:
    with Flow("map") as flow:
        total_task(inc_task.map(list(range(n))))
    return flow


def fan_graph(client: Any, n: int) -> int:
    """The fan-out/fan-in as one dict graph, computed with one ``client.get``."""
    graph: dict[str, Any] = {"root": (inc, 0)}
    graph.update({f"inc-{i}": (inc, "root") for i in range(n)})
    graph["total"] = (add_up, [f"inc-{i}" for i in range(n)])
    return int(client.get(graph, "total"))


def map_futures(client: Any, n: int) -> int:
    """``client.map`` of ``inc`` and one ``client.submit`` of the sum."""
    return int(client.submit(add_up, client.map(inc, range(n), pure=False)).result())


def prefectlite_run(flow: Flow, address: str) -> int:
    state = flow.run(executor=DaskExecutor(address=address))
    assert state.is_successful(), state
    (last,) = [s for t, s in state.result.items() if t.name == "total"]
    return int(last.result)


#: workload -> (flow builder, plain Dask runner, number of tasks for n, expected total)
WORKLOADS: dict[str, tuple[Callable[[int], Flow], Callable[[Any, int], int],
                           Callable[[int], int], Callable[[int], int]]] = {
    "fan": (fan_flow, fan_graph, lambda n: n + 2, lambda n: 2 * n),
    "map": (map_flow, map_futures, lambda n: n + 1, lambda n: n * (n + 1) // 2),
}


def _cpu_seconds(client: Any) -> float:
    """CPU time used so far by this process and by every worker process."""
    workers = client.run(time.process_time)
    return time.process_time() + sum(workers.values())


def per_task_seconds(client: Any, fn: Callable[[], int], tasks: int,
                     expected: int) -> tuple[float, float]:
    """``fn()``'s wall and CPU seconds per task (checking its answer)."""
    cpu = _cpu_seconds(client)
    start = time.perf_counter()
    got = fn()
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(client) - cpu
    assert got == expected, (got, expected)
    return elapsed / tasks, cpu / tasks


def measure(client: Any, address: str, workload: str, n: int,
            repeat: int = 3) -> dict[str, float]:
    """Best per-task seconds (wall, and CPU as ``... cpu``) of ``prefectlite`` and plain
    ``dask`` on ``workload`` at size ``n`` (runs interleaved, so load on the machine hits
    both alike)."""
    build, plain, count, total = WORKLOADS[workload]
    flow = build(n)
    best = dict.fromkeys(("prefectlite", "dask", "prefectlite cpu", "dask cpu"), float("inf"))
    with temporary_logger_config(level="WARNING"):
        for _ in range(repeat):
            runs = {"prefectlite": lambda: prefectlite_run(flow, address),
                    "dask": lambda: plain(client, n)}
            for name, run in runs.items():
                wall, cpu = per_task_seconds(client, run, count(n), total(n))
                best[name] = min(best[name], wall)
                best[f"{name} cpu"] = min(best[f"{name} cpu"], cpu)
    return best


@contextmanager
def cluster() -> Iterator[tuple[Any, str]]:
    """A LocalCluster of 2 workers x 1 thread and a client on it: ``(client, address)``."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=logging.ERROR) as local, \
            Client(local, set_as_default=False) as client:
        yield client, local.scheduler_address


def main(sizes: list[int]) -> None:
    with cluster() as (client, address):
        for workload in WORKLOADS:  # warm-up: imports and connections on every side
            measure(client, address, workload, 50, repeat=1)
        print(f"{'work':<5} {'tasks':>7} {'µs/task: prefectlite':>21} {'dask':>6} {'ratio':>6}"
              f" {'CPU µs/task: prefectlite':>25} {'dask':>6} {'ratio':>6}")
        for n in sizes:
            for workload in WORKLOADS:
                best = measure(client, address, workload, n, repeat=3 if n <= 1000 else 2)
                us = {k: v * 1e6 for k, v in best.items()}
                print(f"{workload:<5} {n:>7} {us['prefectlite']:>21.0f} {us['dask']:>6.0f} "
                      f"{us['prefectlite'] / us['dask']:>5.2f}x "
                      f"{us['prefectlite cpu']:>25.0f} {us['dask cpu']:>6.0f} "
                      f"{us['prefectlite cpu'] / us['dask cpu']:>5.2f}x", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10_000])
