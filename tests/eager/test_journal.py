"""Eager runs in the run journal (``@flow(journal=...)``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefectlite import flow, task
from prefectlite.persistence.journal import RunStore


@task
def add(x, y=1):
    return x + y


@task
def bad():
    raise ValueError("bad")


@flow
def child(x: int):
    return add(x)


def test_runs_and_task_runs_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"

    @flow(journal=path)
    def parent():
        add.map([1, 2]).wait()
        bad(return_state=True)
        return child(5)

    state = parent(return_state=True)
    with RunStore(path) as store:
        runs = {r.flow_name: r for r in store.list_runs()}
        assert set(runs) == {"parent", "child"}  # the subflow inherits the journal
        top = store.get_run(runs["parent"].id)
        assert top.id == str(state.state_details.flow_run_id) and top.state == "Completed"
        rows = {(t.task_slug, t.map_index): t.state for t in top.task_runs}
        assert rows == {("add-0", None): "Success", ("add-1", None): "Success",
                        ("bad-0", None): "Failed"}
        sub = store.get_run(runs["child"].id)
        assert sub.parameters == {"x": 5}
        assert sub.parent_run_id == top.id and top.parent_run_id is None  # linked subflow
        assert [(t.task_slug, t.state) for t in sub.task_runs] == [("add-0", "Success")]


def test_no_journal_by_default_and_bad_option(tmp_path: Path,
                                              config_env: Callable[..., None]) -> None:
    config_env("PREFECTLITE_HOME", str(tmp_path))
    assert child(1) == 2
    assert not (tmp_path / "prefectlite.db").exists()
    with pytest.raises(TypeError, match="journal=3"):
        flow(journal=3)(lambda: None)()


def test_journal_true_uses_the_home(tmp_path: Path, config_env: Callable[..., None]) -> None:
    config_env("PREFECTLITE_HOME", str(tmp_path))
    assert flow(journal=True)(lambda: add(1))() == 2
    with RunStore(tmp_path / "prefectlite.db") as store:
        assert [r.state for r in store.list_runs()] == ["Completed"]


# -- written by the engine's journal writer: logs, graph, times, the CLI ----------------------


@task
def shout(word: str) -> str:
    from prefectlite import get_run_logger

    get_run_logger().warning("shouting %s", word)
    print(f"printed {word}")
    return word.upper()


@task
def join(words: list[str], sep: str = " ") -> str:
    return sep.join(words)


@flow(log_prints=True)
def speech(words: list[str]) -> str:
    loud = shout.map(words)
    first = shout.submit("first")
    return join(loud, sep=first.result(), wait_for=[first])


def _journaled(tmp_path: Path, journal: Any = None) -> tuple[Path, str]:
    path = tmp_path / "journal.db"
    state = speech.with_options(journal=journal or path)(["a", "b"], return_state=True)
    assert state.is_completed() and state.result() == "AFIRSTB"
    return path, str(state.state_details.flow_run_id)


@pytest.mark.usefixtures("engine_info_lines")
def test_log_records_are_stored_under_their_task_runs(tmp_path: Path) -> None:
    from prefectlite.persistence.journal_logs import read_logs

    path, run_id = _journaled(tmp_path)
    with RunStore(path) as store:
        records = read_logs(store, run_id)
        by_task = {(r.task_slug, r.message) for r in records}
        assert ("shout-1", "Task run 'shout-1' - shouting b") in by_task  # the run logger
        assert ("shout-1", "printed b") in by_task  # a print of a log_prints flow
        assert ("shout-2", "Task run 'shout-2' - shouting first") in by_task
        assert any(r.task_slug == "join-0" and "Finished task run" in r.message
                   for r in records)  # the engine's lines
        only = read_logs(store, run_id, "shout-0")
        assert {r.message for r in only} >= {"Task run 'shout-0' - shouting a", "printed a"}
        assert all(r.task_slug == "shout-0" for r in only)


def test_graph_has_the_futures_passed_between_task_runs(tmp_path: Path) -> None:
    from prefectlite.persistence.journal_logs import read_graph

    path, run_id = _journaled(tmp_path)
    with RunStore(path) as store:
        graph = read_graph(store, run_id)
    assert graph is not None
    nodes = {t["slug"]: (t["name"], t["mapped"]) for t in graph["tasks"]}
    assert nodes == {"shout-0": ("shout", True), "shout-1": ("shout", True),
                     "shout-2": ("shout", False), "join-0": ("join", False)}
    assert graph["edges"] == [["shout-0", "join-0", "words", False],
                              ["shout-1", "join-0", "words", False],
                              ["shout-2", "join-0", None, False]]  # wait_for: no key


def test_task_rows_have_their_times(tmp_path: Path) -> None:
    path, run_id = _journaled(tmp_path)
    with RunStore(path) as store:
        rows = store.get_run(run_id).task_runs
    assert {r.task_slug for r in rows} == {"shout-0", "shout-1", "shout-2", "join-0"}
    for row in rows:
        assert row.started is not None and row.ended is not None
        assert row.started <= row.ended


def test_runs_show_and_logs_commands(tmp_path: Path, config_env: Callable[..., None]) -> None:
    from click.testing import CliRunner

    from prefectlite.cli import cli

    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    _, run_id = _journaled(tmp_path, journal=True)
    runner = CliRunner()
    shown = runner.invoke(cli, ["runs", "show", run_id])
    assert shown.exit_code == 0, shown.output
    assert "shout-1" in shown.output and "join-0" in shown.output
    logs = runner.invoke(cli, ["runs", "logs", run_id, "shout-1"])
    assert logs.exit_code == 0, logs.output
    assert "shouting b" in logs.output and "printed b" in logs.output
    assert "shouting a" not in logs.output
