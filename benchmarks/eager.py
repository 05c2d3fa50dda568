"""Per-call overhead of the eager API: task calls and ``.submit()`` inside an eager ``@flow``.

Prints, for N sequential eager task calls (``x = inc(x)``) and N ``inc.submit(i)`` calls (each
future's result read afterwards), the wall time and the overhead per call in microseconds:
(time − the same N plain Python calls) / N. Task calls run once with the per-task log lines
at their default level (INFO, formatted into a discarded stream) and once quieted
(``prefectlite.TaskRunner`` at WARNING); ``.submit()`` runs on the default
``ThreadPoolTaskRunner`` and on the ``SequentialTaskRunner``. The cost of calling an empty flow
is shown as well. If Prefect 3 is installed in the same environment, the same loops run with
``prefect`` for comparison; otherwise that is said and skipped (it is not a dependency).

Usage: python benchmarks/eager.py [N]   (default: 10000)
"""

from __future__ import annotations

import importlib.metadata
import io
import logging
import sys
import time
from collections.abc import Callable
from typing import Any


def inc_fn(x: int) -> int:
    return x + 1


def plain_calls(n: int) -> float:
    start = time.perf_counter()
    x = 0
    for _ in range(n):
        x = inc_fn(x)
    return time.perf_counter() - start


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def flows(api: Any, runner: Any = None) -> tuple[Any, Any, Any]:
    """The three flows measured, built with ``api`` (prefectlite or prefect)."""
    inc = api.task(inc_fn)
    options = {"task_runner": runner} if runner is not None else {}

    @api.flow(**options)
    def chain(n: int) -> int:
        x = 0
        for _ in range(n):
            x = inc(x)
        return x

    @api.flow(**options)
    def submits(n: int) -> int:
        futures = [inc.submit(i) for i in range(n)]
        return sum(f.result() for f in futures)

    @api.flow(**options)
    def empty() -> None:
        return None

    return chain, submits, empty


def row(what: str, n: int, elapsed: float, plain: float) -> None:
    per_call = (elapsed - plain) / n * 1e6
    print(f"{what:<44} {n:>7} {elapsed:>8.3f} {per_call:>9.1f}")


def measure_prefectlite(n: int) -> None:
    import prefectlite
    from prefectlite.task_runners import SequentialTaskRunner

    log = logging.getLogger("prefectlite")
    log.handlers[:] = [logging.StreamHandler(io.StringIO())]  # format lines, show none
    log.setLevel(logging.INFO)
    log.propagate = False
    runner_log = logging.getLogger("prefectlite.TaskRunner")
    plain = plain_calls(n)
    chain, submits, empty = flows(prefectlite)
    chain(10), submits(10)  # warm up: imports, first pool
    for label, level in (("INFO lines", logging.NOTSET), ("quiet", logging.WARNING)):
        runner_log.setLevel(level)
        row(f"prefectlite task call ({label})", n, timed(lambda: chain(n)), plain)
    runner_log.setLevel(logging.WARNING)
    row("prefectlite .submit() ThreadPoolTaskRunner", n, timed(lambda: submits(n)), plain)
    _, seq_submits, _ = flows(prefectlite, SequentialTaskRunner())
    row("prefectlite .submit() SequentialTaskRunner", n, timed(lambda: seq_submits(n)), plain)
    calls = max(1, n // 10)
    row("prefectlite empty flow call (per flow)", calls,
        timed(lambda: [empty() for _ in range(calls)]), 0.0)
    runner_log.setLevel(logging.NOTSET)


def measure_prefect(n: int) -> None:
    try:
        version = importlib.metadata.version("prefect")
    except importlib.metadata.PackageNotFoundError:
        print("Prefect 3: not installed here, so not measured (pip install 'prefect>=3' "
              "in the same environment to compare).")
        return
    if int(version.split(".")[0]) < 3:
        print(f"Prefect {version} is installed, not Prefect 3: not measured.")
        return
    import prefect

    logging.getLogger("prefect").setLevel(logging.WARNING)
    plain = plain_calls(n)
    chain, submits, _ = flows(prefect)
    chain(10), submits(10)
    row(f"prefect {version} task call", n, timed(lambda: chain(n)), plain)
    row(f"prefect {version} .submit()", n, timed(lambda: submits(n)), plain)


def main(n: int) -> None:
    plain = plain_calls(n)
    print(f"Python {sys.version.split()[0]}; plain call: {plain / n * 1e6:.3f} us")
    print(f"{'what':<44} {'calls':>7} {'wall s':>8} {'us/call':>9}")
    measure_prefectlite(n)
    measure_prefect(n)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
