"""Eager runs in the run journal (``@flow(journal=...)``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
        assert rows == {("add-0", 0): "Success", ("add-1", 1): "Success",
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
