"""The bookkeeping of a flow run's walk over the graph, as plain data and small functions.

No executor, no I/O: the flow runner asks this module what may run next and tells it what
finished. A *run* is ``(task, None)`` for a task, or ``(task, i)`` for child ``i`` of a
mapped task.

Policy. A task becomes ready when all its upstream tasks are *released* to it; it is
released when the upstream finishes, except along a *pipelined* link: when the upstream is a
mapped task and every edge to the downstream task is mapped, the upstream releases at its
expansion (when its width is known), so child ``i`` downstream waits only for child ``i``
upstream. Ready runs are served last-in first-out, so the walk goes depth-first along
pipelines and frees memory early, like ``dask.local``.

Expanding. When a mapped task is ready, :func:`map_width` decides, from the upstream states
as Prefect 1's mapped parent sees them, how many children it gets (the shortest mapped input,
like ``zip``) or the state it ends in without mapping (``Pending``, ``Skipped``, ``Failed``).
What each child receives along each edge follows :mod:`prefectlite.engine.mapping`.

Bookkeeping (:class:`Walk`), every field:

=====================  ==================================================================
``plan``               the flow's :class:`Plan` (fixed for the walk)
``resolves_futures``   the executor resolves futures on its workers: a run is available to
                       dependents once *submitted* (see :class:`Walk`)
``waiting[t]``         upstream links of ``t`` not yet released
``ready``              runs that may be submitted now (a list used as a stack)
``states[t]``          final state of each finished task (``Mapped`` once all children are)
``children[t]``        child states of an expanded mapped task (``None`` while unfinished)
``available[t]``       per child of ``t``: may pipelined children downstream use it yet
                       (finished, or submitted when ``resolves_futures``)
``child_wait[t]``      per child, pipelined upstream children it still waits for
``left[t]``            children of ``t`` not finished yet
``early[t]``           dependents of ``t`` released at its submission (``resolves_futures``),
                       so its finish does not release them twice
``futures[run]``       the future of each submitted, unfinished run (``resolves_futures``)
``flat[t]``            element states of ``flatten(t)``, computed once when first needed
=====================  ==================================================================

Example: ``a = inc.map([1, 2]); b = inc.map(a)``. ``a`` is ready first. The runner expands it
(width 2): ``a[0]``, ``a[1]`` become ready and ``b`` is released (pipelined) and expanded with
``child_wait[b] = [1, 1]``. When ``a[1]`` finishes, ``b[1]`` is ready, whether or not ``a[0]``
has finished. When both children of ``a`` finished, ``states[a]`` is ``Mapped``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from prefectlite.core.edge import Edge
from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import mapping as _mapping
from prefectlite.engine.state import Failed, Mapped, Pending, Skipped, State

Run = tuple[Task, int | None]


@dataclass(frozen=True)
class Plan:
    """What the walk needs to know about a flow, computed once per flow shape."""

    tasks: tuple[Task, ...]
    in_edges: dict[Task, tuple[Edge, ...]]  # by key, then upstream slug
    dependents: dict[Task, tuple[tuple[Task, bool], ...]]  # (downstream, pipelined)
    n_links: dict[Task, int]  # distinct upstream tasks
    mapped: frozenset[Task]
    constants: dict[Task, dict[str, Any]]
    slugs: dict[Task, str]

    @cached_property
    def wire_edges(self) -> dict[Task, tuple[Edge, ...]]:
        """``in_edges`` with :class:`TaskRef` ends, for shipping (made when first asked)."""
        refs = {t: TaskRef(t.name, self.slugs[t]) for t in self.tasks}
        return {t: tuple(Edge(refs[e.upstream_task], refs[t], e.key, e.mapped, e.flattened)
                         for e in edges) for t, edges in self.in_edges.items()}


def make_plan(flow: Flow) -> Plan:
    """Compute (and cache on the flow until it changes) the :class:`Plan` of ``flow``."""
    return flow._cached("plan", lambda: _make_plan(flow))  # type: ignore[no-any-return]


def _make_plan(flow: Flow) -> Plan:
    tasks = flow.sorted_tasks()
    pred, slugs = flow._graph._pred, flow.slugs
    in_edges: dict[Task, tuple[Edge, ...]] = {}
    for t in tasks:
        edges = [e for keyed in pred[t].values() for e in keyed]
        if len(edges) > 1:
            edges.sort(key=lambda e: (e.key or "", slugs[e.upstream_task]))
        in_edges[t] = tuple(edges)
    mapped = frozenset(t for t, edges in in_edges.items() if any(e.mapped for e in edges))
    dependents: dict[Task, list[tuple[Task, bool]]] = {t: [] for t in tasks}
    for t in tasks:
        for up, keyed in pred[t].items():
            pipelined = up in mapped and t in mapped and all(
                e.mapped and not e.flattened for e in keyed
            )
            dependents[up].append((t, pipelined))
    constants = {t: dict(c) for t, c in flow.constants.items()}
    return Plan(tasks, in_edges, {t: tuple(d) for t, d in dependents.items()},
                {t: len(pred[t]) for t in tasks}, mapped, constants, dict(slugs))


class TaskRef:
    """What a shipped edge holds in place of a task: its name and slug, nothing to pickle.

    Examples
    --------
    >>> TaskRef("add", "add-1")
    <Task: add>
    """

    __slots__ = ("name", "slug")

    def __init__(self, name: str, slug: str) -> None:
        self.name, self.slug = name, slug

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskRef, (self.name, self.slug))


@dataclass
class Walk:
    """The changing part of a walk (see the module docstring).

    With ``resolves_futures`` (executors that resolve futures on the workers), a run is
    *available* to its dependents as soon as it is submitted: the runner reports
    submissions with :meth:`task_submitted` / :meth:`child_submitted`, and only links that
    need a value on the driver (the width or the elements of a mapped input) wait for the
    upstream to finish. ``futures`` then maps submitted runs to their futures.
    """

    plan: Plan
    resolves_futures: bool = False
    waiting: dict[Task, int] = field(default_factory=dict)
    ready: list[Run] = field(default_factory=list)
    states: dict[Task, State] = field(default_factory=dict)
    children: dict[Task, list[State | None]] = field(default_factory=dict)
    available: dict[Task, list[bool]] = field(default_factory=dict)
    child_wait: dict[Task, list[int]] = field(default_factory=dict)
    left: dict[Task, int] = field(default_factory=dict)
    early: dict[Task, set[Task]] = field(default_factory=dict)
    futures: dict[Run, Any] = field(default_factory=dict)
    flat: dict[Task, list[State]] = field(default_factory=dict)  # flattened element states

    def start(self, finished: dict[Task, State]) -> None:
        """Mark the tasks of ``finished`` as already done; queue the tasks that may run."""
        self.waiting = dict(self.plan.n_links)
        for task in reversed(self.plan.tasks):  # reversed: the stack pops roots in order
            if self.waiting[task] == 0 and task not in finished:
                self.ready.append((task, None))
        self.states.update(finished)  # before any release: a finished task is never queued
        for task in self.plan.tasks:
            if task in finished:
                self.finish_task(task, finished[task])

    def release(self, task: Task) -> None:
        self.waiting[task] -= 1
        if self.waiting[task] == 0 and task not in self.states:
            self.ready.append((task, None))

    def finish_task(self, task: Task, state: State) -> None:
        """Record the final state of a whole task; release what waited for it."""
        self.states[task] = state
        expanded = task in self.children
        early = self.early.get(task, ())
        for down, pipelined in self.plan.dependents[task]:
            if down in early:
                continue
            if not (pipelined and expanded):
                self.release(down)

    def task_submitted(self, task: Task) -> None:
        """(``resolves_futures``) ``task``, or every child of it, was submitted: release
        what needs no value."""
        early = self.early.setdefault(task, set())
        for down, pipelined in self.plan.dependents[task]:
            if pipelined or down in early or self._needs_value(task, down):
                continue
            early.add(down)
            self.release(down)

    def _needs_value(self, up: Task, down: Task) -> bool:
        # a mapped task is expanded here: it needs the width of its mapped inputs and, to
        # decide an upstream skip before mapping, the states of its other inputs
        return down in self.plan.mapped

    def expand(self, task: Task, width: int, done: Iterable[tuple[int, State]] = ()) -> None:
        """Create the children of mapped ``task``; ``done`` are children finished earlier."""
        self.children[task] = [None] * width
        self.available[task] = [False] * width
        self.left[task] = width
        pipes = self._pipelined_upstreams(task)
        waits = [sum(not self.available[up][i] for up in pipes) for i in range(width)]
        self.child_wait[task] = waits
        for i, state in done:
            self.children[task][i] = state
            self.left[task] -= 1
            self.child_available(task, i)
        for i in reversed(range(width)):
            if waits[i] == 0 and self.children[task][i] is None:
                self.ready.append((task, i))
        for down, pipelined in self.plan.dependents[task]:
            if pipelined:
                self.release(down)
        if width == 0 or self.left[task] == 0:
            self._finish_parent(task)

    def _pipelined_upstreams(self, task: Task) -> list[Task]:
        ups = {e.upstream_task for e in self.plan.in_edges[task]}
        return [u for u in ups
                if u in self.children and (task, True) in self.plan.dependents[u]]

    def child_available(self, task: Task, index: int) -> None:
        """Child ``index`` of ``task`` may be used by pipelined children downstream."""
        self.available[task][index] = True
        for down, pipelined in self.plan.dependents[task]:
            waits = self.child_wait.get(down)
            if pipelined and waits is not None and index < len(waits):  # zip: may be shorter
                waits[index] -= 1
                if waits[index] == 0 and self.children[down][index] is None:
                    self.ready.append((down, index))

    def child_submitted(self, task: Task, index: int) -> None:
        """(``resolves_futures``) Child ``index`` of ``task`` was submitted."""
        self.child_available(task, index)
        if all(self.available[task]):
            self.task_submitted(task)

    def finish_child(self, task: Task, index: int, state: State) -> None:
        """Record the final state of child ``index`` of ``task``."""
        self.children[task][index] = state
        self.left[task] -= 1
        if not self.resolves_futures:
            self.child_available(task, index)
        if self.left[task] == 0:
            self._finish_parent(task)

    def _finish_parent(self, task: Task) -> None:
        states: list[State] = self.children[task]  # type: ignore[assignment]  # all set now
        self.finish_task(task, Mapped(message="Mapped tasks finished.", map_states=states,
                                      result=[s.result for s in states]))

    def upstream_state(self, edge: Edge, index: int | None) -> Any:
        """What child ``index`` (or the whole task, ``None``) gets along ``edge``: a state,
        or (``resolves_futures``) a future, or a list of child states/futures for a mapped
        upstream."""
        up = edge.upstream_task
        if index is not None and edge.mapped:
            if edge.flattened:
                return self.flat_elements(up)[index]
            kids = self.children.get(up)
            if kids is not None:
                kid = kids[index]
                return kid if kid is not None else self.futures[(up, index)]
            finished = self.states[up]
            if isinstance(finished, Mapped):  # e.g. given by task_states
                return finished.map_states[index]
            return _mapping.element_state(finished, index)
        state = self.states.get(up)
        if state is not None:
            return state
        kids = self.children.get(up)
        if kids is not None:
            return [k if k is not None else self.futures[(up, i)] for i, k in enumerate(kids)]
        return self.futures[(up, None)]

    def flat_elements(self, up: Task) -> list[State]:
        """The element states of ``flatten(up)`` (``up`` has finished), computed once."""
        elements = self.flat.get(up)
        if elements is None:
            elements = self.flat[up] = _mapping.flattened_states(self.states[up])
        return elements


def map_width(walk: Walk, task: Task, given: int | None = None) -> int | State:
    """How many children mapped ``task`` gets, or the state it ends in without mapping.

    Prefect 1 decides this for the whole task before any child runs, from the upstream
    states as the task sees them (a mapped upstream along a mapped edge counts as one
    ``Mapped`` state; along an unmapped edge, each of its children counts):

    * ``Pending`` while one of them has not finished;
    * ``Skipped`` when one was skipped and ``task.skip_on_upstream_skip`` is set;
    * ``Failed`` ("No upstream states can be mapped over.") when no mapped input succeeded;
    * ``Failed`` ("At least one upstream state has an unmappable result.") when a mapped
      input's result is not sized and indexable; the state's result is a ``TypeError``
      naming the input (also logged).

    Otherwise the width is that of the shortest mapped input (like ``zip``). ``given`` is the
    width of a ``Mapped`` state given for ``task`` to run again: it stands in when the inputs
    hold no data to measure (e.g. states given without their results).
    """
    seen: list[State] = []
    widths: list[int] = []
    bad: tuple[str, Any] | None = None
    succeeded = False
    for edge in walk.plan.in_edges[task]:
        up = edge.upstream_task
        if edge.mapped and not edge.flattened and up in walk.children:  # pipelined
            succeeded = True
            widths.append(len(walk.children[up]))
            continue
        state = walk.states[up]
        if not edge.mapped:
            seen.extend(state.map_states if isinstance(state, Mapped) else (state,))
            continue
        seen.append(state)
        if not state.is_successful():
            continue
        succeeded = True
        width = _input_width(walk, edge, state)
        if isinstance(width, int):
            widths.append(width)
        elif bad is None:
            bad = width
    return _not_mapped(task, seen, succeeded, bad, given, min(widths, default=0))


def _input_width(walk: Walk, edge: Edge, state: State) -> int | tuple[str, Any]:
    """The number of elements a successful mapped input gives, or (its name, its result)
    when that result cannot be mapped over."""
    up = edge.upstream_task
    if edge.flattened:
        flat = _mapping.flatten_state(state) if not isinstance(state, Mapped) else state
        if isinstance(flat, Mapped) or _mapping.mappable(flat.result):
            return len(walk.flat_elements(up))
        return (edge.key or f"upstream {up.name!r}", flat.result)
    if isinstance(state, Mapped):  # given in task_states
        return state.n_map_states
    if _mapping.mappable(state.result):
        return len(state.result)
    return (edge.key or f"upstream {up.name!r}", state.result)


def _not_mapped(task: Task, seen: list[State], succeeded: bool, bad: tuple[str, Any] | None,
                given: int | None, width: int) -> int | State:
    """The rest of :func:`map_width`'s decision, in Prefect 1's order of checks."""
    if not all(s.is_finished() for s in seen):
        return Pending(message="Not all upstream states are finished; waiting.")
    if task.skip_on_upstream_skip and any(s.is_skipped() for s in seen):
        from prefectlite.engine.task_steps import UPSTREAM_SKIPPED

        return Skipped(message=UPSTREAM_SKIPPED)
    if given is not None and (bad is not None or not succeeded):
        return given  # the data to map over is gone, its number of elements is known
    if seen and not succeeded:
        return Failed(message=_mapping.NOTHING_TO_MAP)
    if bad is not None:
        return _mapping.unmappable(task.name, *bad)
    return width


def rerun_width(state: Mapped) -> int | None:
    """The width of a ``Mapped`` state given for a task whose children must run (again):
    some are not finished, or only their number is known. ``None`` if all finished."""
    width = state.n_map_states
    if len(state.map_states) < width or not all(
            c is not None and c.is_finished() for c in state.map_states):
        return width
    return None
