"""Log records and flow graphs stored in the run journal (prefectlite.persistence.journal_logs)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from prefectlite import Flow, context, task
from prefectlite.executors import LocalDaskExecutor
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import CAPTURE, read_graph, read_logs
from prefectlite.persistence.recorder import JournalRecorder

pytestmark = pytest.mark.usefixtures("engine_info_lines")


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    with RunStore(tmp_path / "journal.db") as s:
        yield s


@task(log_stdout=True)
def shout(word):
    print(f"word is {word}")
    context.logger.warning("careful with %s", word)
    return word.upper()


@task
def explode(words):
    raise KeyError("no such word")


def chatty_flow() -> Flow:
    with Flow("chatty") as flow:
        explode(shout.map(["a", "b"]))
    return flow


def run_id(store: RunStore) -> str:
    return store.list_runs(limit=1)[0].id


def test_each_task_runs_records_are_stored_with_it(store: RunStore) -> None:
    chatty_flow().run(journal=store)
    rid = run_id(store)
    child = read_logs(store, rid, "shout-1", 1)
    assert [(r.level_name, r.logger, r.message) for r in child
            if r.logger in ("prefectlite.shout", "prefectlite.explode")] == [
        ("INFO", "prefectlite.shout", "word is b"),
        ("WARNING", "prefectlite.shout", "careful with b")]
    assert {r.map_index for r in read_logs(store, rid, "shout-1")} == {0, 1}
    every = read_logs(store, rid)
    assert [r.seq for r in every] == list(range(len(every)))
    # the flow runner's own lines belong to the flow run, not to a task
    assert any(r.task_slug is None and r.message.startswith("Flow run FAILED") for r in every)


def test_a_failure_keeps_its_traceback(store: RunStore) -> None:
    chatty_flow().run(journal=store)
    errors = [r for r in read_logs(store, run_id(store), "explode-1") if r.level_name == "ERROR"]
    assert len(errors) == 1
    assert "Traceback (most recent call last)" in errors[0].message
    assert errors[0].message.rstrip().endswith("KeyError: 'no such word'")


def test_records_of_threads_go_to_their_own_task_runs(store: RunStore) -> None:
    chatty_flow().run(journal=store, executor=LocalDaskExecutor(scheduler="threads"))
    rid = run_id(store)
    for index, word in enumerate("ab"):
        prints = [r.message for r in read_logs(store, rid, "shout-1", index)
                  if r.logger == "prefectlite.shout"]
        assert prints == [f"word is {word}", f"careful with {word}"]


def test_the_log_is_capped_with_a_marker(store: RunStore) -> None:
    @task
    def noisy():
        for i in range(30):
            context.logger.info("line %d", i)

    with Flow("noisy") as flow:
        noisy()
    recorder = JournalRecorder(store, max_log_records=10)
    _run_with(flow, recorder)
    records = read_logs(store, run_id(store))
    assert len(records) == 11
    marker = records[-1]
    assert marker.level_name == "WARNING" and marker.logger == "prefectlite.journal"
    assert marker.message.startswith("Log truncated: ")
    assert "at most 10 per run" in marker.message


def _run_with(flow: Flow, recorder: JournalRecorder) -> None:
    from prefectlite.engine.flow_runner import FlowRunner

    FlowRunner(flow).run(observers=[recorder])


def test_records_outside_journaled_runs_are_not_captured(store: RunStore) -> None:
    chatty_flow().run()  # not journaled
    assert CAPTURE not in logging.getLogger("prefectlite").handlers
    chatty_flow().run(journal=store)
    assert CAPTURE not in logging.getLogger("prefectlite").handlers  # gone after the run
    count = len(read_logs(store, run_id(store)))
    logging.getLogger("prefectlite.shout").warning("after the run")
    assert len(read_logs(store, run_id(store))) == count


def test_capture_survives_a_reset_of_the_handlers(store: RunStore) -> None:
    # Code that resets the prefectlite logger's handlers while a run is going (or a run
    # that never ended) must not switch capturing off for the runs after it.
    CAPTURE.attach("abandoned", lambda *record: None)
    log = logging.getLogger("prefectlite")
    saved = list(log.handlers)
    log.handlers[:] = [h for h in saved if h is not CAPTURE]
    try:
        chatty_flow().run(journal=store)
        assert any(r.logger == "prefectlite.shout"
                   for r in read_logs(store, run_id(store)))
    finally:
        CAPTURE.detach("abandoned")
    assert CAPTURE not in log.handlers


def test_two_journaled_runs_at_once_keep_their_records_apart(tmp_path: Path) -> None:
    release = threading.Event()
    started = [threading.Event(), threading.Event()]

    def make(name: str, which: int) -> Flow:
        @task(name=f"wait-{which}")
        def wait():
            started[which].set()
            context.logger.info("from %s", name)
            assert release.wait(30)

        with Flow(name) as flow:
            wait()
        return flow

    path = tmp_path / "journal.db"
    threads = [threading.Thread(target=make(n, i).run, kwargs={"journal": path})
               for i, n in enumerate(("left", "right"))]
    for t in threads:
        t.start()
    for event in started:
        assert event.wait(30)
    release.set()
    for t in threads:
        t.join()
    with RunStore(path) as s:
        for run in s.list_runs():
            mine = [r.message for r in read_logs(s, run.id)
                    if r.logger.startswith("prefectlite.wait-")]
            assert mine == [f"from {run.flow_name}"]


def test_the_graph_is_stored_with_the_run(store: RunStore) -> None:
    chatty_flow().run(journal=store)
    graph = read_graph(store, run_id(store))
    assert graph is not None
    by_slug = {t["slug"]: t for t in graph["tasks"]}
    assert by_slug["shout-1"]["mapped"] and not by_slug["explode-1"]["mapped"]
    assert ["shout-1", "explode-1", "words", False] in graph["edges"]
    assert read_graph(store, "no-such-run") is None


def test_deleting_a_run_deletes_its_logs_and_graph(store: RunStore) -> None:
    chatty_flow().run(journal=store)
    rid = run_id(store)
    store.delete_runs([rid])
    assert read_logs(store, rid) == [] and read_graph(store, rid) is None
