"""A task called, submitted or mapped inside an eager flow run.

Every task run, however it was asked for, is one call of the engine's
:func:`~prefectlite.engine.task_runner.run_task` (retries waited for in place, timeout,
cache, state handlers, logging), whose Prefect 1 state is converted into an eager
:class:`~prefectlite.states.State` at the end (:func:`prefectlite.states.from_engine`).

``task(...)`` (:func:`call`)
    1. bind the arguments to the task's signature (a wrong call raises ``TypeError`` at once);
    2. resolve them (:mod:`.resolution`): a future waits and becomes its value, a state
       becomes its data, also inside lists, tuples, sets and dicts (``quote(x)`` is left
       alone); a future of a flow
       run that is neither this run nor one of its parents is refused
       (``ForeignFutureError``); an upstream that did not complete makes this run
       ``Pending(name="NotReady")`` without running it (``allow_failure(x)`` passes its
       exception instead), and so does an unfinished or failed ``wait_for=[...]`` entry;
    3. name the run (``add-0``, ``add-1``, ...), build its context, run it;
    4. return the value, or raise the task's exception (``return_state=True``: the state).
``task.submit(...)`` (:func:`submit`)
    Steps 1 and 3 on the flow's task runner; the returned future's value is the state. A run
    whose inputs are still running is handed to the runner only when they finish (a callback
    on the last one), so no worker ever waits for another task.
``task.map(...)`` (:func:`map_task`)
    One submission per element of the iterable arguments (all of the same length);
    ``unmapped(x)`` and strings, bytes and non-iterables are passed whole to every run.
``async def`` tasks
    In an async flow a call returns a coroutine to ``await`` (``async_tasks.run_task_async``
    is the engine's step list with ``await``); in a sync flow the call runs it to completion.
    A coroutine never awaited is reported when its flow run ends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextvars
import threading
import uuid
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from prefectlite.eager.async_tasks import run_task_async
from prefectlite.eager.exceptions import (
    MappingLengthMismatch,
    MappingMissingIterable,
    UpstreamTaskError,
)
from prefectlite.eager.futures import PrefectFuture, PrefectFutureList, until_done
from prefectlite.eager.resolution import (
    NotReady,
    bind,
    collect_futures,
    needs_resolving,
    not_ready,
    prepare,
    resolve,
)
from prefectlite.eager.states import State, StateDetails, from_engine
from prefectlite.eager.task_extras import needs_extras, run_with_extras
from prefectlite.engine.task_runner import run_task
from prefectlite.engine.task_stdout import capturing_prints, prints_as_is
from prefectlite.utilities.edges import unwrap
from prefectlite.utilities.futures import DoneFuture

if TYPE_CHECKING:
    from prefectlite.core.task import Task
    from prefectlite.eager.run import FlowRun

__all__ = ["call", "execute", "map_task", "run_coro_sync", "submit"]

"""Running"""


def execute(task: Task, inputs: dict[str, Any], ctx: dict[str, Any]) -> State:
    """Run one task run with the engine and return its eager state (what runners ship)."""
    run = ctx.get("_eager_run")
    if run is not None and run.journal is not None:
        run.journal.task_run_started(run, ctx["task_run_name"])
    flow_run_id = run.id if run is not None else uuid.UUID(ctx["flow_run_id"])
    details = StateDetails(flow_run_id, ctx["task_run_id"])
    if needs_extras(task):
        return with_details(run_with_extras(
            task, inputs, ctx, lambda: _execute(task, inputs, ctx, details)), details)
    return _execute(task, inputs, ctx, details)


def _execute(task: Task, inputs: dict[str, Any], ctx: dict[str, Any], details: StateDetails
             ) -> State:
    if getattr(task, "isasync", False):
        engine_state = run_coro_sync(run_task_async(task, inputs, ctx))
    elif getattr(task, "log_prints", None) is False and capturing_prints():
        with prints_as_is():  # submitted inline in a flow that logs its prints
            engine_state = run_task(task, {}, inputs, ctx)
    else:
        engine_state = run_task(task, {}, inputs, ctx)
    return from_engine(engine_state, details)


def with_details(state: State, details: StateDetails) -> State:
    """``state`` tied to its task run (a cached state is made without its ids)."""
    if state._details is None:
        state._details = details
    return state


def _start(run: FlowRun, task: Task) -> tuple[str, uuid.UUID, StateDetails]:
    name = run.next_task_run_name(task)
    task_run_id = uuid.uuid4()
    return name, task_run_id, StateDetails(run.id, task_run_id)


def run_now(run: FlowRun, task: Task, inputs: dict[str, Any], wait_for: Any) -> State:
    """Run ``task`` at once in this thread; its eager state."""
    name, task_run_id, details = _start(run, task)
    journal = run.journal
    if journal is not None:
        journal.task_run_submitted(run, task.name, name, None, inputs, wait_for)
    try:
        inputs = prepare(run, task, inputs, wait_for)
    except NotReady as exc:
        state = not_ready(exc.args[0], details)
        if journal is not None:
            journal.task_run_finished(run, task.name, name, None, state)
        return state
    ctx = run.task_context(task, name, task_run_id, inputs=inputs)
    if journal is not None:
        journal.task_run_started(run, name)
    if needs_extras(task):
        state = with_details(run_with_extras(
            task, inputs, ctx, lambda: _run_inline(run, task, inputs, ctx, details)), details)
    else:
        state = _run_inline(run, task, inputs, ctx, details)
    if journal is not None:
        journal.task_run_finished(run, task.name, name, None, state)
    return state


def _run_inline(run: FlowRun, task: Task, inputs: dict[str, Any], ctx: dict[str, Any],
                details: StateDetails) -> State:
    if run.log_prints and getattr(task, "log_prints", None) is False:
        with prints_as_is():  # the flow logs its prints; this task asked not to
            return from_engine(run_task(task, {}, inputs, ctx), details)
    return from_engine(run_task(run.effective_task(task), {}, inputs, ctx), details)


def _options(kwargs: dict[str, Any]) -> tuple[bool, Any]:
    if not kwargs:
        return False, None
    return kwargs.pop("return_state", False), kwargs.pop("wait_for", None)


def call(run: FlowRun, task: Task, args: tuple, kwargs: dict[str, Any], mapped: bool = False,
         task_args: dict[str, Any] | None = None, upstream_tasks: Iterable[Any] | None = None
         ) -> Any:
    """``task(*args, **kwargs)`` inside ``run`` (see the module docstring)."""
    return_state, wait_for = _options(kwargs)
    if upstream_tasks:  # Prefect 1's spelling of state-only dependencies
        wait_for = [*(wait_for or ()), *upstream_tasks]
    if task_args:
        task = task.copy(**task_args)
    if mapped:
        return _map_bound(run, task, bind(task, args, kwargs), wait_for, return_state)
    inputs = bind(task, args, kwargs)
    if getattr(task, "isasync", False):
        coro = _call_async(run, task, inputs, wait_for, return_state)
        if run.is_async and _loop_running():
            run.unawaited.append((coro, task.name))
            return coro
        return run_coro_sync(coro)
    state = run_now(run, task, inputs, wait_for)
    return state if return_state else state.result()


async def _call_async(run: FlowRun, task: Task, inputs: dict[str, Any], wait_for: Any,
                      return_state: bool) -> Any:
    name, task_run_id, details = _start(run, task)
    if run.journal is not None:
        run.journal.task_run_submitted(run, task.name, name, None, inputs, wait_for)
    pending: list[PrefectFuture] = []
    collect_futures(run, task, inputs, pending)
    collect_futures(run, task, list(wait_for or ()), pending)
    for future in pending:  # wait without blocking the loop
        await until_done(future)
    try:
        inputs = prepare(run, task, inputs, wait_for)
        ctx = run.task_context(task, name, task_run_id, inputs=inputs)
        if run.journal is not None:
            run.journal.task_run_started(run, name)
        state = from_engine(await run_task_async(run.effective_task(task), inputs, ctx), details)
    except NotReady as exc:
        state = not_ready(exc.args[0], details)
    if run.journal is not None:
        run.journal.task_run_finished(run, task.name, name, None, state)
    return state if return_state else state.result()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_coro_sync(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion from synchronous code (in a helper thread if this thread
    already runs an event loop), with the caller's context."""
    if not _loop_running():
        return asyncio.run(coro)
    box: dict[str, Any] = {}
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = ctx.run(asyncio.run, coro)
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="prefectlite-async")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


"""Submitting and mapping"""


def submit(run: FlowRun, task: Task, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``task.submit(*args, **kwargs)`` inside ``run``: a future."""
    return_state, wait_for = _options(kwargs)
    future = submit_bound(run, task, bind(task, args, kwargs), wait_for)
    if return_state:
        future.wait()
        return future.state
    return future


def submit_bound(run: FlowRun, task: Task, inputs: dict[str, Any], wait_for: Any,
                 map_index: int | None = None) -> PrefectFuture:
    """Submit one run of ``task`` with bound ``inputs``; hand it over when they are ready."""
    name, task_run_id, details = _start(run, task)
    if run.journal is not None:
        run.journal.task_run_submitted(run, task.name, name, map_index, inputs, wait_for)
    upstream: list[PrefectFuture] = []
    if needs_resolving(inputs):
        collect_futures(run, task, inputs, upstream)
    if wait_for:
        collect_futures(run, task, list(wait_for), upstream)
    pending = [f for f in upstream if not f._cell.done()]

    def dispatch() -> Any:
        try:
            ready = prepare(run, task, inputs, wait_for)
        except NotReady as exc:
            return DoneFuture(not_ready(exc.args[0], details))
        ctx = run.task_context(task, name, task_run_id, map_index, ready)
        return run.task_runner.submit(execute, run.effective_task(task), ready, ctx)

    cell = dispatch() if not pending else _after(pending, dispatch)
    future = PrefectFuture(cell, run, task.name, name, task_run_id)
    run.track(future)
    journal = run.journal
    if journal is not None:
        future.add_done_callback(lambda f: journal.task_run_finished(
            run, task.name, name, map_index, f.state))
    return future


def _after(pending: list[PrefectFuture], dispatch: Any) -> cf.Future[State]:
    """A cell filled by ``dispatch()``'s cell, which starts when ``pending`` have finished."""
    outer: cf.Future[State] = cf.Future()
    outer.set_running_or_notify_cancel()
    left = [len(pending)]
    lock = threading.Lock()

    def relay(inner: cf.Future[State]) -> None:
        try:
            outer.set_result(inner.result())
        except BaseException as exc:
            outer.set_exception(exc)

    def one_done(_: Any) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        try:
            dispatch().add_done_callback(relay)
        except BaseException as exc:  # e.g. the runner shut down
            outer.set_exception(exc)

    for future in pending:
        future._cell.add_done_callback(one_done)
    return outer


def _iterable(value: Any) -> bool:
    if isinstance(value, str | bytes | bytearray) or hasattr(value, "read"):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def map_task(run: FlowRun, task: Task, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``task.map(*args, **kwargs)`` inside ``run``: a list of futures."""
    return_state, wait_for = _options(kwargs)
    return _map_bound(run, task, bind(task, args, kwargs), wait_for, return_state)


def _map_bound(run: FlowRun, task: Task, inputs: dict[str, Any], wait_for: Any,
               return_state: bool) -> Any:
    iterables: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    for key, raw in inputs.items():
        value, is_mapped, flat = unwrap(raw, mapped=True)
        if is_mapped and isinstance(value, PrefectFuture | State):
            try:
                value = resolve(run, task, value)
            except NotReady as exc:
                raise UpstreamTaskError(f"Cannot map {task.name!r} over {key!r}: upstream "
                                        f"task run {exc.args[0]!r} did not complete.") from None
        if is_mapped and _iterable(value):
            iterables[key] = [x for part in value for x in part] if flat else list(value)
        else:
            static[key] = value
    if not iterables:
        raise MappingMissingIterable(
            f"{task.name}.map() got no iterable argument to map over (strings count as single "
            "values); pass a list, or call the task instead.")
    lengths = {key: len(values) for key, values in iterables.items()}
    if len(set(lengths.values())) > 1:
        raise MappingLengthMismatch(
            f"{task.name}.map() got iterables of different lengths: {lengths}; wrap an "
            "argument in unmapped(...) to pass it whole to every run.")
    futures = PrefectFutureList(
        submit_bound(run, task, {**static, **{k: v[i] for k, v in iterables.items()}},
                     wait_for, i)
        for i in range(next(iter(lengths.values())))
    )
    if return_state:
        futures.wait()
        return [f.state for f in futures]
    return futures
