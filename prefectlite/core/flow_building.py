"""Adding to a flow's graph: ``add_task``, ``add_edge`` and ``set_dependencies``.

:class:`FlowBuilding` is a base class of :class:`~prefectlite.core.flow.Flow`. Every change
goes through ``add_task`` / ``add_edge``, which check it first (types, duplicate arguments and
slugs, cycles, tasks of other flows), so a rejected change leaves the graph as it was;
``set_dependencies`` undoes the part of a multi-edge change that had already been applied.

These run once per task call while a flow is built, so they write into networkx's dicts
directly (what ``MultiDiGraph.add_node`` / ``add_edge`` do, without their per-call overhead),
and the multigraph's edge key is the :class:`Edge` itself. Nodes and edges carry no
attributes: all of them share one read-only empty attribute mapping instead of an empty dict
each (memory per task). A graph of another class (a subclass of ``MultiDiGraph``) goes through
networkx's own methods.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import networkx as nx

from prefectlite.configuration import config as _config
from prefectlite.core import graph as _graph
from prefectlite.core.edge import Edge
from prefectlite.core.parameter import Parameter
from prefectlite.core.task import Task, join_open_blocks
from prefectlite.core.values import Constant, as_task, contains_task
from prefectlite.exceptions import DuplicateArgumentError, DuplicateSlugError, NotATaskError
from prefectlite.utilities import context as _context
from prefectlite.utilities.edges import unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow

#: the attributes of every node and edge (none): shared, read-only
NO_ATTRIBUTES: MappingProxyType[str, Any] = MappingProxyType({})


def _refuse_mapping_inside_apply_map(task: Task) -> None:
    """Inside ``apply_map``'s function (context ``mapped``) every task is mapped already."""
    if _context.context.get("mapped", False):
        raise ValueError(
            "Cannot set `mapped=True` when running from inside a mapped context "
            f"({task!r} inside apply_map(): call the task instead of mapping it; apply_map "
            "maps the whole function)."
        )


def _eager_edge_validation() -> bool:
    """The configuration's ``flows.eager_edge_validation`` (default off)."""
    try:
        return bool(_config.flows.eager_edge_validation)
    except (AttributeError, KeyError):
        return False


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


class FlowBuilding:
    """``add_task``, ``add_edge``, ``set_dependencies`` and the undo log behind them."""

    if TYPE_CHECKING:
        name: str
        _graph: nx.MultiDiGraph
        tasks: set[Task]
        slugs: dict[Task, str]
        _slugs: dict[str, Task]
        _slug_counts: dict[str, int]
        constants: defaultdict[Task, dict[str, Any]]
        _cache: dict[Any, Any]
        _undo: list[Any] | None

    # -- the undo log ----------------------------------------------------------------------

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

    # -- tasks -----------------------------------------------------------------------------

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
        graph = self._graph
        if task in graph._node:
            return task
        slug = task.slug
        prefix = count = None
        if slug is None:  # "{name}-{sorted tags}-{n}", as Prefect 1 numbers them
            tags = task.tags
            prefix = "-".join([task.name, *sorted(tags)]) if tags else task.name
            count = self._slug_counts.get(prefix)
            slug = self._new_slug(prefix, count)
        elif slug in self._slugs:
            raise self._slug_clash(task, self._slugs[slug])
        if type(graph) is nx.MultiDiGraph:  # what add_node does, without its overhead
            graph._succ[task], graph._pred[task], graph._node[task] = {}, {}, NO_ATTRIBUTES
            cache = getattr(graph, "__networkx_cache__", None)  # (networkx >= 3.3)
            if cache:  # what networkx's _clear_cache does
                cache.clear()
        else:
            graph.add_node(task)
        self._slugs[slug] = task
        self.slugs[task] = slug
        self.tasks.add(task)
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append((_undo_add_task, self, task, prefix, count))
        join_open_blocks(task, self)  # an open case / resource block takes it
        return task

    def _new_slug(self, name: str, count: int | None) -> str:
        n = (count or 0) + 1
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

    def _check_task(self, task: Any, verb: str) -> None:
        if not isinstance(task, Task):
            raise NotATaskError(
                f"Flow {self.name!r}: {verb}() needs tasks, got {task!r} "
                f"({type(task).__name__}). Decorate functions with @task to make tasks."
            )

    # -- edges -----------------------------------------------------------------------------

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
        if isinstance(downstream_task, Parameter):
            raise ValueError(
                "Parameters must be root tasks and can not have upstream dependencies "
                f"({upstream_task!r} -> {downstream_task!r})."
            )
        edge = Edge(upstream_task, downstream_task, key=key, mapped=mapped, flattened=flattened)
        if not isinstance(edge.upstream_task, Task) or not isinstance(edge.downstream_task, Task):
            edge = Edge(as_task(edge.upstream_task, flow=self),
                        as_task(edge.downstream_task, flow=self), key, edge.mapped, edge.flattened)
        if key is not None:
            if (_bound is None and not edge.mapped and not edge.flattened
                    and isinstance(edge.upstream_task, Constant)):
                # A keyed, unmapped Constant given to add_edge is a value of the flow, not an
                # edge. (Task calls, which pass _bound, keep explicit Constant tasks as tasks.)
                return self._constant_edge(edge)
            self._check_key(edge.downstream_task, key, validate, _bound)
        if mapped:
            _refuse_mapping_inside_apply_map(edge.downstream_task)
        if validate is None:
            validate = _eager_edge_validation()
        if validate:
            self._refuse_cycle(edge.upstream_task, edge.downstream_task)
        return self._insert_edge(edge)

    def _constant_edge(self, edge: Edge) -> Edge:
        """Record the value of a ``Constant`` given to ``add_edge`` with a key as a constant."""
        task, key = edge.downstream_task, edge.key
        assert key is not None
        self._check_key(task, key, False)  # a value: only "not bound twice"
        if task not in self._graph._node:
            self.add_task(task)
        self.constants[task][key] = edge.upstream_task.value
        self._changed(self._undo_constant, task, key)
        return edge

    def _refuse_cycle(self, upstream: Task, downstream: Task) -> None:
        graph = self._graph
        if graph._succ.get(downstream) and _graph.reaches(graph, downstream, upstream):
            path = _graph.path_between(graph, downstream, upstream)
            raise _graph.cycle_error([upstream, *path], self.slugs)

    def _insert_edge(self, edge: Edge) -> Edge:
        """Add ``edge`` (and its tasks when new): all checks are done, but for slug clashes."""
        graph, up, down = self._graph, edge.upstream_task, edge.downstream_task
        nodes = graph._node
        up_new, down_new = up not in nodes, down not in nodes
        for t, new in ((up, up_new), (down, down_new)):
            if new and t.slug is not None and t.slug in self._slugs:  # no change fails
                raise self._slug_clash(t, self._slugs[t.slug])  # once one is made
        if up_new:
            self.add_task(up)
        if down_new:
            self.add_task(down)
        if type(graph) is not nx.MultiDiGraph:
            if edge.key is None and graph.has_edge(up, down, edge):
                return edge
            graph.add_edge(up, down, key=edge)
        else:  # what add_edge does (both nodes are in the graph)
            succ = graph._succ[up]
            keydict = succ.get(down)
            if keydict is None:
                succ[down] = graph._pred[down][up] = {edge: NO_ATTRIBUTES}
            elif edge in keydict:  # the same edge again changes nothing (edges form a set)
                return edge
            else:
                keydict[edge] = NO_ATTRIBUTES
            cache = getattr(graph, "__networkx_cache__", None)
            if cache:
                cache.clear()
        if self._cache:
            self._cache.clear()
        if self._undo is not None:
            self._undo.append(edge)  # the undo step is the edge itself: nothing allocated
        return edge

    # -- arguments -------------------------------------------------------------------------

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
        if not isinstance(task, Task):
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
                bound = set() if is_new and task not in self.constants else self._bound_keys(task)
                self._bind_keywords(task, keyword_tasks, mapped, validate, bound)
        except BaseException:
            if outer:
                self._rollback(undo)
            raise
        finally:
            if outer:
                self._undo = None

    def _bind_keywords(
        self, task: Task, keyword_tasks: dict[str, Any], mapped: bool, validate: bool | None,
        bound: set[str],
    ) -> None:
        """Each keyword argument of ``task`` becomes an edge (from a task, or from the
        collection task made for a collection holding tasks) or a constant (a plain value)."""
        fast = validate is False and not isinstance(task, Parameter)
        for key, t in keyword_tasks.items():
            if isinstance(t, Task):  # the common case, as unwrap/as_task would do
                if fast and key not in bound:  # what add_edge would check and do
                    self._insert_edge(Edge(t, task, key, mapped))
                else:
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
