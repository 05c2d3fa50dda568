"""Two flows in one file (and a second name for the first)."""

from prefectlite import Flow, task


@task
def one():
    return 1


with Flow("first") as first_flow:
    one()

with Flow("second") as second_flow:
    one()

alias = first_flow
