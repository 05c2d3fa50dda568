"""A mapped task whose first child fails once, then succeeds on its retry."""

from datetime import timedelta

from prefectlite import Flow, context, task


@task(max_retries=2, retry_delay=timedelta(seconds=0))
def flaky(x):
    if x == 0 and context.get("task_run_count", 1) < 2:
        raise ValueError("first attempt fails")
    return x * 10


@task
def total(xs):
    return sum(xs)


with Flow("retrying") as flow:
    total(flaky.map([0, 1, 2]))
