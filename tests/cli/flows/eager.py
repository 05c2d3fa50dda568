"""Eager @flow functions for `prefectlite run`."""

from prefectlite import flow, task


@task
def double(x: int) -> int:
    return 2 * x


@task
def fail(x: int) -> int:
    raise ValueError(f"no good: {x}")


@flow(name="doubler")
def doubler(x: int, label: str = "n"):
    return {label: double(x)}


@flow(name="failing")
def failing(x: int = 1):
    return fail(x)
