"""A flow with its own schedule (every half second) and a clock default for `label`."""

from datetime import timedelta

import pendulum

from prefectlite import Flow, Parameter, task
from prefectlite.schedules import Schedule
from prefectlite.schedules.clocks import IntervalClock


@task
def record(label):
    if label == "fail":
        raise ValueError("asked to fail")
    return label


schedule = Schedule(clocks=[IntervalClock(
    timedelta(seconds=0.5), start_date=pendulum.now("UTC"),
    parameter_defaults={"label": "from-clock"},
)])

with Flow("scheduled", schedule=schedule) as flow:
    record(Parameter("label"))
