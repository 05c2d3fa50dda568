"""``LocalProcessPoolExecutor``: a pool of spawned processes without Dask (the contract suite
checks the interface; these check what is particular to processes)."""

from __future__ import annotations

import copy
import logging
import os
import threading
from typing import Any

import pytest

from prefectlite import Flow, task
from prefectlite.engine.state import Failed, Success
from prefectlite.executors import LocalProcessPoolExecutor

# -- module level: the pool processes import these by reference --------------------------------

MARK = "PREFECTLITE_TEST_INITIALIZED"


def mark_process(value: str) -> None:
    os.environ[MARK] = value


@task
def where(_: Any = None) -> tuple[int, str | None]:
    return os.getpid(), os.environ.get(MARK)


@task
def returns_a_lock() -> Any:
    return threading.Lock()


@task
def speak(word: str) -> str:
    logging.getLogger("prefectlite.test_speak").warning("said %s", word)
    return word


@task
def die() -> None:
    os._exit(7)


class HoldsLock:
    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, x: int) -> int:
        return x


class TestOptions:
    @pytest.mark.parametrize("bad", [0, -1, 1.5, True])
    def test_bad_max_workers(self, bad: Any) -> None:
        with pytest.raises(ValueError, match=r"LocalProcessPoolExecutor\(max_workers="):
            LocalProcessPoolExecutor(max_workers=bad)

    def test_bad_initializer_and_start_method(self) -> None:
        with pytest.raises(TypeError, match=r"initializer=3\): give a function"):
            LocalProcessPoolExecutor(initializer=3)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"mp_context='clone'\): use one of"):
            LocalProcessPoolExecutor(mp_context="clone")

    def test_not_started(self) -> None:
        with pytest.raises(RuntimeError, match="LocalProcessPoolExecutor is not started"):
            LocalProcessPoolExecutor().submit(print)

    def test_copies_are_unstarted_with_the_same_settings(self) -> None:
        ex = LocalProcessPoolExecutor(2, initializer=mark_process, initargs=("x",))
        with ex.start():
            ex.wait(ex.submit(abs, -1))
            twin = copy.copy(ex)
        assert twin._pool is None and twin._names is None
        assert (twin.max_workers, twin.initializer, twin.initargs) == (2, mark_process, ("x",))
        assert repr(ex) == "<Executor: LocalProcessPoolExecutor (max_workers=2)>"
        assert ex.max_in_flight == 4 and ex.ships_work


def test_a_flow_runs_in_initialized_processes() -> None:
    with Flow("processes") as flow:
        places = where.map([1, 2, 3])
    state = flow.run(executor=LocalProcessPoolExecutor(
        2, initializer=mark_process, initargs=("ready",)))
    assert state.is_successful()
    found = state.result[places].result
    assert {mark for _, mark in found} == {"ready"}
    assert os.getpid() not in {pid for pid, _ in found}


def test_what_does_not_pickle_fails_its_task_by_name() -> None:
    holder = task(HoldsLock(), name="holder")
    with Flow("unpicklable") as flow:
        bad_task = holder(1)
        bad_result = returns_a_lock()
        fine = where()
    state = flow.run(executor=LocalProcessPoolExecutor(1))
    sent, back = state.result[bad_task], state.result[bad_result]
    assert type(sent) is Failed
    assert sent.message.startswith("Task 'holder' could not be sent to a worker process:")
    assert "lock" in sent.message
    assert type(back) is Failed
    assert back.message.startswith("Task 'returns_a_lock' ran, but its result could not be "
                                   "sent back from the worker")
    assert type(state.result[fine]) is Success


def test_log_records_of_the_processes_reach_this_process() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("prefectlite.test_speak")
    log.addHandler(handler)
    try:
        with Flow("speak") as flow:
            speak.map(["a", "b"])
        assert flow.run(executor=LocalProcessPoolExecutor(2)).is_successful()
    finally:
        log.removeHandler(handler)
    assert sorted(r.getMessage() for r in records) == ["said a", "said b"]
    assert all(r.process != os.getpid() for r in records)


def test_a_dead_process_fails_its_task_and_the_pool_is_made_again() -> None:
    with Flow("dies") as flow:
        gone = die()
    failed = flow.run(executor=LocalProcessPoolExecutor(1)).result[gone]
    assert type(failed) is Failed
    assert failed.message.startswith("Task 'die': its worker process died")
    ex = LocalProcessPoolExecutor(1)
    with ex.start():
        dead = ex.submit(os._exit, 7)
        assert ex.wait_any([dead], timeout=60) == [dead]
        assert "its worker process died" in ex.result(dead).message
        assert ex.wait(ex.submit(abs, -5)) == 5  # the broken pool was replaced
