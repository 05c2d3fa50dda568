"""Resuming a journaled run (``flow.run(resume=...)``): which of its task runs are kept.

:func:`claimed_restore` claims the run to resume for the new run
(:mod:`prefectlite.persistence.claims`), then :func:`restore` reads the old run's rows and
rebuilds ``task_states`` for the new run, reading every stored result back at once
(eagerly: a damaged file is found, and its task rerun, before anything depends on it).
Walking the flow in topological order, a task (or mapped child) is kept when

* its row is finished (Success, Cached, Skipped; a Mapped parent through its children),
* its result reads back (the checksum matches; a pickle written by another Python minor
  version is not trusted: the task reruns),
* its code hash equals the current code's,
* it is not a Parameter whose value changed (a secret one, ``Parameter(secret=True)``,
  and secret tasks store no value: they run again, and count as kept),
* everything it depends on was kept (for a pipelined map, child ``i`` upstream),
* it is not named in ``rerun=`` (by name or slug): those run again, and so does everything
  downstream of them (the rule above).

Everything else runs again, so a resumed run never mixes new upstream results with old
downstream ones. A mapped task that was partly done becomes ``Mapped(map_states=[...])``
with ``Pending`` for the children still to run; the walker runs only those. Its width
comes from the old ``Mapped`` row, or is recomputed from the restored upstream results.
The new run's journal rows start as copies of the kept rows (``copied_from`` names the run
that really ran each), so any run can itself be resumed or inspected alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import walk as _walk
from prefectlite.engine.result.base import values_equal
from prefectlite.engine.state import Cached, Mapped, Pending, Skipped, State, Success
from prefectlite.persistence import claims
from prefectlite.persistence.cache import code_hash
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.records import (
    PYTHON,
    FlowRunRecord,
    JournalError,
    TaskRunRecord,
    clean_text,
)

logger = logging.getLogger("prefectlite.FlowRunner")
_KEEPABLE: dict[str, type[State]] = {"Success": Success, "Cached": Cached, "Skipped": Skipped}


@dataclass
class Restored:
    """What :func:`restore` found: the old run, the states to preset, the rows kept."""

    run: FlowRunRecord
    parameters: dict[str, Any]
    task_states: dict[Task, State] = field(default_factory=dict)
    kept: list[tuple[str, int]] = field(default_factory=list)


def find_run(store: RunStore, flow: Flow, run_id: str) -> FlowRunRecord:
    """The run ``run_id`` of ``flow`` (``"latest"``: its newest run that did not succeed and
    was not resumed to success)."""
    name = clean_text(flow.name)  # as the journal holds it
    if run_id == "latest":
        run = store.latest_run(name)
        if run is None:
            raise JournalError(f"The run journal {store.path} has no unfinished or failed run "
                               f"of flow {flow.name!r} to resume (runs resumed to success "
                               "do not count).")
        return run
    run = store.get_run(run_id, tasks=False)
    if run.flow_name != name:
        raise JournalError(f"Flow run {run.id} is a run of flow {run.flow_name!r}, not of "
                           f"{flow.name!r}; resume it with that flow.")
    return run


def restore(store: RunStore, flow: Flow, run_id: str,
            parameters: dict[str, Any] | None = None, rerun: Collection[str] = ()) -> Restored:
    """Rebuild the finished task states of run ``run_id`` of ``flow`` (module docstring)."""
    again = rerun_tasks(flow, rerun)
    run = find_run(store, flow, run_id)
    given = dict(parameters or {})
    stored = store.run_parameters(run.id)
    for p in flow.parameters():
        if getattr(p, "secret", False) and p.required and p.name not in given:
            raise JournalError(f"Parameter {p.name!r} is secret: its value was not stored "
                               f"with run {run.id}. Give it again to resume the run.")
    changed = {n for n, v in given.items()
               if n not in stored or not values_equal(v, stored[n])}
    rows = {(r.task_slug, r.map_index): r for r in store.task_runs(run.id)}
    restored = Restored(run, {**stored, **given})
    _Restorer(store, flow, rows, changed, restored, again).walk()
    return restored


def rerun_tasks(flow: Flow, names: Collection[str]) -> set[Task]:
    """The tasks ``rerun=`` names (by name or slug); an unknown name is a ``ValueError``."""
    if isinstance(names, str):
        names = [names]
    slugs = flow.slugs
    found: set[Task] = set()
    unknown = []
    for name in names:
        tasks = {t for t in flow.tasks if t.name == name or slugs[t] == name}
        if not tasks:
            unknown.append(name)
        found |= tasks
    if unknown:
        known = ", ".join(sorted({t.name for t in flow.tasks}))
        raise ValueError(f"rerun= names no task of flow {flow.name!r}: "
                         f"{', '.join(map(repr, unknown))}; its tasks are: {known}.")
    return found


class _Restorer:
    def __init__(self, store: RunStore, flow: Flow, rows: dict[Any, TaskRunRecord],
                 changed: set[str], out: Restored, rerun: set[Task]) -> None:
        self.store, self.rows, self.out, self.rerun = store, rows, out, rerun
        self.plan = _walk.make_plan(flow)
        self.scratch = _walk.Walk(self.plan)  # restored states, for map widths
        self.params = {p for p in flow.parameters() if p.name in changed}

    def walk(self) -> None:
        for task in self.plan.tasks:
            slug = clean_text(self.plan.slugs[task])  # as the journal holds it
            whole = self.rows.get((slug, None))
            if is_secret(task):  # runs again (its value was not stored), keeps what follows
                if whole is not None and whole.is_finished:
                    self.scratch.states[task] = Success(message="A secret: read again.")
                continue
            if task in self.params or task in self.rerun:
                continue
            if whole is not None and whole.code_hash != code_hash(task):
                continue
            if whole is not None and whole.state != "Mapped":
                self._whole(task, slug, whole)
            elif task in self.plan.mapped:
                self._children(task, slug, whole)

    def _whole(self, task: Task, slug: str, row: TaskRunRecord) -> None:
        if not all(self._kept(e.upstream_task) for e in self.plan.in_edges[task]):
            return
        state = self._load(row)
        if state is not None:
            self.scratch.states[task] = self.out.task_states[task] = state
            self.out.kept.append((slug, -1))

    def _kept(self, task: Task) -> bool:
        state = self.scratch.states.get(task)
        return state is not None and not (isinstance(state, Mapped) and not all(
            s.is_finished() for s in state.map_states))

    def _width(self, task: Task, whole: TaskRunRecord | None) -> int | None:
        if whole is not None and whole.n_map_states is not None:
            return whole.n_map_states
        try:
            width = _walk.map_width(self.scratch, task)
        except Exception:  # a mapped input was not restored: its width is unknown
            return None
        return None if isinstance(width, State) or width < 0 else width

    def _children(self, task: Task, slug: str, whole: TaskRunRecord | None) -> None:
        width = self._width(task, whole)
        if width is None:
            return
        pending: State = Pending(message="Not finished in the resumed run.")
        children = [pending] * width
        for i in range(width):
            row = self.rows.get((slug, i))
            if row is None or not row.is_finished or row.code_hash != code_hash(task):
                continue
            if not all(self._child_upstream_kept(e, i) for e in self.plan.in_edges[task]):
                continue
            state = self._load(row)
            if state is not None:
                children[i] = state
                self.out.kept.append((slug, i))
        self.scratch.children[task] = list(children)
        done = sum(s.is_finished() for s in children)
        if done == 0 and width:
            return
        mapped = Mapped(message="Mapped tasks finished." if done == width else
                        f"{done} of {width} mapped tasks restored.", map_states=children,
                        result=[child.result for child in children])
        self.out.task_states[task] = mapped
        if done == width:
            self.scratch.states[task] = mapped
            if whole is not None:
                self.out.kept.append((slug, -1))

    def _child_upstream_kept(self, edge: Any, index: int) -> bool:
        up = edge.upstream_task
        kids = self.scratch.children.get(up)
        if edge.mapped and not edge.flattened and kids is not None:
            kid = kids[index] if index < len(kids) else None
            return kid is not None and kid.is_finished()
        return self._kept(up)

    def _load(self, row: TaskRunRecord) -> State | None:
        cls = _KEEPABLE.get(row.state)
        if cls is None:
            return None
        if row.result_location is None:
            return cls(message=row.message) if cls is Skipped else None
        where = f"{row.task_slug}" + (f"[{row.map_index}]" if row.map_index is not None else "")
        if row.python != PYTHON and not _portable(row.serializer):
            logger.info("Task run %s: its result was pickled by Python %s, not %s; running it "
                        "again.", where, row.python, PYTHON)
            return None
        try:
            result = self.store.load_result(row)
        except Exception as exc:
            logger.warning("Task run %s: its stored result cannot be read back (%s); running "
                           "it again.", where, exc)
            return None
        return cls(message=row.message, result=result)


def is_secret(task: Task) -> bool:
    """Whether ``task`` yields a secret, stored nowhere: a ``Parameter(secret=True)`` or a
    secret task (``PrefectSecret``, ``EnvVarSecret``). A resume runs it again, and keeps
    the tasks after it as if it had been kept."""
    from prefectlite.engine.results.secret_result import SecretResult

    return bool(getattr(task, "secret", False)) or isinstance(task.result, SecretResult)


def _portable(serializer: str | None) -> bool:
    return serializer is not None and serializer.rsplit("+", 1)[-1] == "json"


def claimed_restore(store: RunStore, flow: Flow, resume: str, run_id: str,
                     parameters: dict[str, Any], wait: bool | float,
                     rerun: Collection[str] = ()) -> Restored:
    """Claim the run to resume for the new run ``run_id``, then restore it; a failure
    ends the new run's row as ``Failed`` (its claim goes with it)."""
    asked = find_run(store, flow, resume)
    tip = claims.claim(store, asked.id, run_id, clean_text(flow.name), wait)
    try:
        if tip.id != asked.id:
            logger.info("Flow run %s was resumed by run %s already; resuming that one.",
                        asked.id, tip.id)
        return restore(store, flow, tip.id, parameters, rerun)
    except BaseException as exc:
        with contextlib.suppress(JournalError):
            store.finish_run(run_id, "Failed", f"Could not resume run {tip.id}: {exc}")
        raise
