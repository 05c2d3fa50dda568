"""A task that raises: the flow fails."""

from prefectlite import Flow, task


@task
def ok():
    return 1


@task
def boom(x):
    raise RuntimeError(f"kaboom {x}")


with Flow("failing") as flow:
    boom(ok())
