"""Fails until CLI_FIXED=1 is set; `produce` counts its runs in the file $COUNT_FILE."""

import os

from prefectlite import Flow, Parameter, task


@task
def produce(n):
    path = os.environ.get("COUNT_FILE")
    if path:
        with open(path, "a") as f:
            f.write("x")
    return list(range(n))


@task
def check(numbers):
    if os.environ.get("CLI_FIXED") != "1":
        raise RuntimeError("not fixed yet")
    return sum(numbers)


with Flow("fixable") as flow:
    check(produce(Parameter("n", default=3)))
