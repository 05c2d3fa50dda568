"""The run journal from the command line: journaled runs, --resume, runs list/show/delete,
visualize --run. Each test has its own PREFECTLITE_HOME (see conftest)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def run_ids(invoke) -> list[str]:
    return [r["id"] for r in json.loads(invoke("runs", "list", "--json").stdout)]


def journal() -> Path:
    return Path(os.environ["PREFECTLITE_HOME"]) / "prefectlite.db"


def test_runs_are_journaled_by_default(invoke, flow_file) -> None:
    result = invoke("run", flow_file("simple"), "--json")
    run_id = json.loads(result.stdout)["flow_run_id"]
    assert run_ids(invoke) == [run_id]
    listing = invoke("runs", "list").stdout.splitlines()
    assert listing[0].split() == ["run", "id", "flow", "state", "started", "duration",
                                  "resumed", "from"]
    assert listing[1].startswith(f"{run_id[:8]}  simple  Success  ")


def test_no_journal(invoke, flow_file) -> None:
    assert invoke("run", flow_file("simple"), "--no-journal").exit_code == 0
    assert not journal().exists()
    result = invoke("runs", "list")
    assert result.exit_code == 1 and result.stderr.startswith("Error: no run journal yet at ")


def fail_then_resume(invoke, flow_file, tmp_path, monkeypatch) -> tuple[object, Path]:
    count = tmp_path / "count"
    monkeypatch.setenv("COUNT_FILE", str(count))
    first = invoke("run", flow_file("fixable"), "-p", "n=4")
    assert first.exit_code == 1
    assert f"--resume {run_ids(invoke)[0][:8]}" in first.stdout  # the hint
    monkeypatch.setenv("CLI_FIXED", "1")
    second = invoke("run", flow_file("fixable"), "--resume", "latest", "--json")
    assert second.exit_code == 0, second.stderr
    return second, count


def test_resume(invoke, flow_file, tmp_path, monkeypatch) -> None:
    second, _ = fail_then_resume(invoke, flow_file, tmp_path, monkeypatch)
    rows = {t["task"]: t for t in json.loads(second.stdout)["tasks"]}
    assert rows["n"]["message"].startswith("(given, not run)")  # the old run's parameters
    assert rows["check"]["state"] == "Success"
    newest = json.loads(invoke("runs", "list", "--json").stdout)[0]
    assert newest["resumed_from"] == run_ids(invoke)[1] and newest["parameters"] == {"n": 4}


def test_resume_does_not_rerun_kept_tasks(invoke, flow_file, tmp_path, monkeypatch) -> None:
    second, count = fail_then_resume(invoke, flow_file, tmp_path, monkeypatch)
    rows = {t["task"]: t for t in json.loads(second.stdout)["tasks"]}
    assert rows["produce"]["message"].startswith("(given, not run)")
    assert count.read_text() == "x"  # produce ran once, in the first run


def test_resume_errors(invoke, flow_file) -> None:
    result = invoke("run", flow_file("simple"), "--resume", "latest", "--no-journal")
    assert result.exit_code == 2 and "drop --no-journal" in result.stderr
    invoke("run", flow_file("simple"))
    result = invoke("run", flow_file("simple"), "--resume", "nope")
    assert result.exit_code == 2 and result.stderr.startswith("Error: cannot resume 'nope': ")
    result = invoke("run", flow_file("simple"), "--resume", "latest", "--interval", "1")
    assert result.exit_code == 2 and "cannot be combined with a schedule" in result.stderr


def test_resume_a_run_of_another_flow(invoke, flow_file) -> None:
    invoke("run", flow_file("failing"))
    run_id = run_ids(invoke)[0]
    result = invoke("run", flow_file("simple"), "--resume", run_id[:8])
    assert result.exit_code == 2 and "is a run of flow 'failing'" in result.stderr


def test_show(invoke, flow_file) -> None:
    invoke("run", flow_file("retrying"))
    run_id = run_ids(invoke)[0]
    out = invoke("runs", "show", run_id[:6]).stdout
    assert out.startswith(f"Flow run {run_id}\n  flow        retrying\n  state       Success")
    flaky = next(line for line in out.splitlines() if line.startswith("flaky-1 "))
    assert flaky.split()[1:2] == ["Mapped"] and "3 mapped runs: 3 Success" in flaky
    assert flaky.split()[3] == "1"  # the retry of child 0
    assert "flaky-1[2]" in invoke("runs", "show", run_id, "--all").stdout
    assert invoke("runs", "show", "latest").stdout == out
    info = json.loads(invoke("runs", "show", run_id, "--json").stdout)
    assert info["flow"] == "retrying" and len(info["tasks"]) == 3


def test_show_unknown(invoke, flow_file) -> None:
    invoke("run", flow_file("simple"))
    result = invoke("runs", "show", "zzzz")
    assert result.exit_code == 2 and result.stderr.startswith("Error: no run 'zzzz' in the run")


def test_delete(invoke, flow_file) -> None:
    for _ in range(2):
        invoke("run", flow_file("simple"))
    first, second = run_ids(invoke)
    assert invoke("runs", "delete", "--older-than", "1d").stdout == "Deleted 0 run(s).\n"
    dry = invoke("runs", "delete", "--flow", "simple", "--dry-run").stdout
    assert dry.startswith("Would delete 2 run(s): ")
    assert invoke("runs", "delete", first[:8]).stdout == f"Deleted 1 run(s): {first}\n"
    assert run_ids(invoke) == [second]


@pytest.mark.parametrize(("args", "match"), [
    ([], "say which runs to delete"), (["abc", "--older-than", "1d"], "not both"),
    (["--older-than", "soon"], "'soon' is not an age"),
])
def test_delete_bad_input(invoke, flow_file, args, match) -> None:
    invoke("run", flow_file("simple"))
    result = invoke("runs", "delete", *args)
    assert result.exit_code == 2 and match in result.stderr


def test_visualize_a_run(invoke, flow_file, tmp_path) -> None:
    invoke("run", flow_file("failing"))
    run_id = run_ids(invoke)[0]
    out = tmp_path / "run.dot"
    assert invoke("visualize", flow_file("failing"), "--run", run_id[:8], "-o", out).exit_code == 0
    text = out.read_text()
    assert 'label="boom" shape=ellipse style=filled fillcolor="#eb0000"' in text
    assert 'label="ok" shape=ellipse style=filled fillcolor="#28a745"' in text
    result = invoke("visualize", flow_file("simple"), "--run", run_id, "-o", out)
    assert result.exit_code == 2 and "is a run of flow 'failing'" in result.stderr


def test_schedule_journals_every_run(invoke, flow_file) -> None:
    result = invoke("run", flow_file("simple"), "--interval", "0.1", "--max-runs", "2", "-q")
    assert result.exit_code == 0
    assert len(run_ids(invoke)) == 2


def test_broken_journal_is_one_line(invoke, flow_file) -> None:
    journal().parent.mkdir(parents=True)
    journal().write_bytes(b"this is not sqlite" * 100)
    result = invoke("run", flow_file("simple"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "not a prefectlite run journal" in result.stderr


def _pretend_running(run_id: str, pid: int | None = None) -> None:
    """Make run ``run_id`` look in progress in a live process (ours), or in process ``pid``."""
    import sqlite3
    import time

    from prefectlite.persistence import records

    if pid is None:
        records.ACTIVE.add(run_id)  # this (test) process runs it
    conn = sqlite3.connect(journal())
    try:
        with conn:
            conn.execute("UPDATE flow_runs SET state = 'Running', ended = NULL, pid = ?, "
                         "heartbeat = ? WHERE id = ?", (pid or os.getpid(), time.time(), run_id))
    finally:
        conn.close()


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_delete_refuses_a_run_in_progress(invoke, flow_file) -> None:
    from prefectlite.persistence import records

    invoke("run", flow_file("simple"))
    (run_id,) = run_ids(invoke)
    _pretend_running(run_id)
    try:
        result = invoke("runs", "delete", run_id[:8])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: Flow run {run_id} cannot be deleted: it is in "
                                        f"progress (host {records.HOST}, pid {os.getpid()}, ")
        assert "--force" in result.stderr and len(result.stderr.splitlines()) == 1
        assert run_ids(invoke) == [run_id]
        assert invoke("runs", "delete", run_id[:8], "--force").exit_code == 0
        assert run_ids(invoke) == []
    finally:
        records.ACTIVE.discard(run_id)


def test_a_run_whose_process_died_is_listed_crashed(invoke, flow_file) -> None:
    invoke("run", flow_file("simple"))
    (run_id,) = run_ids(invoke)
    _pretend_running(run_id, pid=_dead_pid())
    listing = invoke("runs", "list").stdout.splitlines()
    assert listing[1].startswith(f"{run_id[:8]}  simple  Crashed  ")
    assert [r["id"] for r in json.loads(invoke("runs", "list", "--state", "Crashed",
                                               "--json").stdout)] == [run_id]
    shown = invoke("runs", "show", run_id).stdout
    assert "  state       Crashed: The process running it (" in shown
    assert invoke("runs", "delete", run_id).exit_code == 0  # not in progress: deleted


def test_show_prints_the_resume_command(invoke, flow_file) -> None:
    path = flow_file("failing")
    assert invoke("run", path).exit_code == 1
    (run_id,) = run_ids(invoke)
    shown = invoke("runs", "show", run_id).stdout
    assert f"  resume      prefectlite run {os.path.abspath(path)} --resume {run_id[:8]}" \
        in shown
    info = json.loads(invoke("runs", "show", run_id, "--json").stdout)
    assert info["flow_file"] == os.path.abspath(path)


def test_resume_of_a_run_in_progress_is_one_line(invoke, flow_file) -> None:
    from prefectlite.persistence import records

    assert invoke("run", flow_file("failing")).exit_code == 1
    (run_id,) = run_ids(invoke)
    _pretend_running(run_id)
    try:
        result = invoke("run", flow_file("failing"), "--resume", "latest")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: Flow run {run_id} cannot be resumed: it is "
                                        "in progress (host ")
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        records.ACTIVE.discard(run_id)
    assert invoke("run", flow_file("simple"), "--wait").stderr.startswith(
        "Error: --wait applies to --resume")


@pytest.mark.usefixtures("engine_info_lines")
def test_the_cli_runs_through_the_librarys_run_setup(invoke, flow_file, monkeypatch) -> None:
    """`run` adds its progress observer to what flow.run() does (journal included): the
    journal has the run's first log line, and no setup of its own is made."""
    from prefectlite.cli import run as cli_run
    from prefectlite.cli.progress import RunRecorder
    from prefectlite.engine import run_setup

    calls = []

    def recording(flow, parameters=None, **options):
        calls.append(options)
        return run_setup.run_with(flow, parameters, **options)

    monkeypatch.setattr(cli_run, "run_with", recording)
    result = invoke("run", flow_file("simple"), "--json")
    assert result.exit_code == 0, result.stderr
    (options,) = calls
    assert options["journal"] is True and options["run_on_schedule"] is False
    (observer,) = options["observers"]
    assert isinstance(observer, RunRecorder)
    run_id = json.loads(result.stdout)["flow_run_id"]
    logs = invoke("runs", "logs", run_id[:8]).stdout
    assert "Beginning Flow run for 'simple'" in logs
