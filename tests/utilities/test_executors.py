"""Tests for prefectlite.utilities.executors: timeouts and tail recursion."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import prefectlite
from prefectlite import Flow, task
from prefectlite.engine.signals import FAIL, PrefectSignal
from prefectlite.engine.state import TimedOut
from prefectlite.exceptions import TaskTimeoutSignal
from prefectlite.utilities.executors import (
    RecursiveCall,
    multiprocessing_safe_run_and_retrieve,
    run_with_multiprocess_timeout,
    run_with_thread_timeout,
    tail_recursive,
)

HANDLERS = [run_with_thread_timeout, run_with_multiprocess_timeout]


def pair(x: Any, y: Any = None) -> tuple[Any, Any]:
    return x, y


def raise_value_error() -> None:
    raise ValueError("from the function")


def raise_fail() -> None:
    raise FAIL("failed on purpose")


def context_value() -> Any:
    return prefectlite.context.get("marker")


def wait_for_file(path: str) -> None:
    import os
    import time

    while not os.path.exists(path):  # ends only when the test creates the file
        time.sleep(0.01)


def touch_when_released(release: str, done: str) -> None:
    wait_for_file(release)
    Path(done).touch()


def make_lock() -> Any:
    return threading.Lock()


def test_timeout_signal_is_a_prefect_signal() -> None:
    assert issubclass(TaskTimeoutSignal, PrefectSignal)
    assert not issubclass(TaskTimeoutSignal, Exception)


@pytest.mark.parametrize("handler", HANDLERS)
def test_arguments_and_result(handler: Any) -> None:
    assert handler(pair, args=[1], kwargs={"y": 2}, timeout=30) == (1, 2)
    assert handler(pair, args=[3]) == (3, None)  # no timeout: runs right here


@pytest.mark.parametrize("handler", HANDLERS)
def test_errors_and_signals_are_raised_again(handler: Any) -> None:
    with pytest.raises(ValueError, match="from the function"):
        handler(raise_value_error, timeout=30)
    with pytest.raises(FAIL, match="failed on purpose"):
        handler(raise_fail, timeout=30)
    with pytest.raises(TypeError):
        handler(pair, kwargs={"z": 1}, timeout=30)


@pytest.mark.parametrize("handler", HANDLERS)
def test_the_context_goes_along(handler: Any) -> None:
    with prefectlite.context(marker=42):
        assert handler(context_value, timeout=30) == 42


def test_thread_timeout_raises_and_leaves_the_function_running(tmp_path: Path) -> None:
    release, done = str(tmp_path / "release"), str(tmp_path / "done")
    before = set(threading.enumerate())
    with pytest.raises(TaskTimeoutSignal, match="timed out after 0.1 seconds"):
        run_with_thread_timeout(touch_when_released, args=(release, done), timeout=0.1)
    [worker] = [t for t in set(threading.enumerate()) - before
                if t.name == "prefectlite-timeout"]
    Path(release).touch()
    worker.join(30)
    assert Path(done).exists()  # abandoned, not stopped


def test_multiprocess_timeout_stops_the_function(tmp_path: Path) -> None:
    release, done = str(tmp_path / "release"), str(tmp_path / "done")
    with pytest.raises(TaskTimeoutSignal, match="timed out for Function 'touch_when"):
        run_with_multiprocess_timeout(touch_when_released, args=(release, done), timeout=2)
    Path(release).touch()  # the process is gone: nobody is left to see it
    assert not Path(done).exists()


def test_multiprocess_unpicklable_result() -> None:
    with pytest.raises(RuntimeError, match="Failed to pickle result of type 'lock'"):
        run_with_multiprocess_timeout(make_lock, timeout=30)


def test_safe_run_reports_a_queue_that_fails(caplog: pytest.LogCaptureFixture) -> None:
    import cloudpickle

    class BrokenQueue:
        def put(self, value: bytes) -> None:
            raise OSError("queue is closed")

    with pytest.raises(OSError, match="queue is closed"):
        multiprocessing_safe_run_and_retrieve(BrokenQueue(), cloudpickle.dumps({"fn": pair,
                                                                               "args": [1]}))
    assert "Failed to put result in queue to main process!" in caplog.text


def test_a_task_raising_the_timeout_signal_is_timed_out() -> None:
    @task
    def give_up() -> None:
        raise TaskTimeoutSignal("gave up")

    with Flow("f") as flow:
        out = give_up()
    assert isinstance(flow.run().result[out], TimedOut)


class TestTailRecursion:
    def test_beyond_the_recursion_limit(self) -> None:
        limit = sys.getrecursionlimit()

        @tail_recursive
        def count(n: int = 0) -> int:
            if n > limit + 5:
                return n
            raise RecursiveCall(count, n + 1)

        assert count() == limit + 6

    def test_through_a_helper_and_between_two_functions(self) -> None:
        seen: list[tuple[str, int]] = []

        @tail_recursive
        def ping(n: int = 0) -> int:
            seen.append(("ping", n))
            if n > 4:
                return n
            n = pong(n + 1)
            raise RecursiveCall(ping, n * 2)

        @tail_recursive
        def pong(n: int) -> int:
            seen.append(("pong", n))
            if n > 4:
                return n
            return helper(n)

        def helper(n: int) -> int:
            raise RecursiveCall(pong, n + 3)

        assert ping() == 14
        assert seen == [("ping", 0), ("pong", 1), ("pong", 4), ("pong", 7), ("ping", 14)]

    def test_a_call_to_an_unwrapped_function_is_a_recursion_error(self) -> None:
        def plain(n: int) -> int:
            raise RecursiveCall(plain, n)

        @tail_recursive
        def wrapped() -> int:
            return plain(1)

        with pytest.raises(RecursionError, match="not decorated with @tail_recursive"):
            wrapped()
