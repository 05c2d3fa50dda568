"""``prefectlite runs logs RUN [TASK]`` and the ``prefectlite ui`` command's checks (the
dashboard itself is tested in tests/ui)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

LOGGING_FLOW = """
from prefectlite import Flow, context, task

@task(log_stdout=True)
def greet(name):
    print(f"hello {name}")
    context.logger.warning("greeted %s", name)

@task
def fail(_):
    raise ValueError("no more names")

with Flow("greetings") as flow:
    fail(greet.map(["ann", "bob"]))
"""


pytestmark = pytest.mark.usefixtures("engine_info_lines")


def _run(invoke, write_flow) -> str:
    result = invoke("run", write_flow(LOGGING_FLOW), "--json")
    assert result.exit_code == 1
    return str(json.loads(result.stdout)["flow_run_id"])


def test_all_records_of_a_run(invoke, write_flow) -> None:
    run_id = _run(invoke, write_flow)
    lines = invoke("runs", "logs", run_id[:8]).stdout.splitlines()
    assert any(line.endswith("INFO - greet-1[1] - prefectlite.greet | hello bob")
               for line in lines)
    assert any("ERROR - fail-1 - prefectlite.TaskRunner | Task 'fail': " in line
               for line in lines)
    assert "ValueError: no more names" in lines


def test_one_task_and_one_child(invoke, write_flow) -> None:
    _run(invoke, write_flow)
    child = invoke("runs", "logs", "latest", "greet[0]").stdout
    assert "hello ann" in child and "hello bob" not in child
    assert "greet-1" not in child  # the task is given: lines do not repeat it
    by_slug = invoke("runs", "logs", "latest", "greet-1", "--level", "warning").stdout
    assert by_slug.splitlines()[0].endswith("WARNING - prefectlite.greet | greeted ann")
    assert "hello" not in by_slug


def test_json(invoke, write_flow) -> None:
    _run(invoke, write_flow)
    records = json.loads(invoke("runs", "logs", "latest", "fail", "--json").stdout)
    assert {r["task"] for r in records} == {"fail-1"}
    assert records[-1]["level"] == "ERROR" and "Traceback" in records[-1]["message"]


def test_bad_task_and_level(invoke, write_flow) -> None:
    _run(invoke, write_flow)
    result = invoke("runs", "logs", "latest", "nope")
    assert result.exit_code == 2
    assert "has no task run 'nope' (its tasks: ['ann', 'bob']-1, fail-1, greet-1)." in result.stderr
    result = invoke("runs", "logs", "latest", "--level", "loud")
    assert result.exit_code == 2 and "--level 'loud' is not a log level" in result.stderr


def test_ui_needs_a_journal(invoke) -> None:
    result = invoke("ui")
    assert result.exit_code == 2 and result.stderr.startswith("Error: no run journal at ")


def test_ui_warns_about_other_hosts(invoke, write_flow, monkeypatch) -> None:
    pytest.importorskip("uvicorn")
    import uvicorn

    _run(invoke, write_flow)
    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: served.append(self.config.host))
    result = invoke("ui", "--host", "0.0.0.0", "--port", "0")
    assert served == ["0.0.0.0"]
    assert "Warning: serving on 0.0.0.0: anyone who can reach this address" in result.stderr
    quiet = invoke("ui", "--port", "0")
    assert served[-1] == "127.0.0.1" and "Warning" not in quiet.stderr


def test_the_failure_summary_points_at_a_running_dashboard(invoke, write_flow) -> None:
    home = Path(os.environ["PREFECTLITE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "ui.json").write_text(json.dumps({
        "url": "http://127.0.0.1:4200", "pid": os.getpid(),
        "journal": str(home / "prefectlite.db")}))
    result = invoke("run", write_flow(LOGGING_FLOW))
    run_id = json.loads(invoke("runs", "list", "--json").stdout)[0]["id"]
    assert f"See it in the dashboard: http://127.0.0.1:4200/runs/{run_id}" in result.stdout
    (home / "ui.json").write_text(json.dumps({
        "url": "http://127.0.0.1:4200", "pid": os.getpid(), "journal": "/elsewhere.db"}))
    assert "dashboard" not in invoke("run", write_flow(LOGGING_FLOW)).stdout


def test_the_command_line_does_not_load_the_dashboard() -> None:
    # `prefectlite --help` and `prefectlite runs ...` start fast: the ASGI stack is loaded
    # only by `prefectlite ui` itself.
    import subprocess
    import sys

    code = ("import sys, prefectlite.cli; print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'starlette', 'uvicorn', 'jinja2'}), 'prefectlite.ui' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["[]", "False"]
