"""Whatever a task does, only that task fails: the rest of the flow runs on.

    python examples/misbehaving_tasks.py

``legacy_cli`` wraps an old command-line tool that calls ``sys.exit(3)``; ``by_region``
returns a dict, which a map cannot walk (mapping goes by position); ``odd_error`` raises an
exception whose ``repr()`` itself fails. Each ends ``Failed`` with a message naming the
task and the cause, their downstream tasks get ``TriggerFailed``, and ``audit``, which
depends on none of them, succeeds. The same holds on every executor; run it with
``LocalDaskExecutor("processes")`` to see the states come back the same from worker
processes.
"""

from __future__ import annotations

import logging
import sys

from prefectlite import Flow, task
from prefectlite.engine.state import Failed, Success, TriggerFailed

# The three failures are expected: keep their tracebacks out of the way.
for name in ("prefectlite.TaskRunner", "prefectlite.FlowRunner"):
    logging.getLogger(name).setLevel(logging.CRITICAL)


class OddError(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("this repr is broken")


@task
def legacy_cli() -> int:
    sys.exit(3)  # would end a plain script; here it fails this task only


@task
def by_region() -> dict[str, int]:
    return {"north": 1, "south": 2}


@task
def odd_error() -> None:
    raise OddError()


@task
def double(x: int) -> int:
    return 2 * x


@task
def audit() -> str:
    return "audited"


with Flow("misbehaving") as flow:
    exit_code = legacy_cli()
    after_exit = double(exit_code)
    per_region = double.map(by_region())
    odd = odd_error()
    checked = audit()

if __name__ == "__main__":
    state = flow.run()
    for t in (exit_code, per_region, odd):
        print(f"{t.name}: {state.result[t].message}")
    assert type(state.result[exit_code]) is Failed
    assert state.result[exit_code].message == (
        "Task 'legacy_cli' raised SystemExit(3); the task failed and the flow run goes on.")
    assert type(state.result[after_exit]) is TriggerFailed
    assert "Cannot map task 'double'" in str(state.result[per_region].result)
    assert "its repr() raised RuntimeError" in state.result[odd].message
    assert type(state.result[checked]) is Success and state.result[checked].result == "audited"
    print(f"audit: {state.result[checked].result}; the flow is {type(state).__name__}")
