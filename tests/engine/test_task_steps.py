"""The steps of a task run behave the same for a sync task (``run_task``, in this thread)
and an ``async def`` task (``run_task_async``, on an event loop): both drive
``task_steps.run_steps``. Each behaviour is asserted once, for both ways."""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest

from prefectlite import context, flow, task
from prefectlite.core.task import Task
from prefectlite.eager.async_tasks import run_task_async
from prefectlite.engine import signals, task_runner, task_steps
from prefectlite.engine.state import (
    Cached,
    Failed,
    Skipped,
    State,
    Success,
    TimedOut,
)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_steps, "CACHE", {})


def make(body: Callable[..., Any], way: str, **options: Any) -> Task:
    """A task running ``body`` (a plain function), as a sync or an ``async def`` task."""
    if way == "sync":
        def run_sync(**kw: Any) -> Any:
            return body(**kw)
        return task(run_sync, **options)

    async def run_async(**kw: Any) -> Any:
        await asyncio.sleep(0)
        return body(**kw)
    return task(run_async, **options)


def run(t: Task, way: str, inputs: dict[str, Any] | None = None, **ctx: Any) -> State:
    ctx = {"flow_name": "f", "task_slug": t.name, "task_name": t.name,
           "task_run_count": 1, "task_loop_count": 1, "_retry_inline": True, **ctx}
    if way == "sync":
        return task_runner.run_task(t, {}, inputs or {}, ctx)
    return asyncio.run(run_task_async(t, inputs or {}, ctx))


WAYS = ["sync", "async"]


@pytest.mark.parametrize("way", WAYS)
class TestSameSteps:
    def test_loop_runs_again_with_the_loop_result(self, way: str) -> None:
        def count(n: int) -> int:
            done = context.get("task_loop_result", 0)
            if done < n:
                raise signals.LOOP(result=done + 1)
            return done * 10

        state = run(make(count, way), way, {"n": 3})
        assert isinstance(state, Success) and state.result == 30

    def test_loop_bound(self, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(task_runner, "MAX_LOOPS", 4)

        def forever() -> None:
            raise signals.LOOP(result=1)

        state = run(make(forever, way), way)
        assert isinstance(state, Failed) and "looped 4 times" in state.message

    def test_retry_waited_for_in_place(self, way: str) -> None:
        attempts: list[int] = []

        def flaky() -> str:
            attempts.append(context.get("task_run_count"))
            if len(attempts) < 3:
                raise ValueError("not yet")
            return "ok"

        t = make(flaky, way, max_retries=2, retry_delay=datetime.timedelta(0))
        state = run(t, way)
        assert isinstance(state, Success) and state.result == "ok"
        assert attempts == [1, 2, 3]

    def test_retries_exhausted_fail_with_the_error(self, way: str) -> None:
        def broken() -> None:
            raise KeyError("k")

        t = make(broken, way, max_retries=1, retry_delay=datetime.timedelta(0))
        state = run(t, way)
        assert isinstance(state, Failed) and isinstance(state.result, KeyError)

    def test_timeout(self, way: str) -> None:
        release = threading.Event()  # set at the end, so the timed-out thread ends

        def stuck() -> None:
            release.wait()

        if way == "async":
            async def waits() -> None:
                await asyncio.Event().wait()
            t: Task = task(waits, timeout_seconds=0.05)
        else:
            t = make(stuck, way, timeout_seconds=0.05)
        try:
            state = run(t, way)
        finally:
            release.set()
        assert isinstance(state, TimedOut)
        assert state.message == "Task timed out after 0.05 seconds."

    def test_cache_hit(self, way: str) -> None:
        calls: list[int] = []

        def work(x: int) -> int:
            calls.append(x)
            return x + 1

        t = make(work, way, cache_for=datetime.timedelta(hours=1))
        first, second = run(t, way, {"x": 1}), run(t, way, {"x": 1})
        assert isinstance(first, Success) and not isinstance(first, Cached)
        assert isinstance(second, Cached) and second.result == 2
        assert calls == [1]

    @pytest.mark.parametrize("signal, expected", [
        (signals.SKIP, Skipped), (signals.FAIL, Failed), (signals.SUCCESS, Success)])
    def test_signals_give_their_state(self, way: str, signal: type, expected: type) -> None:
        def raises() -> None:
            raise signal("told so")

        state = run(make(raises, way), way)
        assert type(state) is expected and state.message == "told so"

    def test_state_handlers_see_the_same_transitions(self, way: str) -> None:
        seen: list[tuple[str, str]] = []

        def handler(t: Task, old: State, new: State) -> None:
            seen.append((type(old).__name__, type(new).__name__))

        def once() -> int:
            if context.get("task_loop_count") == 1:
                raise signals.LOOP(result=0)
            return 1

        run(make(once, way, state_handlers=[handler]), way)
        assert seen == [("Pending", "Running"), ("Running", "Looped"),
                        ("Running", "Success")]

    def test_raise_on_exception_raises(self, way: str) -> None:
        def broken() -> None:
            raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            run(make(broken, way), way, raise_on_exception=True)


@pytest.mark.parametrize("way", WAYS)
def test_loop_in_an_eager_flow_completes(way: str) -> None:
    """An async task raising LOOP ends its flow Completed, as the sync one does."""
    def count() -> int:
        done = context.get("task_loop_result", 0)
        if done < 2:
            raise signals.LOOP(result=done + 1)
        return done

    t = make(count, way)

    @flow
    def loops() -> int:
        return t()

    state = loops(return_state=True)
    assert state.is_completed(), state
    assert state.result() == 2

