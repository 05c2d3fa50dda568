"""Running an ``async def`` task on the caller's event loop, with the engine's steps.

:func:`prefectlite.engine.task_runner.run_task` is synchronous: it would block the loop for
the whole run, or need a thread per concurrent coroutine. :func:`run_task_async` is the same
step list with ``await`` where the task runs and where a retry waits, built from the
engine's own step functions, so caching, retries (``max_retries`` / ``retries``), state
handlers, ``log_stdout`` and the log lines behave exactly as for a sync task:

1. target / cache: a stored ``target`` or a valid cached state replaces the run;
2. run: ``await task.run(**inputs)``, under ``asyncio.timeout(task.timeout)``; an async
   generator is consumed into a list; signals and exceptions become states;
3. retry: a failure with retries left sleeps (``await asyncio.sleep``) and runs again;
4. finish: persist the result (``target``, ``checkpoint``), remember the cache, call the
   handlers, log the final state.

A timed-out coroutine is cancelled (unlike a thread, a coroutine can be stopped), then the run
is ``TimedOut`` like a sync task's.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import logging
import time
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine import checkpointing, signals
from prefectlite.engine import task_runner as _engine
from prefectlite.engine.state import Failed, Retrying, State, Success, TimedOut
from prefectlite.utilities import context as _context

__all__ = ["run_task_async"]


async def run_task_async(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    """Run the async ``task`` once (retries waited for) and return its engine state."""
    token = _context.install(ctx)
    try:
        new = checkpointing.check_target(task, inputs, ctx) if task.target is not None else None
        new = new or _engine._check_cache(task, inputs, ctx)
        if new is not None:
            return _engine._finish(task, None, new, ctx)
        started = time.time() if ctx.get("_persist") else None
        if _engine.logger.isEnabledFor(logging.INFO):
            _engine.logger.info("Task %r: Starting task run...", _engine._full_name(ctx, task))
        new = _engine._retry_or_final(task, await _attempt(task, inputs, ctx), ctx)
        while isinstance(new, Retrying):
            start = new.start_time or datetime.datetime.now(datetime.UTC)
            delay = (start - datetime.datetime.now(datetime.UTC)).total_seconds()
            await asyncio.sleep(max(0.0, delay))
            ctx = {**ctx, "task_run_count": new.run_count + 1}
            _context.install(ctx)
            new = _engine._retry_or_final(task, await _attempt(task, inputs, ctx), ctx)
        if started is not None or task.checkpoint or task.target is not None:
            new = checkpointing.persist(task, new, inputs, ctx, started)
        _engine._remember_cache(task, new, inputs, ctx)
        return _engine._finish(task, None, new, ctx)
    finally:
        _context.restore(token)


async def _attempt(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    try:
        name = _engine._run_name(task, inputs, ctx)
        if name is not None:
            _context.install({**ctx, "task_run_name": name})
        if task.log_stdout:
            with _engine._STDOUT.to(_engine._LogWriter(task.logger)):
                return await _timed(task, inputs)
        return await _timed(task, inputs)
    except signals.PrefectStateSignal as sig:
        return sig.state
    except Exception as exc:
        return Failed(message=f"Error during execution of task: {exc!r}", result=exc)


async def _timed(task: Task, inputs: dict[str, Any]) -> State:
    scope = asyncio.timeout(task.timeout)
    try:
        async with scope:
            result = task.run(**inputs)
            if inspect.isasyncgen(result):
                result = [item async for item in result]
            elif inspect.isawaitable(result):
                result = await result
    except TimeoutError:
        if not scope.expired():
            raise  # the task's own TimeoutError: an ordinary failure
        return TimedOut(message=f"Task timed out after {task.timeout} seconds.")
    return Success(message="Task run succeeded.", result=result)
