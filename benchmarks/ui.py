"""How fast the dashboard answers over a large journal.

Fills a fresh journal with N flow runs (default 10,000; every tenth failed), plus one run of
a fan-out flow of T tasks (default 1,000) with its log records, then starts the real
``prefectlite ui`` command on a free port and times, over HTTP, the first and the last page
of the runs, a filtered page, that big run's page, one task run's page and the status the
run page polls (best of R each).

Usage: python benchmarks/ui.py [N] [--tasks T] [--repeat R]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prefectlite import Flow, task
from prefectlite.persistence.journal import RunStore


def fill(path: Path, n: int) -> None:
    with RunStore(path) as store, store.writing() as conn:
        now = time.time()
        conn.executemany(
            "INSERT INTO flow_runs (id, flow_name, state, message, parameters, started, "
            "ended, python, prefectlite_version) VALUES (?, ?, ?, ?, '{}', ?, ?, '3', '0')",
            ((f"run-{i:06d}", f"flow-{i % 7}", "Failed" if i % 10 == 0 else "Success",
              "All reference tasks succeeded.", now - n + i, now - n + i + 0.5)
             for i in range(n)))


def big_run(path: Path, tasks: int) -> str:
    @task(name="inc")
    def inc(x):
        return x + 1

    with Flow("big") as flow:
        inc.map(list(range(tasks)))
    return str(flow.run(journal=path).context["flow_run_id"])


def timed(url: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as answer:
            answer.read()
            assert answer.status == 200
        best = min(best, time.perf_counter() - start)
    return best


def main(n: int, tasks: int, repeat: int) -> None:
    logging.getLogger("prefectlite").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "prefectlite.db"
        fill(path, n)
        logging.getLogger("prefectlite").setLevel(logging.INFO)
        logging.getLogger("prefectlite").handlers[:] = [logging.NullHandler()]
        logging.getLogger("prefectlite").propagate = False
        run_id = big_run(path, tasks)
        server = subprocess.Popen(
            [sys.executable, "-m", "prefectlite", "ui", "--port", "0", "--journal", str(path)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PREFECTLITE_HOME": home})
        try:
            assert server.stdout is not None
            base = server.stdout.readline().split("dashboard on ", 1)[1].split()[0]
            pages = [("runs, first page", "/"), ("runs, last page", f"/?page={n // 50 + 1}"),
                     ("runs of one flow, failed", "/?flow=flow-3&state=Failed"),
                     (f"a run of {tasks} mapped tasks", f"/runs/{run_id}"),
                     ("one task run with its logs", f"/runs/{run_id}/tasks/inc-1?index=7"),
                     ("the polled status of that run", f"/api/runs/{run_id}/status")]
            print(f"{n + 1} runs in the journal; best of {repeat}")
            for label, page in pages:
                print(f"{label:<34} {timed(base + page, repeat) * 1000:8.1f} ms")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(args.n, args.tasks, args.repeat)
