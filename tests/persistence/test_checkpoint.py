"""Tests for targets and result writing (prefectlite.engine.checkpointing) and the persisted
cache (prefectlite.persistence.cache).

Each class is one step the task runner takes through that module. Flows run for real; the
cross-process cache tests run their flows in fresh interpreters.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, task, unmapped
from prefectlite.engine import cache_validators as cv
from prefectlite.engine import checkpointing, task_steps
from prefectlite.engine.result.base import Result
from prefectlite.engine.results import JournalResult, LocalResult, PrefectResult
from prefectlite.engine.state import Cached, Failed, Success
from prefectlite.persistence import cache
from prefectlite.persistence.cache import code_hash
from prefectlite.persistence.journal import RunStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__FLOWS__CHECKPOINTING", None)
    task_steps.CACHE.clear()
    return tmp_path / "home"


class Calls:
    def __init__(self) -> None:
        self.args: list[Any] = []

    def __call__(self, value: Any) -> Any:
        self.args.append(value)
        return value


def files(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


class TestTargets:
    def test_an_existing_target_replaces_the_run_with_its_value(self, tmp_path: Path) -> None:
        calls = Calls()

        @task(target="{task_name}-{x}.pkl", result=LocalResult(dir=tmp_path))
        def double(x: int) -> int:
            calls(x)
            return 2 * x

        with Flow("targets") as flow:
            out = double(4)
        first = flow.run().result[out]
        assert type(first) is Success and first.result == 8
        assert files(tmp_path) == ["double-4.pkl"]
        second = flow.run().result[out]
        assert type(second) is Cached
        assert second.result == 8
        assert second.message == "Result found at task target double-4.pkl."
        assert second._result.location == "double-4.pkl"
        assert calls.args == [4]

    def test_mapped_children_each_have_their_target(self, tmp_path: Path) -> None:
        calls = Calls()

        @task(target="{parameters[day]}/{map_index}.json",
              result=LocalResult(dir=tmp_path, serializer=PrefectResult().serializer))
        def square(x: int) -> int:
            return calls(x) ** 2

        with Flow("mapped-targets") as flow:
            out = square.map([1, 2, 3], upstream_tasks=[Parameter("day")])
        assert flow.run(day="mon").result[out].result == [1, 4, 9]
        assert files(tmp_path) == ["mon/0.json", "mon/1.json", "mon/2.json"]
        (tmp_path / "mon" / "1.json").unlink()
        state = flow.run(day="mon").result[out]
        assert state.result == [1, 4, 9]
        assert [type(s).__name__ for s in state.map_states] == ["Cached", "Success", "Cached"]
        assert calls.args == [1, 2, 3, 2]

    def test_a_callable_target(self, tmp_path: Path) -> None:
        @task(target=lambda task_name, x, **_: f"{task_name}/{x:03d}",
              result=LocalResult(dir=tmp_path))
        def ident(x: int) -> int:
            return x

        with Flow("callable-target") as flow:
            ident(7)
        flow.run()
        assert files(tmp_path) == ["ident/007"]

    def test_a_target_alone_writes_a_local_result_under_the_home(self, home: Path) -> None:
        @task(target="alone.pkl")
        def one() -> int:
            return 1

        with Flow("alone") as flow:
            out = one()
        assert flow.run().result[out].result == 1
        assert files(home / "results") == ["alone.pkl"]
        assert type(flow.run().result[out]) is Cached

    def test_an_unreadable_target_is_run_again_and_replaced(
            self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        calls = Calls()
        (tmp_path / "t.pkl").write_bytes(b"half a pickl")

        @task(target="t.pkl", result=LocalResult(dir=tmp_path))
        def make() -> str:
            return calls("fresh")

        with Flow("unreadable") as flow:
            out = make()
        with caplog.at_level(logging.WARNING, logger="prefectlite.TaskRunner"):
            state = flow.run().result[out]
        assert type(state) is Success and state.result == "fresh" and calls.args == ["fresh"]
        assert "target t.pkl exists but cannot be read" in caplog.text
        assert LocalResult(dir=tmp_path).read("t.pkl").value == "fresh"

    def test_a_target_that_cannot_be_formatted_fails_the_task(self, tmp_path: Path) -> None:
        @task(target="{no_such_key}.pkl", result=LocalResult(dir=tmp_path))
        def make() -> int:
            return 1

        with Flow("bad-target") as flow:
            out = make()
        state = flow.run().result[out]
        assert isinstance(state, Failed)
        assert "target '{no_such_key}.pkl' could not be checked (KeyError('no_such_key'))" \
            in state.message

    def test_checkpoint_false_never_writes_a_target(self, tmp_path: Path) -> None:
        calls = Calls()

        @task(target="t.pkl", checkpoint=False, result=LocalResult(dir=tmp_path))
        def make() -> int:
            return calls(1)

        with Flow("no-checkpoint") as flow:
            make()
        flow.run()
        flow.run()
        assert calls.args == [1, 1] and files(tmp_path) == []


class TestWritingResults:
    def flow(self, result: Any = None, **task_kwargs: Any) -> tuple[Flow, Task]:
        @task(**task_kwargs)
        def add(x: int, y: int) -> int:
            return x + y

        with Flow("writes", result=result) as flow:
            out = add.map([1, 2], y=unmapped(10))
        return flow, out

    def test_a_plain_run_writes_nothing(self, tmp_path: Path, home: Path) -> None:
        flow, out = self.flow(result=LocalResult(dir=tmp_path))
        state = flow.run().result[out]
        assert state.result == [11, 12]
        assert state.map_states[0]._result.location is None
        assert files(tmp_path) == [] and not home.exists()

    def test_the_setting_turns_checkpointing_on_with_the_flow_result(
            self, tmp_path: Path, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "true")
        flow, out = self.flow(result=LocalResult(dir=tmp_path, location="{task_slug}/{map_index}"))
        state = flow.run().result[out]
        assert [c._result.location for c in state.map_states] == ["add-1/0", "add-1/1"]
        assert files(tmp_path) == ["[1, 2]-1/None", "add-1/0", "add-1/1"]  # the list too

    def test_none_is_skipped_except_in_journaled_runs(self, tmp_path: Path, home: Path) -> None:
        @task
        def maybe(x: int) -> int | None:
            return None if x == 2 else x

        out = tmp_path / "out"
        with Flow("nones", result=LocalResult(dir=out, location="{map_index}")) as flow:
            maybe.map([1, 2, 3])
        flow.run(context={"checkpointing": True})
        # as Prefect 1, a None result is not written ("None" is the list mapped over)
        assert files(out) == ["0", "2", "None"]
        flow.run(journal=True)
        assert files(out) == ["0", "1", "2", "None"]  # resuming must not run it again

    def test_the_setting_without_any_result_writes_nothing(
            self, home: Path, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "1")
        flow, out = self.flow()
        assert flow.run().result[out].result == [11, 12]
        assert not home.exists()

    def test_context_checkpointing_overrides_the_setting(
            self, tmp_path: Path, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "false")
        flow, out = self.flow(result=LocalResult(dir=tmp_path))
        flow.run(context={"checkpointing": True})
        assert len(files(tmp_path)) == 3  # the two children and the list they map over

    def test_a_bad_setting_is_a_clear_error(self, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "sometimes")
        flow, _ = self.flow()
        with pytest.raises(ValueError, match="PREFECTLITE__FLOWS__CHECKPOINTING='sometimes'"):
            flow.run()

    def test_checkpoint_true_with_a_result_is_honoured_in_a_plain_run(self, tmp_path: Path
                                                                      ) -> None:
        flow, out = self.flow(checkpoint=True, result=LocalResult(dir=tmp_path))
        flow.run()
        assert len(files(tmp_path)) == 2

    def test_checkpoint_false_is_never_written_even_when_journaled(self, home: Path) -> None:
        flow, out = self.flow(checkpoint=False)
        state = flow.run(journal=True)
        assert state.result[out].result == [11, 12]
        with RunStore() as store:
            rows = store.task_runs(state.context["flow_run_id"])
        assert [r.result_location for r in rows if r.task_name == "add"] == [None, None, None]

    def test_journaled_runs_write_journal_results_by_default(self) -> None:
        flow, out = self.flow()
        state = flow.run(journal=True).result[out]
        assert all(isinstance(c._result, JournalResult) for c in state.map_states)
        assert all(c._result.inline is not None for c in state.map_states)

    def test_the_setting_can_turn_checkpointing_off_in_journaled_runs(
            self, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "false")
        flow, out = self.flow()
        state = flow.run(journal=True).result[out]
        assert state.map_states[0]._result.location is None

    def test_a_plain_result_class_persists_nothing(self, config_env: Callable[..., None]
                                                   ) -> None:
        config_env("PREFECTLITE__FLOWS__CHECKPOINTING", "true")
        flow, out = self.flow(result=Result())
        assert flow.run().result[out].result == [11, 12]

    def test_a_write_that_fails_fails_the_task_with_the_place_named(self, tmp_path: Path
                                                                   ) -> None:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where the results directory should be")
        flow, out = self.flow(checkpoint=True, result=LocalResult(dir=blocker, location="{x}"))
        state = flow.run()
        assert state.is_failed()
        child = state.result[out].map_states[0]
        assert isinstance(child, Failed)
        assert child.message.startswith(
            f"Task 'add[0]' ran, but its result could not be written to {blocker}/1 with "
            "LocalResult: ")
        assert "set checkpoint=False on the task" in child.message
        assert isinstance(child.result, OSError)


    def test_a_value_the_journal_cannot_store_stays_in_memory(
            self, caplog: pytest.LogCaptureFixture) -> None:
        import threading

        @task
        def make_lock() -> Any:
            return threading.Lock()

        @task
        def use(lock: Any) -> bool:
            with lock:
                return True

        with Flow("unpicklable") as flow:
            out = use(make_lock())
        with caplog.at_level(logging.WARNING, logger="prefectlite.TaskRunner"):
            state = flow.run(journal=True)
        assert state.is_successful() and state.result[out].result is True
        assert "Task 'make_lock': its result cannot be stored in the run journal" in caplog.text

    def test_a_value_a_requested_result_cannot_store_fails_the_task(self, tmp_path: Path
                                                                    ) -> None:
        import threading

        @task(checkpoint=True, result=LocalResult(dir=tmp_path))
        def make_lock() -> Any:
            return threading.Lock()

        with Flow("unpicklable-asked") as flow:
            out = make_lock()
        state = flow.run(journal=True).result[out]
        assert isinstance(state, Failed) and "could not be written" in state.message


class TestCodeHash:
    def test_copies_share_it_and_other_code_differs(self) -> None:
        @task
        def a(x: int) -> int:
            return x

        @task
        def b(x: int) -> int:
            return x + 1

        assert code_hash(a) == code_hash(a.copy())
        assert code_hash(a) != code_hash(b)

    def test_functions_without_source_hash_their_bytecode(self) -> None:
        space: dict[str, Any] = {}
        exec("def f(x):\n    return x * 2\n", space)  # noqa: S102 - no source file on purpose
        first = code_hash(task(space["f"]))
        exec("def f(x):\n    return x * 3\n", space)  # noqa: S102
        assert code_hash(task(space["f"])) != first

    def test_task_subclasses_hash_their_run_method(self) -> None:
        class Load(Task):
            def run(self) -> int:
                return 1

        class Save(Task):
            def run(self) -> int:
                return 2

        assert code_hash(Load()) != code_hash(Save())


CACHED_FLOW = textwrap.dedent('''
    import datetime, os, sys
    from prefectlite import Flow, task
    from prefectlite.engine import cache_validators as cv

    @task(cache_for=datetime.timedelta(hours=1), cache_validator=cv.{validator})
    def expensive(x):
        with open(os.environ["CALLS"], "a") as f:
            f.write(f"{{x}}\\n")
        return {body}

    with Flow("cached") as flow:
        out = expensive(int(sys.argv[1]))
    state = flow.run(journal=True)
    print(state.result[out].result, type(state.result[out]).__name__)
    ''')


class TestPersistedCache:
    def run(self, tmp_path: Path, x: int, body: str = "x * 10",
            validator: str = "duration_only") -> tuple[str, list[str]]:
        script = tmp_path / "cached_flow.py"
        script.write_text(CACHED_FLOW.format(body=body, validator=validator))
        env = {**os.environ, "PYTHONPATH": str(REPO), "CALLS": str(tmp_path / "calls")}
        done = subprocess.run([sys.executable, str(script), str(x)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        calls = (tmp_path / "calls").read_text().split() if (tmp_path / "calls").exists() \
            else []
        return done.stdout.strip(), calls

    def test_a_second_process_uses_the_first_one_s_result(self, tmp_path: Path) -> None:
        assert self.run(tmp_path, 3) == ("30 Success", ["3"])
        assert self.run(tmp_path, 3) == ("30 Cached", ["3"])

    def test_editing_the_task_invalidates_its_cache(self, tmp_path: Path) -> None:
        assert self.run(tmp_path, 3) == ("30 Success", ["3"])
        assert self.run(tmp_path, 3, body="x * 100") == ("300 Success", ["3", "3"])
        assert self.run(tmp_path, 3, body="x * 100") == ("300 Cached", ["3", "3"])

    def test_the_validator_sees_the_stored_inputs(self, tmp_path: Path) -> None:
        assert self.run(tmp_path, 3, validator="all_inputs") == ("30 Success", ["3"])
        assert self.run(tmp_path, 4, validator="all_inputs") == ("40 Success", ["3", "4"])
        assert self.run(tmp_path, 3, validator="all_inputs") == ("30 Cached", ["3", "4"])

    def test_each_mapped_child_finds_its_own_entry(self) -> None:
        calls = Calls()

        @task(cache_for=datetime.timedelta(hours=1), cache_validator=cv.all_inputs)
        def slow(x: int) -> int:
            return calls(x) * 2

        with Flow("mapped-cache") as flow:
            out = slow.map(list(range(60)))  # more entries under one key than one page
        flow.run(journal=True)
        task_steps.CACHE.clear()
        state = flow.run(journal=True).result[out]
        assert {type(s) for s in state.map_states} == {Cached}
        assert state.result == [2 * x for x in range(60)] and len(calls.args) == 60

    def test_expired_entries_are_not_used(self) -> None:
        calls = Calls()

        @task(cache_for=datetime.timedelta(milliseconds=300))
        def slow() -> int:
            return calls(1)

        with Flow("expiring") as flow:
            out = slow()
        flow.run(journal=True)
        task_steps.CACHE.clear()
        assert type(flow.run(journal=True).result[out]) is Cached
        time.sleep(0.35)
        task_steps.CACHE.clear()
        assert type(flow.run(journal=True).result[out]) is Success
        assert calls.args == [1, 1]

    def test_plain_runs_neither_read_nor_write_the_journal_cache(self, home: Path) -> None:
        calls = Calls()

        @task(cache_for=datetime.timedelta(hours=1))
        def slow() -> int:
            return calls(1)

        with Flow("plain-cache") as flow:
            out = slow()
        flow.run(journal=True)
        task_steps.CACHE.clear()
        assert type(flow.run().result[out]) is Success  # not from the journal
        assert calls.args == [1, 1]

    def test_an_unreadable_cached_result_is_skipped(self, home: Path) -> None:
        calls = Calls()

        @task(cache_for=datetime.timedelta(hours=1), result=LocalResult(location="c.pkl"))
        def slow() -> int:
            return calls(5)

        with Flow("broken-cache") as flow:
            out = slow()
        flow.run(journal=True)
        (home / "results" / "c.pkl").write_bytes(b"garbage")
        task_steps.CACHE.clear()
        state = flow.run(journal=True).result[out]
        assert type(state) is Success and state.result == 5 and calls.args == [5, 5]


class TestHotPath:
    def test_plain_tasks_in_plain_runs_never_reach_the_module(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        def forbidden(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("the persistence step ran for a plain task")

        for name in ("persist", "check_target"):
            monkeypatch.setattr(checkpointing, name, forbidden)
        monkeypatch.setattr(cache, "check_persisted_cache", forbidden)

        @task(cache_for=datetime.timedelta(hours=1), cache_validator=cv.all_inputs)
        def cached(x: int) -> int:
            return x

        @task
        def inc(x: int) -> int:
            return x + 1

        with Flow("hot") as flow:
            out = inc.map(inc.map([1, 2]))
            cached(3)
        assert flow.run().result[out].result == [3, 4]
