"""``Task``: one unit of work, and the functional API that records task calls into a flow.

Calling a task inside ``with Flow(...)`` runs nothing: it copies the task and *binds* the
arguments, recording an edge from every upstream task (and a constant for every plain value)
in the active flow. ``bind`` does the same without copying; ``map`` binds with mapped edges.

Defaults of the many task options live on the class, so an instance (and each of the many
copies the functional API makes) only carries the options that differ from them. The signature
of ``run()`` is inspected once per class or function and cached.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prefectlite import triggers as _triggers
from prefectlite.configuration import config as _config
from prefectlite.exceptions import FlowContextError, TaskDefinitionError
from prefectlite.utilities.context import _current, context

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

RESERVED_ARGUMENTS = ("upstream_tasks", "mapped", "task_args", "flow")
_LOGGERS: dict[str, logging.Logger] = {}  # task name -> logger (logging.getLogger locks)
_SIGNATURE_ATTR = "_prefectlite_run_signature"


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
            f"{owner}: its run function cannot be inspected ({exc}); builtin and C functions "
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


class _TaskMeta(type):
    """Checks each Task subclass's ``run()`` signature when the class is defined."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict, **kwargs: Any) -> _TaskMeta:
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
    timeout
        Seconds (or a ``timedelta``) a run may take before it is ``TimedOut`` (default: the
        configuration's ``tasks.defaults.timeout``, none by default).
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
        Number of results ``run()`` returns as a tuple, allowing ``a, b = task(...)``.
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
    timeout: float | None = None
    trigger: Callable[..., bool] = staticmethod(_triggers.all_successful)
    skip_on_upstream_skip: bool = True
    cache_for: timedelta | None = None
    cache_validator: Callable[..., bool] | None = None
    cache_key: str | None = None
    checkpoint: bool | None = None
    result: Any = None
    target: str | Callable[..., str] | None = None
    state_handlers: tuple[Callable[..., Any], ...] | list[Callable[..., Any]] = ()
    on_failure: Callable[..., Any] | None = None
    log_stdout: bool = False
    nout: int | None = None
    task_run_name: str | Callable[..., str] | None = None
    auto_generated: bool = False

    def __init__(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Iterable[str] | None = None,
        max_retries: int | None = None,
        retry_delay: timedelta | None = None,
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
        self._init_retries(max_retries, retry_delay, owner)
        if timeout is not None:
            self.timeout = _as_seconds(timeout, owner)
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
        for attr, value in (
            ("checkpoint", checkpoint), ("result", result), ("target", target),
            ("task_run_name", task_run_name),
        ):
            if value is not None:
                setattr(self, attr, value)
        if log_stdout:
            self.log_stdout = True
        if nout is not None:
            if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
                raise TaskDefinitionError(f"{owner}: nout={nout!r} must be a positive integer.")
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

    def _init_retries(self, max_retries: int | None, delay: timedelta | None, owner: str) -> None:
        max_retries = max_retries or 0
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise TaskDefinitionError(f"{owner}: max_retries={max_retries!r} must be an int >= 0.")
        if max_retries and delay is None:
            raise TaskDefinitionError(
                f"{owner}: max_retries={max_retries} needs a retry_delay, e.g. "
                "retry_delay=datetime.timedelta(seconds=10) (use timedelta(0) for no wait)."
            )
        if delay is not None and not max_retries:
            raise TaskDefinitionError(
                f"{owner}: retry_delay is set but max_retries is not; pass max_retries > 0."
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
        if cache_for is not None:
            self.cache_for = cache_for
        if validator is not None:
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
            self.state_handlers = handlers
        if on_failure is not None:
            if not callable(on_failure):
                raise TypeError(f"{owner}: on_failure={on_failure!r} is not callable.")
            self.on_failure = on_failure

    # -- identity and introspection ------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"

    __hash__ = object.__hash__  # tasks are graph nodes, compared by identity

    @property
    def logger(self) -> logging.Logger:
        """The logger of this task: ``prefectlite.Task: {name}``."""
        log = _LOGGERS.get(self.name)
        if log is None:
            log = _LOGGERS[self.name] = logging.getLogger(f"prefectlite.Task: {self.name}")
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
        """Each ``run()`` argument with whether it is required and its annotated type."""
        return {
            name: {
                "required": p.default is p.empty and p.kind is not p.VAR_KEYWORD,
                "type": Any if p.annotation is p.empty else p.annotation,
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
        ``task_args``, plus those of enclosing ``tags()`` blocks.
        """
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
                raise AttributeError(f"{self!r} has no attribute {attr!r} to set in copy().")
            setattr(new, attr, value)
        ctx = _current.get()  # (the context's dict: once per task call)
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
        flow = self._resolve_flow(flow, "bind")
        callargs = self._bind_arguments(args, kwargs)
        flow.set_dependencies(
            task=self, upstream_tasks=upstream_tasks, keyword_tasks=callargs, mapped=mapped,
            validate=False,
        )
        _register_with_blocks(self, flow)
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
        new = self.copy(**(task_args or {}))
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
            where = "the call" if verb == "call" else f"{verb}()"
            raise FlowContextError(
                f"Could not find an active flow to {verb} {self!r} in. To build a graph, "
                f"call it inside a `with Flow(...):` block, or pass `flow=` to {where}; to "
                "run it now, call it inside a function decorated with `@flow` (from "
                "prefectlite import flow). To run the task's code directly (in a test, "
                f"say), call `{self.name}.run(...)` (or `{self.name}.fn(...)`)."
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
    ) -> None:
        """Add dependencies of this task in the active or given flow (``Flow.set_dependencies``)."""
        self._resolve_flow(flow, "set_dependencies").set_dependencies(
            task=self, upstream_tasks=upstream_tasks, downstream_tasks=downstream_tasks,
            keyword_tasks=keyword_tasks, mapped=mapped, validate=validate,
        )

    def set_upstream(
        self, task: Any, flow: Flow | None = None, key: str | None = None, mapped: bool = False
    ) -> None:
        """Make ``task`` upstream of this one (passing its result as ``key`` when given)."""
        flow = self._resolve_flow(flow, "set_upstream")
        if key is None:
            flow.set_dependencies(self, upstream_tasks=[task], mapped=mapped)
        else:
            flow.set_dependencies(self, keyword_tasks={key: task}, mapped=mapped)

    def set_downstream(
        self, task: Task, flow: Flow | None = None, key: str | None = None, mapped: bool = False
    ) -> None:
        """Make ``task`` downstream of this one (receiving this result as ``key`` when given)."""
        flow = self._resolve_flow(flow, "set_downstream")
        if key is None:
            flow.set_dependencies(task, upstream_tasks=[self], mapped=mapped)
        else:
            flow.set_dependencies(task, keyword_tasks={key: self}, mapped=mapped)

    def pipe(self, _task: Task, **kwargs: Any) -> Any:
        """``self.pipe(other, y=1)`` is ``other(self, y=1)``: chain calls left to right."""
        return _task(self, **kwargs)

    # -- operators: each builds an operator task in the active flow ----------------------

    def __iter__(self) -> Iterator[Task]:
        if self.nout is None:
            raise TypeError(
                f"{self!r} is not iterable. If run() returns several values, give the task "
                "nout=N (e.g. @task(nout=2)) to unpack them, or index the task: t[0]."
            )
        return (self[i] for i in range(self.nout))

    def __getitem__(self, key: Any) -> Task:
        return _operator("GetItem", self, key)

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
    ("floordiv", "FloorDiv"), ("mod", "Mod"), ("pow", "Pow"), ("and", "And"), ("or", "Or"),
]:
    setattr(Task, f"__{_dunder}__", _binary(_op))
    setattr(Task, f"__r{_dunder}__", _binary(_op, reflected=True))
for _dunder, _op in [("gt", "GreaterThan"), ("ge", "GreaterThanOrEqual"),
                     ("lt", "LessThan"), ("le", "LessThanOrEqual")]:
    setattr(Task, f"__{_dunder}__", _binary(_op))
del _dunder, _op


def _register_with_blocks(task: Task, flow: Flow) -> None:
    """Let enclosing ``case`` / resource-manager blocks attach the task just bound."""
    for block in _current.get().get("_blocks", ()):
        block.add_task(task, flow)


__all__ = ["Task", "RESERVED_ARGUMENTS"]
