"""Calling an eager flow: one flow run from parameters to final state.

:func:`call_flow` is what ``my_flow(...)`` does. For a synchronous flow:

1. bind the arguments (a call that does not fit the signature raises ``TypeError``);
2. create the :class:`~prefectlite.eager.run.FlowRun` (named ``olive-poodle``, linked to the
   running parent flow run if any) and log ``Created flow run ...`` (``Created subflow run``
   on the parent's logger);
3. resolve futures and states among the parameters (a subflow gets data) and wait for
   ``wait_for``; an upstream that did not complete gives ``Pending(name="NotReady")``;
4. validate the parameters (:mod:`.validation`); invalid ones give ``Failed`` at once;
5. run the body with the run's context installed, its task runner started with the tag
   concurrency limits held (:meth:`~prefectlite.eager.run.FlowRun.task_runner_started`),
   ``print`` routed to its logger (``log_prints``) and its ``timeout_seconds`` armed; the
   final state follows the rules of :func:`prefectlite.states.return_value_to_state`
   (futures returned are waited for and replaced by their states); an exception gives
   ``Failed``; a timeout gives ``Failed(name="TimedOut")``; then wait for every submitted
   task run;
6. retry the body (``retries``, ``retry_delay_seconds``) while it fails;
7. log ``Finished in state Completed()``; return ``state.result()`` (the body's value, or
   raise its exception), or the state itself with ``return_state=True``.

An async flow goes through the same steps with ``await`` (``asyncio.timeout`` for the
timeout). A generator flow runs its body one ``next()`` at a time, each step inside the run's
context, and ends its run when the generator is exhausted or closed (no retries, no timeout).
``KeyboardInterrupt`` and other non-``Exception`` errors end the run as ``Crashed`` and are
re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import time
import warnings
from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any

from prefectlite.client.schemas.objects import FlowRun as FlowRunInfo
from prefectlite.eager import resolution, task_calls
from prefectlite.eager.exceptions import (
    FlowRunTimeoutError,
    ParameterTypeError,
    UnawaitedTaskWarning,
)
from prefectlite.eager.futures import (
    PrefectFuture,
    futures_in,
    resolve_futures_to_states,
    until_done,
)
from prefectlite.eager.loggers import ENGINE_LOGGER
from prefectlite.eager.run import FlowRun, current_run
from prefectlite.eager.states import (
    Completed,
    Crashed,
    Failed,
    Running,
    State,
    StateDetails,
    StateType,
    return_value_to_state,
)
from prefectlite.eager.timeouts import flow_timeout
from prefectlite.engine.task_stdout import prints_to_log
from prefectlite.utilities import context as _context
from prefectlite.utilities.logging import configure_logging

if TYPE_CHECKING:
    from prefectlite.eager.flows import EagerFlow

__all__ = ["call_flow"]


def call_flow(flow: EagerFlow, args: tuple, kwargs: dict[str, Any], return_state: bool,
              wait_for: Any) -> Any:
    """Run ``flow`` (or return a coroutine / generator for async and generator flows)."""
    if flow.isgenerator:
        gen = _run_async_generator if flow.isasync else _run_generator
        return gen(flow, args, kwargs, wait_for)
    if flow.isasync:
        coro = _run_async(flow, args, kwargs, return_state, wait_for)
        parent = current_run()
        if parent is not None and not parent.is_async:
            return task_calls.run_coro_sync(coro)  # an async subflow of a sync flow
        return coro
    return _run_sync(flow, args, kwargs, return_state, wait_for)


"""Steps shared by every kind of flow"""


def _create(flow: EagerFlow, args: tuple, kwargs: dict[str, Any], is_async: bool) -> FlowRun:
    params = flow.bind(args, kwargs)
    parent = current_run()
    if parent is None:
        configure_logging()
    run = FlowRun(flow, params, parent, is_async)
    if parent is None:
        ENGINE_LOGGER.info("Created flow run %r for flow %r", run.name, flow.name)
    else:
        parent.logger.info("Created subflow run %r for flow %r", run.name, flow.name)
    if run.journal is not None:
        run.journal.flow_run_started(run)
    return run


def _begin(run: FlowRun, wait_for: Any) -> State | None:
    """Steps 3 and 4: the state to end with at once, or ``None`` to run the body."""
    details = StateDetails(flow_run_id=run.id)
    try:
        if run.parent is not None:
            run.parameters = {k: resolution.resolve(run, run.flow, v)
                              for k, v in run.parameters.items()}
        if wait_for:
            resolution.check_wait_for(run, run.flow, wait_for)
    except resolution.NotReady as exc:
        return resolution.not_ready(exc.args[0], details)
    if run.flow.should_validate_parameters:
        try:
            run.parameters = run.flow.validate_parameters(run.parameters)
        except ParameterTypeError as exc:
            message = "Validation of flow parameters failed with error:"
            run.logger.error("%s %s", message, exc)
            return Failed(message=f"{message} ParameterTypeError: {exc}", data=exc,
                          state_details=details)
    run.build_context()
    _call_hooks(run, "on_running", Running())
    return None


def _failed(run: FlowRun, exc: BaseException) -> State:
    if isinstance(exc, FlowRunTimeoutError):
        message = f"Flow run exceeded timeout of {run.flow.timeout_seconds} second(s)"
        run.logger.error(message)
        return Failed(name="TimedOut", message=message, data=FlowRunTimeoutError(message))
    run.logger.error("Encountered exception during execution: %r", exc, exc_info=exc)
    return Failed(message=f"Flow run encountered an exception: {type(exc).__name__}: {exc}",
                  data=exc)


def _end(run: FlowRun, state: State, return_state: bool) -> Any:
    """Step 7: record and log the final state; return what the call returns."""
    if state._details is None or state._details.flow_run_id != run.id:
        state = state.model_copy({"state_details": StateDetails(flow_run_id=run.id)})
    run.state = state
    log = run.logger.info if state.is_completed() else run.logger.error
    log("Finished in state %s", state)
    _call_hooks(run, _HOOK_OF.get(state.type), state)
    if run.journal is not None:
        run.journal.flow_run_finished(run, state)
    if return_state:
        return state
    return state.result()


_HOOK_OF = {StateType.COMPLETED: "on_completion", StateType.FAILED: "on_failure",
            StateType.CRASHED: "on_crashed", StateType.CANCELLED: "on_cancellation"}


def _call_hooks(run: FlowRun, name: str | None, state: State) -> None:
    """The flow's ``name`` hooks, each as ``hook(flow, flow_run, state)``; an error in one is
    logged and the others still run."""
    hooks = run.flow.hooks.get(name, ()) if name is not None else ()
    if not hooks:
        return
    flow_run = FlowRunInfo(id=run.id, name=run.name, flow_name=run.flow.name,
                                     parameters=run.parameters, state=state)
    for hook in hooks:
        label = getattr(hook, "__name__", None) or getattr(
            getattr(hook, "func", None), "__name__", repr(hook))
        run.logger.info("Running hook %r in response to entering state %r", label, state.name)
        try:
            hook(run.flow, flow_run, state)
        except Exception:
            run.logger.exception("An error was encountered while running hook %r", label)
        else:
            run.logger.info("Hook %r finished running successfully", label)


@contextlib.contextmanager
def _running(run: FlowRun) -> Iterator[None]:
    """The run's context, task runner and ``print`` routing, around one attempt."""
    token = _context.install(run.ctx)
    try:
        with run.task_runner_started(), _prints(run):
            yield
    finally:
        _context.restore(token)


@contextlib.contextmanager
def _prints(run: FlowRun) -> Iterator[None]:
    if not run.log_prints:
        yield
        return
    with prints_to_log(run.logger):
        yield


def _wait_submitted(run: FlowRun) -> None:
    for future in run.futures:
        future.wait()
    run.futures.clear()


def _retry(run: FlowRun, state: State, attempt: int) -> bool:
    if not state.is_failed() or attempt > run.flow.retries:
        return False
    run.logger.info("Received non-final state 'AwaitingRetry' when proposing final state %r "
                    "and will attempt to run again...", state.name)
    return True


"""Synchronous flows"""


def _run_sync(flow: EagerFlow, args: tuple, kwargs: dict[str, Any], return_state: bool,
              wait_for: Any) -> Any:
    run = _create(flow, args, kwargs, is_async=False)
    try:
        state = _begin(run, wait_for)
        for attempt in itertools.count(1):
            if state is not None:
                break
            state = _attempt(run)
            if _retry(run, state, attempt):
                time.sleep(flow.retry_delay_seconds)
                state = None
    except BaseException as exc:
        _end(run, _interrupted(exc), True)
        raise
    assert state is not None
    return _end(run, state, return_state)


def _interrupted(exc: BaseException) -> State:
    """The state of a run that an error outside its body stopped (then re-raised)."""
    if isinstance(exc, Exception):
        return Failed(message=f"Flow run could not run: {type(exc).__name__}: {exc}", data=exc)
    return Crashed(message=f"Execution was interrupted: {exc!r}", data=exc)


def _attempt(run: FlowRun) -> State:
    with _running(run):
        try:
            with flow_timeout(run.flow.timeout_seconds):
                value = run.flow.call_with(run.parameters)
                state = return_value_to_state(resolve_futures_to_states(value))
        except Exception as exc:
            state = _failed(run, exc)
        _wait_submitted(run)
    return state


"""Async flows"""


async def _run_async(flow: EagerFlow, args: tuple, kwargs: dict[str, Any], return_state: bool,
                     wait_for: Any) -> Any:
    run = _create(flow, args, kwargs, is_async=True)
    try:
        state = await _begin_async(run, wait_for)
        for attempt in itertools.count(1):
            if state is not None:
                break
            state = await _attempt_async(run)
            if _retry(run, state, attempt):
                await asyncio.sleep(flow.retry_delay_seconds)
                state = None
    except BaseException as exc:
        _end(run, _interrupted(exc), True)
        raise
    assert state is not None
    return _end(run, state, return_state)


async def _begin_async(run: FlowRun, wait_for: Any) -> State | None:
    pending: list[PrefectFuture] = []
    resolution.collect_futures(run, run.flow, run.parameters, pending)
    resolution.collect_futures(run, run.flow, list(wait_for or ()), pending)
    for future in pending:
        await until_done(future)
    return _begin(run, wait_for)


async def _attempt_async(run: FlowRun) -> State:
    with _running(run):
        scope = asyncio.timeout(run.flow.timeout_seconds)
        try:
            async with scope:
                value = await run.flow.call_with(run.parameters)
                state = return_value_to_state(await _states_of(value))
        except TimeoutError as exc:
            state = _failed(run, FlowRunTimeoutError() if scope.expired() else exc)
        except Exception as exc:
            state = _failed(run, exc)
        for future in run.futures:
            await until_done(future)
        run.futures.clear()
        _report_unawaited(run)
    return state


async def _states_of(value: Any) -> Any:
    """``resolve_futures_to_states`` without blocking the loop."""
    for future in futures_in(value):
        await until_done(future)
    return resolve_futures_to_states(value)


def _report_unawaited(run: FlowRun) -> None:
    for coro, name in run.unawaited:
        if inspect.getcoroutinestate(coro) != inspect.CORO_CREATED:
            continue
        coro.close()  # it never ran; closing it also silences Python's own warning
        message = (f"Task {name!r} was called without `await` in async flow run "
                   f"{run.name!r} (flow {run.flow.name!r}), so it never ran. Write "
                   f"`await {name}(...)`, or use `{name}.submit(...)` to run it in the "
                   "background.")
        run.logger.error(message)
        warnings.warn(message, UnawaitedTaskWarning, stacklevel=2)
    run.unawaited.clear()


"""Generator flows"""


def _run_generator(flow: EagerFlow, args: tuple, kwargs: dict[str, Any], wait_for: Any
                   ) -> Generator[Any, None, Any]:
    run = _create(flow, args, kwargs, is_async=False)
    state = _begin(run, wait_for)
    if state is not None:
        _end(run, state, False)  # raises
    state, value = _closed_early(), None
    try:
        with run.task_runner_started():
            try:
                value = yield from _steps(run, run.flow.call_with(run.parameters))
                state = return_value_to_state(resolve_futures_to_states(value))
            except Exception as exc:
                state = _failed(run, exc)
                raise
            finally:
                _wait_submitted(run)
    finally:
        _end(run, state, True)
    return value


def _closed_early() -> State:
    return Completed(message="The consumer closed the generator before it was exhausted.")


def _steps(run: FlowRun, gen: Any) -> Generator[Any, None, Any]:
    """Drive ``gen`` one ``next()`` at a time inside the run's context; return its value.

    The context is installed for each step only, so the consumer's code between two items
    does not run "inside" the flow run.
    """
    while True:
        token = _context.install(run.ctx)
        try:
            with _prints(run):
                item = next(gen)
        except StopIteration as stop:
            return stop.value
        finally:
            _context.restore(token)
        yield item


async def _run_async_generator(flow: EagerFlow, args: tuple, kwargs: dict[str, Any],
                               wait_for: Any) -> AsyncIterator[Any]:
    run = _create(flow, args, kwargs, is_async=True)
    state = await _begin_async(run, wait_for)
    if state is not None:
        _end(run, state, False)  # raises
    state = _closed_early()
    try:
        with run.task_runner_started():
            agen = run.flow.call_with(run.parameters)
            try:
                while True:
                    token = _context.install(run.ctx)
                    try:
                        with _prints(run):
                            item = await agen.__anext__()
                    except StopAsyncIteration:
                        break
                    finally:
                        _context.restore(token)
                    yield item
                state = return_value_to_state(None)
            except Exception as exc:
                state = _failed(run, exc)
                raise
            finally:
                for future in run.futures:
                    await until_done(future)
                run.futures.clear()
    finally:
        _end(run, state, True)
