"""Per-task overhead of ``flow.run()`` on the LocalExecutor.

Prints, for a chain of N tasks and a fan-out/fan-in of N tasks, the wall time of the run and
the overhead per task in microseconds (run time minus the same number of plain Python calls,
divided by N), once with the per-task log lines at their default level (INFO, written to a
discarded stream) and once quieted (``prefectlite.TaskRunner`` at WARNING).

Usage: python benchmarks/run.py [N ...]   (default: 10000 100000)
"""

from __future__ import annotations

import io
import logging
import sys
import time

from build import chain, fan, inc  # the same flows benchmarks/build.py builds

from prefectlite import Flow

inc_fn = inc.fn  # the plain function behind the task, for the baseline


def plain_calls(n: int) -> float:
    start = time.perf_counter()
    x = 0
    for _ in range(n):
        x = inc_fn(x)
    return time.perf_counter() - start


def timed_run(flow: Flow) -> float:
    start = time.perf_counter()
    state = flow.run()
    elapsed = time.perf_counter() - start
    assert state.is_successful(), state
    return elapsed


def main(sizes: list[int]) -> None:
    log = logging.getLogger("prefectlite")
    log.handlers[:] = [logging.StreamHandler(io.StringIO())]  # format lines, show none
    log.setLevel(logging.INFO)
    log.propagate = False
    runner_log = logging.getLogger("prefectlite.TaskRunner")
    print(f"{'shape':<6} {'tasks':>8} {'logging':>8} {'run s':>8} {'us/task':>9} "
          f"{'plain us/call':>14}")
    for name, build in (("chain", chain), ("fan", fan)):
        for n in sizes:
            flow = build(n)
            flow.sorted_tasks()  # graph order is part of building, not running
            for label, level in (("default", logging.NOTSET), ("quiet", logging.WARNING)):
                runner_log.setLevel(level)
                elapsed = timed_run(flow)
                plain = plain_calls(len(flow))
                per_task = (elapsed - plain) / len(flow) * 1e6
                print(f"{name:<6} {len(flow):>8} {label:>8} {elapsed:>8.3f} {per_task:>9.1f} "
                      f"{plain / len(flow) * 1e6:>14.3f}")


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
