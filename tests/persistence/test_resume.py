"""Tests for prefectlite.persistence.resume: ``flow.run(resume=...)`` reruns only what is needed.

The fault tests are real: a process is killed with SIGKILL in the middle of a journaled map
over 1,000 items, result files are damaged on disk, and the journal is edited to look as if
another Python version had written it.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, task, unmapped
from prefectlite.engine.results import LocalResult, PrefectResult
from prefectlite.engine.state import Cached, Failed, Mapped, Pending, Skipped, Success
from prefectlite.persistence.journal import JournalError, RunStore
from prefectlite.persistence.resume import restore
from prefectlite.persistence.runs import run_states

REPO = Path(__file__).resolve().parents[2]
CALLS: collections.Counter[str] = collections.Counter()
BROKEN: set[str] = set()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__FLOWS__CHECKPOINTING", None)
    CALLS.clear()
    BROKEN.clear()
    return tmp_path / "home"


def work(name: str, value: Any) -> Any:
    CALLS[name] += 1
    if name in BROKEN:
        raise RuntimeError(f"{name} is broken")
    return value


@task
def load(n: int) -> list[int]:
    return work("load", list(range(n)))  # type: ignore[no-any-return]


@task
def square(x: int) -> int:
    return work(f"square[{x}]", x * x)  # type: ignore[no-any-return]


@task
def total(xs: list[int], offset: int = 0) -> int:
    return work("total", sum(xs) + offset)  # type: ignore[no-any-return]


@task
def report(value: int) -> str:
    return work("report", f"total={value}")  # type: ignore[no-any-return]


def pipeline() -> tuple[Flow, dict[str, Any]]:
    """load -> square.map -> total -> report, with Parameters n and offset."""
    with Flow("pipeline") as flow:
        numbers = load(Parameter("n", default=4))
        squares = square.map(numbers)
        summed = total(squares, offset=Parameter("offset", default=0))
        out = report(summed)
    return flow, {"load": numbers, "square": squares, "total": summed, "report": out}


def run_id(state: Any) -> str:
    return str(state.context["flow_run_id"])


class TestResume:
    def test_only_what_failed_runs_again(self) -> None:
        flow, t = pipeline()
        BROKEN.add("total")
        first = flow.run(journal=True)
        assert first.is_failed() and CALLS["load"] == 1 and CALLS["square[3]"] == 1
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first))
        assert second.is_successful()
        assert second.result[t["report"]].result == "total=14"
        assert dict(CALLS) == {"total": 1, "report": 1}
        assert type(second.result[t["load"]]) is Success
        assert second.result[t["square"]].result == [0, 1, 4, 9]

    def test_the_new_run_is_linked_and_holds_the_kept_rows(self) -> None:
        flow, t = pipeline()
        BROKEN.add("report")
        first = flow.run(journal=True)
        BROKEN.clear()
        second = flow.run(resume=run_id(first))
        with RunStore() as store:
            run = store.get_run(run_id(second))
            assert run.resumed_from == run_id(first) and run.state == "Success"
            rows = {(r.task_slug, r.map_index): r for r in run.task_runs}
            assert len(rows) == 10  # n, offset, load, the Mapped parent, 4 squares, total, report
            assert rows[("report-1", None)].copied_from is None
            assert rows[("total-1", None)].copied_from == run_id(first)
            assert store.read_result(rows[("square-1", 2)]) == 4

    def test_latest_picks_this_flow_s_newest_unfinished_run(self) -> None:
        flow, t = pipeline()
        BROKEN.add("report")
        flow.run(journal=True)
        failed = flow.run(journal=True, n=3)
        with Flow("another") as other:
            report(1)
        other.run(journal=True)
        BROKEN.clear()
        resumed = flow.run(resume="latest")
        assert resumed.result[t["report"]].result == "total=5"  # n=3: 0 + 1 + 4
        with RunStore() as store:
            assert store.get_run(run_id(resumed)).resumed_from == run_id(failed)

    def test_nothing_to_resume(self) -> None:
        flow, _ = pipeline()
        flow.run(journal=True)
        with pytest.raises(JournalError, match="no unfinished or failed run of flow "
                                               "'pipeline' to resume"):
            flow.run(resume="latest")

    def test_a_run_of_another_flow_is_refused(self) -> None:
        flow, _ = pipeline()
        with Flow("another") as other:
            report(1)
        state = other.run(journal=True)
        with pytest.raises(JournalError, match="is a run of flow 'another', not of 'pipeline'"):
            flow.run(resume=run_id(state))

    def test_resuming_a_finished_run_runs_nothing(self) -> None:
        flow, t = pipeline()
        first = flow.run(journal=True)
        CALLS.clear()
        again = flow.run(resume=run_id(first))
        assert again.is_successful() and CALLS == {}
        assert again.result[t["report"]].result == "total=14"

    def test_a_resumed_run_can_be_resumed(self) -> None:
        flow, t = pipeline()
        BROKEN.update({"total"})
        first = flow.run(journal=True)
        second = flow.run(resume=run_id(first))  # still broken
        assert second.is_failed()
        BROKEN.clear()
        CALLS.clear()
        third = flow.run(resume=run_id(second))
        assert third.is_successful() and dict(CALLS) == {"total": 1, "report": 1}
        with RunStore() as store:
            rows = {(r.task_slug, r.map_index): r for r in store.task_runs(run_id(third))}
        assert rows[("load-1", None)].copied_from == run_id(first)


class TestParameters:
    def test_they_default_to_the_old_run_s(self) -> None:
        flow, t = pipeline()
        BROKEN.add("report")
        first = flow.run(journal=True, n=5, offset=100)
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first))
        assert second.result[t["report"]].result == "total=130"
        assert dict(CALLS) == {"report": 1}
        with RunStore() as store:
            assert store.get_run(run_id(second)).parameters == {"n": 5, "offset": 100}

    def test_a_changed_parameter_reruns_what_depends_on_it(self) -> None:
        flow, t = pipeline()
        BROKEN.add("report")
        first = flow.run(journal=True, n=3, offset=0)
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first), offset=1000)
        assert second.result[t["report"]].result == "total=1005"
        assert dict(CALLS) == {"total": 1, "report": 1}  # load and the squares are kept

    def test_the_same_value_given_again_changes_nothing(self) -> None:
        flow, _ = pipeline()
        BROKEN.add("report")
        first = flow.run(journal=True, n=3)
        BROKEN.clear()
        CALLS.clear()
        flow.run(resume=run_id(first), n=3)
        assert dict(CALLS) == {"report": 1}


class TestMapped:
    def test_only_the_failed_children_run_again(self) -> None:
        flow, t = pipeline()
        BROKEN.update({"square[1]", "square[3]"})
        first = flow.run(journal=True, n=5)
        assert [type(s).__name__ for s in first.result[t["square"]].map_states] == [
            "Success", "Failed", "Success", "Failed", "Success"]
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first))
        assert dict(CALLS) == {"square[1]": 1, "square[3]": 1, "total": 1, "report": 1}
        assert second.result[t["report"]].result == "total=30"

    def test_restore_rebuilds_a_partial_mapped_state(self) -> None:
        flow, t = pipeline()
        BROKEN.add("square[2]")
        first = flow.run(journal=True, n=4)
        with RunStore() as store:
            restored = restore(store, flow, run_id(first))
        mapped = restored.task_states[t["square"]]
        assert isinstance(mapped, Mapped)
        assert [type(s) for s in mapped.map_states] == [Success, Success, Pending, Success]
        assert [s.result for s in mapped.map_states if s.is_finished()] == [0, 1, 9]
        assert t["total"] not in restored.task_states
        assert ("square-1", 2) not in restored.kept and ("square-1", 3) in restored.kept

    def test_pipelined_maps_keep_children_whose_inputs_were_kept(self) -> None:
        @task
        def plus_one(x: int) -> int:
            return work(f"plus_one[{x}]", x + 1)  # type: ignore[no-any-return]

        with Flow("pipelined") as flow:
            squares = square.map(load(4))
            out = plus_one.map(squares)
        BROKEN.add("square[2]")
        first = flow.run(journal=True)
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first))
        assert dict(CALLS) == {"square[2]": 1, "plus_one[4]": 1}
        assert second.result[out].result == [1, 2, 5, 10]

    def test_skipped_tasks_are_kept_as_skipped(self) -> None:
        from prefectlite.engine import signals

        @task
        def skipper() -> None:
            CALLS["skipper"] += 1
            raise signals.SKIP("nothing to do")

        with Flow("skips") as flow:
            s = skipper()
            r = report(1, upstream_tasks=[s])
        BROKEN.add("never")
        first = flow.run(journal=True)
        assert type(first.result[r]) is Skipped
        with RunStore() as store:
            restored = restore(store, flow, run_id(first))
        assert type(restored.task_states[s]) is Skipped


class TestUnusableResults:
    def damaged_square(self, home: Path, large: bool) -> tuple[Flow, dict[str, Any], str]:
        flow, t = pipeline()
        if large:  # each square in its own file
            flow.result = LocalResult(location="{flow_run_id}/{task_slug}-{map_index}.pkl")
        BROKEN.add("report")
        first = flow.run(journal=True, n=3)
        BROKEN.clear()
        CALLS.clear()
        return flow, t, run_id(first)

    def test_a_damaged_result_file_is_detected_and_its_task_rerun(
            self, home: Path, caplog: pytest.LogCaptureFixture) -> None:
        flow, t, first = self.damaged_square(home, large=True)
        path = home / "results" / first / "square-1-1.pkl"
        data = bytearray(path.read_bytes())
        data[-3] ^= 0x01  # the pickle of 1 becomes the pickle of 0: only the checksum knows
        path.write_bytes(bytes(data))
        with caplog.at_level(logging.WARNING, logger="prefectlite.FlowRunner"):
            second = flow.run(resume=first)
        assert f"{path} is damaged" in caplog.text
        assert dict(CALLS) == {"square[1]": 1, "total": 1, "report": 1}
        assert second.result[t["report"]].result == "total=5"

    def test_a_missing_result_file_means_a_rerun(self, home: Path) -> None:
        flow, t, first = self.damaged_square(home, large=True)
        (home / "results" / first / "square-1-0.pkl").unlink()
        second = flow.run(resume=first)
        assert second.result[t["report"]].result == "total=5"
        assert CALLS["square[0]"] == 1

    def test_damaged_bytes_in_the_journal_are_detected(self, home: Path) -> None:
        flow, t, first = self.damaged_square(home, large=False)
        conn = sqlite3.connect(home / "prefectlite.db")
        with conn:
            conn.execute("UPDATE task_runs SET result_inline = ? WHERE task_slug = 'square-1' "
                         "AND map_index = 2 AND flow_run_id = ?", (b"\x80\x04K\x05.", first))
        conn.close()
        second = flow.run(resume=first)
        assert CALLS["square[2]"] == 1
        assert second.result[t["report"]].result == "total=5"

    def test_pickles_from_another_python_are_not_trusted(self, home: Path) -> None:
        @task(result=PrefectResult())
        def portable() -> int:
            return work("portable", 2)  # type: ignore[no-any-return]

        with Flow("versions") as flow:
            a, b = load(2), portable()
            out = report(total(a, offset=b))
        BROKEN.add("report")
        first = flow.run(journal=True)
        conn = sqlite3.connect(home / "prefectlite.db")
        with conn:
            conn.execute("UPDATE task_runs SET python = '2.7' WHERE flow_run_id = ?",
                         (run_id(first),))
        conn.close()
        BROKEN.clear()
        CALLS.clear()
        second = flow.run(resume=run_id(first))
        assert second.result[out].result == "total=3"
        assert CALLS["load"] == 1 and CALLS["portable"] == 0  # JSON is read by any Python

    def test_checkpoint_false_tasks_run_again(self) -> None:
        @task(checkpoint=False)
        def volatile() -> int:
            return work("volatile", 7)  # type: ignore[no-any-return]

        with Flow("volatile") as flow:
            out = report(volatile())
        BROKEN.add("report")
        first = flow.run(journal=True)
        BROKEN.clear()
        CALLS.clear()
        assert flow.run(resume=run_id(first)).result[out].result == "total=7"
        assert dict(CALLS) == {"volatile": 1, "report": 1}


class TestCodeChanges:
    def test_a_task_whose_code_changed_runs_again_with_its_dependents(self) -> None:
        def build(factor: int) -> tuple[Flow, Any]:
            space: dict[str, Any] = {"work": work}
            exec(f"def scale(x):\n    return work('scale', x * {factor})\n", space)  # noqa: S102
            with Flow("code") as flow:
                out = report(task(space["scale"])(3))
            return flow, out

        flow, out = build(2)
        BROKEN.add("report")
        first = flow.run(journal=True)
        BROKEN.clear()
        CALLS.clear()
        flow, out = build(5)
        assert flow.run(resume=run_id(first)).result[out].result == "total=15"
        assert dict(CALLS) == {"scale": 1, "report": 1}


class TestRunStates:
    def test_the_recorded_states_by_task(self) -> None:
        flow, t = pipeline()
        BROKEN.add("square[1]")
        first = flow.run(journal=True, n=2)
        states = run_states(flow, run_id(first))
        assert type(states[t["load"]]) is Success and states[t["load"]].result is None
        assert [type(s) for s in states[t["square"]].map_states] == [Success, Failed]
        assert type(states[t["report"]]) is Failed or states[t["report"]].is_failed()
        with_results = run_states(flow, run_id(first), results=True)
        assert with_results[t["load"]].result == [0, 1]


KILLED_FLOW = textwrap.dedent("""
    import os, sys, time
    from prefectlite import Flow, task

    @task
    def inc(x):
        fd = os.open(os.environ["RUNLOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{x}\\n".encode())
        os.close(fd)
        time.sleep(float(os.environ.get("SLEEP", "0")))
        return x + 1

    @task
    def total(xs):
        return sum(xs)

    with Flow("killed") as flow:
        total(inc.map(list(range(1000))))

    if __name__ == "__main__":
        resume = sys.argv[1] if len(sys.argv) > 1 else None
        state = flow.run(journal=True, resume=resume)
        print(type(state).__name__, state.context["flow_run_id"])
    """)


class TestKilledRun:
    def test_kill_9_in_the_middle_of_a_map_then_resume(self, tmp_path: Path, home: Path
                                                       ) -> None:
        script = tmp_path / "killed_flow.py"
        script.write_text(KILLED_FLOW)
        env = {**os.environ, "PYTHONPATH": str(REPO), "PREFECTLITE_HOME": str(home),
               "SLEEP": "0.004", "RUNLOG": str(tmp_path / "first.log")}
        proc = subprocess.Popen([sys.executable, str(script)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            finished = self.wait_for_children(home, at_least=250, proc=proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL

        with RunStore() as store:
            (killed,) = store.list_runs()
            assert killed.state == "Crashed" and killed.ended is None  # its pid is gone
            assert "is gone" in (killed.message or "")
            done = {r.map_index: r for r in store.task_runs(killed.id)
                    if r.task_slug == "inc-1" and r.map_index is not None}
            assert all(r.state == "Success" for r in done.values())
            assert finished <= len(done) < 1000
            for index, row in done.items():  # every result marked finished reads back
                assert store.read_result(row) == index + 1
        started_before = {int(x) for x in (tmp_path / "first.log").read_text().split()}
        assert set(done) <= started_before

        env.update(SLEEP="0", RUNLOG=str(tmp_path / "second.log"))
        resumed = subprocess.run([sys.executable, str(script), "latest"], env=env,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        kind, new_id = resumed.stdout.split()
        assert kind == "Success"
        rerun = [int(x) for x in (tmp_path / "second.log").read_text().split()]
        assert sorted(rerun) == sorted(set(range(1000)) - set(done))  # each exactly once

        with RunStore() as store:
            run = store.get_run(new_id)
            assert run.resumed_from == killed.id
            rows = {(r.task_slug, r.map_index): r for r in run.task_runs}
            (total_row,) = [r for (slug, _), r in rows.items() if slug == "total-1"]
            assert store.read_result(total_row) == sum(range(1, 1001))
            copied = {i for (slug, i), r in rows.items()
                      if slug == "inc-1" and i is not None and r.copied_from == killed.id}
            assert copied == set(done)
            assert rows[("inc-1", None)].n_map_states == 1000

    @staticmethod
    def wait_for_children(home: Path, at_least: int, proc: subprocess.Popen) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the flow finished before it could be killed"
            try:
                conn = sqlite3.connect(home / "prefectlite.db", timeout=5)
                try:
                    count = conn.execute("SELECT COUNT(*) FROM task_runs WHERE task_slug = "
                                         "'inc-1' AND map_index >= 0").fetchone()[0]
                finally:
                    conn.close()
            except sqlite3.OperationalError:  # the journal is not created yet
                count = 0
            if count >= at_least:
                return int(count)
            time.sleep(0.02)
        raise AssertionError("the journaled run made no progress")


def test_cached_states_are_kept(tmp_path: Path) -> None:
    @task(target="t.pkl", result=LocalResult(dir=tmp_path))
    def targeted() -> int:
        return work("targeted", 3)  # type: ignore[no-any-return]

    with Flow("cached") as flow:
        a = targeted()
        report(a)
    flow.run()
    BROKEN.add("report")
    first = flow.run(journal=True)
    assert type(first.result[a]) is Cached
    BROKEN.clear()
    CALLS.clear()
    second = flow.run(resume=run_id(first))
    assert type(second.result[a]) is Cached and dict(CALLS) == {"report": 1}


def test_explicit_task_states_win_over_restored_ones() -> None:
    flow, t = pipeline()
    BROKEN.add("report")
    first = flow.run(journal=True, n=2)
    BROKEN.clear()
    CALLS.clear()
    second = flow.run(resume=run_id(first), task_states={t["total"]: Success(result=99)})
    assert second.result[t["report"]].result == "total=99"
    assert dict(CALLS) == {"report": 1}


def test_unmapped_edges_use_the_whole_upstream() -> None:
    with Flow("unmapped") as flow:
        base = load(3)
        out = total.map([[1], [2]], offset=unmapped(total(base)))
    BROKEN.add("total")
    first = flow.run(journal=True)
    BROKEN.clear()
    second = flow.run(resume=run_id(first))
    assert second.result[out].result == [4, 5]


def test_results_kept_inline_and_in_files_both_read_back(home: Path) -> None:
    @task
    def blob(i: int) -> bytes:
        return work(f"blob[{i}]", bytes([i]) * (50_000 if i % 2 else 5))  # type: ignore[no-any-return]

    @task
    def size(blobs: list[bytes]) -> int:
        return work("size", sum(len(b) for b in blobs))  # type: ignore[no-any-return]

    with Flow("mixed") as flow:
        out = size(blob.map(list(range(4))))
    BROKEN.add("size")
    first = flow.run(journal=True)
    assert sorted(p.name for p in (home / "results" / run_id(first) / "blob-1").iterdir()) == \
        ["1.result", "3.result"]
    BROKEN.clear()
    CALLS.clear()
    second = flow.run(resume=run_id(first))
    assert second.result[out].result == 100_010 and dict(CALLS) == {"size": 1}


class TestRerun:
    """``flow.run(resume=..., rerun=[...])``: named tasks and everything downstream run again."""

    def build(self, calls: list[str]):
        from prefectlite import Flow, task

        @task
        def a():
            calls.append("a")
            return 1

        @task
        def b(x):
            calls.append("b")
            return x + 1

        @task
        def c(x):
            calls.append("c")
            return x + 1

        @task
        def side():
            calls.append("side")
            return 0

        with Flow("rerun") as flow:
            last = c(b(a()))
            side()
        return flow, last

    def test_named_task_and_its_downstream_run_again(self, tmp_path) -> None:
        calls: list[str] = []
        flow, last = self.build(calls)
        first = flow.run(journal=str(tmp_path / "j.db"))
        calls.clear()
        again = flow.run(journal=str(tmp_path / "j.db"),
                         resume=first.context["flow_run_id"], rerun=["b"])
        assert sorted(calls) == ["b", "c"] and again.result[last].result == 3

    def test_mapped_children_downstream_run_again(self, tmp_path) -> None:
        from prefectlite import Flow, task

        calls: list[str] = []

        @task
        def numbers():
            calls.append("numbers")
            return [1, 2]

        @task
        def inc(x):
            calls.append(f"inc{x}")
            return x + 1

        with Flow("mapped-rerun") as flow:
            inc.map(numbers())
        first = flow.run(journal=str(tmp_path / "j.db"))
        calls.clear()
        flow.run(journal=str(tmp_path / "j.db"), resume=first.context["flow_run_id"],
                 rerun=["numbers"])
        assert sorted(calls) == ["inc1", "inc2", "numbers"]

    def test_unknown_task_is_an_error_before_the_run_is_claimed(self, tmp_path) -> None:
        from prefectlite.persistence.journal import RunStore

        calls: list[str] = []
        flow, _ = self.build(calls)
        first = flow.run(journal=str(tmp_path / "j.db"))
        with pytest.raises(ValueError, match=r"rerun= names no task of flow 'rerun': 'nope'; "
                                             r"its tasks are: a, b, c, side\."):
            flow.run(journal=str(tmp_path / "j.db"), resume=first.context["flow_run_id"],
                     rerun=["nope"])
        with RunStore(tmp_path / "j.db") as store:
            assert store.count_runs() == 1  # no new run was started

    def test_rerun_needs_resume(self) -> None:
        flow, _ = self.build([])
        with pytest.raises(ValueError, match="rerun= names tasks to run again in a resumed "
                                             "run: give resume="):
            flow.run(rerun=["b"])
