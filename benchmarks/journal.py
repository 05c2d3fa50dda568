"""Per-task cost of journaling: a journaled run vs a plain run of the same fan-out.

The flow is ``root -> N-2 independent inc tasks -> total`` on the LocalExecutor, with the
per-task log lines quieted. Each configuration runs in a fresh ``PREFECTLITE_HOME`` (a
temporary directory, on the disk of ``--dir`` when given, else the system's temp dir), and
reports the wall time and the time added per task compared with the plain run:

``plain``                ``flow.run()``
``journal``              ``flow.run(journal=True)``: a row per task in the journal; results are
                         ``JournalResult``s (small values kept in the rows, large ones in files)
``journal + files``      the flow's result is ``LocalResult()``: one file per task (temp file,
                         fsync, rename, fsync of the directory)
``journal + files, no fsync``  ``LocalResult(fsync=False)``: atomic renames, no fsync
``journal + PrefectResult``    JSON values kept as the results' locations (in the rows)
``journal only``         ``checkpoint=False`` on every task: the rows alone (such a run cannot
                         be resumed without rerunning its tasks)

Usage: python benchmarks/journal.py [N] [--dir DIR] [--repeat R]   (default N: 10000)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from prefectlite import Flow, task
from prefectlite.engine.results import LocalResult, PrefectResult
from prefectlite.utilities.configuration import set_temporary_config


def inc_fn(x):
    return x + 1


def total_fn(xs):
    return sum(xs)


def fan(n: int, result=None, checkpoint=None) -> Flow:
    inc = task(inc_fn, name="inc", checkpoint=checkpoint)
    total = task(total_fn, name="total", checkpoint=checkpoint)
    with Flow("fan", result=result) as flow:
        root = inc(0)
        total([inc(root) for _ in range(n - 2)])
    flow.sorted_tasks()  # graph order is part of building, not running
    return flow


def timed(build, base: Path, **run_kwargs) -> float:
    """Build the flow in a fresh home directory (results follow it), then time one run."""
    with tempfile.TemporaryDirectory(dir=base) as home, \
            set_temporary_config({"home_dir": home}):
        flow = build()
        start = time.perf_counter()
        state = flow.run(**run_kwargs)
        elapsed = time.perf_counter() - start
        assert state.is_successful(), state
    return elapsed


def main(n: int, base: Path, repeat: int) -> None:
    log = logging.getLogger("prefectlite")
    log.handlers[:] = [logging.NullHandler()]
    log.propagate = False
    logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)
    configs = [
        ("plain", lambda: fan(n), {}),
        ("journal", lambda: fan(n), {"journal": True}),
        ("journal + files", lambda: fan(n, result=LocalResult()), {"journal": True}),
        ("journal + files, no fsync", lambda: fan(n, result=LocalResult(fsync=False)),
         {"journal": True}),
        ("journal + PrefectResult", lambda: fan(n, result=PrefectResult()), {"journal": True}),
        ("journal only", lambda: fan(n, checkpoint=False), {"journal": True}),
    ]
    print(f"{n} tasks, PREFECTLITE_HOME under {base}, best of {repeat}")
    print(f"{'configuration':<27} {'run s':>8} {'us/task':>9} {'added us/task':>14}")
    plain = None
    for label, build, kwargs in configs:
        elapsed = min(timed(build, base, **kwargs) for _ in range(repeat))
        plain = elapsed if plain is None else plain
        print(f"{label:<27} {elapsed:>8.3f} {elapsed / n * 1e6:>9.1f} "
              f"{(elapsed - plain) / n * 1e6:>14.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    main(args.n, args.dir, args.repeat)
