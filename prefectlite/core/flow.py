"""``Flow``: a graph of tasks, built with the functional or the imperative API.

A flow owns one ``networkx.MultiDiGraph`` whose nodes are tasks (compared by identity) and
whose edges carry an :class:`~prefectlite.core.edge.Edge`; plain values bound to task
arguments live on ``flow.constants``. This module holds the flow itself and reading its graph;
its base classes add the rest: :mod:`~prefectlite.core.flow_building` (``add_task``,
``add_edge``, ``set_dependencies``: checked, all or nothing),
:mod:`~prefectlite.core.flow_changes` (``chain``, ``update``, ``copy``, ``replace``) and
:mod:`~prefectlite.core.flow_io` (``save``/``load``, pictures, ``run``). Building runs
nothing: ``run()`` hands the flow to the engine, imported only then.
"""

from __future__ import annotations

import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from prefectlite.core import graph as _graph
from prefectlite.core.edge import Edge
from prefectlite.core.flow_building import FlowBuilding
from prefectlite.core.flow_changes import FlowChanges
from prefectlite.core.flow_io import FlowIO
from prefectlite.core.parameter import Parameter
from prefectlite.core.task import Task
from prefectlite.core.values import Constant
from prefectlite.exceptions import TaskNotInFlowError
from prefectlite.utilities import context as _context
from prefectlite.utilities.logging import get_logger

if TYPE_CHECKING:
    from prefectlite.engine.state import State


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



def _state_handlers(
    name: str, state_handlers: Iterable[Callable[..., Any]] | None,
    on_failure: Callable[..., Any] | None,
) -> list[Callable[..., Any]]:
    """The flow's state handlers, checked (``on_failure`` becomes the last one)."""
    if state_handlers is not None and not isinstance(state_handlers, Sequence):
        raise TypeError(
            f"Flow {name!r}: state_handlers should be iterable (a list of callables), got "
            f"{state_handlers!r}."
        )
    handlers = list(state_handlers or [])
    for handler in handlers:
        if not callable(handler):
            raise TypeError(f"Flow {name!r}: state handler {handler!r} is not callable.")
    if on_failure is not None:
        if not callable(on_failure):
            raise TypeError(f"Flow {name!r}: on_failure={on_failure!r} is not callable.")
        handlers.append(_OnFailure(on_failure))
    return handlers


class Flow(FlowBuilding, FlowChanges, FlowIO):
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
        self, name: str, schedule: Any = None, executor: Any = None,
        tasks: Iterable[Task] | None = None, edges: Iterable[Edge] | None = None,
        reference_tasks: Iterable[Task] | None = None,
        state_handlers: Iterable[Callable[..., Any]] | None = None,
        on_failure: Callable[..., Any] | None = None, validate: bool | None = None,
        result: Any = None, terminal_state_handler: Callable[..., Any] | None = None,
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
        self.state_handlers = _state_handlers(name, state_handlers, on_failure)
        self._init_graph()
        for t in tasks or ():
            self.add_task(t)
        if reference_tasks:
            self.set_reference_tasks(reference_tasks)
        for e in edges or ():
            self.add_edge(e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                          flattened=e.flattened, validate=validate)

    def _init_graph(self) -> None:
        self.constants: defaultdict[Task, dict[str, Any]] = defaultdict(dict)
        self.tasks: set[Task] = set()  # all tasks of the flow (use add_task to add one)
        self._graph = nx.MultiDiGraph()
        self.slugs: dict[Task, str] = {}  # each task's slug in this flow
        self._slugs: dict[str, Task] = {}  # and back
        self._slug_counts: dict[str, int] = {}
        self._reference_tasks: set[Task] = set()
        self._id = uuid.uuid4().hex
        self._cache: dict[Any, Any] = {}
        self._tokens: list[Any] = []
        # While a change is being made: its undo steps, each ``(function, *arguments)`` or an
        # added Edge (tuples and edges, not closures: fewer objects for the cyclic GC).
        self._undo: list[Any] | None = None

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
            unused = {t for t in tracker if t not in self.tasks and not isinstance(t, Constant)}
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
