"""Deleting flow runs from the run journal (``RunStore.delete_runs``, ``prefectlite runs
delete``), with the result files only they used."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prefectlite.persistence.claims import RunInProgress, busy_message


def delete_runs(store: Any, run_ids: Iterable[str] | None,
                older_than: datetime.datetime | datetime.timedelta | None,
                flow_name: str | None, delete_results: bool, force: bool) -> list[str]:
    """What ``RunStore.delete_runs`` does (see there)."""
    ids = select_runs(store, run_ids, older_than, flow_name)
    if not ids:
        return []
    if not force:
        for run in (store.get_run(i, tasks=False) for i in ids):
            if run.in_progress:
                raise RunInProgress(busy_message(run.id, run, "deleted").replace(
                    "Wait for it to end (--wait, or resume_wait=True)",
                    "Wait for it to end (or force it: --force, force=True)"), run)
    marks = ", ".join("?" * len(ids))
    files = store._query(
        "SELECT DISTINCT result_kind, result_location FROM task_runs WHERE managed = 1 AND "
        f"result_inline IS NULL AND flow_run_id IN ({marks})", ids) if delete_results else []
    with store.writing() as conn:
        conn.execute(f"DELETE FROM flow_runs WHERE id IN ({marks})", ids)
    for kind, location in files:
        still_used = store._query(
            "SELECT 1 FROM task_runs WHERE result_location = ? AND result_kind = ? UNION "
            "ALL SELECT 1 FROM cache WHERE result_location = ? AND result_kind = ? LIMIT 1",
            (location, kind, location, kind))
        if not still_used:
            delete_file(store.recipe(kind), location)
    return ids


def select_runs(store: Any, run_ids: Iterable[str] | None,
                older_than: datetime.datetime | datetime.timedelta | None,
                flow_name: str | None) -> list[str]:
    """The ids of the runs chosen by id (or prefix), or by age and/or flow."""
    if run_ids is not None:
        return [store.resolve_run_id(r) for r in run_ids]
    if older_than is None and flow_name is None:
        raise ValueError("delete_runs() needs run_ids, older_than or flow_name; it will "
                         "not delete every run by accident.")
    if isinstance(older_than, datetime.timedelta):
        older_than = datetime.datetime.now(datetime.UTC) - older_than
    args: list[Any] = [] if flow_name is None else [flow_name]
    where = "" if flow_name is None else " WHERE flow_name = ?"
    if older_than is not None:
        where += (" AND " if where else " WHERE ") + "started < ?"
        args.append(older_than.timestamp())
    return [r[0] for r in store._query(f"SELECT id FROM flow_runs{where}", args)]


def delete_file(recipe: Any, location: str) -> None:
    """Delete the file ``location`` of a file-based result kind, and the directories that
    leaves empty (up to the result's own directory)."""
    path_of = getattr(recipe, "path", None)
    if path_of is None:  # not a file-based result: nothing to delete
        return
    path = Path(path_of(location))
    try:
        path.unlink()
    except FileNotFoundError:
        return
    root = Path(recipe.dir)
    for parent in path.parents:  # remove directories the deletion left empty
        if parent == root or root not in parent.parents:
            break
        try:
            parent.rmdir()
        except OSError:
            break
