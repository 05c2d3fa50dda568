"""The Prefect 3 options of a task that Prefect 1 has no word for.

``@task(...)`` keeps them in one :class:`TaskOptions` (``task.p3_options``; ``None`` when a
task has none, so a plain task costs nothing): caching and results (``cache_policy``,
``cache_key_fn``, ``cache_expiration``, ``refresh_cache``, ``persist_result``,
``result_storage``, ``result_storage_key``, ``result_serializer``,
``cache_result_in_memory``), retries beyond one fixed delay (``retry_delay_seconds`` as a
list or a callable such as :func:`prefectlite.tasks.exponential_backoff`,
``retry_jitter_factor``, ``retry_condition_fn``) and state-change hooks (``on_completion``,
``on_failure`` as a *list*, ``on_running``, ``on_crashed``, ``on_commit``, ``on_rollback``).
A single callable ``on_failure=f`` stays Prefect 1's ``f(task, state)``. What they do is in
:mod:`prefectlite.eager.task_extras`.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from prefectlite.exceptions import TaskDefinitionError

__all__ = ["HOOKS", "OPTION_NAMES", "TaskOptions", "hook_list", "split_options"]

HOOKS = ("on_completion", "on_failure", "on_running", "on_crashed", "on_commit", "on_rollback")
_PLAIN = ("cache_policy", "cache_key_fn", "cache_expiration", "refresh_cache", "persist_result",
          "result_storage", "result_storage_key", "result_serializer", "cache_result_in_memory",
          "retry_jitter_factor", "retry_condition_fn")
OPTION_NAMES = (*_PLAIN, *HOOKS)


class TaskOptions:
    """The Prefect 3 options of one task (see the module docstring)."""

    def __init__(self, owner: str, **options: Any) -> None:
        self.cache_policy: Any = options.get("cache_policy")
        self.cache_key_fn: Callable[..., Any] | None = options.get("cache_key_fn")
        self.cache_expiration: datetime.timedelta | None = options.get("cache_expiration")
        self.refresh_cache: bool = bool(options.get("refresh_cache"))
        self.persist_result: bool | None = options.get("persist_result")
        self.result_storage: Any = options.get("result_storage")
        self.result_storage_key: str | None = options.get("result_storage_key")
        self.result_serializer: str = options.get("result_serializer") or "pickle"
        self.cache_result_in_memory: bool = options.get("cache_result_in_memory", True)
        self.retry_delays: list[float] | None = options.get("retry_delays")
        self.retry_jitter_factor: float | None = options.get("retry_jitter_factor")
        self.retry_condition_fn: Callable[..., Any] | None = options.get("retry_condition_fn")
        self.hooks: dict[str, list[Callable[..., Any]]] = {}
        for name in HOOKS:
            hooks = options.get(name)
            if hooks is not None:
                self.hooks[name] = hook_list(hooks, name, owner)
        _check(self, owner)

    def add_hook(self, name: str, fn: Callable[..., Any]) -> None:
        """Register ``fn`` as a ``name`` hook (the decorator form ``@my_task.on_commit``)."""
        self.hooks.setdefault(name, []).append(fn)

    @property
    def caches(self) -> bool:
        """Whether runs look up and store records (the policy asks for it, results persist)."""
        if self.persist_result is False:
            return False
        return (self.cache_policy is not None or self.cache_key_fn is not None
                or self.result_storage_key is not None or bool(self.persist_result))

    def retry_delay(self, run_count: int) -> float:
        """Seconds to wait before retry number ``run_count`` (1 for the first retry)."""
        delays = self.retry_delays or [0.0]
        delay = float(delays[min(run_count, len(delays)) - 1])
        if self.retry_jitter_factor:
            delay = max(0.0, delay + random.uniform(-1, 1) * delay * self.retry_jitter_factor)
        return delay


def hook_list(hooks: Any, name: str, owner: str) -> list[Callable[..., Any]]:
    """A task's or flow's ``on_*`` hooks checked: a list (or tuple) of callables; ``None``
    is none. A bare callable is an error that shows how to write the list."""
    if hooks is None:
        return []
    if callable(hooks) or not isinstance(hooks, list | tuple):
        raise TypeError(f"{owner}: expected a list of hooks for {name!r}, got {hooks!r}; "
                        f"write {name}=[{getattr(hooks, '__name__', 'hook')}].")
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"{owner}: {name} hook {hook!r} is not callable.")
    return list(hooks)


def _check(options: TaskOptions, owner: str) -> None:
    if options.cache_key_fn is not None and not callable(options.cache_key_fn):
        raise TypeError(f"{owner}: cache_key_fn={options.cache_key_fn!r} is not callable.")
    exp = options.cache_expiration
    if exp is not None and not isinstance(exp, datetime.timedelta):
        raise TypeError(f"{owner}: cache_expiration={exp!r} must be a datetime.timedelta.")
    if options.result_serializer not in ("pickle", "json", "cloudpickle"):
        raise ValueError(f"{owner}: result_serializer={options.result_serializer!r}: use "
                         "'pickle' or 'json'.")
    jitter = options.retry_jitter_factor
    if jitter is not None and (not isinstance(jitter, int | float) or jitter < 0):
        raise ValueError(f"{owner}: retry_jitter_factor={jitter!r} must be a number >= 0.")
    fn = options.retry_condition_fn
    if fn is not None and not callable(fn):
        raise TypeError(f"{owner}: retry_condition_fn={fn!r} is not callable.")


def split_options(options: dict[str, Any], owner: str) -> TaskOptions | None:
    """Take the Prefect 3 options out of ``options`` (in place); their :class:`TaskOptions`,
    or ``None`` when there are none. A list (or callable) ``retry_delay_seconds`` becomes
    per-retry delays; ``retry_delay_seconds`` is then the first of them."""
    found: dict[str, Any] = {k: options.pop(k) for k in _PLAIN if k in options}
    for name in HOOKS:
        value = options.get(name)
        if name == "on_failure" and (value is None or callable(value)):
            continue  # Prefect 1's single on_failure callback
        if name in options:
            found[name] = options.pop(name)
    delay = options.get("retry_delay_seconds")
    if callable(delay):
        delay = delay(options.get("retries") or options.get("max_retries") or 0)
    if isinstance(delay, list | tuple):
        if not delay or any(isinstance(d, bool) or not isinstance(d, int | float) or d < 0
                            for d in delay):
            raise TaskDefinitionError(f"{owner}: retry_delay_seconds={delay!r} must be "
                                      "numbers of seconds >= 0.")
        found["retry_delays"] = [float(d) for d in delay]
        options["retry_delay_seconds"] = delay[0]
    elif delay is not None and ("retry_jitter_factor" in found
                                or "retry_condition_fn" in found):
        found["retry_delays"] = [delay.total_seconds() if isinstance(
            delay, datetime.timedelta) else float(delay)]
    if not found:
        return None
    return TaskOptions(owner, **found)
