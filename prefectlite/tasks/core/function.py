"""``FunctionTask``: a task whose ``run()`` is a plain function (what ``@task`` builds).

One task serves both styles. Inside ``with Flow()`` a call records a graph node (Prefect 1);
inside a running eager ``@flow`` a call runs it and returns its value, ``.submit()`` returns a
future and ``.map()`` a list of futures (Prefect 2/3, see :mod:`prefectlite.eager`). Outside
both, a call is an error that says how to do each; ``task.fn(...)`` / ``task.run(...)`` call
the function itself.

Options can be spelled the Prefect 1 way or the Prefect 3 way (:func:`eager_options`):
``max_retries`` / ``retries``, ``retry_delay`` (a ``timedelta``) / ``retry_delay_seconds``,
``timeout`` / ``timeout_seconds``, ``log_stdout`` / ``log_prints``; ``description`` and
``version`` are kept as attributes. Giving both spellings of one option with different values
is an error.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from prefectlite.core.task import Task
from prefectlite.core.task_definition import SIGNATURE_ATTR, as_seconds, check_run_signature
from prefectlite.eager.task_options import TaskOptions, split_options
from prefectlite.exceptions import TaskDefinitionError
from prefectlite.utilities.context import context

__all__ = ["FunctionTask", "eager_options"]

_MISSING = object()
_PAIRS = (("retries", "max_retries"), ("retry_delay_seconds", "retry_delay"),
          ("timeout_seconds", "timeout"), ("log_prints", "log_stdout"))


def _seconds(value: Any) -> Any:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else value


def eager_options(options: dict[str, Any], owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split task options into Prefect 1 ``Task`` arguments and eager-only attributes.

    Prefect 3 spellings become their Prefect 1 equivalents; ``retries`` without a delay
    waits 0 seconds (as in Prefect 3), ``retry_delay_seconds`` without retries is ignored.

    Examples
    --------
    >>> eager_options({"retries": 2, "timeout_seconds": 0.5, "version": "1"}, "Task 'f'")
    ({'max_retries': 2, 'retry_delay': datetime.timedelta(0)}, {'version': '1', 'timeout': 0.5})
    """
    options = dict(options)
    for new, old in _PAIRS:
        if new in options and old in options:
            a, b = options[new], options[old]
            if new in ("retry_delay_seconds", "timeout_seconds"):
                a, b = _seconds(a), _seconds(b)
            if a != b:
                raise TaskDefinitionError(
                    f"{owner}: {old}={options[old]!r} (Prefect 1) and {new}={options[new]!r} "
                    f"(Prefect 3) are the same option with different values; give only one."
                )
    extra: dict[str, Any] = {k: options.pop(k) for k in ("description", "version")
                             if k in options}
    retries, delay = options.pop("retries", None), options.pop("retry_delay_seconds", None)
    if retries is not None:
        options.setdefault("max_retries", retries)
    if delay is not None and options.get("max_retries"):
        options.setdefault("retry_delay", datetime.timedelta(seconds=delay))
    elif retries and "retry_delay" not in options:
        options["retry_delay"] = datetime.timedelta(0)
    if "timeout_seconds" in options:  # fractions allowed: set after Task.__init__
        seconds = options.pop("timeout_seconds")
        if "timeout" not in options and seconds is not None:
            extra["timeout"] = seconds
    if "log_prints" in options:
        extra["log_prints"] = options.pop("log_prints")
        if extra["log_prints"] is not None:
            options.setdefault("log_stdout", bool(extra["log_prints"]))
    return options, extra


class _FunctionDoc:
    """``task.__doc__`` is the function's docstring; ``FunctionTask.__doc__`` the class's."""

    def __init__(self, class_doc: str | None) -> None:
        self.class_doc = class_doc

    def __get__(self, instance: Any, owner: type | None = None) -> str | None:
        if instance is None:
            return self.class_doc
        try:
            return instance._meta.get("__doc__")  # type: ignore[no-any-return]
        except AttributeError:
            return self.class_doc


class FunctionTask(Task):
    """Wrap ``fn`` as a task; the task keeps the function's name, docstring and signature.

    Examples
    --------
    >>> def add(x, y=1):
    ...     return x + y
    >>> t = FunctionTask(add)
    >>> t.name, t.run(1, 2), t.fn(1, 2), list(t.inputs())
    ('add', 3, 3, ['x', 'y'])
    """

    isasync: bool = False
    log_prints: bool | None = None  # None: inherit the eager flow's log_prints
    description: str | None = None
    version: str | None = None
    p3_options: TaskOptions | None = None  # the Prefect 3-only options (eager runs)
    _is_method: bool = False
    _wraps_function = True
    __doc__ = _FunctionDoc(__doc__)

    def __init__(self, fn: Callable[..., Any], name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionTask needs a callable, got {fn!r}.")
        name = name or getattr(fn, "__name__", type(self).__name__)
        given = dict(kwargs)
        p3_options = split_options(given, f"Task {name!r}")
        options, extra = eager_options(given, f"Task {name!r}")
        sig = check_run_signature(fn, f"Task {name!r}")
        self.run = fn
        # What functools.update_wrapper would put on every instance lives in one dict shared
        # by all copies (read by __getattr__ and the __doc__ descriptor): each call of the
        # task copies the instance dict, so it is kept small (memory, GC work).
        meta: dict[str, Any] = {SIGNATURE_ATTR: sig, "__wrapped__": fn}
        for attr in functools.WRAPPER_ASSIGNMENTS:
            value = getattr(fn, attr, _MISSING)
            if value is not _MISSING:
                meta[attr] = value
        if "__module__" in meta:
            self.__module__ = meta["__module__"]
        for attr, value in getattr(fn, "__dict__", {}).items():  # as update_wrapper does
            if attr != "__wrapped__":
                setattr(self, attr, value)
        self._meta = meta
        super().__init__(name=name, **options)
        for key, value in extra.items():
            setattr(self, key, as_seconds(value, f"Task {name!r}") if key == "timeout"
                    else value)
        if p3_options is not None:
            self._use_options(p3_options)
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            self.isasync = True
        parts = getattr(fn, "__qualname__", "").split(".")
        first = next(iter(sig.parameters), None)
        if len(parts) > 1 and parts[-2] != "<locals>" and first in ("self", "cls"):
            # a method in a class body (a task there without `self`, as Prefect 1 test
            # classes hold, stays a plain task attribute)
            self._is_method = True
        meta["_options"] = {"name": name, **kwargs}

    def _call_outside_flows(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """Run now when the configuration says ``[tasks] run_outside_flows = true``."""
        if context.config.get("tasks", {}).get("run_outside_flows"):
            from prefectlite.eager.outside import call_outside

            return call_outside(self, args, kwargs)
        return super()._call_outside_flows(args, kwargs)

    def _use_options(self, p3_options: TaskOptions) -> None:
        self.p3_options = p3_options
        if (p3_options.retry_delays or p3_options.retry_condition_fn
                or p3_options.retry_jitter_factor):
            from prefectlite.eager.task_extras import retry_policy

            self.retry_policy = retry_policy

    def _hook_decorator(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if self.p3_options is None:
            self.p3_options = TaskOptions(f"Task {self.name!r}")
        self.p3_options.add_hook(name, fn)
        return fn

    def on_commit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(txn)`` when a completed run of this task commits."""
        return self._hook_decorator("on_commit", fn)

    def on_rollback(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(txn)`` when a completed run of this task is rolled back."""
        return self._hook_decorator("on_rollback", fn)

    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(task, task_run, state)`` when a run completes."""
        return self._hook_decorator("on_completion", fn)

    def on_running(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(task, task_run, state)`` when a run starts."""
        return self._hook_decorator("on_running", fn)

    def on_crashed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(task, task_run, state)`` when a run crashes."""
        return self._hook_decorator("on_crashed", fn)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("__doc__"), _FunctionDoc):
            cls.__doc__ = _FunctionDoc(cls.__dict__.get("__doc__"))  # type: ignore[assignment]

    def __getattr__(self, attr: str) -> Any:
        """``__name__``, ``__qualname__``, ``__wrapped__`` ... of the function (shared dict)."""
        if attr != "_meta":  # (not yet set while unpickling)
            try:
                return self._meta[attr]
            except (AttributeError, KeyError):
                pass
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def _run_signature(self) -> inspect.Signature:
        try:
            return self._meta[SIGNATURE_ATTR]  # type: ignore[no-any-return]
        except (AttributeError, KeyError):
            return super()._run_signature()

    @property
    def fn(self) -> Callable[..., Any]:
        """The wrapped function (call it to run the code without any flow)."""
        return self.run

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """A task defined in a class body whose first argument is ``self`` binds to the
        instance, like a method (a task merely kept as a class attribute does not)."""
        if instance is None or not self._is_method:
            return self
        bound = self.copy()
        assert isinstance(bound, FunctionTask)
        bound.run = types.MethodType(self.run, instance)
        bound._meta = {
            **self._meta,
            SIGNATURE_ATTR: check_run_signature(bound.run, f"Task {self.name!r}"),
        }
        bound._is_method = False
        return bound

    def with_options(self, **options: Any) -> FunctionTask:
        """A new task with the same function and some options changed (Prefect 3 API)."""
        return type(self)(self.run, **{**self._options, **options})

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task on the flow's task runner; return a ``PrefectFuture`` (eager flows).

        ``return_state=True`` waits and returns the state; ``wait_for=[...]`` adds
        dependencies whose values are not passed.
        """
        run = context.get("_eager_run")
        if run is None or context.get("flow") is not None:
            raise self._no_eager_run("submit")
        return run.submit_task(self, args, kwargs)

    def map(self, *args: Any, upstream_tasks: Any = None, flow: Any = None,
            task_args: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Map the task over its iterable arguments.

        Inside ``with Flow()``: one mapped graph node (Prefect 1). Inside a running eager flow:
        one submitted run per element, returned as a list of futures (Prefect 3).
        """
        if flow is None:
            flow = context.get("flow")
            if flow is None:
                run = context.get("_eager_run")
                if run is None:
                    self._resolve_flow(None, "map")
                task = self.copy(**task_args) if task_args else self
                if upstream_tasks:
                    kwargs["wait_for"] = [*kwargs.get("wait_for", ()), *upstream_tasks]
                return run.map_task(task, args, kwargs)
        return super().map(*args, upstream_tasks=upstream_tasks, flow=flow,
                           task_args=task_args, **kwargs)

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        """Background task workers need a Prefect server; prefectlite has none."""
        raise self._server_only("delay")

    def serve(self, *args: Any, **kwargs: Any) -> Any:
        """Serving tasks to workers needs a Prefect server; prefectlite has none."""
        raise self._server_only("serve")

    def _server_only(self, verb: str) -> Exception:
        from prefectlite.exceptions import ServerOnlyError

        return ServerOnlyError(
            f"{self.name}.{verb}() hands the run to a task worker through a Prefect server, "
            f"and prefectlite runs without one; use {self.name}.submit(...) inside a flow "
            "(a task runner runs it in the background) instead.")

    def _no_eager_run(self, verb: str) -> Exception:
        from prefectlite.exceptions import FlowContextError

        where = ("inside `with Flow(...)`, call the task instead (it builds a graph node)"
                 if context.get("flow") is not None else "no eager flow is running")
        return FlowContextError(
            f"{self.name}.{verb}() needs a running eager flow: call it inside a function "
            f"decorated with `@flow` (from prefectlite import flow); {where}. To run the "
            f"task's code directly, call `{self.name}.fn(...)`."
        )
