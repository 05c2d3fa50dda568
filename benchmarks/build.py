"""Build time and memory per task for chains and fans of tasks (nothing is run).

Usage: python benchmarks/build.py [N ...]   (default: 10000 100000)
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

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


def measure(build, n: int) -> tuple[float, float]:
    gc.collect()
    start = time.perf_counter()
    flow = build(n)
    elapsed = time.perf_counter() - start
    del flow
    gc.collect()
    tracemalloc.start()
    flow = build(n)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(flow) >= n - 1
    return elapsed, current / len(flow)


def main(sizes: list[int]) -> None:
    print(f"{'shape':<6} {'tasks':>8} {'build s':>9} {'us/task':>9} {'bytes/task':>11}")
    for name, build in (("chain", chain), ("fan", fan)):
        for n in sizes:
            elapsed, per_task = measure(build, n)
            print(f"{name:<6} {n:>8} {elapsed:>9.3f} {elapsed / n * 1e6:>9.1f} {per_task:>11.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
