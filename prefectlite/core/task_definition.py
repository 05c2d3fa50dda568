"""How a task is defined: ``run()`` signature checks, the options ``Task.__init__`` validates,
and the descriptors and metaclass behind ``Task``'s class-level defaults.

Each check names the task and says how to fix the definition. ``check_run_signature`` and
``SIGNATURE_ATTR`` are shared with task classes that build their signature another way
(``FunctionTask``, resource managers).
"""

from __future__ import annotations

import functools
import inspect
import typing
import warnings
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prefectlite.configuration import config as _config
from prefectlite.engine import cache_validators as _validators
from prefectlite.exceptions import TaskDefinitionError
from prefectlite.utilities.context import context
from prefectlite.utilities.context import current_values as _current

if TYPE_CHECKING:
    from prefectlite.core.task import Task

RESERVED_ARGUMENTS = ("upstream_tasks", "mapped", "task_args", "flow")
#: where a task class (or instance) keeps the checked signature of its run()
SIGNATURE_ATTR = "_prefectlite_run_signature"
#: attributes ``Task.__init__`` sets; a subclass that sets one itself before calling it is warned
RESERVED_ATTRIBUTES = (
    "auto_generated", "cache_for", "cache_key", "cache_validator", "checkpoint", "log_stdout",
    "logger", "max_retries", "name", "nout", "result", "retry_delay", "retry_on",
    "skip_on_upstream_skip", "slug", "state_handlers", "tags", "target", "task_run_name",
    "timeout", "trigger",
)



def check_run_signature(
    run: Callable[..., Any], owner: str, is_method: bool = False
) -> inspect.Signature:
    """Return the signature of ``run`` (without ``self``) or say why it cannot be a task."""
    if isinstance(run, staticmethod | classmethod):
        run, is_method = run.__func__, isinstance(run, classmethod)
    func = inspect.unwrap(run)
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TaskDefinitionError(
            f"This function can not be inspected ({owner}: {exc}); builtin and C functions "
            "are common causes. Wrap it in a plain Python function and use that as the task."
        ) from None
    params = list(sig.parameters.values())
    if is_method and params:
        params = params[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        raise TaskDefinitionError(
            f"{owner}: run() takes *args, which tasks do not support because every task "
            "argument is stored by keyword. Accept **kwargs or named arguments instead."
        )
    reserved = [p.name for p in params if p.name in RESERVED_ARGUMENTS]
    if reserved:
        raise TaskDefinitionError(
            f"{owner}: run() uses the reserved argument name(s) {', '.join(reserved)}; "
            f"the names {', '.join(RESERVED_ARGUMENTS)} are used by task calls. Rename them."
        )
    return sig.replace(parameters=params)



def _warn_on_task_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a subclass's ``__init__``: passing a task to it is almost always a mistake
    (task results are passed when the task is *called* in a flow, not when it is created)."""

    @functools.wraps(init)
    def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if any(isinstance(type(a), TaskMeta) for a in (*args, *kwargs.values())):
            cls = type(self).__name__
            warnings.warn(
                f"A Task was passed as an argument to {cls}, you likely want to first "
                f"initialize {cls} with any static (non-Task) arguments, then call the "
                "initialized task with any dynamic (Task) arguments instead. For example:\n\n"
                f"  my_task = {cls}(...)  # static (non-Task) args go here\n"
                f"  res = my_task(...)  # dynamic (Task) args go here\n",
                UserWarning, stacklevel=2,
            )
        init(self, *args, **kwargs)

    return checked_init


def infer_nout(sig: inspect.Signature, run: Any) -> int | None:
    """How many values ``run()`` returns according to a ``-> tuple[...]`` annotation;
    ``None`` when there is no such annotation or its length varies."""
    ret = sig.return_annotation
    if ret is inspect.Signature.empty:
        return None
    if isinstance(ret, str):  # postponed annotations (from __future__ import annotations)
        if "uple" not in ret:
            return None
        try:
            ret = typing.get_type_hints(inspect.unwrap(run)).get("return")
        except Exception:
            return None
    if ret is tuple or ret is typing.Tuple or typing.get_origin(ret) is not tuple:  # noqa: UP006
        return None
    args = typing.get_args(ret)
    if args == ((),):  # Tuple[()]: an empty tuple
        return 0
    if len(args) == 2 and args[1] is Ellipsis:
        return None
    return len(args)


class TaskMeta(type):
    """Checks each Task subclass's ``run()`` signature when the class is defined, and wraps
    its ``__init__`` to warn when a task is passed to it."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict, **kwargs: Any) -> TaskMeta:
        if "__init__" in namespace:
            namespace = {**namespace, "__init__": _warn_on_task_arguments(namespace["__init__"])}
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if "run" in namespace:
            sig = check_run_signature(namespace["run"], f"Task {name}", is_method=True)
            setattr(cls, SIGNATURE_ATTR, sig)
        return cls


_SIMPLE: dict[int, tuple[inspect.Signature, tuple[tuple[str, ...], int] | None]] = {}


def simple_parameters(sig: inspect.Signature) -> tuple[tuple[str, ...], int] | None:
    """For a signature of positional-or-keyword parameters only: their names and how many
    (the first ones) have no default; ``None`` for any other signature. Cached by identity."""
    entry = _SIMPLE.get(id(sig))
    if entry is None or entry[0] is not sig:
        params = list(sig.parameters.values())
        simple = None
        if all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params):
            required = sum(1 for p in params if p.default is p.empty)
            if all(p.default is p.empty for p in params[:required]):
                simple = (tuple(p.name for p in params), required)
        if len(_SIMPLE) >= 4096:  # signatures made per bound method: keep the cache bounded
            _SIMPLE.clear()
        entry = _SIMPLE[id(sig)] = (sig, simple)
    return entry[1]


class _OnFailure:
    """The state handler ``on_failure=fn`` adds: calls ``fn(task, state)`` on a failed state."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", repr(fn))

    def __call__(self, task: Task, old_state: Any, new_state: Any) -> Any:
        if new_state.is_failed():
            self.fn(task, new_state)
        return new_state

    def __repr__(self) -> str:
        return f"on_failure({self.__name__})"


def result_at_target(result: Any, target: Any, stacklevel: int) -> Any:
    """A copy of ``result`` whose location is ``target`` (a target decides where it is kept)."""
    location = getattr(result, "location", None)
    if location and location != target:
        warnings.warn("Both `result.location` and `target` were provided. The `target` value "
                      "will be used.", UserWarning, stacklevel=stacklevel + 1)
    if not hasattr(result, "copy"):
        return result
    result = result.copy()
    result.location = target
    return result


def whole_seconds(timeout: int | float | timedelta, owner: str) -> int:
    """Prefect 1's ``timeout``: whole seconds, as an ``int`` or a ``timedelta``."""
    if isinstance(timeout, timedelta):
        if timeout.microseconds:
            warnings.warn(
                "Task timeouts do not support a sub-second resolution; smaller units will be "
                f"ignored! ({owner}; the Prefect 3 spelling timeout_seconds= takes fractions "
                "of a second)", UserWarning, stacklevel=4,
            )
        timeout = int(timeout.total_seconds())
    if isinstance(timeout, float):
        raise TypeError(
            f"Only integer timeouts (representing seconds) are supported ({owner}: "
            f"timeout={timeout!r}; @task(timeout_seconds=...) takes fractions of a second)."
        )
    return as_seconds(timeout, owner)  # type: ignore[return-value]


def as_seconds(timeout: int | float | timedelta | None, owner: str) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise TaskDefinitionError(
            f"{owner}: timeout={timeout!r} is not a positive number of seconds "
            "(or a datetime.timedelta)."
        )
    return timeout


def _task_defaults() -> Any:
    """The configuration's ``tasks.defaults`` section in effect (empty when it has none)."""
    config = _current.get().get("config") or _config
    tasks = config.get("tasks")
    return (tasks.get("defaults") if tasks is not None else None) or {}


class OwnList:
    """A class default that is an empty list of the instance's own, made on first access:
    ``Task().state_handlers == []`` and appending to it sticks, yet a task that never asks
    stores nothing (and neither do its many copies)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value: list[Any] = []
        instance.__dict__[self.name] = value
        return value


class CallSignature:
    """``inspect.signature(task)``: the run() parameters plus the keyword-only options of a
    task call; on the class itself ``inspect.signature(cls)`` stays that of ``__init__``."""

    def __get__(self, instance: Any, owner: type | None = None) -> inspect.Signature:
        if instance is None:
            raise AttributeError("__signature__")
        params = list(instance._run_signature().parameters.values())
        kinds = inspect.Parameter
        extra = [kinds(n, kinds.KEYWORD_ONLY, default=d) for n, d in
                 (("mapped", False), ("task_args", None), ("upstream_tasks", None),
                  ("flow", None))]
        var_kw = [p for p in params if p.kind is p.VAR_KEYWORD]
        params = [p for p in params if p.kind is not p.VAR_KEYWORD]
        return inspect.Signature([*params, *extra, *var_kw], return_annotation="Task")


# -- the steps of Task.__init__ (each checks one group of options) ----------------------


def warn_on_reserved_attributes(task: Task) -> None:
    """A subclass that set an attribute ``Task.__init__`` sets is warned (it is overwritten)."""
    for attr in RESERVED_ATTRIBUTES:
        if attr in task.__dict__:
            warnings.warn(
                f"`{type(task).__name__}` sets a `{attr}` attribute, which will be "
                "overwritten by `prefectlite.Task`. Please rename this attribute to "
                "avoid this issue.", UserWarning, stacklevel=4,
            )


def configured_defaults(
    max_retries: int | None, retry_delay: timedelta | None, timeout: Any
) -> tuple[int | None, timedelta | None, Any]:
    """Options not given take the configuration's ``tasks.defaults``, as in Prefect 1."""
    if max_retries is None or (retry_delay is None and max_retries) or timeout is None:
        defaults = _task_defaults()
        if max_retries is None:
            max_retries = defaults.get("max_retries") or 0
        if retry_delay is None and max_retries:
            retry_delay = defaults.get("retry_delay")
            if isinstance(retry_delay, int | float) and not isinstance(retry_delay, bool):
                retry_delay = timedelta(seconds=retry_delay)
        if timeout is None:
            timeout = defaults.get("timeout") or None
    return max_retries, retry_delay, timeout


def init_tags(task: Task, tags: Iterable[str] | None, owner: str) -> None:
    if isinstance(tags, str):
        raise TypeError(f"{owner}: tags must be a collection of strings, not one string.")
    merged = set(tags or ()) | set(context.get("tags", ()))
    if merged:
        task.tags = merged


def init_retries(
    task: Task, max_retries: int | None, delay: timedelta | None, retry_on: Any, owner: str
) -> None:
    max_retries = max_retries or 0
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise TaskDefinitionError(f"{owner}: max_retries={max_retries!r} must be an int >= 0.")
    if max_retries and delay is None:
        raise TaskDefinitionError(
            "A datetime.timedelta `retry_delay` must be provided if max_retries > 0 "
            f"({owner}: max_retries={max_retries}; use timedelta(0) for no wait)."
        )
    if retry_on:
        if not max_retries:
            raise TaskDefinitionError(
                f"A number of `max_retries` must be provided if `retry_on` is set ({owner})."
            )
        types = set(retry_on) if isinstance(retry_on, Iterable) else {retry_on}
        for exc_type in types:
            if not isinstance(exc_type, type):
                raise TypeError(
                    f"Invalid `retry_on` value {exc_type!r}. Expected an exception type but "
                    f"got an instance of {type(exc_type).__name__} ({owner})."
                )
            if not issubclass(exc_type, Exception):
                raise TypeError(
                    f"Invalid `retry_on` value {exc_type!r}. Expected an exception "
                    f"subclass ({owner})."
                )
        task.retry_on = types
    if delay is not None and not max_retries:
        raise TaskDefinitionError(
            "A `max_retries` argument greater than 0 must be provided if specifying a "
            f"retry delay ({owner})."
        )
    if delay is not None and not isinstance(delay, timedelta):
        raise TaskDefinitionError(
            f"{owner}: retry_delay={delay!r} must be a datetime.timedelta."
        )
    if max_retries:
        task.max_retries, task.retry_delay = max_retries, delay


def init_trigger(task: Task, trigger: Any, skip_on_upstream_skip: bool, owner: str) -> None:
    if trigger is not None:
        if not callable(trigger):
            raise TaskDefinitionError(
                f"{owner}: trigger={trigger!r} is not callable; pass a function of the "
                "upstream states such as prefectlite.triggers.all_finished."
            )
        task.trigger = trigger
    if not skip_on_upstream_skip:
        task.skip_on_upstream_skip = False


def init_results(task: Task, checkpoint: bool | None, result: Any, target: Any) -> None:
    if target and result is not None:  # (stacklevel: the caller of Task.__init__)
        result = result_at_target(result, target, stacklevel=4)
    for attr, value in (("checkpoint", checkpoint), ("result", result), ("target", target)):
        if value is not None:
            setattr(task, attr, value)


def init_caching(
    task: Task, cache_for: timedelta | None, validator: Callable[..., bool] | None,
    cache_key: str | None, owner: str,
) -> None:
    if cache_for is not None and not isinstance(cache_for, timedelta):
        raise TaskDefinitionError(f"{owner}: cache_for={cache_for!r} must be a timedelta.")
    if validator is not None and not callable(validator):
        raise TaskDefinitionError(f"{owner}: cache_validator={validator!r} is not callable.")
    if cache_for is None and validator is not None and validator is not _validators.never_use:
        warnings.warn(
            "cache_validator provided without specifying cache expiration (cache_for); "
            f"this Task will not be cached ({owner}).", UserWarning, stacklevel=4,
        )
    if cache_for is not None:
        task.cache_for = cache_for
        task.cache_validator = validator or _validators.duration_only
    elif validator is not None:
        task.cache_validator = validator
    if cache_key is not None:
        task.cache_key = cache_key


def init_handlers(
    task: Task, handlers: Iterable[Callable[..., Any]] | None,
    on_failure: Callable[..., Any] | None, owner: str,
) -> None:
    if handlers is not None:
        if isinstance(handlers, str) or not isinstance(handlers, Iterable):
            raise TypeError(f"{owner}: state_handlers must be a list of callables.")
        handlers = list(handlers)
        bad = [h for h in handlers if not callable(h)]
        if bad:
            raise TypeError(f"{owner}: state handler {bad[0]!r} is not callable.")
    if on_failure is not None:
        if not callable(on_failure):
            raise TypeError(f"{owner}: on_failure={on_failure!r} is not callable.")
        handlers = [*(handlers or ()), _OnFailure(on_failure)]
    if handlers:
        task.state_handlers = handlers
