"""Replay a failed task: call its function again, alone, with the inputs it was given.

A journaled run (``flow.run(journal=True)``) records each task run's inputs: the arguments
its function was called with, a mapped child's with its own element. Here one of the mapped
``parse`` children fails on a malformed row. Instead of running the whole flow again, the
script replays that one child with ``prefectlite.persistence.replay``: the same exception,
raised here, where a debugger can step through it (``replay(..., debug=True)``, or
``prefectlite runs replay latest 'parse[2]' --pdb`` from a shell). A replay can also be
given other values to try (``inputs=``; arguments from secrets, never recorded, must be
given so). A task whose function did not run (``upload``, after the failure) has nothing to
replay, and says so.

This script uses a temporary ``PREFECTLITE_HOME`` unless you set one.
"""

from __future__ import annotations

import os
import tempfile

from prefectlite import Flow, task
from prefectlite.persistence import replay
from prefectlite.persistence.replaying import ReplayError, prepare_replay
from prefectlite.utilities.configuration import set_temporary_config

ROWS = ["ann,31", "bob,27", "cy,thirty", "dee,45"]


@task
def parse(row: str) -> tuple[str, int]:
    name, age = row.split(",")
    return name, int(age)


@task
def upload(people: list[tuple[str, int]]) -> int:
    return len(people)


with Flow("replay-example") as flow:
    people = parse.map(ROWS)
    upload(people)


def main() -> None:
    state = flow.run(journal=True)
    run_id = state.context["flow_run_id"]
    children = state.result[people].map_states
    failed = [i for i, child in enumerate(children) if child.is_failed()]
    print(f"run {run_id[:8]}: {type(state).__name__}; parse children that failed: {failed}")
    assert failed == [2]

    prepared = prepare_replay(run_id, "parse[2]")  # what a replay would call, not called yet
    print(f"recorded inputs of parse[2]: {prepared.inputs}")
    assert prepared.inputs == {"row": "cy,thirty"}

    try:  # the same error, raised in this process (debug=True would open pdb here)
        replay(run_id, "parse[2]")
    except ValueError as exc:
        print(f"replayed parse[2]: ValueError: {exc}")
    assert replay(run_id, "parse", map_index=0) == ("ann", 31)  # a child that succeeded
    assert replay(run_id, "parse[2]", inputs={"row": "cy,30"}) == ("cy", 30)  # a fix, tried

    try:  # upload did not run (an upstream failed), so there is nothing to replay
        replay(run_id, "upload")
    except ReplayError as exc:
        print(f"upload: {exc}")
    print(f"from a shell: prefectlite runs replay {run_id[:8]} 'parse[2]' --pdb")


if __name__ == "__main__":
    if "PREFECTLITE_HOME" in os.environ:
        main()
    else:  # leave nothing behind
        with tempfile.TemporaryDirectory(prefix="prefectlite-example-") as home, \
                set_temporary_config({"home_dir": home}):
            main()
