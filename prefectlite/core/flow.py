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
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx

from prefectlite.core import graph as _graph
from prefectlite.core import task as _task_mod
from prefectlite.core.edge import Edge
from prefectlite.core.parameter import Parameter
from prefectlite.core.task import Task
from prefectlite.exceptions import (
    DuplicateArgumentError,
    DuplicateSlugError,
    ForeignTaskError,
    NotATaskError,
    TaskNotInFlowError,
)
from prefectlite.utilities import context as _context
from prefectlite.utilities.edges import unwrap

if TYPE_CHECKING:
    from prefectlite.engine.state import State


def _clear_nx_cache(graph: nx.MultiDiGraph) -> None:
    cache = getattr(graph, "__networkx_cache__", None)  # what networkx's _clear_cache does
    if cache:
        cache.clear()


def _forget_flow_id(task: Task) -> None:
    task.__dict__.pop("_flow_id", None)


def _refuse_mapping_inside_apply_map(task: Task) -> None:
    """Inside ``apply_map``'s function (context ``mapped``) every task is mapped already."""
    if _context.context.get("mapped", False):
        raise ValueError(
            "Cannot set `mapped=True` when running from inside a mapped context "
            f"({task!r} inside apply_map(): call the task instead of mapping it; apply_map "
            "maps the whole function)."
        )


def _undo_add_task(flow: Flow, task: Task, generated: bool, count: int | None) -> None:
    flow._graph.remove_node(task)
    del flow._slugs[flow.slugs.pop(task)]
    if generated:
        if count is None:
            flow._slug_counts.pop(task.name, None)
        else:
            flow._slug_counts[task.name] = count


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

    _flow_ref: tuple[str, str] | None = None  # the ``_flow_id`` given to tasks bound here

    def __init__(
        self,
        name: str,
        schedule: Any = None,
        executor: Any = None,
        tasks: Iterable[Task] | None = None,
        edges: Iterable[Edge] | None = None,
        reference_tasks: Iterable[Task] | None = None,
        state_handlers: Iterable[Callable[..., Any]] | None = None,
        validate: bool | None = None,
        result: Any = None,
        terminal_state_handler: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"A flow needs a non-empty string name, got {name!r}.")
        self.name = name
        self.schedule = schedule
        self.executor = executor
        self.result = result
        self.terminal_state_handler = terminal_state_handler
        self.state_handlers = list(state_handlers or [])
        for handler in self.state_handlers:
            if not callable(handler):
                raise TypeError(f"Flow {name!r}: state handler {handler!r} is not callable.")
        self.constants: defaultdict[Task, dict[str, Any]] = defaultdict(dict)
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
        for e in edges or ():
            self.add_edge(e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                          flattened=e.flattened, validate=validate)
        if reference_tasks:
            self.set_reference_tasks(reference_tasks)

    def __repr__(self) -> str:
        return f'<Flow: name="{self.name}">'

    def __len__(self) -> int:
        return len(self._graph)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.sorted_tasks())

    # -- the functional API's context --------------------------------------------------

    def __enter__(self) -> Flow:
        self._tokens.append(_context.install({**_context.snapshot(), "flow": self}))
        return self

    def __exit__(self, *exc: object) -> None:
        _context.restore(self._tokens.pop())

    # -- reading the graph -------------------------------------------------------------

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = compute()
        return value

    @property
    def tasks(self) -> set[Task]:
        """All tasks of the flow (a set; don't change it — use ``add_task``)."""
        return self._cached("tasks", lambda: set(self._graph))  # type: ignore[no-any-return]

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
        return {t: self.edges_to(t) for t in self._graph}

    def all_downstream_edges(self) -> dict[Task, set[Edge]]:
        """For every task, the edges out of it."""
        return {t: self.edges_from(t) for t in self._graph}

    def root_tasks(self) -> set[Task]:
        """Tasks with no upstream task."""
        return {t for t, preds in self._graph._pred.items() if not preds}

    def terminal_tasks(self) -> set[Task]:
        """Tasks with no downstream task."""
        return {t for t, succs in self._graph._succ.items() if not succs}

    def reference_tasks(self) -> set[Task]:
        """The tasks whose states decide the flow's state (unless set: the terminal tasks).

        Clean-up tasks (``_reference_passthrough``, e.g. a resource manager's cleanup) never
        count by default; the tasks they wait for count in their place.
        """
        if self._reference_tasks:
            return set(self._reference_tasks)
        succ = self._graph._succ
        return {
            t for t in self._graph
            if not getattr(t, "_reference_passthrough", False)
            and all(getattr(d, "_reference_passthrough", False) for d in succ[t])
        }

    def set_reference_tasks(self, tasks: Iterable[Task]) -> None:
        """Choose the tasks whose states decide the flow's state (empty: terminal tasks)."""
        tasks = set(tasks)
        for t in tasks:
            if t not in self._graph:
                raise TaskNotInFlowError(
                    f"Reference task {t!r} is not in flow {self.name!r}; add it first "
                    "(flow.add_task) or pick one of the flow's tasks."
                )
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

        With ``root_tasks``, only those tasks and everything downstream of them.
        """
        if root_tasks is not None:
            roots = list(root_tasks)
            for t in roots:
                self._require(t)
            return tuple(_graph.sorted_nodes(self._graph, roots, self.slugs))  # type: ignore[arg-type]
        return self._cached(  # type: ignore[no-any-return]
            "sorted", lambda: tuple(_graph.sorted_nodes(self._graph, labels=self.slugs))
        )

    def validate(self) -> None:
        """Check the whole flow: no cycle, and reference tasks that are in the flow.

        (Slugs are checked as tasks are added.)
        """
        self.sorted_tasks()
        self.set_reference_tasks(self._reference_tasks)

    def _require(self, task: Task) -> None:
        if task not in self._graph:
            raise TaskNotInFlowError(f"{task!r} is not in flow {self.name!r}.")

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
        ``"{name}-{n}"``; slugs belong to the flow, so one task may be in several flows.
        """
        if not isinstance(task, Task):
            raise NotATaskError(
                f"Flow {self.name!r}: add_task() needs a Task, got {task!r} "
                f"({type(task).__name__}). Decorate functions with @task to make tasks."
            )
        if task in self._graph._node:
            return task
        slug = task.slug
        count = self._slug_counts.get(task.name)
        if slug is None:
            slug = self._new_slug(task.name)
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
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append((_undo_add_task, self, task, task.slug is None, count))
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
                f"Flow {self.name!r} already has a Parameter named {task.name!r}; Parameter "
                "names must be unique. Reuse the existing Parameter or pick another name."
            )
        return DuplicateSlugError(
            f"Flow {self.name!r} already has a task with the slug {task.slug!r} "
            f"({other!r}); give {task!r} another slug."
        )

    def add_edge(
        self,
        upstream_task: Task,
        downstream_task: Task,
        key: str | None = None,
        mapped: bool = False,
        flattened: bool = False,
        validate: bool | None = None,
        _bound: set[str] | None = None,
    ) -> Edge:
        """Make ``downstream_task`` depend on ``upstream_task`` (through argument ``key``).

        Checks everything before changing the graph: both are tasks, neither was built in
        another flow, ``key`` is an argument of the downstream ``run()`` (unless
        ``validate=False``) and not bound already, and the edge closes no cycle.
        """
        # Runs once per argument of every task call: written out, without loops over
        # (upstream, downstream) tuples or repeated ``in graph`` calls.
        graph = self._graph
        nodes = graph._node
        my_id = self._id
        for t in (upstream_task, downstream_task):  # _check_task, only when it may object
            if not isinstance(t, Task) or (t._flow_id is not None and t._flow_id[0] != my_id):
                self._check_task(t, "add_edge")
        if key is not None:
            self._check_key(downstream_task, key, validate, _bound)
        if mapped:
            _refuse_mapping_inside_apply_map(downstream_task)
        if upstream_task is downstream_task or (
            graph._succ.get(downstream_task)  # only a task with exits can close a cycle
            and _graph.reaches(graph, downstream_task, upstream_task)
        ):
            path = _graph.path_between(graph, downstream_task, upstream_task)
            raise _graph.cycle_error([upstream_task, *path], self.slugs)
        up_new, down_new = upstream_task not in nodes, downstream_task not in nodes
        for t, new in ((upstream_task, up_new), (downstream_task, down_new)):
            if new and t.slug is not None and t.slug in self._slugs:  # no change fails
                raise self._slug_clash(t, self._slugs[t.slug])  # once one is made
        edge = Edge(upstream_task, downstream_task, key=key, mapped=mapped, flattened=flattened)
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
        origin = task._flow_id
        if origin is not None and origin[0] != self._id and task not in self._graph:
            raise ForeignTaskError(
                f"{task!r} was built in flow {origin[1]!r} and cannot be connected in flow "
                f"{self.name!r}. Build it inside this flow, use task.copy() for an unbound "
                "copy, or merge the flows with flow.update(other_flow)."
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
                f"Argument {key!r} of {task!r} is already bound in flow {self.name!r}. To call "
                "the task again with new arguments, call task.copy() first (calling a task "
                "inside `with Flow()` does that for you)."
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
        from prefectlite.utilities.tasks import _contains_task, as_task

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
                        if is_mapped or flat or _contains_task(value):
                            self.add_edge(as_task(value, flow=self), task, key=key,
                                          mapped=is_mapped, flattened=flat, validate=validate,
                                          _bound=bound)
                        else:
                            self._add_constant(task, key, value, validate, bound)
                    bound.add(key)
                if task._flow_id is None:
                    ref = self._flow_ref
                    if ref is None or ref[0] != self._id or ref[1] != self.name:
                        ref = self._flow_ref = (self._id, self.name)  # one tuple, shared
                    task._flow_id = ref
                    self._changed(_forget_flow_id, task)
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
        self, flow: Flow, merge_parameters: bool = False, validate: bool | None = None
    ) -> None:
        """Add all of ``flow``'s tasks, edges, constants and reference tasks to this flow.

        With ``merge_parameters``, a Parameter of ``flow`` whose name this flow already uses
        is replaced by this flow's Parameter instead of raising.
        """
        mine = {p.name: p for p in self.parameters()} if merge_parameters else {}

        def same(t: Task) -> Task:
            return mine.get(t.name, t) if isinstance(t, Parameter) else t

        with self._atomic():
            for t in flow._graph:
                self.add_task(same(t))
            for e in flow.edges:
                self.add_edge(same(e.upstream_task), same(e.downstream_task), key=e.key,
                              mapped=e.mapped, flattened=e.flattened, validate=validate)
            for t, values in flow.constants.items():
                for key, value in values.items():
                    self._add_constant(same(t), key, value, False)
            self._reference_tasks |= {same(t) for t in flow._reference_tasks}

    def copy(self) -> Flow:
        """A new flow with the same tasks (the same objects), edges and constants."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._graph = self._graph.copy()
        new._slugs, new.slugs = dict(self._slugs), dict(self.slugs)
        new._slug_counts = dict(self._slug_counts)
        new.constants = defaultdict(dict, {t: dict(v) for t, v in self.constants.items()})
        new._reference_tasks = set(self._reference_tasks)
        new.state_handlers = list(self.state_handlers)
        new._id, new._cache, new._tokens, new._undo = uuid.uuid4().hex, {}, [], None
        new._flow_ref = None
        return new

    def replace(self, old: Task, new: Any, validate: bool = True) -> None:
        """Put ``new`` (a task, or a value made into a ``Constant``) in place of ``old``."""
        from prefectlite.utilities.tasks import as_task

        self._require(old)
        with self._atomic():
            self._changed(self._restore_on_undo())
            new = as_task(new, flow=self)
            edges_in, edges_out = self.edges_to(old), self.edges_from(old)
            constants = self.constants.pop(old, {})
            self._graph.remove_node(old)
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
        task_slugs = dict(self.slugs)
        constants = {t: dict(v) for t, v in self.constants.items()}
        reference = set(self._reference_tasks)

        def undo() -> None:
            self._graph = graph
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
        """Run the flow and return its final state (see :mod:`prefectlite.engine.flow_runner`).

        Keyword arguments that are not options of ``run`` are parameter values:
        ``flow.run(name="Marvin")`` is ``flow.run(parameters={"name": "Marvin"})``.

        ``journal=True`` (or a path, or a ``RunStore``) records the run in the run journal,
        ``$PREFECTLITE_HOME/prefectlite.db``; the run's id is
        ``state.context["flow_run_id"]``. ``resume=RUN_ID`` (or ``"latest"``) runs again
        only what that journaled run did not finish, with its parameters unless given anew
        (see :mod:`prefectlite.engine.resume`).
        """
        from prefectlite.engine.flow_runner import run_flow

        return run_flow(
            self, parameters=parameters, run_on_schedule=run_on_schedule, executor=executor,
            task_states=task_states, context=context, journal=journal, resume=resume,
            **kwargs,
        )
