"""LocalDaskExecutor and DaskExecutor beyond the shared contract, on real pools and clusters.

Covered here: configuration and its errors, real parallelism, work done in other processes, a
worker killed mid-run, what cannot be pickled (task, result, parameter), temporary clusters
(adaptive, resources), log forwarding without loops or root-logger changes, shipping a task
once. The session ``LocalCluster`` comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, context, task, unmapped
from prefectlite.engine.state import Failed, State, Success, TriggerFailed
from prefectlite.engine.task_runner import run_task
from prefectlite.executors import Executor

pytestmark = pytest.mark.dask
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from prefectlite.executors import DaskExecutor, LocalDaskExecutor  # noqa: E402
from prefectlite.executors.dask import dask_resources, task_key  # noqa: E402

# -- tasks (module level, so worker processes import them by reference) -----------------------


@task
def inc(x: int) -> int:
    return x + 1


@task
def total(xs: list[int]) -> int:
    return sum(xs)


MEETING = threading.Barrier(8, timeout=60)


@task
def meet_all(x: int) -> int:
    """Wait until eight tasks are here at once (``BrokenBarrierError`` after 60 s)."""
    MEETING.wait()
    return x


@task
def pid(x: Any = None) -> int:
    return os.getpid()


@task
def meet(folder: str, index: int, others: int) -> int:
    """Arrive at a rendezvous in ``folder`` and wait until ``others`` more tasks are there too:
    it can only end if that many tasks run at the same time. Returns the process id."""
    Path(folder, str(index)).touch()
    deadline = time.monotonic() + 120  # a bound, not a measurement: a serial run fails here
    while len(os.listdir(folder)) <= others:
        if time.monotonic() > deadline:
            raise RuntimeError(f"task {index} waited alone: the tasks did not run in parallel")
        time.sleep(0.01)
    return os.getpid()


@task
def shout(word: str) -> str:
    context.logger.info("shouting %s from %d", word, os.getpid())
    return word.upper()


@task
def make_lock() -> Any:
    return threading.Lock()


@task
def die_once(marker: str, x: int) -> int:
    """Kill this process the first time any call gets here; return ``10 * x`` after that."""
    path = Path(marker)
    if not path.exists():
        path.write_text("killed")
        os._exit(1)
    return 10 * x


@task
def config_value(key: str) -> Any:
    return dask.config.get(key, None)


@task(tags=["dask-resource:GPU=1"])
def gpu_left() -> float:
    return float(distributed.get_worker().state.available_resources["GPU"])


@task(tags=["dask-resource:GPU"])
def bad_tag() -> int:
    return 1


class Locked(Task):
    """A task holding a lock: it cannot be pickled."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()

    def run(self) -> int:
        return 1


def processes() -> LocalDaskExecutor:
    return LocalDaskExecutor("processes", num_workers=2)


def state_of(flow_state: State, task: Task) -> State:
    return flow_state.result[task]  # type: ignore[no-any-return]


# -- naming and resources ---------------------------------------------------------------------


def test_task_keys_are_unique_and_grouped_by_task_name() -> None:
    keys = {task_key({"task_name": "inc", "map_index": 2}) for _ in range(100)}
    assert len(keys) == 100
    assert {dask.utils.key_split(k) for k in keys} == {"inc"}


def test_resource_tags_become_dask_resources() -> None:
    assert dask_resources({"dask-resource:GPU=1", "x"}) == {"GPU": 1.0}
    assert dask_resources([]) == {}
    with pytest.raises(ValueError, match="'dask-resource:GPU'.*NAME=AMOUNT"):
        dask_resources(["dask-resource:GPU"])


def test_dask_is_imported_only_when_a_run_starts() -> None:
    code = ("import sys; from prefectlite.executors import DaskExecutor, LocalDaskExecutor; "
            "LocalDaskExecutor('processes'); DaskExecutor(address='tcp://x:1'); "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "[]"


# -- LocalDaskExecutor ------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("threads", "threads"), ("threading", "threads"), ("processes", "processes"),
    ("multiprocessing", "processes"), ("sync", "synchronous"), ("single-threaded", "synchronous"),
    ("Synchronous", "synchronous"),
])
def test_scheduler_names(given: str, expected: str) -> None:
    assert LocalDaskExecutor(given).scheduler == expected


def test_unknown_scheduler_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown scheduler 'distributed'"):
        LocalDaskExecutor("distributed")


@pytest.mark.parametrize("executor", [LocalDaskExecutor(), DaskExecutor(address="tcp://x:1")])
def test_submit_before_start_is_an_error(executor: Executor) -> None:
    with pytest.raises(RuntimeError, match="not started.*executor.start"):
        executor.submit(pow, 2, 3)


def test_pool_size_and_extra_config_come_from_dask_config() -> None:
    executor = LocalDaskExecutor(prefectlite_probe=7)
    with dask.config.set(num_workers=3), executor.start():
        assert executor.max_in_flight == 6
    with Flow("config") as flow:
        probe = config_value("prefectlite_probe")
    assert flow.run(executor=executor).result[probe].result == 7
    assert dask.config.get("prefectlite_probe", None) is None


def test_threads_run_independent_tasks_in_parallel() -> None:
    MEETING.reset()
    with Flow("meeting") as flow:
        met = meet_all.map(list(range(8)))
    state = flow.run(executor=LocalDaskExecutor("threads", num_workers=8))
    assert state_of(state, met).result == list(range(8))  # all eight ran at the same time


def test_processes_run_in_parallel_in_other_processes(tmp_path: Path) -> None:
    # Each task waits at a rendezvous until another one has arrived: the run can only
    # succeed if at least two tasks run at once, in processes other than this one.
    with Flow("meet") as flow:
        met = meet.map(unmapped(str(tmp_path)), range(4), unmapped(1))
    state = flow.run(executor=LocalDaskExecutor("processes", num_workers=4))
    pids = state_of(state, met).result
    assert state.is_successful(), state_of(state, met).map_states
    assert os.getpid() not in pids
    assert len(set(pids)) >= 2


def test_a_dead_pool_process_fails_its_task_and_the_pool_recovers(tmp_path: Path) -> None:
    marker = str(tmp_path / "killed")
    with Flow("die") as flow:
        died = die_once(marker, 1)
    executor = processes()
    first = state_of(flow.run(executor=executor), died)
    assert isinstance(first, Failed)
    assert "Task 'die_once'" in first.message and "process" in first.message
    with executor.start():
        future = executor.submit(pow, 2, 4)
        assert executor.wait(future) == 16
    assert state_of(flow.run(executor=executor), died).result == 10


# -- DaskExecutor: arguments ------------------------------------------------------------------


def test_address_excludes_cluster_arguments() -> None:
    with pytest.raises(ValueError, match="either `address`.*not both"):
        DaskExecutor(address="tcp://127.0.0.1:8786", cluster_kwargs={"n_workers": 1})


def test_cluster_class_by_dotted_name() -> None:
    assert DaskExecutor(cluster_class="distributed.LocalCluster").cluster_class is (
        distributed.LocalCluster)
    with pytest.raises(ValueError, match="dotted path"):
        DaskExecutor(cluster_class="LocalCluster")


# -- DaskExecutor on the session cluster ------------------------------------------------------


def test_tasks_run_in_the_worker_processes(dask_address: str, dask_client: Any) -> None:
    with Flow("pids") as flow:
        pids = pid.map(list(range(6)))
    state = flow.run(executor=DaskExecutor(address=dask_address))
    workers = set(dask_client.run(os.getpid).values())
    assert set(state_of(state, pids).result) <= workers
    assert os.getpid() not in workers


def test_flow_survives_a_worker_killed_mid_run(dask_address: str, tmp_path: Path) -> None:
    marker = str(tmp_path / "killed")
    with Flow("kill") as flow:
        firsts = inc.map(list(range(4)))
        tens = die_once.map(unmapped(marker), firsts)
        summed = total(tens)
    state = flow.run(executor=DaskExecutor(address=dask_address))
    assert Path(marker).exists()
    assert state.is_successful(), state_of(state, tens)
    assert state_of(state, tens).result == [10, 20, 30, 40]
    assert state_of(state, summed).result == 100


def test_task_object_is_shipped_once_for_all_children(dask_address: str) -> None:
    executor = DaskExecutor(address=dask_address)
    ctx = {"task_name": "inc", "task_full_name": "inc", "task_tags": set(), "parameters": {}}
    with executor.start():
        prepared = executor.prepare_task(inc)
        futures = [executor.submit(run_task, prepared, {}, {"x": i}, {**ctx, "map_index": i},
                                   extra_context={**ctx, "map_index": i}) for i in range(5)]
        states = executor.wait(futures)
        held = [k for k in executor.client.futures if "-object-" in str(k)]
    assert [s.result for s in states] == [1, 2, 3, 4, 5]
    assert len(held) == 1


# -- what cannot be pickled: a Failed state naming the task, never a hang ---------------------


@pytest.fixture(params=["processes", "dask"])
def pickling_executor(request: Any) -> Executor:
    if request.param == "processes":
        return processes()
    return DaskExecutor(address=request.getfixturevalue("dask_address"))


def test_unpicklable_task_fails_with_its_name(pickling_executor: Executor) -> None:
    with Flow("locked") as flow:
        locked = Locked(name="locked")()
        after = inc(locked)
    state = flow.run(executor=pickling_executor)
    assert state.is_failed()  # and no hang
    failed = state_of(state, locked)
    assert isinstance(failed, Failed)
    assert "Task 'locked'" in failed.message
    assert "task.lock, of type lock, cannot be pickled" in failed.message
    assert isinstance(state_of(state, after), Failed)


def test_unpicklable_task_leaves_other_tasks_alone(pickling_executor: Executor) -> None:
    with Flow("locked") as flow:
        after = inc(Locked(name="locked")())
        fine = inc(1)
    state = flow.run(executor=pickling_executor)
    assert isinstance(state_of(state, after), TriggerFailed)
    assert state_of(state, fine).result == 2


def test_unpicklable_result_fails_with_its_name(pickling_executor: Executor) -> None:
    with Flow("lock-result") as flow:
        lock = make_lock()
        after = inc(lock)
        fine = inc(1)
    state = flow.run(executor=pickling_executor)
    failed = state_of(state, lock)
    assert isinstance(failed, Failed)
    assert "Task 'make_lock' ran, but its result could not be sent back" in failed.message
    assert "the result, of type lock, cannot be pickled" in failed.message
    assert isinstance(state_of(state, after), TriggerFailed)
    assert state_of(state, fine).result == 2


def test_unpicklable_parameter_names_the_argument(pickling_executor: Executor) -> None:
    with Flow("lock-parameter") as flow:
        conn = Parameter("conn")
        used = inc(conn)
    state = flow.run(executor=pickling_executor, conn=threading.Lock())
    failed = state_of(state, used)
    assert isinstance(failed, Failed)
    assert "argument context['parameters']['conn'], of type lock" in failed.message


# -- temporary clusters -----------------------------------------------------------------------


def in_process_cluster(**extra: Any) -> dict[str, Any]:
    return {"n_workers": 1, "processes": False, "threads_per_worker": 2,
            "dashboard_address": ":0", **extra}


def test_temporary_adaptive_cluster_lives_for_the_run(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prefectlite")
    executor = DaskExecutor(cluster_class="distributed.LocalCluster",
                            cluster_kwargs=in_process_cluster(),
                            adapt_kwargs={"minimum": 1, "maximum": 2})
    with Flow("temporary") as flow:
        summed = total(inc.map(list(range(5))))
    for _ in range(2):  # and the executor can be used again
        assert flow.run(executor=executor).result[summed].result == 15
        assert executor.client is None
    assert caplog.text.count("Creating a new Dask cluster with `distributed.") == 2
    assert "The Dask dashboard is available at http" in caplog.text


def test_resource_tags_reach_the_scheduler() -> None:
    executor = DaskExecutor(cluster_kwargs=in_process_cluster(resources={"GPU": 2}))
    with Flow("gpu") as flow:
        left = gpu_left()
        bad = bad_tag()
    state = flow.run(executor=executor)
    assert state_of(state, left).result == 1.0  # one of two GPUs held while it runs
    assert isinstance(state_of(state, bad), Failed)
    assert "Malformed Dask resource tag 'dask-resource:GPU'" in state_of(state, bad).message


# -- logs -------------------------------------------------------------------------------------


def forwarded(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("shouting hey")]


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_worker_logs_reach_the_driver(kind: str, request: Any,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prefectlite")
    executor = processes() if kind == "processes" else DaskExecutor(
        address=request.getfixturevalue("dask_address"))
    with Flow("logs") as flow:
        shout("hey")
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    assert flow.run(executor=executor).is_successful()
    deadline = time.monotonic() + 60  # distributed delivers forwarded records asynchronously
    while not forwarded(caplog) and time.monotonic() < deadline:
        time.sleep(0.05)
    (record,) = forwarded(caplog)
    assert record.process != os.getpid()
    assert record.name.startswith("prefectlite.")
    assert (list(root.handlers), root.level) == before
    if kind == "dask":  # forwarding ends with the run
        plugins = request.getfixturevalue("dask_client").run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.worker_plugins))
        assert not [name for name in plugins if "prefectlite" in name]


def test_in_process_workers_log_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prefectlite")
    with Flow("logs") as flow:
        shout("hey")
    state = flow.run(executor=DaskExecutor(cluster_kwargs=in_process_cluster()))
    assert state.is_successful()
    time.sleep(0.3)  # room for an echo, had one been sent
    assert len(forwarded(caplog)) == 1
    assert isinstance(state, Success)


# -- Prefect 1's attributes and functions ------------------------------------------------


@pytest.mark.parametrize(("alias", "name"), [
    ("THREADS", "threads"), ("threading", "threads"), ("multiprocessing", "processes"),
    ("processes", "processes"), ("sync", "synchronous"), ("single-threaded", "synchronous"),
])
def test_scheduler_aliases_normalize_to_dasks_names(alias: str, name: str) -> None:
    assert LocalDaskExecutor._normalize_scheduler(alias) == name
    assert LocalDaskExecutor(alias).scheduler == name


def test_an_unknown_scheduler_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown scheduler 'gpu'"):
        LocalDaskExecutor._normalize_scheduler("gpu")


def test_a_cluster_address_leaves_no_cluster_class_or_kwargs() -> None:
    executor = DaskExecutor(address="tcp://127.0.0.1:8786")
    assert executor.cluster_class is None and executor.cluster_kwargs is None
    assert executor.client_kwargs == {"set_as_default": False}


@pytest.mark.parametrize(("debug", "level"), [(False, logging.CRITICAL),
                                              (True, logging.WARNING)])
def test_a_temporary_local_cluster_is_explicit(debug: bool, level: int) -> None:
    executor = DaskExecutor(cluster_kwargs={"n_workers": 1}, debug=debug)
    assert executor.cluster_class is distributed.LocalCluster
    assert executor.cluster_kwargs == {"n_workers": 1, "silence_logs": level}


def test_another_cluster_class_gets_no_silence_logs() -> None:
    executor = DaskExecutor(cluster_class="distributed.SpecCluster")
    assert executor.cluster_class is distributed.SpecCluster
    assert executor.cluster_kwargs == {}


def test_dask_kwargs_name_the_key_and_ask_for_resources() -> None:
    executor = DaskExecutor(address="tcp://127.0.0.1:8786")
    kwargs = executor._prep_dask_kwargs({"task_name": "fit", "task_tags": ["dask-resource:GPU=1"]})
    assert kwargs["key"].startswith("fit-") and kwargs["resources"] == {"GPU": 1.0}
    indexed = executor._prep_dask_kwargs({"task_name": "fit", "task_index": 2})
    assert indexed["key"].startswith("fit-2-") and "resources" not in indexed


def test_task_index_names_a_key_like_map_index() -> None:
    assert task_key({"task_name": "inc", "task_index": 1}).startswith("inc-1-")
    assert task_key({"task_name": "inc", "map_index": 0, "task_index": 5}).startswith("inc-0-")
