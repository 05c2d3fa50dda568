"""Mapped tasks tagged "database" that record how many of them run at once."""

import os
import time

from prefectlite import Flow, Parameter, task, unmapped


@task(tags=["database"])
def query(i, log, limit, total):
    with open(log, "a", encoding="ascii") as f:
        f.write("+")
    deadline = time.monotonic() + 120  # a safety net only
    while time.monotonic() < deadline:  # stay until `limit` are inside or all have started
        with open(log, encoding="ascii") as f:
            marks = f.read()
        if marks.count("+") - marks.count("-") >= limit or marks.count("+") >= total:
            break
        time.sleep(0.005)
    with open(log, "a", encoding="ascii") as f:
        f.write("-")
    return os.getpid()


with Flow("limited") as flow:
    log = Parameter("log")
    limit = Parameter("limit", default=2)
    query.map(list(range(6)), log=unmapped(log), limit=unmapped(limit), total=unmapped(6))
