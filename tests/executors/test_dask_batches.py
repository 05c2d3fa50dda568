"""DaskExecutor's rounds of submissions (one graph update each) and the records its workers
send back with their task runs, on the session's real LocalCluster (``tests/conftest.py``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, context, task
from prefectlite.engine.state import Failed
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import read_logs

pytestmark = [pytest.mark.dask, pytest.mark.usefixtures("engine_info_lines")]
distributed = pytest.importorskip("distributed")

from distributed.diagnostics.plugin import SchedulerPlugin  # noqa: E402

from prefectlite.executors import DaskExecutor, LocalDaskExecutor  # noqa: E402
from prefectlite.executors.dask.batch import Slot, fill, punch  # noqa: E402


def add(x: int, y: int = 0) -> int:
    return x + y


def add_all(numbers: dict[str, Any]) -> int:
    return sum(numbers["list"]) + sum(numbers["tuple"]) + numbers["one"]


class CountUpdates(SchedulerPlugin):
    """Counts the graph updates whose keys contain ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker, self.updates = marker, 0

    def update_graph(self, scheduler: Any, *, keys: Any, **kwargs: Any) -> None:
        if any(self.marker in str(k) for k in keys):
            self.updates += 1


def updates_seen(client: Any, name: str) -> int:
    return int(client.run_on_scheduler(
        lambda dask_scheduler: dask_scheduler.plugins[name].updates))


# -- rounds of submissions --------------------------------------------------------------------


def test_a_round_of_submissions_reaches_the_scheduler_in_few_graph_updates(
        dask_address: str, dask_client: Any) -> None:
    executor = DaskExecutor(address=dask_address)
    with executor.start():
        name = f"count-{executor._book.token}"
        dask_client.register_plugin(CountUpdates(executor._book.token), name=name)
        try:
            futures = [executor.submit(add, i, extra_context={"task_name": "add"})
                       for i in range(100)]
            assert executor.wait(futures) == list(range(100))
            updates = updates_seen(dask_client, name)
        finally:
            dask_client.unregister_scheduler_plugin(name)
    # one per round; the client's event loop may send a first part early (at a thread switch)
    assert 1 <= updates <= 10


def test_a_future_runs_without_waiting_on_the_executor(dask_address: str) -> None:
    executor = DaskExecutor(address=dask_address)
    with executor.start():
        future = executor.submit(add, 1, 2, extra_context={"task_name": "add"})
        assert future.result(timeout=60) == 3  # sent from the client's loop, not by a wait


def test_futures_nested_in_arguments_are_resolved_on_the_workers(dask_address: str) -> None:
    executor = DaskExecutor(address=dask_address)
    with executor.start():
        one, two, three = (executor.submit(add, i, extra_context={"task_name": "n"})
                           for i in (1, 2, 3))
        nested = {"list": [one, 10], "tuple": (two, 20), "one": three}
        total = executor.submit(add_all, nested, extra_context={"task_name": "total"})
        assert executor.wait(total) == 36


def test_an_unpicklable_argument_fails_only_its_own_submission(dask_address: str) -> None:
    executor = DaskExecutor(address=dask_address)
    with executor.start():
        good = executor.submit(add, 1, extra_context={"task_name": "good"})
        bad = executor.submit(add, threading.Lock(), extra_context={"task_name": "bad"})
        after = executor.submit(add, good, 1, extra_context={"task_name": "after"})
        done: list[Any] = []
        while len(done) < 3:
            done += executor.wait_any([f for f in (good, bad, after) if f not in done])
        assert executor.result(good) == 1 and executor.result(after) == 2
        failed = executor.result(bad)
    assert isinstance(failed, Failed)
    assert "Task 'bad' could not be sent to the Dask cluster: argument x" in failed.message


def test_punch_and_fill_undo_each_other(dask_client: Any) -> None:
    future = dask_client.submit(add, 1, key="punch-fill-test")
    keys: list[Any] = []
    plain = {"a": [1, 2], "b": (3,)}
    args = (plain, [future, {"k": (future, 5)}], "text")
    holed = punch(args, keys)
    assert keys == ["punch-fill-test", "punch-fill-test"]
    assert holed[0] is plain  # untouched containers are not copied
    assert isinstance(holed[1][0], Slot)
    assert fill(holed, ("x", "y")) == (plain, ["x", {"k": ("y", 5)}], "text")


# -- worker records, journaled with their task runs -------------------------------------------


@task
def speak(word: str) -> str:
    context.logger.warning("saying %s", word)
    return word


def speaking_flow(name: str, words: list[str]) -> Flow:
    with Flow(name) as flow:
        speak.map(words)
    return flow


def journal_two_runs_at_once(store: RunStore, make_executor: Any) -> dict[str, list[Any]]:
    """Run two journaled flows at the same time, each on its own executor; return the
    warning records stored for each flow's run."""
    flows = {"first": speaking_flow("first", ["a", "b"]),
             "second": speaking_flow("second", ["c", "d"])}
    errors: list[BaseException] = []

    def run(flow: Flow) -> None:
        try:
            assert flow.run(journal=store, executor=make_executor()).is_successful()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in flows.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    runs = {r.flow_name: r.id for r in store.list_runs(limit=10)}
    return {name: [r for r in read_logs(store, runs[name]) if r.logger == "prefectlite.speak"]
            for name in flows}


@pytest.mark.parametrize("kind", ["dask", "processes"])
def test_worker_records_are_journaled_with_their_task_runs(
        kind: str, request: Any, tmp_path: Path) -> None:
    if kind == "dask":
        address = request.getfixturevalue("dask_address")
        def make() -> Any:
            return DaskExecutor(address=address)
    else:
        def make() -> Any:
            return LocalDaskExecutor("processes", num_workers=1)
    with RunStore(tmp_path / "journal.db") as store:
        stored = journal_two_runs_at_once(store, make)
    assert sorted((r.task_slug, r.map_index, r.message) for r in stored["first"]) == [
        ("speak-1", 0, "saying a"), ("speak-1", 1, "saying b")]
    assert sorted((r.task_slug, r.map_index, r.message) for r in stored["second"]) == [
        ("speak-1", 0, "saying c"), ("speak-1", 1, "saying d")]


# -- Prefect 1's performance report and worker watching ---------------------------------------


def test_the_performance_report_is_read_back(tmp_path: Path) -> None:
    assert DaskExecutor(address="tcp://127.0.0.1:1").performance_report == ""
    report = tmp_path / "report.html"
    executor = DaskExecutor(address="tcp://127.0.0.1:1", performance_report_path=str(report))
    assert executor.performance_report == ""  # not written yet: nothing to read
    report.write_text("<html>the run</html>", encoding="utf-8")
    assert executor.performance_report == "<html>the run</html>"


def test_a_performance_report_without_bokeh_fails_before_anything_runs(
        dask_address: str, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("bokeh") is not None:
        pytest.skip("bokeh is installed: the report can be made")
    executor = DaskExecutor(address=dask_address,
                            performance_report_path=str(tmp_path / "report.html"))
    with pytest.raises(ImportError, match="needs bokeh"), executor.start():
        pytest.fail("the run started")
    assert executor.client is None


@pytest.mark.parametrize(("given", "adapt", "watched"), [
    (None, None, True), (None, {"maximum": 2}, False), (False, None, False),
    (True, {"maximum": 2}, True)])
def test_worker_status_is_watched_as_in_prefect_1(
        given: bool | None, adapt: dict[str, int] | None, watched: bool,
        dask_address: str) -> None:
    executor = DaskExecutor(address=dask_address, watch_worker_status=given)
    executor.adapt_kwargs = adapt or {}  # (a connected cluster is never adapted by us)
    with executor.start():
        assert bool(executor._watching) is watched


WATCH_WORKERS = """
import logging, sys, threading
from prefectlite.executors import DaskExecutor
from prefectlite.utilities.configuration import set_temporary_config
from prefectlite.utilities.logging import configure_logging

added = threading.Event()

class Watch(logging.Handler):
    def emit(self, record):
        if record.getMessage().endswith(" added"):
            added.set()

if __name__ == "__main__":
    with set_temporary_config({"logging.level": "DEBUG"}):  # as PREFECTLITE__LOGGING__LEVEL
        configure_logging().addHandler(Watch(logging.DEBUG))
        executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "processes": False,
                                                "dashboard_address": ":0"})
        with executor.start():
            client = executor.client

            def subscribed(dask_scheduler, cid=client.id):  # the subscription travels
                topic = dask_scheduler._broker._topics.get("all")  # apart from the scaling:
                return topic is not None and cid in topic.subscribers  # wait until it's in

            while not client.run_on_scheduler(subscribed):
                threading.Event().wait(0.01)
            client.cluster.scale(2)
            executor.client.wait_for_workers(2, timeout=60)
            sys.exit(0 if added.wait(60) else 3)
"""


def test_workers_joining_are_logged(tmp_path: Path) -> None:
    # In a fresh interpreter: the clients and event handlers other tests leave in this
    # process are not what is being tested.
    import subprocess
    import sys

    script = tmp_path / "watch.py"
    script.write_text(WATCH_WORKERS)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, f"no 'Worker ... added' line (exit {proc.returncode}):\n" + (
        proc.stderr[-2000:])
