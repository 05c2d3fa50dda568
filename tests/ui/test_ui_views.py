"""What the dashboard's pages show, computed without a server (prefectlite.ui.views)."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest

from prefectlite import Flow, task
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.records import TaskRunRecord
from prefectlite.ui import views
from prefectlite.ui.app import open_journal

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def row(slug: str, state: str, index: int | None = None, start: float = 0.0,
        end: float = 1.0, run_count: int | None = None) -> TaskRunRecord:
    at = NOW.timestamp()
    return TaskRunRecord.from_row(
        ("run", slug, -1 if index is None else index, slug.split("-")[0], state, None,
         at + start, at + end, run_count, None, None, None, None, None, None, None, 0, None,
         False))


def test_colors_follow_the_state_classes() -> None:
    from prefectlite.engine.state import Failed, Success

    assert views.color("Success") == Success.color
    assert views.color("Failed") == Failed.color
    assert views.color("Nonsense") == views.color(None) == "#bdbdbd"
    assert views.color("Completed") == Success.color  # an eager run's state name


@pytest.mark.parametrize("name", ["password", "DB_PASSWORD", "api_key", "github_token",
                                  "client_secret", "aws-credentials", "auth"])
def test_secret_looking_parameters_are_masked(name: str) -> None:
    assert views.mask_parameters({name: "value", "rows": [1, 2]}) == {
        name: views.MASK, "rows": "[1, 2]"}


def test_mapped_children_are_counted_per_state() -> None:
    nodes = views.node_states([row("m-1", "Mapped"), row("m-1", "Success", 0),
                               row("m-1", "Failed", 1), row("m-1", "Success", 2),
                               row("plain-1", "Success")])
    assert nodes["m-1"]["state"] == "Mapped"
    assert [(c["state"], c["count"]) for c in nodes["m-1"]["children"]] == [
        ("Success", 2), ("Failed", 1)]
    assert "children" not in nodes["plain-1"]


def test_children_without_their_parent_row_show_as_running() -> None:
    nodes = views.node_states([row("m-1", "Success", 0)])
    assert nodes["m-1"]["state"] == "Running" and nodes["m-1"]["children"][0]["count"] == 1


def test_a_task_that_has_started_but_not_finished_shows_as_running() -> None:
    nodes = views.node_states([row("done-1", "Success")], started={"done-1", "busy-1"})
    assert nodes["busy-1"]["state"] == "Running"
    assert nodes["done-1"]["state"] == "Success"  # its finished row wins
    assert "quiet-1" not in nodes  # never logged, no row: the page shows it Pending


def test_the_layout_puts_each_task_right_of_its_upstreams() -> None:
    graph = {"tasks": [{"slug": s, "name": s, "type": "", "mapped": False}
                       for s in ("c", "a", "b", "d")],
             "edges": [["a", "b", "x", False], ["b", "c", "x", False],
                       ["a", "c", "y", False], ["a", "d", None, False]]}
    drawn = views.layout(graph)
    x = {n["slug"]: n["x"] for n in drawn["nodes"]}
    assert x["a"] < x["b"] < x["c"] and x["d"] == x["b"]
    assert len(drawn["edges"]) == 4 and drawn["width"] > x["c"]


def test_a_long_chain_does_not_recurse() -> None:
    n = 5000
    graph = {"tasks": [{"slug": str(i), "name": str(i), "type": "", "mapped": False}
                       for i in reversed(range(n))],
             "edges": [[str(i), str(i + 1), "x", False] for i in range(n - 1)]}
    xs = [node["x"] for node in sorted(views.layout(graph)["nodes"],
                                       key=lambda node: int(node["slug"]))]
    assert xs == sorted(xs) and len(set(xs)) == n


def test_the_timeline_places_bars_and_counts_retries() -> None:
    start = NOW
    line = views.timeline((row("a-1", "Success", start=0, end=2),
                           row("b-1", "Failed", start=2, end=5, run_count=3),
                           row("m-1", "Mapped", start=0, end=6)), start, NOW)
    assert [(b["label"], b["offset"], b["length"], b["retries"]) for b in line["bars"]] == [
        ("a-1", 0.0, 2.0, 0), ("b-1", 2.0, 3.0, 2)]
    assert line["span"] == 5.0


def test_tracebacks_shorten_paths_of_the_install_directory() -> None:
    from pathlib import Path as P

    import prefectlite

    root = P(prefectlite.__file__).resolve().parents[1]
    text = f'  File "{root}/prefectlite/engine/task_runner.py", line 1, in run'
    assert views.short_paths(text) == '  File "prefectlite/engine/task_runner.py", line 1, in run'
    assert views.short_paths('File "/elsewhere/x.py"') == 'File "/elsewhere/x.py"'


@task
def one():
    return 1


def test_the_runs_page_clamps_its_page_number(tmp_path: Path) -> None:
    with RunStore(tmp_path / "j.db") as store:
        for i in range(3):
            store.start_run(f"r{i}", "f", {})
        page = views.runs_page(store, None, None, 99, NOW)
        assert page["page"] == page["pages"] == 1 and page["total"] == 3
        assert [r["id"] for r in page["runs"]] == ["r2", "r1", "r0"]
        assert views.runs_page(store, "f", "Failed", 1, NOW)["runs"] == []


def test_the_dashboard_cannot_write_the_journal(tmp_path: Path) -> None:
    RunStore(tmp_path / "j.db").close()
    store = open_journal(tmp_path / "j.db")
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._conn.execute("DELETE FROM flow_runs")
    finally:
        store.close()


def test_a_run_page_of_a_run_without_a_stored_graph(tmp_path: Path) -> None:
    with Flow("plain") as flow:
        one()
    with RunStore(tmp_path / "j.db") as store:
        flow.run(journal=store)
        run_id = store.list_runs()[0].id
        with store.writing() as conn:
            conn.execute("DELETE FROM flow_graphs")
        page = views.run_page(store, run_id, NOW)
    assert [(n["slug"], n["state"]) for n in page["graph"]["nodes"]] == [("one-1", "Success")]
