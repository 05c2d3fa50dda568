"""Retries, an always-run cleanup task, and a reference task that decides the flow's state.

    python examples/retries_and_cleanup.py

``fetch`` fails twice before it works; with ``max_retries=3`` the run retries it after a
short ``retry_delay``, and meanwhile the independent ``warm_cache`` task runs (a retry never
blocks other work). ``report`` always fails. ``cleanup`` uses the ``all_finished`` trigger, so
it runs whatever happened upstream. Because ``cleanup`` is the only terminal task, by default
its success would make the whole flow look successful; setting ``report`` as the reference
task makes the flow's state reflect the work that matters.
"""

from __future__ import annotations

import datetime
import logging

from prefectlite import Flow, context, task
from prefectlite.triggers import all_finished

# Quiet the per-task INFO lines; errors still show (the traceback of `report` is expected).
logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)

ATTEMPTS: list[int] = []


@task(max_retries=3, retry_delay=datetime.timedelta(seconds=0.2))
def fetch() -> list[int]:
    ATTEMPTS.append(context.task_run_count)
    if context.task_run_count < 3:
        raise ConnectionError(f"server busy (attempt {context.task_run_count})")
    return [3, 1, 2]


@task
def warm_cache() -> str:
    return "warm"


@task
def report(rows: list[int], cache: str) -> str:
    raise ValueError(f"report template missing for {len(rows)} rows")


@task(trigger=all_finished)
def cleanup() -> str:
    return "temporary files removed"


def build() -> Flow:
    with Flow("retries and cleanup") as flow:
        rows = fetch()
        cache = warm_cache()
        summary = report(rows, cache)
        cleanup(upstream_tasks=[summary])
    flow.set_reference_tasks([summary])
    return flow


def main() -> None:
    flow = build()
    state = flow.run()
    for t, task_state in state.result.items():
        print(f"{t.name:>11}: {type(task_state).__name__:<7} {task_state.message}")
    print(f"flow: {state!r}")

    by_name = {t.name: s for t, s in state.result.items()}
    assert ATTEMPTS == [1, 2, 3]
    assert by_name["fetch"].is_successful() and by_name["fetch"].result == [3, 1, 2]
    assert by_name["report"].is_failed()
    assert by_name["cleanup"].is_successful()  # ran although report failed
    assert state.is_failed()  # decided by the reference task, not by cleanup


if __name__ == "__main__":
    main()
