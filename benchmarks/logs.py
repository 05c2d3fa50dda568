"""Cost of storing log records in the run journal.

1. Per record: one task logs N records through ``prefectlite.context.logger``; the run is
   timed journaled (each record becomes a ``logs`` row, committed in batches) and plain (the
   record goes to the same NullHandler and nowhere else). The difference divided by N is
   what the journal adds per record (target: at most 20 us).
2. Per task, with the default INFO task lines (two records per task run): the fan-out of
   ``benchmarks/journal.py`` journaled and plain, with ``prefectlite.TaskRunner`` at INFO.

Both wall time and CPU time (of the whole process, the journal's writer thread included) are
shown; on a busy machine the CPU time is the steadier figure. The ``prefectlite`` logger gets a
NullHandler only, so no time goes into formatting or
printing lines; the records are still made and handled. Each run uses a fresh
``PREFECTLITE_HOME`` in a temporary directory (on ``--dir`` when given).

Usage: python benchmarks/logs.py [N] [--tasks T] [--dir DIR] [--repeat R]
       (defaults: N 10000 records, the per-run cap, and T 5000 tasks)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from prefectlite import Flow, context, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journal import fan  # noqa: E402  (the fan-out flow of benchmarks/journal.py)


def chatty(n: int) -> Flow:
    @task(name="chatty")
    def talk():
        log = context.logger
        for i in range(n):
            log.info("record %d of the run", i)

    with Flow("chatty") as flow:
        talk()
    return flow


def timed(flow: Flow, base: Path, journal: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    with tempfile.TemporaryDirectory(dir=base) as home:
        os.environ["PREFECTLITE_HOME"] = home
        start, cpu = time.perf_counter(), time.process_time()
        state = flow.run(journal=journal)
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        assert state.is_successful(), state
        if journal:
            from prefectlite.persistence.journal import RunStore
            from prefectlite.persistence.journal_logs import read_logs

            with RunStore() as store:
                stored = len(read_logs(store, store.list_runs()[0].id))
            assert stored > 0, "no record was stored"
    return elapsed


def best(flow: Flow, base: Path, journal: bool, repeat: int) -> tuple[float, float]:
    times = [timed(flow, base, journal) for _ in range(repeat)]
    return min(t[0] for t in times), min(t[1] for t in times)


def show(plain: tuple[float, float], journaled: tuple[float, float], per: int, unit: str
         ) -> None:
    for i, kind in enumerate(("wall", "CPU ")):
        print(f"   {kind}: plain {plain[i]:.3f} s, journaled {journaled[i]:.3f} s: "
              f"{(journaled[i] - plain[i]) / per * 1e6:.1f} us added per {unit}")


def main(n: int, tasks: int, base: Path, repeat: int) -> None:
    log = logging.getLogger("prefectlite")
    log.handlers[:] = [logging.NullHandler()]
    log.propagate = False
    log.setLevel(logging.INFO)

    flow = chatty(n)
    plain, journaled = best(flow, base, False, repeat), best(flow, base, True, repeat)
    print(f"1. one task logging {n} records, best of {repeat} (target: <= 20 us per record)")
    show(plain, journaled, n, "stored record")

    logging.getLogger("prefectlite.TaskRunner").setLevel(logging.INFO)
    flow = fan(tasks)
    plain, journaled = best(flow, base, False, repeat), best(flow, base, True, repeat)
    print(f"2. fan-out of {tasks} tasks with the INFO task lines (2 records per task), "
          f"best of {repeat}")
    show(plain, journaled, tasks, "task")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    main(args.n, args.tasks, args.dir, args.repeat)
