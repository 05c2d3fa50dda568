"""Tests for prefectlite.persistence.journal: the SQLite run journal and its read API.

Faults are real: a file that is not a database, a journal from a newer schema, several
processes writing at once, a disk that fills up during a run (SQLite's own "database or
disk is full" through ``max_page_count``), and directories the process may not write to
(as root, the child process drops the capability that ignores file permissions).
"""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, task, unmapped
from prefectlite.engine.flow_runner import FlowRunner
from prefectlite.engine.results import LocalResult
from prefectlite.engine.state import Failed, Success
from prefectlite.persistence import records as journal_records
from prefectlite.persistence.journal import SCHEMA_VERSION, JournalError, RunStore
from prefectlite.persistence.recorder import JournalRecorder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__FLOWS__CHECKPOINTING", None)
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Any:
    with RunStore() as s:
        yield s


def add_flow(name: str = "adder") -> Flow:
    @task
    def add(x: int, y: int) -> int:
        return x + y

    with Flow(name) as flow:
        add.map([1, 2, 3], y=unmapped(Parameter("y", default=10)))
    return flow


def python_unprivileged(script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``script`` in a Python that file permissions apply to, even when we are root."""
    cmd = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        caps = "-dac_override,-dac_read_search"
        cmd = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *cmd]
    return subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(REPO), **env},
                          capture_output=True, text=True, timeout=60)


class TestOpening:
    def test_a_new_journal_is_versioned_in_wal_mode(self, home: Path) -> None:
        with RunStore() as s:
            assert s.path == home / "prefectlite.db"
        conn = sqlite3.connect(home / "prefectlite.db")
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA application_id").fetchone()[0] == \
                journal_records.APPLICATION_ID
            assert conn.execute("SELECT version FROM schema_version").fetchall() == \
                [(v,) for v in range(1, SCHEMA_VERSION + 1)]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            assert {"flow_runs", "task_runs", "result_kinds", "cache", "flow_graphs",
                    "logs"} <= tables
        finally:
            conn.close()
        RunStore().close()  # opening again migrates nothing and works

    def test_a_file_that_is_not_a_database(self, home: Path) -> None:
        home.mkdir()
        (home / "prefectlite.db").write_text("these are my notes, not a database\n" * 100)
        with pytest.raises(JournalError, match="prefectlite.db is not a prefectlite run "
                                               "journal .*not a database"):
            RunStore()

    def test_another_application_s_database(self, home: Path) -> None:
        home.mkdir()
        conn = sqlite3.connect(home / "prefectlite.db")
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.commit()
        conn.close()
        with pytest.raises(JournalError, match="is an SQLite database, but not a prefectlite "
                                               "run journal \\(it holds the tables invoices\\)"):
            RunStore()

    def test_a_journal_from_a_newer_prefectlite(self, home: Path) -> None:
        RunStore().close()
        conn = sqlite3.connect(home / "prefectlite.db")
        conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
        conn.commit()
        conn.close()
        with pytest.raises(JournalError, match=f"has schema version {SCHEMA_VERSION + 1}, "
                                               "written by a newer prefectlite"):
            RunStore()

    def test_an_old_journal_is_migrated(self, home: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
        with RunStore() as s:
            run_id = self.record_one_run(s)
        new = SCHEMA_VERSION + 1
        monkeypatch.setitem(journal_records.MIGRATIONS, new,
                            ("ALTER TABLE flow_runs ADD COLUMN note TEXT",))
        monkeypatch.setattr("prefectlite.persistence.journal.SCHEMA_VERSION", new)
        monkeypatch.setattr("prefectlite.persistence.records.SCHEMA_VERSION", new)
        with RunStore() as s:
            assert s.get_run(run_id).state == "Success"
        conn = sqlite3.connect(home / "prefectlite.db")
        try:
            assert [v for (v,) in conn.execute("SELECT version FROM schema_version")] == \
                [*range(1, SCHEMA_VERSION + 1), new]
            assert "note" in [r[1] for r in conn.execute("PRAGMA table_info(flow_runs)")]
        finally:
            conn.close()

    @staticmethod
    def record_one_run(store: RunStore) -> str:
        state = add_flow().run(journal=store)
        return str(state.context["flow_run_id"])

    def test_a_directory_in_place_of_the_file(self, home: Path) -> None:
        (home / "prefectlite.db").mkdir(parents=True)
        with pytest.raises(JournalError, match="is not a file"):
            RunStore()

    def test_an_unwritable_home_fails_the_run_before_anything_runs(self, tmp_path: Path
                                                                   ) -> None:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        script = textwrap.dedent("""
            from prefectlite import Flow, task
            ran = []
            @task
            def work():
                ran.append(1)
            with Flow("locked-out") as flow:
                work()
            try:
                flow.run(journal=True)
            except Exception as exc:
                print(type(exc).__name__, "|", exc, "|", ran)
            """)
        done = python_unprivileged(script, {"PREFECTLITE_HOME": str(locked / "home")})
        assert done.returncode == 0, done.stderr
        kind, message, ran = done.stdout.strip().split(" | ")
        assert kind == "JournalError" and ran == "[]"
        assert message.startswith(f"Cannot open the run journal {locked}/home/prefectlite.db: ")
        assert "Permission denied" in message and "writable directory" in message


class TestRecording:
    def test_a_run_and_its_task_runs(self, store: RunStore) -> None:
        state = add_flow().run(journal=store, y=5)
        run_id = state.context["flow_run_id"]
        run = store.get_run(run_id)
        assert (run.flow_name, run.state, run.parameters) == ("adder", "Success", {"y": 5})
        assert run.message == "All reference tasks succeeded."
        assert run.started <= run.ended
        assert run.python == journal_records.PYTHON and run.pid == os.getpid()
        rows = {(r.task_slug, r.map_index): r for r in run.task_runs}
        assert set(rows) == {("y", None), ("[1, 2, 3]-1", None), ("add-1", None),
                             ("add-1", 0), ("add-1", 1), ("add-1", 2)}
        parent, child = rows[("add-1", None)], rows[("add-1", 2)]
        assert (parent.state, parent.n_map_states, parent.result_location) == ("Mapped", 3, None)
        assert (child.state, child.task_name, child.run_count) == ("Success", "add", 1)
        assert child.result_location == f"{run_id}/add-1/2.result"
        assert child.inline and child.managed and child.copied_from is None
        assert child.started is not None and child.started <= child.ended
        assert store.read_result(child) == 8

    @pytest.mark.parametrize("error", [SystemExit(2), KeyboardInterrupt("own"), GeneratorExit()])
    def test_a_task_ending_the_process_loses_no_rows(self, store: RunStore,
                                                     error: BaseException) -> None:
        @task
        def leave() -> None:
            raise error

        @task
        def after(x: Any) -> int:
            return 1

        with Flow("leaving") as flow:
            gone = leave()
            after(gone)
            add_one = after(None)
        state = flow.run(journal=store)
        run = store.get_run(state.context["flow_run_id"])
        assert run.state == "Failed" and run.ended is not None
        rows = {r.task_slug: r for r in run.task_runs}
        assert rows["leave-1"].state == "Failed" and state.result[gone].is_failed()
        assert f"Task 'leave' raised {type(error).__name__}(" in rows["leave-1"].message
        assert sorted(r.state for r in run.task_runs if r.task_name == "after") == [
            "Success", "TriggerFailed"]
        assert state.result[add_one].result == 1

    def test_retries_leave_the_final_state(self, store: RunStore) -> None:
        attempts: list[int] = []

        @task(max_retries=2, retry_delay=datetime.timedelta(0))
        def flaky() -> str:
            attempts.append(1)
            if len(attempts) < 3:
                raise ValueError("not yet")
            return "done"

        with Flow("flaky") as flow:
            flaky()
        state = flow.run(journal=store)
        (row,) = store.task_runs(state.context["flow_run_id"])
        assert (row.state, row.run_count) == ("Success", 3)

    def test_a_failure_is_recorded_with_its_message(self, store: RunStore) -> None:
        @task
        def boom() -> None:
            raise RuntimeError("kaput")

        with Flow("boom") as flow:
            boom()
        state = flow.run(journal=store)
        run = store.get_run(state.context["flow_run_id"])
        assert (run.state, run.message) == ("Failed", "Some reference tasks failed.")
        (row,) = run.task_runs
        assert row.state == "Failed" and "RuntimeError('kaput')" in row.message
        assert row.result_location is None

    def test_parameters_that_json_cannot_hold_are_pickled(self, store: RunStore) -> None:
        when = datetime.date(2024, 5, 1)

        @task
        def show(d: Any) -> Any:
            return d

        with Flow("dates") as flow:
            show(Parameter("d"))
        state = flow.run(journal=store, d=when)
        run_id = state.context["flow_run_id"]
        listed = store.get_run(run_id)  # reading a run never unpickles: shown as text
        assert listed.parameters == {"d": repr(when)} and listed.parameters_pickled
        assert store.run_parameters(run_id) == {"d": when}  # what a resume reads

    def test_journal_accepts_a_path(self, tmp_path: Path) -> None:
        state = add_flow().run(journal=tmp_path / "elsewhere.db")
        with RunStore(tmp_path / "elsewhere.db") as s:
            assert s.get_run(state.context["flow_run_id"]).state == "Success"
        assert (tmp_path / "elsewhere.db").exists()

    def test_rows_are_committed_while_the_run_goes_on(self, home: Path) -> None:
        seen: list[int] = []

        @task
        def quick(x: int) -> int:
            return x

        @task
        def watcher(xs: list[int]) -> None:
            # another connection must see the earlier rows while this task still runs
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                conn = sqlite3.connect(home / "prefectlite.db")
                try:
                    count = conn.execute("SELECT COUNT(*) FROM task_runs WHERE task_slug = "
                                         "'quick-1' AND map_index >= 0").fetchone()[0]
                finally:
                    conn.close()
                if count == 3:
                    seen.append(count)
                    return
                time.sleep(0.05)

        with Flow("watched") as flow:
            watcher(quick.map([1, 2, 3]))
        assert flow.run(journal=True).is_successful()
        assert seen == [3]


class TestReadAPI:
    def test_list_get_latest(self, store: RunStore) -> None:
        ids = [add_flow().run(journal=store).context["flow_run_id"] for _ in range(2)]
        other = add_flow("other").run(journal=store).context["flow_run_id"]
        assert [r.id for r in store.list_runs()] == [other, ids[1], ids[0]]
        assert [r.id for r in store.list_runs(flow_name="adder")] == [ids[1], ids[0]]
        assert [r.id for r in store.list_runs(limit=1)] == [other]
        assert store.list_runs(state="Failed") == []
        assert store.get_run(ids[0][:8]).id == ids[0]
        assert store.latest_run("adder", unfinished=False).id == ids[1]  # type: ignore[union-attr]
        assert store.latest_run("adder") is None  # nothing unfinished

    def test_unknown_and_ambiguous_ids(self, store: RunStore) -> None:
        add_flow().run(journal=store)
        with pytest.raises(JournalError, match="No flow run 'nope'"):
            store.get_run("nope")
        for _ in range(20):  # some pair of ids will share its first hex digit
            add_flow().run(journal=store)
        firsts = [r.id[0] for r in store.list_runs()]
        shared = next(c for c in firsts if firsts.count(c) > 1)
        with pytest.raises(JournalError, match="start of several run ids"):
            store.get_run(shared)

    def test_delete_runs_and_their_files(self, store: RunStore, home: Path,
                                         tmp_path: Path) -> None:
        @task(result=LocalResult(location="{flow_run_id}/big.pkl"))  # a journal-run location
        def big() -> bytes:
            return b"x" * 100_000

        @task(target="kept.pkl", result=LocalResult(dir=tmp_path / "targets"))
        def targeted() -> int:
            return 1

        @task
        def large() -> bytes:
            return b"y" * 100_000  # above the inline limit: its own file

        with Flow("files") as flow:
            big(), targeted(), large()
        old = flow.run(journal=store).context["flow_run_id"]
        new = flow.run(journal=store).context["flow_run_id"]
        results = home / "results"
        assert (results / old / "large-1.result").exists()
        assert store.delete_runs([old]) == [old]
        assert not (results / old / "large-1.result").exists()  # the journal's own files go
        assert sorted(p.name for p in (results / old).iterdir()) == ["big.pkl"]  # yours stay
        assert (tmp_path / "targets" / "kept.pkl").exists()  # and so do targets
        assert (results / new / "large-1.result").exists()
        assert [r.id for r in store.list_runs()] == [new]
        assert store.task_runs(old) == []

    def test_delete_by_age_and_flow(self, store: RunStore) -> None:
        first = add_flow().run(journal=store).context["flow_run_id"]
        time.sleep(0.05)
        cut = datetime.datetime.now(datetime.UTC)
        second = add_flow("other").run(journal=store).context["flow_run_id"]
        assert store.delete_runs(older_than=cut) == [first]
        assert store.delete_runs(older_than=datetime.timedelta(days=1)) == []
        assert store.delete_runs(flow_name="other") == [second]

    def test_delete_needs_a_selection(self, store: RunStore) -> None:
        with pytest.raises(ValueError, match="will not delete every run by accident"):
            store.delete_runs()


CONCURRENT = textwrap.dedent("""
    import sys
    from prefectlite import Flow, task
    from prefectlite.persistence.journal import RunStore

    @task
    def inc(x):
        return x + 1

    with Flow("concurrent-" + sys.argv[1]) as flow:
        inc.map(list(range(300)))
    states = [flow.run(journal=True) for _ in range(3)]
    print(" ".join(type(s).__name__ for s in states))
    """)


class TestConcurrency:
    def test_several_processes_journal_at_once(self, home: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PREFECTLITE_HOME": str(home)}
        procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(i)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(3)]
        outs = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, outs):
            assert proc.returncode == 0, err
            assert out.split() == ["Success"] * 3
            assert "locked" not in err
        with RunStore() as s:
            runs = s.list_runs()
            assert len(runs) == 9 and {r.state for r in runs} == {"Success"}
            for run in runs:
                assert len(s.task_runs(run.id)) == 302  # the list, the parent, 300 children

    def test_threads_share_one_store(self, store: RunStore) -> None:
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                add_flow(f"thread-{i}").run(journal=store)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(store.list_runs()) == 4


class TestWriteFailures:
    def test_a_disk_that_fills_up_during_the_run_fails_it_with_a_clear_message(
            self, store: RunStore) -> None:
        @task
        def fill_the_disk() -> None:
            with store._lock:  # from now on, no new page can be added to the journal
                pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
                store._conn.execute(f"PRAGMA max_page_count = {pages}")

        @task
        def inc(x: int) -> int:
            return x + 1

        with Flow("disk-full") as flow:
            inc.map(list(range(3000)), upstream_tasks=[unmapped(fill_the_disk())])
        state = flow.run(journal=store)
        assert isinstance(state, Failed)
        assert state.message.startswith("Unexpected error: JournalError(")  # as Prefect 1 words it
        assert f"Could not write the run journal {store.path}: database or disk is full" \
            in state.message
        assert "then resume the run" in state.message

    def test_a_failure_at_the_very_end_is_raised(self, store: RunStore) -> None:
        flow = add_flow()
        recorder = JournalRecorder(store, batch_size=10_000, flush_interval=3600)

        class FullDisk:
            def __getattr__(self, name: str) -> Any:
                return getattr(store, name)

            def add_task_runs(self, *args: Any) -> None:
                raise JournalError("Could not write the run journal: disk full (simulated)")

        recorder.store = FullDisk()  # type: ignore[assignment]
        with pytest.raises(JournalError, match="disk full"):
            FlowRunner(flow).run(observers=[recorder], context={"journal": str(store.path)})

    def test_an_unwritable_results_directory_fails_the_tasks(self, tmp_path: Path) -> None:
        home = tmp_path / "home2"
        (home / "results").mkdir(parents=True)
        (home / "results").chmod(0o555)
        script = textwrap.dedent("""
            from prefectlite import Flow, task
            from prefectlite.engine.results import LocalResult
            from prefectlite.persistence.journal import RunStore

            @task(result=LocalResult())
            def make():
                return 42

            with Flow("no-room") as flow:
                make()
            state = flow.run(journal=True)
            (row,) = RunStore().task_runs(state.context["flow_run_id"])
            print(type(state).__name__, "|", row.state, "|", row.message)
            """)
        done = python_unprivileged(script, {"PREFECTLITE_HOME": str(home)})
        assert done.returncode == 0, done.stderr
        flow_state, task_state, message = done.stdout.strip().split(" | ")
        assert (flow_state, task_state) == ("Failed", "Failed")
        assert message.startswith(f"Task 'make' ran, but its result could not be written to "
                                  f"{home}/results/")
        assert "Permission denied" in message

    def test_success_is_recorded_only_after_the_result(self, store: RunStore) -> None:
        order: list[str] = []
        real = store.add_task_runs

        def spy(rows: Any, cache: Any = (), *more: Any) -> None:
            for row in rows:
                if row[4] == "Success" and row[11] is not None:
                    path = store.results_dir / row[11]
                    order.append("row-with-file" if path.exists() or row[-1] is not None
                                 else "row-without-result")
            real(rows, cache, *more)

        store.add_task_runs = spy  # type: ignore[method-assign]
        add_flow().run(journal=store)
        assert order and set(order) == {"row-with-file"}


def test_a_state_context_carries_the_run_id(store: RunStore) -> None:
    state = add_flow().run(journal=store)
    assert isinstance(state, Success)
    assert store.get_run(state.context["flow_run_id"]).id == state.context["flow_run_id"]


def test_each_scheduled_run_is_journaled(home: Path) -> None:
    import pendulum

    from prefectlite.schedules import Schedule
    from prefectlite.schedules.clocks import DatesClock

    # Dates already past when the loop looks are skipped, so leave a loaded machine room to
    # build the flow first (the test waits about two seconds).
    now = pendulum.now("UTC")
    clock = DatesClock([now.add(seconds=2), now.add(seconds=2, microseconds=100_000)])
    flow = add_flow("scheduled")
    flow.schedule = Schedule(clocks=[clock])
    last = flow.run(journal=True)
    with RunStore() as s:
        runs = s.list_runs(flow_name="scheduled")
    assert len(runs) == 2 and {r.state for r in runs} == {"Success"}
    assert runs[0].id == last.context["flow_run_id"]


def test_deleting_removes_the_directories_it_emptied(store: RunStore, home: Path) -> None:
    @task
    def large(i: int) -> bytes:
        return bytes([i]) * 100_000  # above the inline limit: one file per child

    with Flow("big-map") as flow:
        large.map([1, 2])
    run = flow.run(journal=store).context["flow_run_id"]
    assert sorted(p.name for p in (home / "results" / run / "large-1").iterdir()) == \
        ["0.result", "1.result"]
    store.delete_runs([run])
    assert list((home / "results").iterdir()) == []


def test_plain_runs_carry_no_persistence_keys() -> None:
    seen: list[dict[str, Any]] = []

    @task
    def look() -> None:
        from prefectlite import context

        seen.append(context.to_dict())

    with Flow("plain") as flow:
        look()
    flow.run()
    assert not {"_persist", "journal", "checkpointing", "default_result"} & set(seen[0])


@pytest.mark.dask
@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_journaled_runs_on_a_local_dask_executor(scheduler: str, home: Path) -> None:
    pytest.importorskip("dask")
    from prefectlite.executors import LocalDaskExecutor

    @task(cache_for=datetime.timedelta(hours=1), cache_validator=_all_inputs())
    def big(i: int) -> bytes:
        return bytes([i]) * (40_000 if i % 2 else 10)  # files and inline rows

    with Flow("dask-journal") as flow:
        out = big.map(list(range(6)))
    first = flow.run(journal=True, executor=LocalDaskExecutor(scheduler, num_workers=2))
    assert first.result[out].result == [bytes([i]) * (40_000 if i % 2 else 10)
                                        for i in range(6)]
    from prefectlite.engine import task_steps

    task_steps.CACHE.clear()
    second = flow.run(journal=True, executor=LocalDaskExecutor(scheduler, num_workers=2))
    assert {type(s).__name__ for s in second.result[out].map_states} == {"Cached"}
    with RunStore() as s:
        rows = [r for r in s.task_runs(first.context["flow_run_id"]) if r.map_index is not None]
        assert [r.inline for r in rows] == [True, False] * 3
        assert [s.read_result(r) for r in rows] == first.result[out].result


def _all_inputs() -> Any:
    from prefectlite.engine import cache_validators

    return cache_validators.all_inputs


def test_a_subflow_run_names_its_parent(store: RunStore) -> None:
    store.start_run("parent-run", "parent", {})
    store.start_run("child-run", "child", {"x": 1}, parent_run_id="parent-run")
    assert store.get_run("child-run").parent_run_id == "parent-run"
    assert store.get_run("parent-run").parent_run_id is None
