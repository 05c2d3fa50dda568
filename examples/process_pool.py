"""CPU-bound work on a pool of processes, without Dask, in both styles; and a tag limit.

    python examples/process_pool.py

``LocalProcessPoolExecutor`` runs a graph flow's tasks in worker processes (pure-Python CPU
work runs in parallel, unlike on threads); ``ProcessPoolTaskRunner`` runs an eager flow's
submitted tasks on the same executor. Tasks, inputs and results travel with cloudpickle.
The processes are started with ``spawn`` and import this script again, hence the
``if __name__ == "__main__":`` below.

Tasks tagged ``database`` take one slot of the ``database`` limit while they run: here at
most one at a time, though two processes are free. ``flow.run(task_concurrency=...)`` sets
it for a graph run; an eager run reads the configuration's ``[task_concurrency]`` table (or
``prefectlite run --limit database=1``). Each ``database`` run appends "+" to a file when it
starts and "-" when it ends, so the file shows how many were inside at once.

Every ``assert`` below is part of the example.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prefectlite import Flow, flow, task, unmapped
from prefectlite.executors import LocalProcessPoolExecutor
from prefectlite.task_runners import ProcessPoolTaskRunner
from prefectlite.utilities.configuration import set_temporary_config


@task
def count_primes(below: int) -> tuple[int, int]:
    """Pure-Python CPU work; returns (primes found, the process that counted them)."""
    found = sum(all(n % d for d in range(2, int(n ** 0.5) + 1)) for n in range(2, below))
    return found, os.getpid()


@task(tags=["database"])
def save(count: tuple[int, int], marks: str) -> int:
    with open(marks, "a", encoding="ascii") as f:
        f.write("+")
    with open(marks, "a", encoding="ascii") as f:  # the "write" to the database
        f.write("-")
    return count[0]


def most_inside(marks: str) -> int:
    inside = top = 0
    for sign in Path(marks).read_text():
        inside += 1 if sign == "+" else -1
        top = max(top, inside)
    return top


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def primes_eager(limits: list[int], marks: str) -> list[int]:
    counts = count_primes.map(limits)
    return save.map(counts, marks=unmapped(marks)).result()


def main() -> None:
    limits = [20_000, 20_001, 20_002, 20_003]
    with tempfile.TemporaryDirectory() as tmp:
        marks = str(Path(tmp) / "marks.log")

        # graph style: the executor of flow.run, the limit as a run option
        with Flow("primes") as graph:
            counts = count_primes.map(limits)
            saved = save.map(counts, marks=unmapped(marks))
        state = graph.run(executor=LocalProcessPoolExecutor(max_workers=2),
                          task_concurrency={"database": 1})
        assert state.is_successful()
        assert state.result[saved].result == [2262] * 4
        assert os.getpid() not in {pid for _, pid in state.result[counts].result}
        assert most_inside(marks) == 1

        # eager style: the task runner of @flow, the limit from the configuration
        Path(marks).write_text("")
        with set_temporary_config({"task_concurrency.database": 1}):
            assert primes_eager(limits, marks) == [2262] * 4
        assert most_inside(marks) == 1
    print("2262 primes below 20,000, counted in worker processes, saved one at a time.")


if __name__ == "__main__":
    main()
