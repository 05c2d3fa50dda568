"""Real processes against one run journal: kill -9 at random points, then resume; two
processes resuming the same run at once.

Every task appends ``slug[map_index]`` to a side-effect file when it runs, so the tests
count executions exactly; they learn where a process is from that file and from marker
files, never from elapsed time. ``CRASH_SEED`` (environment) replays one random series.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from prefectlite.persistence.journal import RunStore

REPO = Path(__file__).resolve().parents[2]

FLOW = textwrap.dedent("""
    import os, sys, time
    import prefectlite
    from prefectlite import Flow, task, unmapped

    def mark():
        ctx = prefectlite.context
        line = f"{ctx.get('task_slug')}[{ctx.get('map_index')}]\\n"
        fd = os.open(os.environ["SIDE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(fd, line.encode())
        os.close(fd)

    @task
    def load(n):
        mark()
        return list(range(n))

    @task
    def square(x):
        mark()
        time.sleep(0.005)  # work that takes a little time, so that kills land mid-run
        return x * x

    @task
    def gate(xs):
        mark()
        if os.environ.get("FAIL_GATE") == "1":
            raise RuntimeError("the gate is closed")
        if os.environ.get("BLOCKED"):
            open(os.environ["BLOCKED"], "w").close()
            while not os.path.exists(os.environ["GO"]):  # until the test opens it
                time.sleep(0.01)
        return sum(xs)

    @task
    def shift(x, by):
        mark()
        time.sleep(0.005)
        return x + by

    @task
    def total(xs):
        mark()
        return sum(xs)

    with Flow("crashy") as flow:
        squares = square.map(load(int(os.environ.get("N", "24"))))
        summed = total(shift.map(squares, unmapped(gate(squares))))

    if __name__ == "__main__":
        resume = sys.argv[1] if len(sys.argv) > 1 else None
        state = flow.run(journal=True, resume=resume)
        result = state.result[summed].result if state.is_successful() else None
        print(type(state).__name__, state.context["flow_run_id"], result)
""")


def clean_total(n: int = 24) -> int:
    squares = [x * x for x in range(n)]
    return sum(s + sum(squares) for s in squares)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "crashy.py"
    path.write_text(FLOW)
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        config_env: Callable[..., None]) -> dict[str, str]:
    home = tmp_path / "home"
    config_env("PREFECTLITE_HOME", str(home))
    return {**os.environ, "PYTHONPATH": str(REPO), "PREFECTLITE_HOME": str(home),
            "SIDE": str(tmp_path / "side.log")}


def executions(env: dict[str, str]) -> list[str]:
    path = Path(env["SIDE"])
    return path.read_text().split() if path.exists() else []


def finished_keys(run_id: str | None) -> set[str]:
    """``slug[index]`` of the task runs the journal has as finished for run ``run_id``."""
    if run_id is None:
        return set()
    with RunStore() as store:
        return {f"{r.task_slug}[{r.map_index}]" for r in store.task_runs(run_id)
                if r.is_finished and r.state != "Mapped"}


def newest_run() -> str | None:
    with RunStore() as store:
        runs = store.list_runs(limit=1)
    return runs[0].id if runs else None


def run_until(script: Path, env: dict[str, str], resume: str | None, lines: int
              ) -> str | None:
    """Run the flow (resuming ``resume``) and kill -9 it once the side-effect file has
    ``lines`` more lines; ``None`` when killed, else what it printed (it finished first)."""
    before = len(executions(env))
    args = [sys.executable, str(script), *([resume] if resume else [])]
    errors = Path(env["SIDE"]).with_name("stderr.log")
    with open(errors, "w") as err, subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                                    stderr=err, text=True) as proc:
        deadline = time.monotonic() + 120
        while proc.poll() is None and len(executions(env)) < before + lines:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("the journaled run made no progress")
            time.sleep(0.002)  # polling the side-effect file, not ordering anything
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            return None
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors.read_text()
    return str(out)


def test_kill_9_at_random_points_then_resume(script: Path, env: dict[str, str]) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    kills, resume, out = 0, None, None
    while out is None:
        recorded = finished_keys(newest_run())
        seen = len(executions(env))
        lines = rng.randint(1, 40) if kills < 6 else 10**6  # the last one runs to its end
        out = run_until(script, env, resume, lines)
        again = set(executions(env)[seen:]) & recorded
        assert not again, f"seed {seed}: recorded as finished, yet ran again: {again}"
        if out is None:
            kills += 1
            resume = "latest"
            with RunStore() as store:
                assert store.list_runs(limit=1)[0].state == "Crashed", f"seed {seed}"
    kind, _, result = out.split()
    assert (kind, int(result)) == ("Success", clean_total()), f"seed {seed}"
    counts = collections.Counter(executions(env))
    assert len(counts) == 1 + 24 + 1 + 24 + 1  # every task ran
    assert max(counts.values()) <= 1 + kills, f"seed {seed}: {counts.most_common(3)}"
    with RunStore() as store:
        runs = store.list_runs()
    assert len(runs) == kills + 1 and [r.resumed_from for r in runs[:-1]] == \
        [r.id for r in runs[1:]]  # one chain: each resume took over the crashed one


def cli(script: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "prefectlite", "run", str(script), "--no-progress",
            "--log-level", "INFO", *args]


def failed_first_run(script: Path, env: dict[str, str]) -> str:
    first = subprocess.run([sys.executable, str(script)], env={**env, "FAIL_GATE": "1"},
                           capture_output=True, text=True, timeout=120)
    kind, run_id, _ = first.stdout.split()
    assert kind == "Failed", first.stderr
    return run_id


def test_two_processes_resume_the_same_run(script: Path, env: dict[str, str],
                                           tmp_path: Path) -> None:
    """The first claims the run; the second is refused (naming the first), the third waits
    for it and then finds nothing left to run: every task ran once (the gate twice)."""
    old = failed_first_run(script, env)
    blocked, go = tmp_path / "blocked", tmp_path / "go"
    gated = {**env, "BLOCKED": str(blocked), "GO": str(go)}
    first = subprocess.Popen(cli(script, "--resume", old), env=gated,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiter = None
    try:
        deadline = time.monotonic() + 120
        while not blocked.exists():  # the first process holds the run, inside the gate
            assert first.poll() is None and time.monotonic() < deadline, first.stderr
            time.sleep(0.01)
        refused = subprocess.run(cli(script, "--resume", old), env=gated,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1
        (line,) = [x for x in refused.stderr.splitlines() if x.startswith("Error:")]
        assert f"Flow run {old} cannot be resumed: it is in progress by run " in line
        assert f"pid {first.pid}," in line
        waiter = subprocess.Popen(cli(script, "--resume", old[:8], "--wait"), env=gated,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert waiter.stderr is not None
        for text in waiter.stderr:  # it says it waits before it waits
            if "waiting for it to end" in text:
                break
        go.touch()
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        out, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err
    finally:
        for proc in (first, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    counts = collections.Counter(executions(env))
    assert counts.pop("gate-1[None]") == 2  # failed in the first run, ran in one resume
    assert set(counts.values()) == {1} and len(counts) == 1 + 24 + 24 + 1


def test_racing_resumes_run_each_task_once(script: Path, env: dict[str, str]) -> None:
    """Two resumes started together, without --wait: whichever claims first runs what is
    left; the other is refused or finds nothing left; no task runs twice."""
    old = failed_first_run(script, env)
    procs = [subprocess.Popen(cli(script, "--resume", old), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.communicate(timeout=180)[1], p.returncode) for p in procs]
    outcomes = [(code, err) for err, code in outcomes]
    assert any(code == 0 for code, _ in outcomes), outcomes
    for code, err in outcomes:
        assert code == 0 or "cannot be resumed: it is in progress" in err, err
    counts = collections.Counter(executions(env))
    assert counts.pop("gate-1[None]") == 2
    assert set(counts.values()) == {1}
    conn = sqlite3.connect(Path(env["PREFECTLITE_HOME"]) / "prefectlite.db")
    try:
        resumed = conn.execute("SELECT COUNT(*) FROM flow_runs WHERE resumed_from IS NOT NULL "
                               "AND state = 'Success'").fetchone()[0]
    finally:
        conn.close()
    assert resumed == sum(code == 0 for code, _ in outcomes)
