"""Parameters with types: values from the command line are converted before the run."""

import datetime

from prefectlite import Flow, Parameter, task


@task
def days_after(start, n):
    return (start + datetime.timedelta(days=n)).isoformat()


with Flow("typed") as flow:
    start = Parameter("start", type=datetime.date)
    n = Parameter("n", default=1, type=int)
    days_after(start, n)
