"""Eager flows and a subflow (the Prefect 2/3 style), runnable.

    python examples/eager_subflow.py

A flow is a function decorated with ``@flow``; calling it runs it. Tasks called inside it run
at once and return their values, so ordinary Python (``if``, loops, f-strings) sits between
them. Calling a flow inside a flow makes a *subflow*: a child run, linked to its parent, that
the parent waits for. Parameters are converted from the type hints before the body runs.

Every ``assert`` below is part of the example: it shows what the calls return.
"""

from __future__ import annotations

import logging

from prefectlite import flow, get_run_logger, task

# The per-task engine lines would drown this tour; the flow-run lines stay.
logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)


@task
def extract(n: int) -> list[int]:
    return list(range(1, n + 1))


@task(retries=2, retry_delay_seconds=0)
def square(x: int) -> int:
    return x * x


@flow(log_prints=True)
def summarize(values: list[int]) -> dict[str, float]:
    """The subflow: its prints go to its run's logger (log_prints=True)."""
    total = sum(values)
    print(f"summarizing {len(values)} values")
    return {"total": total, "mean": total / len(values)}


@flow(name="squares")
def squares(n: int = 3) -> dict[str, float]:
    numbers = extract(n)
    squared = [square(x) for x in numbers]  # each call runs now, in this order
    get_run_logger().info("squared %s", squared)
    return summarize(squared)  # a subflow: a child run the parent waits for


if __name__ == "__main__":
    assert squares(3) == {"total": 14, "mean": 14 / 3}
    assert squares("4")["total"] == 30  # "4" is converted to 4 from the type hint

    state = squares(2, return_state=True)  # the final state instead of the value
    assert state.is_completed() and str(state) == "Completed()"
    assert state.result() == {"total": 5, "mean": 2.5}

    bad = squares("many", return_state=True)  # invalid: Failed before the body runs
    assert bad.is_failed() and "n: Input should be a valid integer" in bad.message
    print("eager_subflow: ok")
