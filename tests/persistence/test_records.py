"""The one task-run row builder (prefectlite.persistence.records.task_run_row)."""

from __future__ import annotations

import inspect
from pathlib import Path

from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.records import ROW_COLUMNS, task_run_row


def test_its_arguments_are_the_columns_in_order() -> None:
    assert tuple(inspect.signature(task_run_row).parameters) == ROW_COLUMNS


def test_defaults_whole_task_and_now() -> None:
    row = dict(zip(ROW_COLUMNS, task_run_row("r", "add-1", None, "add", "Success", "ok",
                                             ended=12.5)))
    assert row["map_index"] == -1 and row["ended"] == 12.5 and row["managed"] == 0
    assert row["result_location"] is None and row["copied_from"] is None
    row = dict(zip(ROW_COLUMNS, task_run_row("r", "add-1", 3, "add", "Failed", None,
                                             managed=True)))
    assert row["map_index"] == 3 and row["managed"] == 1 and row["ended"] > 0


def test_a_built_row_reads_back(tmp_path: Path) -> None:
    with RunStore(tmp_path / "j.db") as store:
        store.start_run("run-1", "f", {})
        store.add_task_runs([task_run_row("run-1", "add-1", 2, "add", "Success", "done",
                                          started=1.0, ended=2.0, run_count=2)])
        (rec,) = store.task_runs("run-1")
    assert (rec.task_slug, rec.map_index, rec.state, rec.message) == ("add-1", 2, "Success",
                                                                      "done")
    assert rec.run_count == 2
