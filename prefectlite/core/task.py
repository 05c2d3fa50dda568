"""``Task``: one unit of work, and the functional API that records task calls into a flow.

Calling a task inside ``with Flow(...)`` runs nothing: it copies the task and *binds* the
arguments, recording an edge from every upstream task (and a constant for every plain value)
in the active flow. ``bind`` does the same without copying; ``map`` binds with mapped edges.

Defaults of the many task options live on the class, so an instance (and each of the many
copies the functional API makes) only carries the options that differ from them. The signature
of ``run()`` is inspected once per class or function and cached.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prefectlite import triggers as _triggers
from prefectlite.configuration import config as _config
from prefectlite.engine import cache_validators as _validators
from prefectlite.exceptions import FlowContextError, TaskDefinitionError
from prefectlite.utilities.context import _current, context

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

RESERVED_ARGUMENTS = ("upstream_tasks", "mapped", "task_args", "flow")
_LOGGERS: dict[str, logging.Logger] = {}  # task name -> logger (logging.getLogger locks)
_SIGNATURE_ATTR = "_prefectlite_run_signature"
#: attributes ``Task.__init__`` sets; a subclass that sets one itself before calling it is warned
RESERVED_ATTRIBUTES = (
    "auto_generated", "cache_for", "cache_key", "cache_validator", "checkpoint", "log_stdout",
    "logger", "max_retries", "name", "nout", "result", "retry_delay", "retry_on",
    "skip_on_upstream_skip", "slug", "state_handlers", "tags", "target", "task_run_name",
    "timeout", "trigger",
)


def _check_run_signature(
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


def _forget_copy(task: Task) -> None:
    """Drop ``task`` from the unused-task tracker of the flow being built (if any)."""
    tracker = _current.get().get("_unused_task_tracker")
    if tracker is not None:
        tracker.discard(task)


def _warn_on_task_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a subclass's ``__init__``: passing a task to it is almost always a mistake
    (task results are passed when the task is *called* in a flow, not when it is created)."""

    @functools.wraps(init)
    def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if any(isinstance(a, Task) for a in (*args, *kwargs.values())):
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


def _infer_nout(sig: inspect.Signature, run: Any) -> int | None:
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


class _TaskMeta(type):
    """Checks each Task subclass's ``run()`` signature when the class is defined, and wraps
    its ``__init__`` to warn when a task is passed to it."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict, **kwargs: Any) -> _TaskMeta:
        if "__init__" in namespace:
            namespace = {**namespace, "__init__": _warn_on_task_arguments(namespace["__init__"])}
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if "run" in namespace:
            sig = _check_run_signature(namespace["run"], f"Task {name}", is_method=True)
            setattr(cls, _SIGNATURE_ATTR, sig)
        return cls


_SIMPLE: dict[int, tuple[inspect.Signature, tuple[tuple[str, ...], int] | None]] = {}


def _simple_parameters(sig: inspect.Signature) -> tuple[tuple[str, ...], int] | None:
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


def _result_at_target(result: Any, target: Any, stacklevel: int) -> Any:
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


def _whole_seconds(timeout: int | float | timedelta, owner: str) -> int:
    """Prefect 1's ``timeout``: whole seconds, as an ``int`` or a ``timedelta`` (a float is
    an error that says so)."""
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
    return _as_seconds(timeout, owner)  # type: ignore[return-value]


def _as_seconds(timeout: int | float | timedelta | None, owner: str) -> float | None:
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


class _OwnList:
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


class _CallSignature:
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


class Task(metaclass=_TaskMeta):
    """A unit of work: subclass it and implement ``run()``, or use the ``@task`` decorator.

    Parameters
    ----------
    name
        Display name (default: the class name).
    slug
        Identifier unique within a flow; generated as ``"{name}-{n}"`` when the task is added.
    tags
        Tags for this task (enclosing ``tags(...)`` blocks add theirs).
    max_retries, retry_delay
        How many times a failed run is retried, and how long to wait in between
        (``retry_delay`` is required when ``max_retries > 0``). When not given, the
        configuration's ``tasks.defaults`` apply (none by default).
    retry_on
        An exception type, or several: retry only a failure whose exception is one of them
        (needs ``max_retries``).
    timeout
        Whole seconds (an ``int`` or a ``timedelta``) a run may take before it is ``TimedOut``
        (``@task(timeout_seconds=0.5)`` takes fractions of a second); default: the
        configuration's ``tasks.defaults.timeout``, none by default.
    trigger
        Decides from the upstream states whether the task runs (default
        :func:`prefectlite.triggers.all_successful`).
    skip_on_upstream_skip
        Skip this task when an upstream task was skipped (default ``True``).
    cache_for, cache_validator, cache_key
        Output caching: how long, how to validate, and a key shared between tasks.
    checkpoint, result, target
        Persist the result with the ``Result`` ``result``; skip the run when ``target`` exists.
    state_handlers
        Callables ``(task, old_state, new_state) -> State | None`` called on each transition.
    on_failure
        Callable ``(task, state)`` called when the task fails.
    log_stdout
        Send what ``run()`` prints to the task's logger.
    nout
        Number of results ``run()`` returns as a tuple, allowing ``a, b = task(...)``;
        inferred from a ``-> Tuple[int, int]`` return annotation when not given.
    task_run_name
        Name of each run: a ``str.format`` template over the run's inputs and context, or a
        callable receiving them as keyword arguments.

    Examples
    --------
    >>> class AddTask(Task):
    ...     def run(self, x, y=1):
    ...         return x + y
    >>> AddTask(name="add", max_retries=2, retry_delay=timedelta(seconds=1))
    <Task: add>
    """

    # Defaults live on the class: instances store only what differs (memory per task copy).
    slug: str | None = None
    tags: frozenset[str] | set[str] = frozenset()
    max_retries: int = 0
    retry_delay: timedelta | None = None
    retry_on: set[type[Exception]] | None = None
    timeout: float | None = None
    trigger: Callable[..., bool] = staticmethod(_triggers.all_successful)
    skip_on_upstream_skip: bool = True
    cache_for: timedelta | None = None
    cache_validator: Callable[..., bool] = staticmethod(_validators.never_use)
    cache_key: str | None = None
    checkpoint: bool | None = None
    result: Any = None
    target: str | Callable[..., str] | None = None
    state_handlers: list[Callable[..., Any]] = _OwnList("state_handlers")  # type: ignore[assignment]
    on_failure: Callable[..., Any] | None = None
    log_stdout: bool = False
    nout: int | None = None
    task_run_name: str | Callable[..., str] | None = None
    auto_generated: bool = False
    #: a clean-up task that never counts as a reference task (see Flow.reference_tasks)
    _reference_passthrough: bool = False
    __signature__ = _CallSignature()

    def __init__(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Iterable[str] | None = None,
        max_retries: int | None = None,
        retry_delay: timedelta | None = None,
        retry_on: type[Exception] | Iterable[type[Exception]] | None = None,
        timeout: int | float | timedelta | None = None,
        trigger: Callable[..., bool] | None = None,
        skip_on_upstream_skip: bool = True,
        cache_for: timedelta | None = None,
        cache_validator: Callable[..., bool] | None = None,
        cache_key: str | None = None,
        checkpoint: bool | None = None,
        state_handlers: Iterable[Callable[..., Any]] | None = None,
        on_failure: Callable[..., Any] | None = None,
        log_stdout: bool = False,
        result: Any = None,
        target: str | Callable[..., str] | None = None,
        task_run_name: str | Callable[..., str] | None = None,
        nout: int | None = None,
    ) -> None:
        if type(self) is not Task and self.__dict__:
            for attr in RESERVED_ATTRIBUTES:
                if attr in self.__dict__:
                    warnings.warn(
                        f"`{type(self).__name__}` sets a `{attr}` attribute, which will be "
                        "overwritten by `prefectlite.Task`. Please rename this attribute to "
                        "avoid this issue.", UserWarning, stacklevel=2,
                    )
        self.name = name or type(self).__name__
        owner = f"Task {self.name!r}"
        if slug is not None:
            self.slug = slug
        self._init_tags(tags, owner)
        if max_retries is None or (retry_delay is None and max_retries) or timeout is None:
            # unset: the configuration's tasks.defaults, as Prefect 1
            defaults = _task_defaults()
            if max_retries is None:
                max_retries = defaults.get("max_retries") or 0
            if retry_delay is None and max_retries:
                retry_delay = defaults.get("retry_delay")
                if isinstance(retry_delay, int | float) and not isinstance(retry_delay, bool):
                    retry_delay = timedelta(seconds=retry_delay)
            if timeout is None:
                timeout = defaults.get("timeout") or None
        self._init_retries(max_retries, retry_delay, retry_on, owner)
        if timeout is not None:
            self.timeout = _whole_seconds(timeout, owner)
        if trigger is not None:
            if not callable(trigger):
                raise TaskDefinitionError(
                    f"{owner}: trigger={trigger!r} is not callable; pass a function of the "
                    "upstream states such as prefectlite.triggers.all_finished."
                )
            self.trigger = trigger
        if not skip_on_upstream_skip:
            self.skip_on_upstream_skip = False
        self._init_caching(cache_for, cache_validator, cache_key, owner)
        self._init_handlers(state_handlers, on_failure, owner)
        if target and result is not None:
            result = _result_at_target(result, target, stacklevel=3)
        for attr, value in (
            ("checkpoint", checkpoint), ("result", result), ("target", target),
            ("task_run_name", task_run_name),
        ):
            if value is not None:
                setattr(self, attr, value)
        if log_stdout:
            self.log_stdout = True
        if nout is None:
            nout = _infer_nout(self._run_signature(), getattr(self, "run", None))
        elif isinstance(nout, bool) or not isinstance(nout, int) or nout < 0:
            raise TaskDefinitionError(f"{owner}: nout={nout!r} must be an integer >= 0.")
        if nout is not None:
            self.nout = nout
        tracker = _current.get().get("_unused_task_tracker")
        if tracker is not None:  # created inside `with Flow()`: warn at exit if never used
            tracker.add(self)

    # -- __init__ steps ------------------------------------------------------------------

    def _init_tags(self, tags: Iterable[str] | None, owner: str) -> None:
        if isinstance(tags, str):
            raise TypeError(f"{owner}: tags must be a collection of strings, not one string.")
        merged = set(tags or ()) | set(context.get("tags", ()))
        if merged:
            self.tags = merged

    def _init_retries(
        self, max_retries: int | None, delay: timedelta | None, retry_on: Any, owner: str
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
            self.retry_on = types
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
            self.max_retries, self.retry_delay = max_retries, delay

    def _init_caching(
        self, cache_for: timedelta | None, validator: Callable[..., bool] | None,
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
            self.cache_for = cache_for
            self.cache_validator = validator or _validators.duration_only
        elif validator is not None:
            self.cache_validator = validator
        if cache_key is not None:
            self.cache_key = cache_key

    def _init_handlers(
        self, handlers: Iterable[Callable[..., Any]] | None, on_failure: Callable[..., Any] | None,
        owner: str,
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
            self.state_handlers = handlers

    # -- identity and introspection ------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"

    __hash__ = object.__hash__  # tasks are graph nodes, compared by identity

    @property
    def logger(self) -> logging.Logger:
        """The logger of this task: ``prefectlite.{name}`` (as Prefect 1's ``prefect.{name}``)."""
        log = _LOGGERS.get(self.name)
        if log is None:
            log = _LOGGERS[self.name] = logging.getLogger(f"prefectlite.{self.name}")
        return log

    if TYPE_CHECKING:  # subclasses define run() with their own arguments
        run: Callable[..., Any]
    else:

        def run(self):
            """The work of the task; subclasses implement it. Called with the bound arguments."""

    def _run_signature(self) -> inspect.Signature:
        sig = getattr(self, _SIGNATURE_ATTR, None)  # the instance's, else its class's
        if sig is None:  # Task itself, whose run() takes nothing
            sig = inspect.Signature()
        return sig

    def inputs(self) -> dict[str, dict[str, Any]]:
        """Each ``run()`` argument with its annotated ``type``, whether it is ``required`` and
        its ``default`` (``None`` when required)."""
        return {
            name: {
                "type": Any if p.annotation is p.empty else p.annotation,
                "required": p.default is p.empty,
                "default": None if p.default is p.empty else p.default,
            }
            for name, p in self._run_signature().parameters.items()
        }

    def outputs(self) -> Any:
        """The return annotation of ``run()`` (``Any`` when there is none)."""
        annotation = self._run_signature().return_annotation
        return Any if annotation is inspect.Signature.empty else annotation

    # -- copying and binding -------------------------------------------------------------

    def copy(self, **task_args: Any) -> Task:
        """A new task with the same configuration, not part of any flow yet.

        ``task_args`` set attributes of the copy (each must already be an attribute). The copy
        gets a fresh slug unless one is given; its tags are the original's, plus any given in
        ``task_args``, plus those of enclosing ``tags()`` blocks. Copying a task that has
        dependencies in the active flow warns: the copy has none of them.
        """
        ctx = _current.get()  # (the context's dict: once per task call)
        flow = ctx.get("flow")
        if flow is not None:
            graph = flow._graph
            if self in graph._node and (graph._pred[self] or graph._succ[self]):
                warnings.warn(
                    "You are making a copy of a task that has dependencies on or to other "
                    "tasks in the active flow context. The copy will not retain those "
                    "dependencies.", UserWarning, stacklevel=2,
                )
        new = object.__new__(type(self))
        # Attribute by attribute, not new.__dict__.update(): an instance whose __dict__ is
        # never asked for keeps its attributes inline, without a dict object (memory, GC).
        for attr, value in self.__dict__.items():
            if attr != "slug":
                try:
                    object.__setattr__(new, attr, value)
                except AttributeError:  # shadowed by a read-only descriptor of the class
                    new.__dict__[attr] = value
        for attr, value in task_args.items():
            if not hasattr(new, attr):
                raise AttributeError(f"{self!r} does not have {attr} as an attribute")
            setattr(new, attr, value)
        if task_args and new.target and new.result is not None:
            new.result = _result_at_target(new.result, new.target, stacklevel=2)
        tracker = ctx.get("_unused_task_tracker")
        if tracker is not None:  # built in `with Flow()`: the copy, not self, awaits use
            tracker.discard(self)
            tracker.add(new)
        ctx_tags = ctx.get("tags")
        if ctx_tags or "tags" in task_args:  # like Prefect 1: a set, the original's tags kept
            new.tags = set(self.tags) | set(new.tags) | set(ctx_tags or ())
        return new

    def __call__(
        self,
        *args: Any,
        mapped: bool = False,
        task_args: dict[str, Any] | None = None,
        upstream_tasks: Iterable[Any] | None = None,
        flow: Flow | None = None,
        **kwargs: Any,
    ) -> Any:
        """Copy this task and bind the arguments in the active (or given) flow.

        With no flow being built but an eager ``@flow`` running (the context's
        ``_eager_run``), the task runs now instead and its result is returned (see
        :mod:`prefectlite.eager.task_calls`).
        """
        if flow is None:
            flow = _current.get().get("flow")
            if flow is None:
                run = context.get("_eager_run")
                if run is not None:
                    return run.call_task(self, args, kwargs, mapped=mapped, task_args=task_args,
                                         upstream_tasks=upstream_tasks)
                self._resolve_flow(None, "call")  # raises: say how to do either
        new = self.copy(**(task_args or {}))
        try:
            return new.bind(
                *args, mapped=mapped, upstream_tasks=upstream_tasks, flow=flow, **kwargs
            )
        except BaseException:
            _forget_copy(new)  # the failed call left nothing in the flow: nothing to warn of
            raise

    def bind(
        self,
        *args: Any,
        mapped: bool = False,
        upstream_tasks: Iterable[Any] | None = None,
        flow: Flow | None = None,
        **kwargs: Any,
    ) -> Task:
        """Bind arguments to this task (no copy) in the active or given flow; return the task.

        Tasks among the arguments become upstream tasks whose results are passed in; other
        values become constants of the flow; ``upstream_tasks`` add state-only dependencies.
        """
        callargs = self._bind_arguments(args, kwargs)
        flow = self._resolve_flow(flow, "bind")
        flow.set_dependencies(
            task=self, upstream_tasks=upstream_tasks, keyword_tasks=callargs, mapped=mapped,
            validate=False,
        )
        ctx_tags = context.get("tags")
        if ctx_tags and not set(ctx_tags) <= set(self.tags):
            self.tags = set(self.tags) | set(ctx_tags)
        return self

    def map(
        self,
        *args: Any,
        upstream_tasks: Iterable[Any] | None = None,
        flow: Flow | None = None,
        task_args: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Task:
        """Copy this task and bind its arguments as mapped: one child run per element.

        Wrap an argument in :class:`~prefectlite.utilities.edges.unmapped` to pass it whole to
        every child, or in :class:`~prefectlite.utilities.edges.flatten` to map over the
        concatenation of a list of lists.
        """
        from prefectlite.utilities.edges import EdgeAnnotation

        for arg in args:  # (plain keyword values are passed whole to every child)
            if not hasattr(arg, "__getitem__") and not isinstance(arg, EdgeAnnotation):
                raise TypeError(
                    f"Cannot map over unsubscriptable object of type {type(arg)}: "
                    f"{repr(arg)[:10]}... ({self!r}.map(); wrap values that are the same for "
                    "every child in unmapped(...))"
                )
        task_args = {"nout": None, **(task_args or {})}  # a mapped task's result is a list
        new = self.copy(**task_args)
        try:
            return new.bind(
                *args, mapped=True, upstream_tasks=upstream_tasks, flow=flow, **kwargs
            )
        except BaseException:
            _forget_copy(new)
            raise

    def _resolve_flow(self, flow: Flow | None, verb: str) -> Flow:
        flow = flow if flow is not None else context.get("flow")
        if flow is None:
            if verb not in ("call", "bind", "map", "add"):
                raise FlowContextError(
                    f"No Flow was passed, and could not infer an active Flow context ({self!r}."
                    f"{verb}(): call it inside `with Flow(...):` or pass flow=)."
                )
            from prefectlite.tasks.core.function import FunctionTask

            is_fn = isinstance(self, FunctionTask)
            shown = self.name if is_fn else f"{type(self).__name__}(...)"
            fn_too = f"; to call its function directly, use `{shown}.fn(...)`" if is_fn else ""
            # Prefect 1's last sentence stays last and whole: tests look for it in reprs,
            # which keep a long message's beginning and end.
            raise FlowContextError(
                f"Could not infer an active Flow context while creating edge to {self}. This "
                "often means you called a task outside a `with Flow(...)` block. To run it "
                "now as part of an eager flow, call it inside a function decorated with "
                f"`@flow` (from prefectlite import flow){fn_too}. If you're trying to run this "
                f"task outside of a Flow context, you need to call `{shown}.run(...)`"
            )
        return flow

    def _bind_arguments(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        sig = self._run_signature()
        simple = _simple_parameters(sig)
        if simple is not None and len(args) <= len(simple[0]):
            # Fast path of sig.bind() for run(a, b=1, ...): same result, in parameter order.
            names, required = simple
            n = len(args)
            callargs = dict(zip(names, args))
            if not kwargs:
                if n >= required:
                    return callargs
            else:
                rest = names[n:]
                if all(k in rest for k in kwargs) and all(k in kwargs for k in names[n:required]):
                    for name in rest:
                        if name in kwargs:
                            callargs[name] = kwargs[name]
                    return callargs
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self!r}: {exc} (run{sig})") from None
        callargs = bound.arguments
        for name, param in sig.parameters.items():  # flatten **kwargs into plain keys
            if param.kind is param.VAR_KEYWORD and name in callargs:
                callargs.update(callargs.pop(name))
        return callargs

    # -- imperative API ------------------------------------------------------------------

    def set_dependencies(
        self,
        flow: Flow | None = None,
        upstream_tasks: Iterable[Any] | None = None,
        downstream_tasks: Iterable[Any] | None = None,
        keyword_tasks: dict[str, Any] | None = None,
        mapped: bool = False,
        validate: bool | None = None,
    ) -> Task:
        """Add dependencies of this task in the active or given flow (``Flow.set_dependencies``);
        return this task, so that calls can be chained."""
        self._resolve_flow(flow, "set_dependencies").set_dependencies(
            task=self, upstream_tasks=upstream_tasks, downstream_tasks=downstream_tasks,
            keyword_tasks=keyword_tasks, mapped=mapped, validate=validate,
        )
        return self

    def set_upstream(
        self, task: Any, flow: Flow | None = None, key: str | None = None, mapped: bool = False
    ) -> Task:
        """Make ``task`` upstream of this one (passing its result as ``key`` when given);
        return this task."""
        flow = self._resolve_flow(flow, "set_upstream")
        if key is None:
            flow.set_dependencies(self, upstream_tasks=[task], mapped=mapped)
        else:
            flow.set_dependencies(self, keyword_tasks={key: task}, mapped=mapped)
        return self

    def set_downstream(
        self, task: Task, flow: Flow | None = None, key: str | None = None, mapped: bool = False
    ) -> Task:
        """Make ``task`` downstream of this one (receiving this result as ``key`` when given);
        return this task."""
        flow = self._resolve_flow(flow, "set_downstream")
        if key is None:
            flow.set_dependencies(task, upstream_tasks=[self], mapped=mapped)
        else:
            flow.set_dependencies(task, keyword_tasks={key: self}, mapped=mapped)
        return self

    def pipe(_prefectlite_self, _prefectlite_task: Any, **kwargs: Any) -> Any:  # noqa: N805
        """``self.pipe(other, y=1)`` is ``other(self, y=1)``: chain calls left to right.

        ``self.pipe(unmapped)`` (an edge annotation class) wraps this task in it instead.
        """
        from prefectlite.core.as_task import as_task
        from prefectlite.utilities.edges import EdgeAnnotation

        if "self" in kwargs:
            raise ValueError('You cannot use the keyword argument "self" in .pipe.')
        target = _prefectlite_task
        if isinstance(target, type) and issubclass(target, EdgeAnnotation):
            return as_task(target(_prefectlite_self))
        return target(_prefectlite_self, **kwargs)

    # -- operators: each builds an operator task in the active flow ----------------------

    def __iter__(self) -> Iterator[Task]:
        if self.nout is None:
            raise TypeError(
                "Task is not iterable. If your task returns multiple results, pass `nout` to "
                "the task decorator/constructor, or provide a `Tuple` return-type annotation "
                f"to your task ({self!r}; or index it: t[0])."
            )
        return (self[i] for i in range(self.nout))

    def __getitem__(self, key: Any) -> Task:
        """A task whose result is ``self[key]``, named e.g. ``x[0]``; it keeps this task's
        ``checkpoint`` and ``result`` settings."""
        from prefectlite.tasks.core.operators import GetItem

        name = f"{self.name}[{key.name if isinstance(key, Task) else repr(key)}]"
        return GetItem(checkpoint=self.checkpoint, name=name, result=self.result).bind(self, key)

    def __or__(self, other: Any) -> Any:
        """``a | b`` makes ``b`` depend on ``a`` (state only, no data); returns ``b``."""
        self.set_dependencies(downstream_tasks=[other])
        return other

    def __ror__(self, other: Any) -> Task:
        """``x | self`` makes this task depend on ``x`` (state only); returns this task."""
        self.set_dependencies(upstream_tasks=[other])
        return self

    def is_equal(self, other: Any) -> Task:
        """A task whose result is ``self == other`` (``==`` itself compares identity)."""
        return _operator("Equal", self, other)

    def is_not_equal(self, other: Any) -> Task:
        """A task whose result is ``self != other``."""
        return _operator("NotEqual", self, other)

    def not_(self) -> Task:
        """A task whose result is ``not self``."""
        return _operator("Not", self)

    def or_(self, other: Any) -> Task:
        """A task whose result is ``self or other``."""
        return _operator("Or", self, other)

    def and_(self, other: Any) -> Task:
        """A task whose result is ``self and other``."""
        return _operator("And", self, other)


def _operator(name: str, *args: Any) -> Task:
    from prefectlite.tasks.core import operators

    op: Task = getattr(operators, name)()
    return op.bind(*args)


def _binary(name: str, reflected: bool = False) -> Callable[[Task, Any], Task]:
    if reflected:
        def method(self: Task, other: Any) -> Task:
            return _operator(name, other, self)
    else:
        def method(self: Task, other: Any) -> Task:
            return _operator(name, self, other)
    return method


for _dunder, _op in [
    ("add", "Add"), ("sub", "Sub"), ("mul", "Mul"), ("truediv", "Div"),
    ("floordiv", "FloorDiv"), ("mod", "Mod"), ("pow", "Pow"), ("and", "And"),
]:
    setattr(Task, f"__{_dunder}__", _binary(_op))
    setattr(Task, f"__r{_dunder}__", _binary(_op, reflected=True))
for _dunder, _op in [("gt", "GreaterThan"), ("ge", "GreaterThanOrEqual"),
                     ("lt", "LessThan"), ("le", "LessThanOrEqual")]:
    setattr(Task, f"__{_dunder}__", _binary(_op))
del _dunder, _op


def _join_open_blocks(task: Task, flow: Flow) -> None:
    """A task just added to ``flow`` joins the innermost open ``case`` block and resource
    block (context keys ``case`` and ``resource``), as in Prefect 1; Parameters and constants
    stay outside (they are root tasks)."""
    ctx = _current.get()
    case, resource = ctx.get("case"), ctx.get("resource")
    if (case is not None or resource is not None) and not getattr(task, "_root_only", False):
        if case is not None:
            case.add_task(task, flow)
        if resource is not None:
            resource.add_task(task, flow)


__all__ = ["Task", "RESERVED_ARGUMENTS", "RESERVED_ATTRIBUTES"]
