"""Recording eager flow runs in the run journal (``@flow(journal=True)``).

The journal is :class:`prefectlite.persistence.journal.RunStore`, the same SQLite file Prefect 1
style runs write with ``flow.run(journal=True)``. An eager run with ``journal=True`` (or a path,
or a ``RunStore``; subflows inherit their parent's journal) writes:

* a ``flow_runs`` row when the run starts (id, flow name, parameters), finished with the
  run's final state (``Completed``, ``Failed``, ... as the eager API names them);
* one ``task_runs`` row per task run as it ends: the run name as ``task_slug`` (``add-0``),
  the map index of ``.map`` children, and the engine's state name (``Success``, ``Failed``,
  ``TimedOut``, ...), as Prefect 1 rows have. Rows are written in batches (at the end of the
  run, and every ``BATCH`` rows).

A subflow's row names its parent run (``parent_run_id``). Not recorded: results (eager runs
do not persist results, so they cannot be resumed).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefectlite.persistence.records import task_run_row

if TYPE_CHECKING:
    from prefectlite.eager.run import FlowRun
    from prefectlite.eager.states import State

__all__ = ["EagerJournal", "open_journal"]

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


class EagerJournal:
    """Writes one eager flow run (and the subflow runs that share it) into a ``RunStore``."""

    def __init__(self, store: Any, owned: bool) -> None:
        self.store, self.owned = store, owned
        self.opened_by: Any = None  # the run whose option opened it closes it
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def flow_run_started(self, run: FlowRun) -> None:
        if self.opened_by is None:
            self.opened_by = run
        parent = str(run.parent.id) if run.parent is not None else None
        self.store.start_run(str(run.id), run.flow.name, dict(run.parameters),
                             parent_run_id=parent)

    def task_run_finished(self, run: FlowRun, task_name: str, run_name: str,
                          map_index: int | None, state: State) -> None:
        row = task_run_row(str(run.id), run_name, map_index, task_name,
                           state._engine_name or state.name, state.message)
        with self._lock:
            self._rows.append(row)
            full = len(self._rows) >= BATCH
        if full:
            self.flush()

    def flow_run_finished(self, run: FlowRun, state: State) -> None:
        self.flush()
        self.store.finish_run(str(run.id), state.name, state.message)
        if self.owned and run is self.opened_by:
            self.store.close()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            self.store.add_task_runs(rows)
