"""Changing a flow as a whole: ``chain``, ``update`` (merge another flow), ``copy`` and
``replace``.

:class:`FlowChanges` is a base class of :class:`~prefectlite.core.flow.Flow`. Each change is
all or nothing: it runs inside ``Flow._atomic()``, and the ones that rebuild the graph record
an undo step that puts back the graph, slugs, constants and reference tasks.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prefectlite.core.values import as_task

if TYPE_CHECKING:
    import contextlib

    import networkx as nx

    from prefectlite.core.edge import Edge
    from prefectlite.core.flow import Flow
    from prefectlite.core.parameter import Parameter
    from prefectlite.core.task import Task


class FlowChanges:
    """``chain``, ``update``, ``copy`` and ``replace``."""

    if TYPE_CHECKING:
        _graph: nx.MultiDiGraph
        tasks: set[Task]
        slugs: dict[Task, str]
        _slugs: dict[str, Task]
        _slug_counts: dict[str, int]
        constants: defaultdict[Task, dict[str, Any]]
        _reference_tasks: set[Task]
        state_handlers: list[Callable[..., Any]]

        @property
        def edges(self) -> set[Edge]: ...


        def _atomic(self) -> contextlib.AbstractContextManager[None]: ...
        def _changed(self, *step: Any) -> None: ...
        def _require(self, task: Task) -> None: ...
        def add_task(self, task: Task) -> Task: ...
        def add_edge(self, *args: Any, **kwargs: Any) -> Edge: ...
        def edges_to(self, task: Task) -> set[Edge]: ...
        def edges_from(self, task: Task) -> set[Edge]: ...
        def parameters(self) -> set[Parameter]: ...
        def reference_tasks(self) -> set[Task]: ...
        def set_reference_tasks(self, tasks: Iterable[Task]) -> None: ...
        def validate(self) -> None: ...

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
        new: Any = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._graph = self._graph.copy()
        new.tasks = set(self.tasks)
        new._slugs, new.slugs = dict(self._slugs), dict(self.slugs)
        new._slug_counts = dict(self._slug_counts)
        new.constants = defaultdict(dict, {t: dict(v) for t, v in self.constants.items()})
        new._reference_tasks = set(self._reference_tasks)
        new.state_handlers = list(self.state_handlers)
        new._id, new._cache, new._tokens, new._undo = uuid.uuid4().hex, {}, [], None
        return new  # type: ignore[no-any-return]

    def replace(self, old: Task, new: Any, validate: bool = True) -> None:
        """Put ``new`` (a task, or a value made into a ``Constant``) in place of ``old``."""
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
