"""Wall time, per-child overhead and peak memory of ``inc.map(range(N))`` + a sum reducer.

Each size runs in a fresh subprocess so that peak RSS (``ru_maxrss``) belongs to that size
alone. Per-child overhead is (run time - list comprehension time) / N. Per-task log lines
are quieted (``prefectlite.TaskRunner`` at WARNING), as for any large flow.

Usage: python benchmarks/map.py [N ...]   (default: 10000 100000 1000000)
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
import time


def measure(n: int) -> dict[str, float]:
    from prefectlite import Flow, task

    logging.getLogger("prefectlite").setLevel(logging.WARNING)

    def inc_fn(x):
        return x + 1

    inc = task(inc_fn, name="inc")

    @task
    def total(xs):
        return sum(xs)

    start = time.perf_counter()
    plain = sum([inc_fn(x) for x in range(n)])
    comprehension = time.perf_counter() - start
    with Flow("map") as flow:
        result = total(inc.map(range(n)))
    start = time.perf_counter()
    state = flow.run()
    elapsed = time.perf_counter() - start
    assert state.is_successful() and state.result[result].result == plain
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "run": elapsed, "plain": comprehension,
            "us_per_child": (elapsed - comprehension) / n * 1e6, "peak_mb": peak_mb}


def main(sizes: list[int]) -> None:
    print(f"{'N':>9} {'run s':>8} {'list-comp s':>12} {'us/child':>9} {'peak RSS MB':>12}")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out)
        print(f"{r['n']:>9} {r['run']:>8.2f} {r['plain']:>12.3f} {r['us_per_child']:>9.1f} "
              f"{r['peak_mb']:>12.0f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
