"""A flow made to be run from the command line: parameters, a map, a retry, a schedule.

    prefectlite inspect examples/cli_etl.py
    prefectlite check examples/cli_etl.py -e processes
    prefectlite run examples/cli_etl.py -p cities='["Oslo", "Lima"]' -p scale=2
    prefectlite run examples/cli_etl.py --interval 5 --max-runs 3
    prefectlite visualize examples/cli_etl.py -o etl.mmd
    python examples/cli_etl.py                   # the same flow, run once from Python

The flow sits at module level, where ``prefectlite run`` finds it; the ``__main__`` block
below does not run when the CLI loads the file. ``measure`` fails on its first attempt for
Tokyo and succeeds on its retry, so with the default cities the summary shows one retry.
"""

from __future__ import annotations

from datetime import timedelta

from prefectlite import Flow, Parameter, context, task, unmapped
from prefectlite.schedules import IntervalSchedule


@task
def normalise(cities: list[str]) -> list[str]:
    return [c.strip().title() for c in cities]


@task(max_retries=1, retry_delay=timedelta(seconds=0.1))
def measure(city: str, scale: float) -> float:
    if city == "Tokyo" and context.get("task_run_count", 1) < 2:
        raise ConnectionError(f"sensor for {city} did not answer; retrying")
    return len(city) * scale


@task
def report(readings: list[float], cities: list[str]) -> str:
    best = max(zip(readings, cities))
    return f"{len(cities)} cities, highest reading {best[0]:g} in {best[1]}"


with Flow("cli-etl", schedule=IntervalSchedule(interval=timedelta(minutes=10))) as flow:
    cities = normalise(Parameter("cities", default=["paris", " tokyo", "nairobi"]))
    readings = measure.map(cities, scale=unmapped(Parameter("scale", default=1.0)))
    summary = report(readings, cities)


if __name__ == "__main__":
    state = flow.run(run_on_schedule=False)
    assert state.is_successful(), state
    assert state.result[summary].result == "3 cities, highest reading 7 in Nairobi"
    print(state.result[summary].result)
