"""``prefectlite.cli.progress``: recording a run, plain lines, the live rich display."""

from __future__ import annotations

import io
import sys

import pytest

from prefectlite import Flow, Task, task
from prefectlite.cli.progress import (
    LiveProgress,
    PlainProgress,
    RunRecorder,
    describe,
    make_progress,
    shorten,
)
from prefectlite.engine.flow_runner import FlowRunner
from prefectlite.engine.state import Failed, Mapped, Retrying, Success


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def chain() -> tuple[Flow, Task, Task, Task]:
    flow = Flow("chain")
    a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
    flow.add_edge(a, b)
    flow.add_edge(a, c)
    return flow, a, b, c


def test_sequential_durations_add_up_runs() -> None:
    flow, a, b, c = chain()
    clock = Clock()
    rec = RunRecorder(sequential=True, clock=clock)
    rec.flow_run_started(flow, {})
    for t, at, state in [(a, 101.0, Success()), (b, 101.5, Retrying(run_count=1)),
                         (c, 102.0, Success()), (b, 104.0, Success())]:
        clock.now = at
        rec.task_run_finished(t, None, state)
    assert [rec.duration(t) for t in (a, b, c)] == [1.0, 2.5, 0.5]
    rows = {r.task: r for r in rec.rows()}
    assert rows["b"].retries == 1 and rows["b"].state == "Success"


def test_parallel_durations_start_when_upstreams_end() -> None:
    flow, a, b, c = chain()
    clock = Clock()
    rec = RunRecorder(sequential=False, clock=clock)
    rec.flow_run_started(flow, {})
    for t, at in [(a, 101.0), (b, 103.0), (c, 103.5)]:
        clock.now = at
        rec.task_run_finished(t, None, Success())
    assert [rec.duration(t) for t in (a, b, c)] == [1.0, 2.0, 2.5]


def test_mapped_rows_and_status() -> None:
    @task
    def inc(x):
        return x + 1

    with Flow("m") as flow:
        out = inc.map([1, 2])
    rec = RunRecorder()
    rec.flow_run_started(flow, {})
    assert rec.status(out) == "waiting"
    const = next(t for t in flow.tasks if t is not out)
    rec.task_run_finished(const, None, Success())
    assert rec.status(out) == "running"
    rec.task_run_finished(out, 0, Success())
    rec.task_run_finished(out, 1, Failed("no"))
    rec.task_run_finished(out, None, Mapped(map_states=[Success(), Failed("no")]))
    row = {r.task: r for r in rec.rows()}["inc"]
    assert (row.state, row.message) == ("Mapped", "2 mapped runs: 1 Success, 1 Failed")
    assert rec.counts()["children"] == 2


def test_task_with_no_event_takes_the_flow_state() -> None:
    flow, a, b, c = chain()
    rec = RunRecorder()
    rec.given = {a}
    rec.flow_run_started(flow, {})
    rec.flow_run_finished(flow, Success(result={a: Success("given"), b: Success(), c: Success()}))
    row = rec.rows()[0]
    assert (row.task, row.state, row.duration) == ("a", "Success", None)
    assert row.message == "(given, not run) given"


def test_plain_lines() -> None:
    @task
    def boom():
        raise ValueError("nope")

    with Flow("p") as flow:
        boom()
    stream = io.StringIO()
    FlowRunner(flow).run(observers=[PlainProgress(stream)])
    line = stream.getvalue().strip()
    assert line.endswith("boom: Failed: Error during execution of task: ValueError('nope') "
                         "(1/1 tasks done)")


def test_live_display_draws_and_stops() -> None:
    rich_console = pytest.importorskip("rich.console")

    @task
    def double(x):
        return 2 * x

    with Flow("live") as flow:
        double.map([1, 2, 3])
    out = io.StringIO()
    console = rich_console.Console(file=out, force_terminal=True, width=80)
    live = LiveProgress(console=console, refresh_per_second=50)
    state = FlowRunner(flow).run(observers=[live])
    assert state.is_successful() and live._live is None
    assert "Flow 'live'" in out.getvalue()
    live.close()  # idempotent
    rendered = io.StringIO()
    rich_console.Console(file=rendered, width=80).print(live.render())
    assert "2/2 tasks done" in rendered.getvalue() and "Mapped" in rendered.getvalue()


class TestMakeProgress:
    def test_disabled_is_silent(self) -> None:
        assert type(make_progress(enabled=False)) is RunRecorder

    def test_not_a_terminal_is_plain(self) -> None:
        assert isinstance(make_progress(), PlainProgress)  # pytest's stdout is no terminal

    def test_live_when_asked(self) -> None:
        pytest.importorskip("rich")
        assert isinstance(make_progress(live=True), LiveProgress)

    def test_without_rich_falls_back_to_plain(self, monkeypatch) -> None:
        monkeypatch.setitem(sys.modules, "rich", None)
        assert isinstance(make_progress(live=True), PlainProgress)

    def test_cli_runs_without_rich(self, monkeypatch, invoke, flow_file) -> None:
        monkeypatch.setitem(sys.modules, "rich", None)
        result = invoke("run", flow_file("simple"))
        assert result.exit_code == 0 and "add-2: Success" in result.stderr


class TestShorten:
    def test_cuts_at_a_word_boundary(self) -> None:
        reason = "Retrying because the upstream server refused the connection on port 5432"
        text = describe(Retrying(message=reason), width=40)
        assert text == "Retrying because the upstream server…"
        assert reason.startswith(text[:-1]) and len(text) <= 40

    def test_long_word_is_cut_inside(self) -> None:
        assert shorten("x" * 50, 10) == "x" * 9 + "…"

    def test_short_text_untouched(self) -> None:
        assert shorten("fine", 4) == "fine"
