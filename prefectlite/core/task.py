"""``Task``: one unit of work, and the functional API that records task calls into a flow.

Calling a task inside ``with Flow(...)`` runs nothing: it copies the task and *binds* the
arguments, recording an edge from every upstream task (and a constant for every plain value)
in the active flow. ``bind`` does the same without copying; ``map`` binds with mapped edges.

Defaults of the many task options live on the class, so an instance (and each of the many
copies the functional API makes) only carries the options that differ from them. The signature
of ``run()`` is inspected once per class or function and cached. The checks of the options are
in :mod:`prefectlite.core.task_definition`, the operators in :mod:`prefectlite.core.task_operators`.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prefectlite import triggers as _triggers
from prefectlite.core import task_definition as _definition
from prefectlite.core.task_definition import (
    RESERVED_ARGUMENTS,
    RESERVED_ATTRIBUTES,
    SIGNATURE_ATTR,
    CallSignature,
    OwnList,
    TaskMeta,
    infer_nout,
    result_at_target,
    simple_parameters,
    whole_seconds,
)
from prefectlite.core.task_operators import TaskOperators
from prefectlite.engine import cache_validators as _validators
from prefectlite.exceptions import FlowContextError, TaskDefinitionError
from prefectlite.utilities.context import context
from prefectlite.utilities.context import current_values as _current

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

_LOGGERS: dict[str, logging.Logger] = {}  # task name -> logger (logging.getLogger locks)


def _forget_copy(task: Task) -> None:
    """Drop ``task`` from the unused-task tracker of the flow being built (if any)."""
    tracker = _current.get().get("_unused_task_tracker")
    if tracker is not None:
        tracker.discard(task)


class Task(TaskOperators, metaclass=TaskMeta):
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
    state_handlers: list[Callable[..., Any]] = OwnList("state_handlers")  # type: ignore[assignment]
    on_failure: Callable[..., Any] | None = None
    log_stdout: bool = False
    nout: int | None = None
    task_run_name: str | Callable[..., str] | None = None
    #: ``policy(task, run_count, failed_state)``: the delay before the next retry, or
    #: ``None`` for no retry (set by eager tasks with per-retry delays or a retry condition)
    retry_policy: Callable[..., timedelta | None] | None = None
    auto_generated: bool = False
    #: a clean-up task that never counts as a reference task (see Flow.reference_tasks)
    _reference_passthrough: bool = False
    #: a task made from a function (``@task``): its errors point to ``task.fn(...)``
    _wraps_function: bool = False
    __signature__ = CallSignature()

    def __init__(
        self, name: str | None = None, slug: str | None = None,
        tags: Iterable[str] | None = None, max_retries: int | None = None,
        retry_delay: timedelta | None = None,
        retry_on: type[Exception] | Iterable[type[Exception]] | None = None,
        timeout: int | float | timedelta | None = None, trigger: Callable[..., bool] | None = None,
        skip_on_upstream_skip: bool = True, cache_for: timedelta | None = None,
        cache_validator: Callable[..., bool] | None = None, cache_key: str | None = None,
        checkpoint: bool | None = None, state_handlers: Iterable[Callable[..., Any]] | None = None,
        on_failure: Callable[..., Any] | None = None, log_stdout: bool = False,
        result: Any = None, target: str | Callable[..., str] | None = None,
        task_run_name: str | Callable[..., str] | None = None, nout: int | None = None,
    ) -> None:
        if type(self) is not Task and self.__dict__:
            _definition.warn_on_reserved_attributes(self)
        self.name = name or type(self).__name__
        owner = f"Task {self.name!r}"
        if slug is not None:
            self.slug = slug
        _definition.init_tags(self, tags, owner)
        max_retries, retry_delay, timeout = _definition.configured_defaults(
            max_retries, retry_delay, timeout)
        _definition.init_retries(self, max_retries, retry_delay, retry_on, owner)
        if timeout is not None:
            self.timeout = whole_seconds(timeout, owner)
        _definition.init_trigger(self, trigger, skip_on_upstream_skip, owner)
        _definition.init_caching(self, cache_for, cache_validator, cache_key, owner)
        _definition.init_handlers(self, state_handlers, on_failure, owner)
        _definition.init_results(self, checkpoint, result, target)
        for attr, value in (("task_run_name", task_run_name), ("log_stdout", log_stdout or None)):
            if value is not None:
                setattr(self, attr, value)
        self._init_nout(nout, owner)
        tracker = _current.get().get("_unused_task_tracker")
        if tracker is not None:  # created inside `with Flow()`: warn at exit if never used
            tracker.add(self)

    def _init_nout(self, nout: int | None, owner: str) -> None:
        if nout is None:
            nout = infer_nout(self._run_signature(), getattr(self, "run", None))
        elif isinstance(nout, bool) or not isinstance(nout, int) or nout < 0:
            raise TaskDefinitionError(f"{owner}: nout={nout!r} must be an integer >= 0.")
        if nout is not None:
            self.nout = nout

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
        sig = getattr(self, SIGNATURE_ATTR, None)  # the instance's, else its class's
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
            new.result = result_at_target(new.result, new.target, stacklevel=2)
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
                return self._call_outside_flows(args, kwargs)  # raises, unless configured
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
        if flow is None:
            flow = self._resolve_flow(flow, "bind")
        flow.set_dependencies(
            task=self, upstream_tasks=upstream_tasks, keyword_tasks=callargs, mapped=mapped,
            validate=False,
        )
        ctx_tags = _current.get().get("tags")
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

    def _call_outside_flows(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """A call outside of any flow: an error (function tasks may run, see
        ``[tasks] run_outside_flows``)."""
        self._resolve_flow(None, "call")  # raises: say how to do either

    def _resolve_flow(self, flow: Flow | None, verb: str) -> Flow:
        flow = flow if flow is not None else context.get("flow")
        if flow is None:
            if verb not in ("call", "bind", "map", "add"):
                raise FlowContextError(
                    f"No Flow was passed, and could not infer an active Flow context ({self!r}."
                    f"{verb}(): call it inside `with Flow(...):` or pass flow=)."
                )
            is_fn = self._wraps_function
            shown = self.name if is_fn else f"{type(self).__name__}(...)"
            fn_too = f"; to call its function directly, use `{shown}.fn(...)`" if is_fn else ""
            # Prefect 1's last sentence stays last and whole: tests look for it in reprs,
            # which keep a long message's beginning and end.
            raise FlowContextError(
                f"Could not infer an active Flow context while creating edge to {self}. This "
                "often means you called a task outside a `with Flow(...)` block. To run it "
                "now as part of an eager flow, call it inside a function decorated with "
                f"`@flow` (from prefectlite import flow){fn_too}; to run function tasks at once "
                "outside of any flow as Prefect 3 does, set `run_outside_flows = true` in the "
                "`[tasks]` section of the configuration. If you're trying to run this "
                f"task outside of a Flow context, you need to call `{shown}.run(...)`"
            )
        return flow

    def _bind_arguments(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        sig = self._run_signature()
        simple = simple_parameters(sig)
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

def join_open_blocks(task: Task, flow: Flow | Any) -> None:
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
