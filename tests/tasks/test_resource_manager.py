"""Tests for prefectlite.tasks.core.resource_manager: setup, the block's tasks, cleanup."""

from __future__ import annotations

from typing import Any

import pytest

from prefectlite import Flow, Parameter, case, resource_manager, task, unmapped
from prefectlite.engine.state import Failed, Skipped, Success, TriggerFailed
from prefectlite.exceptions import FlowContextError
from prefectlite.tasks.core.resource_manager import (
    ResourceCleanupTask,
    ResourceManager,
    ResourceSetupTask,
)

EVENTS: list[tuple[str, Any]] = []


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    EVENTS.clear()


@resource_manager
class Connection:
    """A fake connection that records what happens to it."""

    def __init__(self, url: str, fail_setup: bool = False, fail_cleanup: bool = False) -> None:
        self.url, self.fail_setup, self.fail_cleanup = url, fail_setup, fail_cleanup
        EVENTS.append(("init", url))

    def setup(self) -> str:
        EVENTS.append(("setup", self.url))
        if self.fail_setup:
            raise ConnectionError(f"cannot reach {self.url}")
        return f"conn:{self.url}"

    def cleanup(self, conn: str) -> None:
        EVENTS.append(("cleanup", conn))
        if self.fail_cleanup:
            raise RuntimeError("cleanup failed")


@task
def query(conn: str, sql: str = "select 1") -> str:
    EVENTS.append(("query", sql))
    if sql == "bad":
        raise ValueError("syntax error")
    return f"{conn}/{sql}"


@task
def report(rows: Any) -> Any:
    EVENTS.append(("report", rows))
    return rows


def by_name(state: Any) -> dict[str, type]:
    return {t.name: type(s) for t, s in state.result.items() if t.name.startswith("Connection")}


class TestBuilding:
    def test_tasks_and_edges(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            q = query(conn)
        (setup,) = flow.get_tasks(task_type=ResourceSetupTask)
        (cleanup,) = flow.get_tasks(task_type=ResourceCleanupTask)
        assert conn is setup
        assert [e.key for e in flow.edges_to(q) if e.upstream_task is setup] == ["conn"]
        assert flow.upstream_tasks(cleanup) >= {setup, q}
        assert [t.name for t in flow.sorted_tasks()] == [
            "Connection", "Connection.setup", "query", "Connection.cleanup"]  # Prefect 1 names

    def test_cleanup_waits_for_the_last_tasks_of_the_block_only(self) -> None:
        with Flow("f") as flow:
            with Connection("db") as conn:
                first = query(conn, "a")
                last = query(conn, first)
            after = report(last)
        (cleanup,) = flow.get_tasks(task_type=ResourceCleanupTask)
        assert last in flow.upstream_tasks(cleanup)
        assert first not in flow.upstream_tasks(cleanup)
        assert after not in flow.upstream_tasks(cleanup)

    def test_name_argument(self) -> None:
        @resource_manager(name="Scratch")
        class Tmp:
            def setup(self) -> str:
                return "tmp"

            def cleanup(self, path: str) -> None:
                pass

        assert isinstance(Tmp, ResourceManager) and Tmp.name == "Scratch"
        with Flow("f") as flow, Tmp() as path:
            report(path)
        assert {t.name for t in flow.tasks} >= {"Scratch", "Scratch.setup",
                                                "Scratch.cleanup"}

    def test_cleanup_is_not_a_reference_task(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            q = query(conn)
        assert flow.reference_tasks() == {q}
        assert not any(isinstance(t, ResourceCleanupTask) for t in flow.reference_tasks())


class TestRunning:
    def test_setup_block_cleanup_order(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            rows = query(conn, "select 1")
            report(rows)
        state = flow.run()
        assert state.is_successful()
        assert EVENTS == [("init", "db"), ("setup", "db"), ("query", "select 1"),
                          ("report", "conn:db/select 1"), ("cleanup", "conn:db")]

    def test_init_arguments_may_be_tasks(self) -> None:
        with Flow("f") as flow:
            url = Parameter("url")
            with Connection(url) as conn:
                q = query(conn)
        state = flow.run(url="postgres://x")
        assert state.result[q].result == "conn:postgres://x/select 1"
        assert ("cleanup", "conn:postgres://x") in EVENTS

    def test_cleanup_runs_when_a_task_inside_fails(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            bad = query(conn, "bad")
            after = report(bad)
        state = flow.run()
        assert isinstance(state.result[bad], Failed)
        assert isinstance(state.result[after], TriggerFailed)
        assert by_name(state)["Connection.cleanup"] is Success
        assert EVENTS[-1] == ("cleanup", "conn:db")

    def test_the_flow_fails_although_cleanup_succeeds(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            query(conn, "bad")
        state = flow.run()
        assert by_name(state)["Connection.cleanup"] is Success
        assert state.is_failed()

    def test_cleanup_skipped_when_setup_fails(self) -> None:
        with Flow("f") as flow, Connection("db", fail_setup=True) as conn:
            q = query(conn)
        state = flow.run()
        kinds = by_name(state)
        assert kinds["Connection.setup"] is Failed
        assert kinds["Connection.cleanup"] is Skipped
        assert isinstance(state.result[q], TriggerFailed)
        assert state.is_failed()
        assert [e[0] for e in EVENTS] == ["init", "setup"]

    def test_a_failed_cleanup_does_not_decide_the_flow_state(self) -> None:
        with Flow("f") as flow, Connection("db", fail_cleanup=True) as conn:
            query(conn)
        state = flow.run()
        assert by_name(state)["Connection.cleanup"] is Failed
        assert state.is_successful()

    def test_tasks_not_using_the_resource_still_wait_for_setup(self) -> None:
        with Flow("f") as flow, Connection("db", fail_setup=True):
            other = report("no resource needed")
        state = flow.run()
        assert isinstance(state.result[other], TriggerFailed)
        assert ("report", "no resource needed") not in EVENTS

    def test_mapped_tasks_inside_the_block(self) -> None:
        with Flow("f") as flow, Connection("db") as conn:
            rows = query.map(conn=unmapped(conn), sql=["a", "b"])
            total = report(rows)
        state = flow.run()
        assert state.result[total].result == ["conn:db/a", "conn:db/b"]
        assert EVENTS[-1] == ("cleanup", "conn:db")

    def test_inside_a_case_not_taken_nothing_runs(self) -> None:
        with Flow("f") as flow:
            use_db = Parameter("use_db")
            with case(use_db, True), Connection("db") as conn:
                query(conn)
        state = flow.run(use_db=False)
        assert state.is_successful()
        assert EVENTS == []
        assert set(by_name(state).values()) == {Skipped}
        flow.run(use_db=True)
        assert [e[0] for e in EVENTS] == ["init", "setup", "query", "cleanup"]


class TestMisuse:
    def test_a_class_without_cleanup(self) -> None:
        class NoCleanup:
            def setup(self) -> None:
                pass

        manager = resource_manager(NoCleanup)  # decorating checks nothing (Prefect 1)
        with Flow("f"), pytest.raises(TypeError, match=r"Resource manager NoCleanup: its "
                                      r"class needs a cleanup\(resource\) method"):
            manager()

    def test_a_class_without_setup_cleans_up_none(self) -> None:
        seen = []

        @resource_manager
        class NoSetup:
            def cleanup(self, resource: Any) -> None:
                seen.append(resource)

        with Flow("f") as flow:
            block = NoSetup()
            with block as resource:
                inside = report("x")
        assert resource is None and block.setup_task is None
        assert flow.upstream_tasks(block.cleanup_task) == {block.init_task, inside}
        assert flow.run().is_successful() and seen == [None]

    def test_outside_a_flow(self) -> None:
        with pytest.raises(FlowContextError, match=r"Could not infer an active Flow context "
                           r"\(resource manager Connection: use it inside `with Flow"):
            Connection("db")

    def test_with_an_explicit_flow(self) -> None:
        flow = Flow("imperative")
        block = Connection("db", flow=flow)
        with block as conn:
            pass
        assert conn in flow.tasks
        assert flow.run().is_successful()
        assert [e[0] for e in EVENTS] == ["init", "setup", "cleanup"]

    def test_wrong_init_arguments(self) -> None:
        with Flow("f"), pytest.raises(TypeError, match=r"<Task: Connection>: "
                                      r"missing a required argument: 'url'"):
            Connection()
