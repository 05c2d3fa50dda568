"""An eager @flow whose mapped tasks, tagged "database", record how many run at once."""

import os
import time

from prefectlite import flow, task, unmapped
from prefectlite.task_runners import ThreadPoolTaskRunner


@task(tags=["database"])
def query(i: int, log: str, limit: int, total: int) -> int:
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


@flow(name="eager-limited", task_runner=ThreadPoolTaskRunner(max_workers=4))
def eager_limited(log: str, limit: int = 2) -> int:
    return len(query.map(range(6), log=unmapped(log), limit=unmapped(limit),
                         total=unmapped(6)).result())
