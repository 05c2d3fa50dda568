"""``Flow``: a graph of tasks, built with the functional or the imperative API.

A flow owns one ``networkx.MultiDiGraph`` whose nodes are tasks (compared by identity) and
whose edges carry an :class:`~prefectlite.core.edge.Edge`; plain values bound to task
arguments live on ``flow.constants``. Every change goes through ``add_task`` / ``add_edge``,
which check it first (types, duplicate arguments and slugs, cycles, tasks of other flows), so
a rejected change leaves the graph as it was; ``set_dependencies`` undoes the part of a
multi-edge change that had already been applied. Building runs nothing: ``run()`` hands the
flow to the engine, imported only then.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from prefectlite.configuration import config as _config
from prefectlite.core import graph as _graph
from prefectlite.core import task as _task_mod
from prefectlite.core.edge import Edge
from prefectlite.core.parameter import Parameter
from prefectlite.core.task import Task
from prefectlite.exceptions import (
    DuplicateArgumentError,
    DuplicateSlugError,
    NotATaskError,
    TaskNotInFlowError,
)
from prefectlite.utilities import context as _context
from prefectlite.utilities.edges import unwrap
from prefectlite.utilities.logging import get_logger

if TYPE_CHECKING:
    from prefectlite.engine.state import State


def _clear_nx_cache(graph: nx.MultiDiGraph) -> None:
    cache = getattr(graph, "__networkx_cache__", None)  # what networkx's _clear_cache does
    if cache:
        cache.clear()


_CONSTANT: list[type] = []  # prefectlite.tasks.core.constants.Constant, imported when needed


def _refuse_mapping_inside_apply_map(task: Task) -> None:
    """Inside ``apply_map``'s function (context ``mapped``) every task is mapped already."""
    if _context.context.get("mapped", False):
        raise ValueError(
            "Cannot set `mapped=True` when running from inside a mapped context "
            f"({task!r} inside apply_map(): call the task instead of mapping it; apply_map "
            "maps the whole function)."
        )


def _constant_type() -> type:
    if not _CONSTANT:
        from prefectlite.tasks.core.constants import Constant

        _CONSTANT.append(Constant)
    return _CONSTANT[0]


def _eager_edge_validation() -> bool:
    """The configuration's ``flows.eager_edge_validation`` (default off)."""
    try:
        return bool(_config.flows.eager_edge_validation)
    except (AttributeError, KeyError):
        return False


def _saved_flow_path(name: str) -> Path:
    """Where ``save()`` puts a flow by default: ``{home_dir}/flows/{slugified name}.prefect``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Path(os.path.expanduser(str(_config.home_dir))) / "flows" / f"{slug}.prefect"


class _OnFailure:
    """The state handler ``Flow(on_failure=fn)`` adds: calls ``fn(flow, state)`` on failure."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, flow: Flow, old_state: State, new_state: State) -> State:
        if new_state.is_failed():
            self.fn(flow, new_state)
        return new_state

    def __repr__(self) -> str:
        return f"on_failure({self.fn!r})"


def _undo_add_task(flow: Flow, task: Task, prefix: str | None, count: int | None) -> None:
    flow._graph.remove_node(task)
    flow.tasks.discard(task)
    tracker = _context.snapshot().get("_unused_task_tracker")
    if tracker is not None:  # made for a change that failed: no longer the user's concern
        tracker.discard(task)
    del flow._slugs[flow.slugs.pop(task)]
    if prefix is not None:  # the slug was generated: put its counter back
        if count is None:
            flow._slug_counts.pop(prefix, None)
        else:
            flow._slug_counts[prefix] = count


class Flow:
    """A named graph of tasks that runs as one unit.

    Parameters
    ----------
    name
        The flow's name.
    schedule
        A :class:`prefectlite.schedules.Schedule`; ``run()`` follows it.
    executor
        The executor ``run()`` uses when none is passed (default ``LocalExecutor``).
    tasks, edges
        Tasks and :class:`Edge` objects to add at once.
    reference_tasks
        Tasks whose states decide the flow's state (default: the terminal tasks).
    state_handlers
        Callables ``(flow, old_state, new_state) -> State | None`` called on flow transitions.
    on_failure
        A callable ``(flow, state)`` called when the flow run fails (added as a state handler).
    validate
        Whether adding ``edges`` checks them (keys and cycles); default: the configuration's
        ``flows.eager_edge_validation``, off unless set.
    result
        Default ``Result`` for the flow's tasks.

    Examples
    --------
    >>> from prefectlite import task
    >>> @task
    ... def add(x, y=1):
    ...     return x + y
    >>> with Flow("My first flow!") as flow:
    ...     first = add(1, y=2)
    ...     second = add(x=first, y=100)
    >>> flow
    <Flow: name="My first flow!">
    >>> [flow.slugs[t] for t in flow.sorted_tasks()]
    ['add-1', 'add-2']
    """

    def __init__(
        self,
        name: str,
        schedule: Any = None,
        executor: Any = None,
        tasks: Iterable[Task] | None = None,
        edges: Iterable[Edge] | None = None,
        reference_tasks: Iterable[Task] | None = None,
        state_handlers: Iterable[Callable[..., Any]] | None = None,
        on_failure: Callable[..., Any] | None = None,
        validate: bool | None = None,
        result: Any = None,
        terminal_state_handler: Callable[..., Any] | None = None,
    ) -> None:
        if not name or not isinstance(name, str):
            raise ValueError(
                f"A name must be provided for the flow (a non-empty string, got {name!r})."
            )
        self.name = name
        self.logger = get_logger(name)
        self.schedule = schedule
        self.executor = executor
        self.result = result
        self.terminal_state_handler = terminal_state_handler
        if state_handlers is not None and not isinstance(state_handlers, Sequence):
            raise TypeError(
                f"Flow {name!r}: state_handlers should be iterable (a list of callables), got "
                f"{state_handlers!r}."
            )
        self.state_handlers = list(state_handlers or [])
        for handler in self.state_handlers:
            if not callable(handler):
                raise TypeError(f"Flow {name!r}: state handler {handler!r} is not callable.")
        if on_failure is not None:
            if not callable(on_failure):
                raise TypeError(f"Flow {name!r}: on_failure={on_failure!r} is not callable.")
            self.state_handlers.append(_OnFailure(on_failure))
        self.constants: defaultdict[Task, dict[str, Any]] = defaultdict(dict)
        self.tasks: set[Task] = set()  # all tasks of the flow (use add_task to add one)
        self._graph = nx.MultiDiGraph()
        self.slugs: dict[Task, str] = {}  # each task's slug in this flow
        self._slugs: dict[str, Task] = {}  # and back
        self._slug_counts: dict[str, int] = {}
        self._reference_tasks: set[Task] = set()
        self._id = uuid.uuid4().hex
        self._cache: dict[str, Any] = {}
        self._tokens: list[Any] = []
        # While a change is being made: its undo steps, each ``(function, *arguments)`` or an
        # added Edge (tuples and edges, not closures: fewer objects for the cyclic GC).
        self._undo: list[Any] | None = None
        for t in tasks or ():
            self.add_task(t)
        if reference_tasks:
            self.set_reference_tasks(reference_tasks)
        for e in edges or ():
            self.add_edge(e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                          flattened=e.flattened, validate=validate)

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: name="{self.name}">'

    def __eq__(self, other: object) -> bool:
        """Flows are equal when they have the same type, name, tasks, edges and reference
        tasks."""
        if type(self) is not type(other):
            return False
        assert isinstance(other, Flow)
        return (self.name, self.tasks, self.edges, self.reference_tasks()) == (
            other.name, other.tasks, other.edges, other.reference_tasks()
        )

    __hash__ = object.__hash__  # a flow is also a key (by identity), as the engine needs

    def __len__(self) -> int:
        return len(self._graph)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.sorted_tasks())

    # -- the functional API's context --------------------------------------------------

    def __enter__(self) -> Flow:
        tracker: set[Task] = set()  # tasks created inside the block (see __exit__)
        self._tokens.append(_context.install(
            {**_context.snapshot(), "flow": self, "_unused_task_tracker": tracker}
        ))
        return self

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        tracker = _context.snapshot().get("_unused_task_tracker")
        _context.restore(self._tokens.pop())
        if tracker and exc_type is None:  # (an error in the block says enough)
            constant = _constant_type()
            unused = {t for t in tracker if t not in self.tasks and not isinstance(t, constant)}
            if unused:
                warnings.warn(
                    f"Tasks were created but not added to the flow: {unused}. This can occur "
                    "when `Task` classes, including `Parameters`, are instantiated inside a "
                    "`with flow:` block but not added to the flow either explicitly or as the "
                    "input to another task: call them (`my_task()`), pass them to another task, "
                    "or add them with `flow.add_task(...)`.",
                    UserWarning,
                    stacklevel=2,
                )

    # -- reading the graph -------------------------------------------------------------

    def _cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        # keys as Prefect 1 names them: (method name, ((argument, value), ...))
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = compute()
        return value

    @property
    def edges(self) -> set[Edge]:
        """All edges of the flow."""
        return self._cached(  # type: ignore[no-any-return]
            "edges", lambda: {e for _, _, e in self._graph.edges(keys=True)}
        )

    def edges_to(self, task: Task) -> set[Edge]:
        """Edges into ``task``."""
        self._require(task)
        return {e for keyed in self._graph._pred[task].values() for e in keyed}

    def edges_from(self, task: Task) -> set[Edge]:
        """Edges out of ``task``."""
        self._require(task)
        return {e for keyed in self._graph._succ[task].values() for e in keyed}

    def upstream_tasks(self, task: Task) -> set[Task]:
        """Tasks with an edge into ``task``."""
        self._require(task)
        return set(self._graph._pred[task])

    def downstream_tasks(self, task: Task) -> set[Task]:
        """Tasks with an edge out of ``task``."""
        self._require(task)
        return set(self._graph._succ[task])

    def all_upstream_edges(self) -> dict[Task, set[Edge]]:
        """For every task, the edges into it."""
        return self._cached(  # type: ignore[no-any-return]
            ("all_upstream_edges", ()), lambda: {t: self.edges_to(t) for t in self._graph}
        )

    def all_downstream_edges(self) -> dict[Task, set[Edge]]:
        """For every task, the edges out of it."""
        return self._cached(  # type: ignore[no-any-return]
            ("all_downstream_edges", ()), lambda: {t: self.edges_from(t) for t in self._graph}
        )

    def root_tasks(self) -> set[Task]:
        """Tasks with no upstream task."""
        return self._cached(  # type: ignore[no-any-return]
            ("root_tasks", ()),
            lambda: {t for t, preds in self._graph._pred.items() if not preds},
        )

    def terminal_tasks(self) -> set[Task]:
        """Tasks with no downstream task."""
        return self._cached(  # type: ignore[no-any-return]
            ("terminal_tasks", ()),
            lambda: {t for t, succs in self._graph._succ.items() if not succs},
        )

    def reference_tasks(self) -> set[Task]:
        """The tasks whose states decide the flow's state (unless set: the terminal tasks).

        Clean-up tasks (``_reference_passthrough``, e.g. a resource manager's cleanup) never
        count by default; the tasks they wait for count in their place.
        """
        if self._reference_tasks:
            return set(self._reference_tasks)
        return set(self._cached(("_default_reference_tasks", ()), self._default_reference_tasks))

    def _default_reference_tasks(self) -> set[Task]:
        succ = self._graph._succ
        return {
            t for t in self._graph
            if not t._reference_passthrough
            and all(d._reference_passthrough for d in succ[t])
        }

    def set_reference_tasks(self, tasks: Iterable[Task]) -> None:
        """Choose the tasks whose states decide the flow's state (empty: terminal tasks)."""
        tasks = set(tasks)
        for t in tasks:
            if t not in self._graph:
                raise TaskNotInFlowError(
                    f"reference tasks must be part of the flow: {t!r} is not in flow "
                    f"{self.name!r}; add it first (flow.add_task) or pick one of the flow's tasks."
                )
        self._cache.clear()
        self._reference_tasks = tasks

    def parameters(self) -> set[Parameter]:
        """The flow's Parameters."""
        return {t for t in self._graph if isinstance(t, Parameter)}

    def get_tasks(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Iterable[str] | None = None,
        task_type: type | None = None,
    ) -> list[Task]:
        """Tasks matching every criterion given (``tags``: the task has all of them)."""
        wanted = set(tags or ())
        return [
            t for t in self.sorted_tasks()
            if (name is None or t.name == name) and (slug is None or self.slugs[t] == slug)
            and wanted <= set(t.tags) and (task_type is None or isinstance(t, task_type))
        ]

    def sorted_tasks(self, root_tasks: Iterable[Task] | None = None) -> tuple[Task, ...]:
        """Tasks in a topological order (ties: the task added first comes first).

        With ``root_tasks`` (non-empty), only those tasks and everything downstream of them.
        Raises :class:`~prefectlite.exceptions.CycleError` (a ``ValueError``) naming a cycle.
        """
        roots = tuple(root_tasks or ())
        if roots:
            for t in roots:
                self._require(t)

        def compute() -> tuple[Task, ...]:
            return tuple(_graph.sorted_nodes(  # type: ignore[arg-type]
                self._graph, roots or None, self.slugs
            ))

        return self._cached(("_sorted_tasks", (("root_tasks", roots),)), compute)  # type: ignore[no-any-return]

    def validate(self) -> None:
        """Check the whole flow: its edges and reference tasks are among ``flow.tasks``, and
        it has no cycle. (Slugs are checked as tasks are added.)

        Raises ``ValueError`` (a :class:`~prefectlite.exceptions.CycleError` for a cycle).
        """
        # Prefect 1 clears the cache first; here every change to the graph clears it already
        # (_changed), so a run, which validates, keeps the order computed for the last one.
        tasks = self.tasks
        if len(tasks) != len(self._graph) and any(  # (only a changed flow.tasks differs)
            e.upstream_task not in tasks or e.downstream_task not in tasks for e in self.edges
        ):
            raise ValueError(
                "Some edges refer to tasks not contained in this flow; add tasks with "
                "flow.add_task() rather than changing flow.tasks."
            )
        self.sorted_tasks()
        if any(t not in tasks for t in self._reference_tasks):
            raise ValueError(
                "Some reference tasks are not contained in this flow; set them again with "
                "flow.set_reference_tasks()."
            )

    def _require(self, task: Task) -> None:
        if task not in self._graph:
            raise TaskNotInFlowError(
                f"Task {task!r} was not found in Flow {self!r}; add it first with "
                "flow.add_task()."
            )

    # -- changing the graph ------------------------------------------------------------

    def _changed(self, *step: Any) -> None:
        """Record a change; ``step`` is ``(function, *arguments)``, called to undo it."""
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append(step)

    def _rollback(self, undo: list[Any]) -> None:
        for step in reversed(undo):
            if isinstance(step, Edge):
                self._graph.remove_edge(step.upstream_task, step.downstream_task, step)
            else:
                step[0](*step[1:])
        self._cache.clear()

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        """Undo every change made inside the block if the block raises."""
        if self._undo is not None:  # already inside an atomic change
            yield
            return
        undo: list[Any] = []
        self._undo = undo
        try:
            yield
        except BaseException:
            self._rollback(undo)
            raise
        finally:
            self._undo = None

    def add_task(self, task: Task) -> Task:
        """Add ``task`` if it is not in the flow yet.

        Its slug in this flow (``flow.slugs[task]``) is ``task.slug`` when set, otherwise
        ``"{name}-{n}"`` (``"{name}-{tag1}-{tag2}-{n}"`` for a task with tags, sorted); slugs
        belong to the flow, so one task may be in several flows.
        """
        if not isinstance(task, Task):
            raise NotATaskError(
                f"Tasks must be Task instances (received {type(task)}): flow {self.name!r}: "
                f"add_task() got {task!r}. Decorate functions with @task to make tasks."
            )
        if task in self._graph._node:
            return task
        slug = task.slug
        prefix = count = None
        if slug is None:  # "{name}-{sorted tags}-{n}", as Prefect 1 numbers them
            tags = task.tags
            prefix = "-".join([task.name, *sorted(tags)]) if tags else task.name
            count = self._slug_counts.get(prefix)
            slug = self._new_slug(prefix)
        elif slug in self._slugs:
            raise self._slug_clash(task, self._slugs[slug])
        graph = self._graph
        if type(graph) is nx.MultiDiGraph:  # what add_node does, without its overhead
            graph._succ[task], graph._pred[task], graph._node[task] = {}, {}, {}
            _clear_nx_cache(graph)
        else:
            graph.add_node(task)
        self._slugs[slug] = task
        self.slugs[task] = slug
        self.tasks.add(task)
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append((_undo_add_task, self, task, prefix, count))
        _task_mod._join_open_blocks(task, self)  # an open case / resource block takes it
        return task

    def _new_slug(self, name: str) -> str:
        n = self._slug_counts.get(name, 0) + 1
        slug = f"{name}-{n}"
        while slug in self._slugs:
            n += 1
            slug = f"{name}-{n}"
        self._slug_counts[name] = n
        return slug

    def _slug_clash(self, task: Task, other: Task) -> DuplicateSlugError:
        if isinstance(task, Parameter) and isinstance(other, Parameter):
            return DuplicateSlugError(
                f'A task with the slug "{task.slug}" already exists in this flow: flow '
                f"{self.name!r} already has a Parameter named {task.name!r}; Parameter names "
                "must be unique. Reuse the existing Parameter, pick another name, or merge "
                "flows with flow.update(other, merge_parameters=True)."
            )
        return DuplicateSlugError(
            f'A task with the slug "{task.slug}" already exists in this flow '
            f"({self.name!r}: {other!r}); give {task!r} another slug."
        )

    def add_edge(
        self,
        upstream_task: Any,
        downstream_task: Any,
        key: str | None = None,
        mapped: bool = False,
        flattened: bool = False,
        validate: bool | None = None,
        _bound: set[str] | None = None,
    ) -> Edge:
        """Make ``downstream_task`` depend on ``upstream_task`` (through argument ``key``).

        Values that are not tasks become tasks (``Constant`` or collection tasks); a
        ``Constant`` feeding a key becomes an entry of ``flow.constants`` instead of an edge.
        Always checked: the downstream task is no ``Parameter``, the key is not bound already,
        and no slug clashes; unless ``validate=False``, ``key`` is an argument of the downstream
        ``run()``. Cycles are checked only with ``validate`` (default: the configuration's
        ``flows.eager_edge_validation``, off, as in Prefect 1); otherwise ``validate()`` and
        ``run()`` find them. A rejected edge changes nothing.
        """
        # Runs once per argument of every task call: written out, without loops over
        # (upstream, downstream) tuples or repeated ``in graph`` calls.
        if isinstance(downstream_task, Parameter):
            raise ValueError(
                "Parameters must be root tasks and can not have upstream dependencies "
                f"({upstream_task!r} -> {downstream_task!r})."
            )
        edge = Edge(upstream_task, downstream_task, key=key, mapped=mapped, flattened=flattened)
        upstream_task, downstream_task = edge.upstream_task, edge.downstream_task
        if not isinstance(upstream_task, Task) or not isinstance(downstream_task, Task):
            from prefectlite.core.as_task import as_task  # values become Constant tasks

            upstream_task, downstream_task = as_task(upstream_task, flow=self), as_task(
                downstream_task, flow=self
            )
            edge = Edge(upstream_task, downstream_task, key=key, mapped=edge.mapped,
                        flattened=edge.flattened)
        graph = self._graph
        nodes = graph._node
        if key is not None:
            if (_bound is None and not edge.mapped and not edge.flattened
                    and isinstance(upstream_task, _constant_type())):
                # A keyed, unmapped Constant given to add_edge is a value of the flow, not an
                # edge. (Task calls, which pass _bound, keep explicit Constant tasks as tasks.)
                self._check_key(downstream_task, key, False)  # a value: only "not bound twice"
                if downstream_task not in nodes:
                    self.add_task(downstream_task)
                self.constants[downstream_task][key] = upstream_task.value  # type: ignore[attr-defined]
                self._changed(self._undo_constant, downstream_task, key)
                return edge
            self._check_key(downstream_task, key, validate, _bound)
        if mapped:
            _refuse_mapping_inside_apply_map(downstream_task)
        if validate is None:
            validate = _eager_edge_validation()
        if validate and graph._succ.get(downstream_task) and _graph.reaches(
            graph, downstream_task, upstream_task
        ):
            path = _graph.path_between(graph, downstream_task, upstream_task)
            raise _graph.cycle_error([upstream_task, *path], self.slugs)
        up_new, down_new = upstream_task not in nodes, downstream_task not in nodes
        for t, new in ((upstream_task, up_new), (downstream_task, down_new)):
            if new and t.slug is not None and t.slug in self._slugs:  # no change fails
                raise self._slug_clash(t, self._slugs[t.slug])  # once one is made
        if key is None:  # the same state-only edge again changes nothing (edges form a set)
            existing = graph.get_edge_data(upstream_task, downstream_task, default={})
            if edge in existing:
                return edge
        if up_new:
            self.add_task(upstream_task)
        if down_new:
            self.add_task(downstream_task)
        # the Edge itself is the multigraph's edge key: no attribute dict per edge (memory)
        if type(graph) is nx.MultiDiGraph:  # what add_edge does (both nodes are in the graph)
            succ = graph._succ[upstream_task]
            keydict = succ.get(downstream_task)
            if keydict is None:
                keydict = succ[downstream_task] = {edge: {}}
                graph._pred[downstream_task][upstream_task] = keydict
            else:
                keydict[edge] = keydict.get(edge, {})
            _clear_nx_cache(graph)
        else:
            graph.add_edge(upstream_task, downstream_task, key=edge)
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append(edge)  # the undo step is the edge itself: nothing allocated
        return edge

    def _check_task(self, task: Any, verb: str) -> None:
        if not isinstance(task, Task):
            raise NotATaskError(
                f"Flow {self.name!r}: {verb}() needs tasks, got {task!r} "
                f"({type(task).__name__}). Decorate functions with @task to make tasks."
            )

    def _bound_keys(self, task: Task) -> set[str]:
        """Argument names of ``task`` already bound in this flow (by edges or constants)."""
        keys = set(self.constants.get(task, ()))
        if task in self._graph:
            keys.update(
                e.key for keyed in self._graph._pred[task].values() for e in keyed
            )
        return keys

    def _check_key(
        self, task: Task, key: str, validate: bool | None, bound: set[str] | None = None
    ) -> None:
        if validate is not False:
            params = task._run_signature().parameters
            if key not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
                raise TypeError(
                    f"{task!r} has no argument {key!r}; its run() takes "
                    f"{', '.join(params) or 'no arguments'}."
                )
        if key in (self._bound_keys(task) if bound is None else bound):
            raise DuplicateArgumentError(
                f'Argument "{key}" for task {task!r} has already been assigned in this flow '
                f"({self.name!r}). If you are trying to call the task again with new "
                "arguments, call Task.copy() before adding the result to this flow (calling a "
                "task inside `with Flow()` does that for you)."
            )

    def set_dependencies(
        self,
        task: Task,
        upstream_tasks: Iterable[Any] | None = None,
        downstream_tasks: Iterable[Any] | None = None,
        keyword_tasks: dict[str, Any] | None = None,
        mapped: bool = False,
        validate: bool | None = None,
    ) -> None:
        """Add ``task`` with its upstream (state-only), downstream and keyword dependencies.

        Plain values in ``keyword_tasks`` become constants; collections holding tasks become
        collection tasks; ``mapped`` marks every data and state edge as mapped unless wrapped
        in ``unmapped``. All or nothing: on error the flow is left as it was.
        """
        from prefectlite.core.as_task import as_task, contains_task

        self._check_task(task, "set_dependencies")
        if mapped:
            _refuse_mapping_inside_apply_map(task)
        # What _atomic() does, inline: this runs once per task call (no generator per call).
        outer = self._undo is None
        if outer:
            undo: list[Any] = []
            self._undo = undo
        try:
            is_new = task not in self._graph._node
            self.add_task(task)
            for t in upstream_tasks or ():
                value, is_mapped, flat = unwrap(t, mapped)
                self.add_edge(as_task(value, flow=self), task, mapped=is_mapped,
                              flattened=flat, validate=validate)
            for t in downstream_tasks or ():
                self.add_edge(task, as_task(unwrap(t)[0], flow=self), validate=validate)
            if keyword_tasks:
                # a task added just now has no bound arguments (the edges above have no key)
                new_here = is_new and task not in self.constants
                bound = set() if new_here else self._bound_keys(task)
                for key, t in keyword_tasks.items():
                    if isinstance(t, Task):  # the common case, as unwrap/as_task would do
                        self.add_edge(t, task, key=key, mapped=mapped, validate=validate,
                                      _bound=bound)
                    else:
                        value, is_mapped, flat = unwrap(t, mapped)
                        if is_mapped or flat or contains_task(value):
                            self.add_edge(as_task(value, flow=self), task, key=key,
                                          mapped=is_mapped, flattened=flat, validate=validate,
                                          _bound=bound)
                        else:
                            self._add_constant(task, key, value, validate, bound)
                    bound.add(key)
        except BaseException:
            if outer:
                self._rollback(undo)
            raise
        finally:
            if outer:
                self._undo = None

    def _add_constant(
        self, task: Task, key: str, value: Any, validate: bool | None,
        bound: set[str] | None = None,
    ) -> None:
        self._check_key(task, key, validate, bound)
        self.constants[task][key] = value
        self._changed(self._undo_constant, task, key)

    def _undo_constant(self, task: Task, key: str) -> None:
        del self.constants[task][key]
        if not self.constants[task]:
            del self.constants[task]

    def chain(self, *tasks: Task, validate: bool | None = None) -> list[Edge]:
        """Make each task upstream of the next (state-only edges); return the edges."""
        with self._atomic():
            return [self.add_edge(a, b, validate=validate) for a, b in zip(tasks, tasks[1:])]

    def update(
        self, flow: Flow, merge_parameters: bool = False, validate: bool | None = None,
        merge_reference_tasks: bool = False,
    ) -> None:
        """Add all of ``flow``'s tasks, edges and constants to this flow.

        Tasks and edges this flow already has are skipped. With ``merge_parameters``, each
        Parameter of this flow whose name ``flow`` also uses is replaced by ``flow``'s
        Parameter (otherwise the clash raises), and the result is validated. With
        ``merge_reference_tasks``, the reference tasks become those of both flows. All or
        nothing: on error this flow is left as it was.
        """
        with self._atomic():
            self._changed(self._restore_on_undo())
            if merge_parameters:
                validate = True
                theirs = {p.name: p for p in flow.parameters()}
                for p in self.parameters():
                    if p.name in theirs and theirs[p.name] is not p:
                        self.replace(p, theirs[p.name], validate=False)
            for t in flow._graph:
                self.add_task(t)
            mine = self.edges
            for e in flow.edges:
                if e not in mine:
                    self.add_edge(e.upstream_task, e.downstream_task, key=e.key,
                                  mapped=e.mapped, flattened=e.flattened, validate=validate)
            for t, values in flow.constants.items():
                self.constants[t].update(values)
            if merge_reference_tasks:
                self.set_reference_tasks(self.reference_tasks() | flow.reference_tasks())
            if validate:
                self.validate()

    def copy(self) -> Flow:
        """A new flow with the same tasks (the same objects), edges and constants."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._graph = self._graph.copy()
        new.tasks = set(self.tasks)
        new._slugs, new.slugs = dict(self._slugs), dict(self.slugs)
        new._slug_counts = dict(self._slug_counts)
        new.constants = defaultdict(dict, {t: dict(v) for t, v in self.constants.items()})
        new._reference_tasks = set(self._reference_tasks)
        new.state_handlers = list(self.state_handlers)
        new._id, new._cache, new._tokens, new._undo = uuid.uuid4().hex, {}, [], None
        return new

    def replace(self, old: Task, new: Any, validate: bool = True) -> None:
        """Put ``new`` (a task, or a value made into a ``Constant``) in place of ``old``."""
        from prefectlite.core.as_task import as_task

        self._require(old)
        with self._atomic():
            self._changed(self._restore_on_undo())
            new = as_task(new, flow=self)
            edges_in, edges_out = self.edges_to(old), self.edges_from(old)
            constants = self.constants.pop(old, {})
            self._graph.remove_node(old)
            self.tasks.discard(old)
            self._slugs.pop(self.slugs.pop(old), None)
            self.add_task(new)
            for e in edges_in:
                self.add_edge(e.upstream_task, new, key=e.key, mapped=e.mapped,
                              flattened=e.flattened, validate=False)
            for e in edges_out:
                self.add_edge(new, e.downstream_task, key=e.key, mapped=e.mapped,
                              flattened=e.flattened, validate=False)
            if constants:
                self.constants[new].update(constants)
            if old in self._reference_tasks:
                self._reference_tasks = (self._reference_tasks - {old}) | {new}
            if validate:
                self.validate()

    def _restore_on_undo(self) -> Callable[[], None]:
        """An undo step that puts the graph, slugs, constants and reference tasks back."""
        graph, slugs, counts = self._graph.copy(), dict(self._slugs), dict(self._slug_counts)
        tasks = set(self.tasks)
        task_slugs = dict(self.slugs)
        constants = {t: dict(v) for t, v in self.constants.items()}
        reference = set(self._reference_tasks)

        def undo() -> None:
            self._graph = graph
            self.tasks.clear()
            self.tasks.update(tasks)
            self._slugs.clear()
            self._slugs.update(slugs)
            self.slugs.clear()
            self.slugs.update(task_slugs)
            self._slug_counts.clear()
            self._slug_counts.update(counts)
            self.constants.clear()
            self.constants.update(constants)
            self._reference_tasks = reference

        return undo

    # -- files -------------------------------------------------------------------------

    def save(self, fpath: str | os.PathLike[str] | None = None) -> str:
        """Write the flow (cloudpickled) to ``fpath``; return the path written.

        The default is ``{home_dir}/flows/{slugified name}.prefect`` under the configuration's
        ``home_dir``. ``Flow.load`` reads it back.
        """
        import cloudpickle

        path = _saved_flow_path(self.name) if fpath is None else Path(fpath)
        if fpath is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cloudpickle.dumps(self))
        return str(path)

    @classmethod
    def load(cls, fpath: str | os.PathLike[str]) -> Flow:
        """Read a flow written by ``save()``: from an absolute path, or by the flow's name (or
        its slugified name) from the default place under ``home_dir``."""
        import cloudpickle

        path = Path(fpath)
        if not path.is_absolute():
            path = _saved_flow_path(str(fpath))
        flow = cloudpickle.loads(path.read_bytes())
        if not isinstance(flow, Flow):
            raise TypeError(f"{str(path)!r} holds {type(flow).__name__}, not a Flow.")
        return flow

    # -- pictures ----------------------------------------------------------------------

    def to_dot(self, flow_state: State | None = None) -> str:
        """The flow as Graphviz DOT text (no Graphviz needed); colours from ``flow_state``."""
        from prefectlite.utilities.visualization import to_dot

        return to_dot(self, flow_state)

    def to_mermaid(self, flow_state: State | None = None) -> str:
        """The flow as a Mermaid ``flowchart`` (renders in Markdown viewers, no binary needed)."""
        from prefectlite.utilities.visualization import to_mermaid

        return to_mermaid(self, flow_state)

    def visualize(
        self, flow_state: State | None = None, filename: str | None = None,
        format: str | None = None,
    ) -> Any:
        """A ``graphviz.Digraph`` of the flow; with ``filename``, also rendered to a file.

        Needs the ``viz`` extra (``pip install "prefectlite[viz]"``) and, to render, the
        Graphviz ``dot`` program. ``to_dot()`` and ``to_mermaid()`` need neither.
        """
        from prefectlite.utilities.visualization import visualize

        return visualize(self, flow_state, filename, format)

    # -- running -----------------------------------------------------------------------

    def run(
        self,
        parameters: dict[str, Any] | None = None,
        run_on_schedule: bool | None = None,
        executor: Any = None,
        task_states: dict[Task, State] | None = None,
        context: dict[str, Any] | None = None,
        journal: Any = None,
        resume: str | None = None,
        **kwargs: Any,
    ) -> State:
        """Run the flow and return its final state (see :mod:`prefectlite.engine.run_setup`).

        A keyword argument named after one of the flow's Parameters is its value:
        ``flow.run(name="Marvin")`` is ``flow.run(parameters={"name": "Marvin"})``; any other
        keyword that is no option of ``run`` is a ``TypeError`` (as in Prefect 1, where it
        went on to ``FlowRunner.run``).

        ``journal=True`` (or a path, or a ``RunStore``) records the run in the run journal,
        ``$PREFECTLITE_HOME/prefectlite.db``; the run's id is
        ``state.context["flow_run_id"]``. ``resume=RUN_ID`` (or ``"latest"``) runs again
        only what that journaled run did not finish, with its parameters unless given anew
        (see :mod:`prefectlite.persistence.resume`).
        """
        from prefectlite.engine.run_setup import RUN_OPTIONS, run_flow

        if self._tokens:
            raise RuntimeError(
                f"Don't call `flow.run()` from within a `Flow` context manager (flow "
                f"{self.name!r}): build the flow inside `with Flow(...) as flow:` and call "
                "`flow.run()` after the block."
            )
        if "return_tasks" in kwargs:
            raise ValueError(
                "The `return_tasks` keyword cannot be provided to `flow.run()`; all task "
                "states are always returned (flow_state.result maps each task to its state)."
            )
        if "flow_run_name" in kwargs:  # Prefect 1: a keyword of run() that names the run
            context = {**(context or {}), "flow_run_name": kwargs.pop("flow_run_name")}
        if kwargs:
            names = {p.name for p in self.parameters()}
            unknown = sorted(k for k in kwargs if k not in names and k not in RUN_OPTIONS)
            if unknown:
                raise TypeError(
                    f"Flow.run() got unexpected keyword argument(s) {', '.join(unknown)}: "
                    f"neither Parameters of flow {self.name!r} (its Parameters: "
                    f"{', '.join(sorted(names)) or 'none'}) nor options of run(). Pass values "
                    "of Parameters by name or as flow.run(parameters={...})."
                )
        return run_flow(
            self, parameters=parameters, run_on_schedule=run_on_schedule, executor=executor,
            task_states=task_states, context=context, journal=journal, resume=resume,
            **kwargs,
        )
