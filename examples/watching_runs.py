"""Watch flow runs from Python: a run observer, and the schedule loop with a stop hook.

A ``RunObserver`` is told of every task state as the run goes (the run journal and the
command line's progress display are observers too). The schedule loop runs a flow at each
time of a schedule until the schedule ends, ``max_runs`` runs happened, or a stop hook says
so; here a schedule of three close dates, stopped after two runs.

Run it: ``python examples/watching_runs.py``
"""

from __future__ import annotations

import datetime

from prefectlite import Flow, Parameter, task
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.scheduling import run_on_schedule
from prefectlite.schedules import Schedule
from prefectlite.schedules.clocks import DatesClock


@task
def fetch(size: int) -> list[int]:
    return list(range(size))


@task
def check(x: int) -> int:
    if x == 2:
        raise ValueError("2 is not allowed")  # on purpose: the observer sees it fail
    return x


class Failures(RunObserver):
    """Collects the task runs that failed, as they fail."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def task_run_finished(self, task, map_index, state) -> None:
        if state.is_failed() and map_index is not None:
            self.failed.append(f"{task.name}[{map_index}]")


with Flow("watched") as flow:
    check.map(fetch(Parameter("size", default=4)))

watcher = Failures()
state = flow.run(observers=[watcher])
print("run:", type(state).__name__, "| failed:", watcher.failed)
assert state.is_failed() and watcher.failed == ["check[2]"]

now = datetime.datetime.now(datetime.UTC)
soon = Schedule(clocks=[DatesClock([now + datetime.timedelta(seconds=s) for s in (0.1, 0.2, 0.3)],
                                   parameter_defaults={"size": 2})])
sizes = []


def one_run(event):
    result = flow.run(run_on_schedule=False, **(event.parameter_defaults or {}))
    sizes.append(len(result.result[flow.get_tasks(name="fetch")[0]].result))
    return result


done = run_on_schedule(soon, one_run, max_runs=2)
print("scheduled runs:", done.runs, "failed:", done.failed, "sizes:", sizes)
assert (done.runs, done.failed, sizes) == (2, 0, [2, 2])
