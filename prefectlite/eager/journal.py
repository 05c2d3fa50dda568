"""Recording eager flow runs in the run journal (``@flow(journal=True)``).

The journal is :class:`prefectlite.persistence.journal.RunStore`, the same SQLite file Prefect 1
style runs write with ``flow.run(journal=True)``, and each eager flow run is written by the
same writer as a graph run (:class:`~prefectlite.persistence.recorder.JournalRecorder`:
rows in batches, a flush thread, log capture, write errors), so ``prefectlite runs
show/logs`` and the dashboard show both alike. An eager run with ``journal=True`` (or a
path, or a ``RunStore``; subflows inherit their parent's journal) writes:

* a ``flow_runs`` row when the run starts (id, flow name, parameters), finished with the
  run's final state (``Completed``, ``Failed``, ... as the eager API names them); a
  subflow's row names its parent run (``parent_run_id``);
* one ``task_runs`` row per task run as it ends: the run name as ``task_slug`` (``add-0``;
  each ``.map`` child is a task run of its own, marked ``mapped`` in the graph), the
  engine's state name (``Success``, ``Failed``,
  ``TimedOut``, ...), as Prefect 1 rows have, when it started (for runs in this process)
  and when it ended;
* its log records: the task loggers', the run logger's, the engine's lines and, with
  ``log_prints``, the prints, each under its task run (``journal_slug`` in the context);
* its graph, stored when the run ends: one node per task run, and an edge from each task
  run whose future (or state) a task run received, keyed by the argument it came in
  (``wait_for=`` edges have no key).

Not recorded: results (eager runs do not persist results, so they cannot be resumed).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefectlite.eager.annotations import allow_failure
from prefectlite.eager.futures import futures_in
from prefectlite.persistence.records import task_run_row
from prefectlite.utilities.edges import EdgeAnnotation

if TYPE_CHECKING:
    from prefectlite.eager.run import FlowRun
    from prefectlite.eager.states import State
    from prefectlite.persistence.recorder import JournalRecorder

__all__ = ["BATCH", "EagerJournal", "open_journal"]

BATCH = 1000


def open_journal(option: Any) -> EagerJournal | None:
    """The journal a ``journal=`` flow option asks for (``None``: none)."""
    if option is None or option is False:
        return None
    from prefectlite.persistence.journal import RunStore

    if isinstance(option, RunStore):
        return EagerJournal(option, owned=False)
    if option is True:
        return EagerJournal(RunStore(), owned=True)
    if isinstance(option, str | Path):
        return EagerJournal(RunStore(option), owned=True)
    raise TypeError(f"journal={option!r}: give True, a path or a RunStore.")


class _RunGraph:
    """The task runs of one eager flow run and the futures passed between them."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.edges: list[list[Any]] = []
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def add(self, task_name: str, run_name: str, mapped: bool, inputs: dict[str, Any],
            wait_for: Any) -> None:
        edges = [[up, run_name, key, False] for key, value in inputs.items()
                 for up in _upstream_names(value)]
        edges += [[up, run_name, None, False] for up in _upstream_names(wait_for)]
        node = {"slug": run_name, "name": task_name, "type": "task", "mapped": mapped}
        with self.lock:
            self.tasks.append(node)
            self.edges.extend(edges)

    def to_json(self) -> str:
        with self.lock:
            return json.dumps({"tasks": list(self.tasks), "edges": sorted(
                self.edges, key=lambda e: (e[0], e[1], e[2] or ""))}, default=str)


def _upstream_names(value: Any) -> list[str]:
    """The task run names of the futures inside ``value`` (also under ``allow_failure``,
    ``unmapped``, ...), each once."""
    names = [f.task_run_name for f in futures_in(_unwrapped(value))]
    return list(dict.fromkeys(names))


def _unwrapped(value: Any) -> Any:
    if isinstance(value, allow_failure):
        return _unwrapped(value.value)
    if isinstance(value, EdgeAnnotation):
        return _unwrapped(value.task)
    if type(value) in (list, tuple, set, frozenset):
        return [_unwrapped(v) for v in value]
    return value


class EagerJournal:
    """Writes eager flow runs (a run and the subflow runs that share it) into a ``RunStore``,
    one :class:`~prefectlite.persistence.recorder.JournalRecorder` per flow run."""

    def __init__(self, store: Any, owned: bool) -> None:
        self.store, self.owned = store, owned
        self.opened_by: Any = None  # the run whose option opened it closes it
        self._recorders: dict[str, JournalRecorder] = {}
        self._graphs: dict[str, _RunGraph] = {}

    def flow_run_started(self, run: FlowRun) -> None:
        from prefectlite.persistence.recorder import JournalRecorder

        if self.opened_by is None:
            self.opened_by = run
        closes = self.owned and run is self.opened_by
        recorder = JournalRecorder(self.store, batch_size=BATCH, close_store=closes)
        run_id = str(run.id)
        self._recorders[run_id], self._graphs[run_id] = recorder, _RunGraph()
        parent = str(run.parent.id) if run.parent is not None else None
        recorder.begin(run_id, run.flow.name, dict(run.parameters), parent_run_id=parent)

    def task_run_submitted(self, run: FlowRun, task_name: str, run_name: str,
                           map_index: int | None, inputs: dict[str, Any], wait_for: Any
                           ) -> None:
        """Remember a task run and the task runs it receives futures of (its graph edges)."""
        graph = self._graphs.get(str(run.id))
        if graph is not None:
            graph.add(task_name, run_name, map_index is not None, inputs, wait_for)

    def task_run_started(self, run: FlowRun, run_name: str) -> None:
        """The task run is starting (in this process): its row's start time."""
        graph = self._graphs.get(str(run.id))
        if graph is not None:
            graph.started[run_name] = time.time()

    def task_run_finished(self, run: FlowRun, task_name: str, run_name: str,
                          map_index: int | None, state: State) -> None:
        run_id = str(run.id)
        recorder, graph = self._recorders.get(run_id), self._graphs.get(run_id)
        if recorder is None or graph is None:
            return
        started = graph.started.pop(run_name, None)
        row = task_run_row(run_id, run_name, None, task_name,  # the run name holds the index
                           state._engine_name or state.name, _text(state.message),
                           started=started)
        recorder.add_row(row)

    def flow_run_finished(self, run: FlowRun, state: State) -> None:
        run_id = str(run.id)
        recorder, graph = self._recorders.pop(run_id, None), self._graphs.pop(run_id, None)
        if recorder is not None and graph is not None:
            recorder.end(state.name, state.message, graph=graph.to_json())


def _text(message: Any) -> str | None:
    if message is None:
        return None
    text = message if isinstance(message, str) else repr(message)
    return text if len(text) <= 4000 else text[:3997] + "..."
