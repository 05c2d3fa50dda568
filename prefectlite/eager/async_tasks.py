"""Running an ``async def`` task on the caller's event loop, with the engine's steps.

:func:`prefectlite.engine.task_runner.run_task` is synchronous: it would block the loop for
the whole run, or need a thread per concurrent coroutine. :func:`run_task_async` drives the
same steps (:func:`prefectlite.engine.task_steps.run_steps`: target and cache, state
handlers, ``LOOP``, retries, persisting, the log lines) and only does the two things that
differ itself:

* an attempt awaits ``task.run(**inputs)`` (an async generator is consumed into a list)
  under ``asyncio.timeout(task.timeout)``, with ``log_stdout`` prints sent to the task's
  logger; a timed-out coroutine is cancelled (unlike a thread, a coroutine can be stopped)
  and the run is ``TimedOut`` like a sync task's;
* a retry waits with ``await asyncio.sleep``, so other coroutines go on meanwhile;
* the slots of tag concurrency limits (:mod:`prefectlite.engine.limits`) are waited for in
  a worker thread, so a coroutine waiting for a slot does not block the loop.

Retries are always waited for here (an eager task run ends in a final state).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine import task_runner, task_steps
from prefectlite.engine.state import State, Success
from prefectlite.engine.task_stdout import prints_to_log
from prefectlite.exceptions import TaskTimeoutSignal
from prefectlite.utilities import context as _context

__all__ = ["run_task_async"]


async def run_task_async(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    """Run the async ``task`` once (retries waited for) and return its engine state."""
    token = _context.install(ctx)
    run = task_steps.run_steps(task, inputs, ctx, None, task_runner.MAX_LOOPS,
                               wait_retries=True)
    try:
        kind, value = next(run)
        while True:
            if kind is task_steps.RUN:
                limiter = value.get("_task_limiter") if task.tags else None
                attempt = _attempt(task, inputs, value)
                if limiter is not None:
                    attempt = _holding(limiter.slots(task.tags), attempt)
                kind, value = run.send(await attempt)
            else:
                await asyncio.sleep(value)
                kind, value = next(run)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        _context.restore(token)


async def _holding(slots: Any, attempt: Any) -> State:
    """Await ``attempt`` holding ``slots`` (a context manager of blocking semaphores), taken
    in a worker thread; slots taken after this coroutine was cancelled are given back."""
    taking = asyncio.ensure_future(asyncio.to_thread(slots.__enter__))
    try:
        await asyncio.shield(taking)
    except BaseException:
        attempt.close()
        taking.add_done_callback(
            lambda f: f.cancelled() or f.exception() or slots.__exit__(None, None, None))
        raise
    try:
        return await attempt  # type: ignore[no-any-return]
    finally:
        slots.__exit__(None, None, None)


async def _attempt(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    try:
        ctx = task_steps.named_context(task, inputs, ctx)
        if task.log_stdout:
            with prints_to_log(task.logger):
                result = await _timed(task, inputs)
        else:
            result = await _timed(task, inputs)
        return Success(message="Task run succeeded.", result=result)
    except task_steps.ATTEMPT_ERRORS as exc:
        return task_steps.attempt_error(task, exc, ctx)


async def _timed(task: Task, inputs: dict[str, Any]) -> Any:
    scope = asyncio.timeout(task.timeout)
    try:
        async with scope:
            result = task.run(**inputs)
            if inspect.isasyncgen(result):
                return [item async for item in result]
            if inspect.isawaitable(result):
                return await result
            return result
    except TimeoutError:
        if not scope.expired():
            raise  # the task's own TimeoutError: an ordinary failure
        raise TaskTimeoutSignal(
            f"Execution timed out after {task.timeout} seconds.") from None
