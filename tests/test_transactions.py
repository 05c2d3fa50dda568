"""prefectlite.transactions with eager tasks: commit and rollback hooks, idempotent keys,
values shared through the transaction, locking."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from prefectlite import flow, task
from prefectlite.locking import FileSystemLockManager, MemoryLockManager
from prefectlite.results import ResultStore
from prefectlite.transactions import IsolationLevel, get_transaction, transaction


def test_rollback_runs_hooks_of_completed_tasks(tmp_path: Path) -> None:
    events: list[str] = []
    target = tmp_path / "side-effect.txt"

    @task
    def write(contents: str):
        target.write_text(contents)

    @write.on_rollback
    def undo(txn):
        events.append(f"rollback {txn.get('why')}")
        target.unlink()

    @write.on_commit
    def done(txn):
        events.append("commit")

    @task
    def check():
        raise ValueError("Not enough data!")

    @flow
    def pipeline():
        with transaction() as txn:
            txn.set("why", "bad data")
            write("hello")
            check()

    state = pipeline(return_state=True)
    assert state.is_failed() and events == ["rollback bad data"] and not target.exists()


def test_commit_runs_hooks_at_block_end_and_at_once_outside() -> None:
    events: list[str] = []

    @task
    def step(name: str):
        events.append(f"ran {name}")

    @step.on_commit
    def committed(txn):
        events.append(f"commit {txn.get('n', '-')}")

    @flow
    def pipeline():
        with transaction() as txn:
            txn.set("n", 1)
            step("a")
            events.append("block end")
        step("b")

    pipeline()
    assert events == ["ran a", "block end", "commit 1", "ran b", "commit -"]


def test_a_key_makes_the_transaction_idempotent(tmp_path: Path) -> None:
    store = ResultStore(result_storage=str(tmp_path))
    runs: list[int] = []

    @flow
    def pipeline():
        with transaction(key="write-once", store=store) as txn:
            if txn.is_committed():
                return "skipped"
            runs.append(1)
            return "wrote"

    assert (pipeline(), pipeline()) == ("wrote", "skipped") and runs == [1]
    assert store.exists("write-once")


def test_tasks_with_keys_write_their_records_only_on_commit(tmp_path: Path) -> None:
    @task(cache_key_fn=lambda *a: "load", result_storage=str(tmp_path))
    def load():
        return "data"

    @task(cache_key_fn=lambda *a: "process", result_storage=str(tmp_path))
    def process(data, fail):
        if fail:
            raise RuntimeError("abort")
        return len(data)

    @flow
    def pipeline(fail: bool):
        with transaction():
            process(load(), fail)

    assert pipeline(True, return_state=True).is_failed()
    assert not (tmp_path / "load").exists()  # rolled back: nothing cached
    pipeline(False)
    assert (tmp_path / "load").exists() and (tmp_path / "process").exists()


def test_get_of_unknown_value_and_active_transaction() -> None:
    assert get_transaction() is None
    with transaction() as txn:
        assert get_transaction() is txn
        assert txn.get("x", 3) == 3
        with pytest.raises(ValueError, match="unknown key: 'x'"):
            txn.get("x")
    assert txn.is_committed() and get_transaction() is None


@pytest.mark.parametrize("manager", ["memory", "files"])
def test_serializable_transactions_do_the_work_once(tmp_path: Path, manager: str) -> None:
    lock = MemoryLockManager() if manager == "memory" else FileSystemLockManager(
        tmp_path / "locks")
    store = ResultStore(result_storage=str(tmp_path), lock_manager=lock)
    inside, release = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def worker():
        with transaction(key="race", store=store,
                         isolation_level=IsolationLevel.SERIALIZABLE) as txn:
            if txn.is_committed():
                outcomes.append("skipped")
                return
            inside.set()
            release.wait(10)
            txn.stage("done")
            outcomes.append("wrote")

    first = threading.Thread(target=worker)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=worker)
    second.start()
    release.set()
    first.join()
    second.join()
    assert sorted(outcomes) == ["skipped", "wrote"] and not lock.is_locked("race")
