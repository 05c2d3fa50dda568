"""Tests for prefectlite.persistence.claims: one process resumes a run at a time, runs of dead
processes read back as Crashed, ``latest`` skips runs resumed to success, deleting a run in
progress is refused.

The "other process" of these tests is a row of the journal written as a live or dead
process would have written it (a real pid that was reaped, another host, an old heartbeat);
tests/persistence/test_crash_consistency.py runs real competing processes.
"""

from __future__ import annotations

import collections
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, task
from prefectlite.persistence import claims, records
from prefectlite.persistence.claims import RunInProgress
from prefectlite.persistence.journal import JournalError, RunStore

CALLS: collections.Counter[str] = collections.Counter()
BROKEN: set[str] = set()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    CALLS.clear()
    BROKEN.clear()
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[RunStore]:
    with RunStore() as s:
        yield s


@task
def one() -> int:
    CALLS["one"] += 1
    return 1


@task
def fragile(x: int) -> int:
    CALLS["fragile"] += 1
    if "fragile" in BROKEN:
        raise RuntimeError("fragile is broken")
    return x + 1


def make_flow(name: str = "claimed") -> Flow:
    with Flow(name) as flow:
        fragile(one())
    return flow


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def set_holder(store: RunStore, run_id: str, **values: Any) -> None:
    """Make run ``run_id`` look as if another process (``host``, ``pid``, ...) ran it."""
    sets = ", ".join(f"{k} = ?" for k in values)
    with store.writing() as conn:
        conn.execute(f"UPDATE flow_runs SET {sets} WHERE id = ?", (*values.values(), run_id))
    store.heartbeat.remove(run_id)  # this process no longer runs it


def failed_run(store: RunStore, flow: Flow) -> str:
    BROKEN.add("fragile")
    state = flow.run(journal=store)
    BROKEN.discard("fragile")
    assert state.is_failed()
    return str(state.context["flow_run_id"])


class TestLiveness:
    def test_a_run_in_this_process_is_running_until_it_ends(self, store: RunStore) -> None:
        store.start_run("r1", "f", {})
        assert store.get_run("r1").state == "Running" and store.get_run("r1").in_progress
        assert [r.id for r in store.list_runs(state="Running")] == ["r1"]
        store.finish_run("r1", "Success", "done")
        assert store.get_run("r1").state == "Success"
        assert not store.get_run("r1").in_progress

    def test_a_run_whose_process_is_gone_is_crashed(self, store: RunStore) -> None:
        store.start_run("r1", "f", {})
        pid = dead_pid()
        set_holder(store, "r1", pid=pid)
        run = store.get_run("r1")
        assert run.state == "Crashed" and not run.in_progress
        assert run.message == f"The process running it ({records.HOST} pid {pid}) is gone."
        assert [r.id for r in store.list_runs(state="Crashed")] == ["r1"]
        assert store.list_runs(state="Running") == [] and store.count_runs(state="Crashed") == 1

    def test_a_run_of_this_process_that_ended_unrecorded_is_crashed(self, home: Path) -> None:
        with RunStore() as store:
            store.start_run("r1", "f", {})
        with RunStore() as store:  # the store closed without finish_run: nothing runs it
            assert store.get_run("r1").state == "Crashed"

    def test_another_host_is_judged_by_its_heartbeat(self, store: RunStore) -> None:
        store.start_run("fresh", "f", {})
        store.start_run("stale", "f", {})
        set_holder(store, "fresh", host="elsewhere", pid=1, heartbeat=time.time())
        old = time.time() - records.STALE_AFTER - 5
        set_holder(store, "stale", host="elsewhere", pid=1, heartbeat=old)
        assert store.get_run("fresh").state == "Running"
        stale = store.get_run("stale")
        assert stale.state == "Crashed" and "has not been heard of for" in (stale.message or "")

    def test_the_heartbeat_is_written_while_a_run_goes_on(self, store: RunStore,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
        beat = claims.Heartbeat(store, interval=0.01)
        monkeypatch.setattr(store, "heartbeat", beat)
        store.start_run("r1", "f", {})
        with store.writing() as conn:
            conn.execute("UPDATE flow_runs SET heartbeat = 0 WHERE id = 'r1'")
        deadline = time.monotonic() + 30
        while (store.get_run("r1").heartbeat.timestamp() == 0  # type: ignore[union-attr]
               and time.monotonic() < deadline):
            time.sleep(0.01)
        assert store.get_run("r1").heartbeat.timestamp() > 0  # type: ignore[union-attr]
        store.finish_run("r1", "Success", None)
        beat.stop()


class TestClaims:
    def test_a_run_in_progress_cannot_be_resumed(self, store: RunStore) -> None:
        flow = make_flow()
        old = failed_run(store, flow)
        store.start_run("holder", flow.name, {}, resumed_from=old)  # another resume, live
        with pytest.raises(RunInProgress) as info:
            flow.run(journal=store, resume=old)
        message = str(info.value)
        assert message.startswith(f"Flow run {old} cannot be resumed: it is in progress by "
                                  f"run holder (host {records.HOST}, pid ")
        assert "--wait" in message and "\n" not in message
        assert CALLS["fragile"] == 1  # nothing ran again
        # the refused attempt left no row behind
        assert sorted(r.id for r in store.list_runs()) == sorted([old, "holder"])

    def test_resuming_a_run_that_is_itself_running_is_refused(self, store: RunStore) -> None:
        store.start_run("live", "claimed", {})
        with pytest.raises(RunInProgress, match="cannot be resumed: it is in progress \\(host"):
            make_flow().run(journal=store, resume="live")

    def test_the_claim_of_a_dead_holder_is_taken_over(self, store: RunStore) -> None:
        flow = make_flow()
        old = failed_run(store, flow)
        store.start_run("dead", flow.name, {}, resumed_from=old)
        store.copy_task_runs("dead", old, [("one-1", -1)])
        set_holder(store, "dead", pid=dead_pid())
        state = flow.run(journal=store, resume=old)
        assert state.is_successful()
        assert store.get_run(state.context["flow_run_id"]).resumed_from == "dead"
        assert CALLS == {"one": 1, "fragile": 2}

    def test_a_second_resume_resumes_the_first_and_reruns_nothing(self, store: RunStore
                                                                  ) -> None:
        flow = make_flow()
        old = failed_run(store, flow)
        first = flow.run(journal=store, resume=old)
        assert first.is_successful() and CALLS == {"one": 1, "fragile": 2}
        second = flow.run(journal=store, resume=old)
        assert second.is_successful() and CALLS == {"one": 1, "fragile": 2}
        run = store.get_run(second.context["flow_run_id"])
        assert run.resumed_from == first.context["flow_run_id"]

    def test_wait_waits_for_the_holder_to_end(self, store: RunStore,
                                             caplog: pytest.LogCaptureFixture) -> None:
        flow = make_flow()
        old = failed_run(store, flow)
        store.start_run("holder", flow.name, {}, resumed_from=old)
        waiting = threading.Event()

        class Signal(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "waiting for it to end" in record.getMessage():
                    waiting.set()

        handler = Signal()
        logging.getLogger("prefectlite").addHandler(handler)
        results: list[Any] = []
        try:
            worker = threading.Thread(target=lambda: results.append(
                flow.run(journal=store, resume=old, resume_wait=True)))
            worker.start()
            assert waiting.wait(60)
            assert CALLS["fragile"] == 1  # still waiting: nothing ran
            store.copy_task_runs("holder", old, [("one-1", -1)])
            store.finish_run("holder", "Failed", "gave up")
            worker.join(60)
        finally:
            logging.getLogger("prefectlite").removeHandler(handler)
        (state,) = results
        assert state.is_successful() and CALLS == {"one": 1, "fragile": 2}
        assert store.get_run(state.context["flow_run_id"]).resumed_from == "holder"

    def test_wait_for_some_seconds_then_refuse(self, store: RunStore) -> None:
        flow = make_flow()
        old = failed_run(store, flow)
        store.start_run("holder", flow.name, {}, resumed_from=old)
        with pytest.raises(RunInProgress):
            flow.run(journal=store, resume=old, resume_wait=0.01)


class TestLatest:
    def test_latest_skips_a_run_resumed_to_success(self, store: RunStore) -> None:
        flow = make_flow()
        older = failed_run(store, flow)
        newer = failed_run(store, flow)
        assert flow.run(journal=store, resume=newer).is_successful()
        assert store.latest_run(flow.name).id == older  # type: ignore[union-attr]
        assert flow.run(journal=store, resume="latest").is_successful()
        assert CALLS["fragile"] == 4  # each failed run's task ran once more, no more
        with pytest.raises(JournalError, match="no unfinished or failed run of flow "
                                               "'claimed' to resume"):
            flow.run(journal=store, resume="latest")

    def test_latest_includes_a_crashed_run(self, store: RunStore) -> None:
        store.start_run("gone", "claimed", {})
        set_holder(store, "gone", pid=dead_pid())
        assert store.latest_run("claimed").id == "gone"  # type: ignore[union-attr]


class TestDelete:
    def test_a_run_in_progress_is_not_deleted(self, store: RunStore) -> None:
        store.start_run("live", "f", {})
        store.start_run("done", "f", {})
        store.finish_run("done", "Success", None)
        with pytest.raises(RunInProgress, match="Flow run live cannot be deleted: it is in "
                                                "progress .*--force"):
            store.delete_runs(flow_name="f")
        assert {r.id for r in store.list_runs()} == {"live", "done"}  # nothing deleted
        assert sorted(store.delete_runs(flow_name="f", force=True)) == ["done", "live"]
        assert store.list_runs() == []

    def test_a_crashed_run_is_deleted(self, store: RunStore) -> None:
        store.start_run("gone", "f", {})
        set_holder(store, "gone", pid=dead_pid())
        assert store.delete_runs(["gone"]) == ["gone"]
