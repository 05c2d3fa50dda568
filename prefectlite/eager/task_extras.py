"""What a task's Prefect 3 options do around one run of the engine.

:func:`run_with_extras` wraps the engine call of an eager task run (see
:mod:`prefectlite.eager.task_calls`) when the task has :class:`TaskOptions` or a
transaction is open; a plain task outside transactions never reaches it.

1. the cache key: ``result_storage_key`` (formatted with ``parameters``), else the cache
   policy's key (``cache_key_fn`` → ``CacheKeyFnPolicy``; default ``DEFAULT``); only for
   tasks that persist their result (``TaskOptions.caches``);
2. a transaction for the run, nested in the open one; with ``SERIALIZABLE`` isolation it
   holds the key's lock, so concurrent runs with one key compute it once;
3. a stored, unexpired record under the key (and no ``refresh_cache``): the run is
   ``Cached`` with the stored value and the task does not run;
4. ``on_running`` hooks, the engine run, then ``on_completion`` / ``on_failure`` /
   ``on_crashed`` hooks (``hook(task, task_run, state)``; an error in a hook is logged);
5. a completed run stages its value and its ``on_commit`` / ``on_rollback`` hooks in its
   transaction, whose commit writes the record (at once, or when the enclosing
   ``with transaction():`` commits).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from prefectlite.eager.states import State, StateType
from prefectlite.eager.task_options import TaskOptions
from prefectlite.transactions import Transaction, get_transaction

__all__ = ["needs_extras", "retry_policy", "run_with_extras"]

logger = logging.getLogger("prefectlite.task_runs")


def needs_extras(task: Any) -> bool:
    """Whether a run of ``task`` goes through :func:`run_with_extras`."""
    return getattr(task, "p3_options", None) is not None or get_transaction() is not None


def _task_run(ctx: dict[str, Any], state: State | None = None) -> Any:
    from prefectlite.client.schemas.objects import TaskRun

    return TaskRun(
        id=ctx.get("task_run_id"), name=ctx.get("task_run_name"),
        task_key=ctx.get("task_name"), run_count=ctx.get("task_run_count", 1),
        flow_run_id=getattr(ctx.get("_eager_run"), "id", None), state=state,
        tags=sorted(ctx.get("task_tags") or ()))


def _call_hooks(opts: TaskOptions | None, name: str, task: Any, ctx: dict[str, Any],
                state: State) -> None:
    for hook in (opts.hooks.get(name, ()) if opts is not None else ()):
        label = getattr(hook, "__name__", None) or getattr(getattr(hook, "func", None),
                                                            "__name__", repr(hook))
        logger.info("Running hook %r in response to entering state %r", label, state.name)
        try:
            hook(task, _task_run(ctx, state), state)
        except Exception:
            logger.exception("An error was encountered while running hook %r", label)
        else:
            logger.info("Hook %r finished running successfully", label)


def _key(task: Any, opts: TaskOptions, inputs: dict[str, Any], ctx: dict[str, Any]
         ) -> str | None:
    if not opts.caches:
        return None
    if opts.result_storage_key is not None:
        params = {name: p.default for name, p in task._run_signature().parameters.items()
                  if p.default is not p.empty}
        params.update(inputs)
        return opts.result_storage_key.format(parameters=params, **params)
    from prefectlite import cache_policies
    from prefectlite.context import TaskRunContext

    policy = opts.cache_policy
    if policy is None:
        policy = (cache_policies.CacheKeyFnPolicy(opts.cache_key_fn)
                  if opts.cache_key_fn is not None else cache_policies.DEFAULT)
    task_ctx = TaskRunContext(ctx)
    key = policy.compute_key(task_ctx, inputs, ctx.get("parameters") or {})
    return None if key is None else str(key)


def _store(opts: TaskOptions | None, ctx: dict[str, Any]) -> Any:
    from prefectlite.results import ResultStore

    policy = opts.cache_policy if opts is not None else None
    storage = getattr(policy, "key_storage", None) or (
        opts.result_storage if opts is not None else None)
    run = ctx.get("_eager_run")
    if storage is None and run is not None:
        storage = getattr(run.flow, "result_storage", None)
    return ResultStore(storage, serializer=opts.result_serializer if opts else "pickle",
                       lock_manager=getattr(policy, "lock_manager", None))


def run_with_extras(task: Any, inputs: dict[str, Any], ctx: dict[str, Any],
                    engine_call: Callable[[], State]) -> State:
    """Run ``engine_call()`` with the task's caching, transaction and hooks (module
    docstring); the run's eager state."""
    opts: TaskOptions | None = task.p3_options
    key = _key(task, opts, inputs, ctx) if opts is not None else None
    store = _store(opts, ctx) if key is not None else None
    policy = opts.cache_policy if opts is not None else None
    txn = Transaction(key=key, store=store, isolation_level=getattr(
        policy, "isolation_level", None), lock_manager=getattr(policy, "lock_manager", None),
        overwrite=bool(opts and opts.refresh_cache))
    with txn:
        if txn.is_committed():
            assert store is not None and key is not None
            return State(StateType.COMPLETED, name="Cached", data=store.read(key).result)
        _call_hooks(opts, "on_running", task, ctx, State(StateType.RUNNING))
        state = engine_call()
        if state.is_completed():
            _call_hooks(opts, "on_completion", task, ctx, state)
            expiration = opts.cache_expiration if opts is not None else None
            if expiration is not None:
                txn.expiration = datetime.datetime.now(datetime.UTC) + expiration
            txn.stage(state.data,
                      opts.hooks.get("on_commit") if opts else None,
                      opts.hooks.get("on_rollback") if opts else None)
        else:  # nothing to commit: no record, no hooks of this run later
            txn.rollback()
            if state.is_crashed():
                _call_hooks(opts, "on_crashed", task, ctx, state)
            elif state.is_failed():
                _call_hooks(opts, "on_failure", task, ctx, state)
    return state


def retry_policy(task: Any, run_count: int, engine_state: Any) -> datetime.timedelta | None:
    """The engine's ``Task.retry_policy`` for an eager task: the delay before retry number
    ``run_count`` (per-retry delays, jitter), or ``None`` when ``retry_condition_fn`` says
    not to retry."""
    opts: TaskOptions = task.p3_options
    condition = opts.retry_condition_fn
    if condition is not None:
        from prefectlite.eager.states import from_engine
        from prefectlite.utilities import context as _context

        ctx = _context.snapshot()
        if not condition(task, _task_run(ctx), from_engine(engine_state)):
            logger.info("Task run %r - Received non-final state 'Failed' and will not retry "
                        "(retry_condition_fn returned False).", ctx.get("task_run_name"))
            return None
    return datetime.timedelta(seconds=opts.retry_delay(run_count))
