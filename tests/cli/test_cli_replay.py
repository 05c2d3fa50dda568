"""``prefectlite runs replay RUN TASK[INDEX] [--pdb] [-i NAME=VALUE]``."""

from __future__ import annotations

import json

import pytest

FLOW = """
from prefectlite import Flow, Parameter, task

@task
def parse(row):
    if row == "b,x":
        raise ValueError(f"bad row {row!r}")
    return row.split(",")

@task
def connect(user, password):
    return f"{user} connected"

with Flow("rows") as flow:
    parse.map(["a,1", "b,x", "c,3"])
    connect("ann", Parameter("password", default="pw", secret=True))
"""


@pytest.fixture
def run_id(invoke, write_flow) -> str:
    result = invoke("run", write_flow(FLOW, "rows.py"), "--json")
    assert result.exit_code == 1
    return str(json.loads(result.stdout)["flow_run_id"])


def test_a_successful_task_run_prints_its_result(invoke, run_id) -> None:
    result = invoke("runs", "replay", run_id[:8], "parse[0]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "['a', '1']"
    assert "Replaying parse-1[0] of run" in result.stderr
    assert "ended Success): parse(row='a,1')" in result.stderr


def test_a_failing_task_run_prints_its_traceback(invoke, run_id) -> None:
    result = invoke("runs", "replay", "latest", "parse-1[1]")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "Traceback (most recent call last):" in lines
    assert any(line.strip().endswith("rows.py\", line 7, in parse") for line in lines)
    assert "ValueError: bad row 'b,x'" in lines
    assert not any("replaying.py" in line or "replay_cmd.py" in line for line in lines)
    assert lines[-1] == "Task run parse-1[1] raised ValueError."


def test_inputs_can_be_given(invoke, run_id) -> None:
    result = invoke("runs", "replay", "latest", "parse[1]", "-i", "row=b,2")
    assert result.exit_code == 0
    assert result.stdout.strip() == "['b', '2']"


def test_a_secret_must_be_given(invoke, run_id) -> None:
    result = invoke("runs", "replay", "latest", "connect")
    assert result.exit_code == 2
    assert "argument 'password' comes from a secret" in result.stderr
    assert "-i password=VALUE" in result.stderr
    given = invoke("runs", "replay", "latest", "connect", "-i", "password=s3cr3t")
    assert given.exit_code == 0 and given.stdout.strip() == "'ann connected'"
    assert "s3cr3t" not in given.stderr and "password=********" in given.stderr


def test_pdb_stops_at_the_first_line_and_after_the_error(invoke, run_id) -> None:
    result = invoke("runs", "replay", "latest", "parse[1]", "--pdb",
                    input="p row.upper()\ncontinue\np row * 2\nquit\n")
    assert result.exit_code == 1
    assert "'B,X'" in result.stdout  # at the first line
    assert "'b,xb,x'" in result.stdout  # post-mortem, where it raised
    assert "ValueError: bad row 'b,x'" in result.stderr


def test_quitting_pdb_before_the_end(invoke, run_id) -> None:
    result = invoke("runs", "replay", "latest", "parse[0]", "--pdb", input="quit\n")
    assert result.exit_code == 1
    assert "Replay stopped in the debugger." in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("nope", "parse[0]"), "no run 'nope' in the run journal"),
    (("latest", "load"), "has no task run 'load'; its tasks: "),
    (("latest", "parse"), "is mapped over 3 children (not successful: 1); give one: "
                          "parse-1[INDEX]"),
    (("latest", "parse[7]"), "has no child [7] recorded (children 0 to 2)"),
    (("latest", "parse[0]", "-i", "novalue"), "malformed --param 'novalue'"),
])
def test_errors_exit_2_with_one_line(invoke, run_id, args, message) -> None:
    result = invoke("runs", "replay", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_journal_yet(invoke) -> None:
    result = invoke("runs", "replay", "latest", "parse[0]")
    assert result.exit_code == 1
    assert "no run journal yet" in result.stderr


def test_flow_file_changed_or_gone(invoke, write_flow, run_id) -> None:
    path = write_flow(FLOW + "\n# edited\n", "rows.py")
    changed = invoke("runs", "replay", "latest", "parse[2]")
    assert changed.exit_code == 0
    assert "Warning: " in changed.stderr and "rows.py changed since run" in changed.stderr
    path.unlink()
    gone = invoke("runs", "replay", "latest", "parse[2]")
    assert gone.exit_code == 2
    assert "rows.py, is gone" in gone.stderr


def test_runs_without_recorded_inputs(invoke, write_flow, config_env) -> None:
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", "0")
    invoke("run", write_flow(FLOW, "rows.py"))
    result = invoke("runs", "replay", "latest", "parse[0]")
    assert result.exit_code == 2
    assert "No inputs were recorded for task run 'parse-1[0]'" in result.stderr
    assert "max_input_bytes = 0" in result.stderr
