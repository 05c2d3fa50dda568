"""Wall time of the same work on one LocalCluster: prefectlite's DaskExecutor vs plain Dask.

Usage: python benchmarks/dask.py [N]   (default 10000; the cluster has 2 workers x 1 thread)

Workloads, each run by ``flow.run(executor=DaskExecutor(address))``, by ``dask.delayed``
computed on the same client, and by ``client.submit``/``client.map``:

* ``fan``: one root task, N tasks that each add one to it, one task that sums them;
* ``map``: ``inc.map(range(N))`` and a sum of the results.

Then 16 tasks sleeping 0.25 s on ``LocalDaskExecutor`` with 8 threads (target <= 0.7 s).
Flow building is not timed; one small warm-up run of each kind comes first.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and its name would shadow dask.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from prefectlite import Flow, task  # noqa: E402
from prefectlite.executors import DaskExecutor, LocalDaskExecutor  # noqa: E402


def inc(x: int) -> int:
    return x + 1


def add_up(xs: list[int]) -> int:
    return sum(xs)


def nap(x: int) -> int:
    time.sleep(0.25)
    return x


inc_task = task(inc, name="inc")
total_task = task(add_up, name="total")
nap_task = task(nap, name="nap")


def fan_flow(n: int) -> Flow:
    with Flow("fan") as flow:
        root = inc_task(0)
        total_task([inc_task(root) for _ in range(n)])
    return flow


def map_flow(n: int) -> Flow:
    with Flow("map") as flow:
        total_task(inc_task.map(list(range(n))))
    return flow


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def prefectlite_run(flow: Flow, address: str) -> int:
    state = flow.run(executor=DaskExecutor(address=address))
    assert state.is_successful(), state
    (last,) = [s for t, s in state.result.items() if t.name == "total"]
    return int(last.result)


def delayed_fan(client: Any, n: int) -> int:
    import dask

    root = dask.delayed(inc, pure=False)(0)
    parts = [dask.delayed(inc, pure=False)(root) for _ in range(n)]
    return int(dask.delayed(sum)(parts).compute(scheduler=client))


def delayed_map(client: Any, n: int) -> int:
    import dask

    parts = [dask.delayed(inc, pure=False)(i) for i in range(n)]
    return int(dask.delayed(sum)(parts).compute(scheduler=client))


def futures_fan(client: Any, n: int) -> int:
    root = client.submit(inc, 0, pure=False)
    parts = [client.submit(inc, root, pure=False) for _ in range(n)]
    return int(client.submit(sum, parts).result())


def futures_map(client: Any, n: int) -> int:
    return int(client.submit(sum, client.map(inc, range(n))).result())


def compare(client: Any, address: str, n: int) -> None:
    rows = [
        ("fan", fan_flow, delayed_fan, futures_fan, 2 * n),
        ("map", map_flow, delayed_map, futures_map, sum(range(1, n + 1))),
    ]
    print(f"{'work':<5} {'tasks':>7} {'prefectlite s':>14} {'dask.delayed s':>15} "
          f"{'client.map s':>13} {'ratio':>6}")
    for name, build, delayed, futures, expected in rows:
        flow = build(n)
        ours, got = timed(lambda: prefectlite_run(flow, address))  # noqa: B023
        plain, got_delayed = timed(lambda: delayed(client, n))  # noqa: B023
        direct, got_futures = timed(lambda: futures(client, n))  # noqa: B023
        assert got == got_delayed == got_futures == expected, (got, got_delayed, got_futures)
        best = min(plain, direct)
        print(f"{name:<5} {n:>7} {ours:>14.2f} {plain:>15.2f} {direct:>13.2f} "
              f"{ours / best:>5.2f}x")


def sleeping_threads() -> float:
    with Flow("naps") as flow:
        nap_task.map(list(range(16)))
    executor = LocalDaskExecutor("threads", num_workers=8)
    flow.run(executor=executor)  # warm-up
    elapsed, state = timed(lambda: flow.run(executor=executor))
    assert state.is_successful(), state
    return elapsed


def main(n: int) -> None:
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("prefectlite").setLevel(logging.WARNING)  # per-task lines off
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        address = cluster.scheduler_address
        compare(client, address, 50)  # warm-up: imports and connections on every side
        print()
        compare(client, address, n)
    print(f"\n16 tasks sleeping 0.25 s, LocalDaskExecutor(threads, 8): {sleeping_threads():.2f} s "
          "(target <= 0.7 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
