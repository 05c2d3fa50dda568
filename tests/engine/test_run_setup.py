"""Run setup (prefectlite.engine.run_setup): observers on flow.run and run_with, the run
journal reached through the engine's hook, and the direction engine -> persistence."""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from typing import Any

import pytest

import prefectlite
from prefectlite import Flow, Parameter, task
from prefectlite.engine import hooks
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.run_setup import run_flow, run_with
from prefectlite.engine.state import Failed, State, Success
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import read_logs


class Events(RunObserver):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        self.events.append(("started", flow.name, context.get("flow_run_id")))

    def task_states_given(self, task_states: dict[Any, State]) -> None:
        self.events.append(("given", {t.name for t in task_states}))

    def task_run_finished(self, task: Any, map_index: int | None, state: State) -> None:
        self.events.append(("task", task.name, map_index, type(state).__name__))

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        self.events.append(("finished", type(state).__name__))


@task
def inc(x: int) -> int:
    return x + 1


@task
def boom(x: int) -> int:
    raise ValueError("boom")


def small_flow() -> Flow:
    with Flow("small") as flow:
        inc.map(inc.map([1, 2]))
    return flow


def test_flow_run_tells_its_observers() -> None:
    watcher = Events()
    state = small_flow().run(observers=[watcher])
    assert state.is_successful()
    kinds = [e[0] for e in watcher.events]
    assert kinds[:2] == ["started", "given"] and kinds[-1] == "finished"
    assert watcher.events[1] == ("given", set())
    finished = [e for e in watcher.events if e[0] == "task"]
    assert ("task", "inc", 0, "Success") in finished
    assert sum(e[2] is None and e[3] == "Mapped" for e in finished) == 2
    assert watcher.events[0][2] == state.context["flow_run_id"]


def test_given_task_states_are_told() -> None:
    flow = small_flow()
    first = next(iter(flow.sorted_tasks()))
    watcher = Events()
    flow.run(observers=[watcher], task_states={first: Success(result=[1, 2])})
    assert ("given", {first.name}) in watcher.events


def test_a_parameter_named_observers_is_a_parameter() -> None:
    seen = []
    with Flow("named") as flow:
        task(lambda observers: seen.append(observers), name="t")(Parameter("observers"))
    assert flow.run(observers=[1, 2]).is_successful()
    assert seen == [[1, 2]]


def test_run_with_takes_options_by_name_whatever_the_parameters_are_called() -> None:
    """A flow with a Parameter called ``executor`` still gets the executor option."""
    seen = []
    with Flow("clash") as flow:
        task(lambda executor: seen.append(executor), name="t")(Parameter("executor"))
    watcher = Events()
    state = run_with(flow, {"executor": "a value"}, observers=[watcher],
                     run_on_schedule=False)
    assert state.is_successful() and seen == ["a value"]
    assert watcher.events[-1] == ("finished", "Success")


def test_run_flow_checks_parameters_before_anything_runs() -> None:
    watcher = Events()
    with Flow("needs") as flow:
        inc(Parameter("x"))
    with pytest.raises(prefectlite.exceptions.ParameterError, match="'x'"):
        run_flow(flow, observers=[watcher])
    assert watcher.events == []


def test_an_observer_that_raises_fails_the_run() -> None:
    class Broken(RunObserver):
        def task_run_finished(self, task: Any, map_index: int | None, state: State) -> None:
            raise RuntimeError("cannot record")

    state = small_flow().run(observers=[Broken()])
    assert isinstance(state, Failed) and "cannot record" in str(state.message)


@pytest.mark.usefixtures("engine_info_lines")
def test_the_first_line_of_a_journaled_run_is_in_the_journal(tmp_path: Path) -> None:
    state = small_flow().run(journal=tmp_path / "j.db")
    with RunStore(tmp_path / "j.db") as store:
        messages = [r.message for r in read_logs(store, state.context["flow_run_id"])]
    assert messages[0] == "Beginning Flow run for 'small'"


def test_journal_without_the_persistence_hook_says_what_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_setup", [])
    with pytest.raises(RuntimeError, match="prefectlite.persistence"):
        small_flow().run(journal=True)


def test_the_journal_registers_its_setup_on_import() -> None:
    from prefectlite.persistence import _journaled_run

    assert hooks._setup == [_journaled_run]


def test_no_engine_module_imports_persistence() -> None:
    """The direction: persistence imports the engine, never the other way (function-level
    imports included)."""
    engine = Path(prefectlite.__file__).parent / "engine"
    found = []
    for path in engine.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [(path.name, n) for n in names if n.startswith("prefectlite.persistence")]
    assert found == []


def test_failed_tasks_make_a_failed_run_with_observers(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    with Flow("fails") as flow:
        boom(1)
    watcher = Events()
    with caplog.at_level(logging.ERROR, logger="prefectlite"):
        state = flow.run(observers=[watcher])
    assert state.is_failed() and watcher.events[-1] == ("finished", "Failed")
    assert ("task", "boom", None, "Failed") in watcher.events
