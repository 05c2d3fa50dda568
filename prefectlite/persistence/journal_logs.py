"""Log records and flow graphs in the run journal.

While a journaled flow run is going, :class:`LogCapture` (one ``logging.Handler`` on the
``prefectlite`` logger, shared by every journaled run of the process) turns each record of
that run into a ``logs`` row: the engine's lines (``prefectlite.TaskRunner``, ...), the
task loggers (``prefectlite.<task name>``, which is ``prefectlite.context.logger``), and,
for ``log_stdout=True`` tasks, their prints. A record belongs to the run and task run named
by the ``prefectlite.context`` of the thread that logged it, or, for a record made in a Dask
worker or pool process, by the identity that process stamped on it
(:mod:`prefectlite.utilities.log_records`); a record made outside any task's context (the
flow runner's own lines) goes to the flow run when only one journaled run is going. An eager
task run is named by ``journal_slug`` in its context (its run name, ``add-0``: each eager
task run, a ``.map`` child too, has a row of its own).

The rows wait in the :class:`~prefectlite.persistence.recorder.JournalRecorder` with the
task-run rows and are committed in the same transactions. A run keeps at most
``max_log_records`` records; the ones after that are counted, and one last WARNING record
from ``prefectlite.journal`` says how many were not stored.

:func:`read_logs` and :func:`read_graph` read them back (the ``runs logs`` command and the
dashboard use them).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prefectlite.persistence.records import LOG_COLUMNS, LogRecord
from prefectlite.utilities import context as _context
from prefectlite.utilities.log_records import task_run_of

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.persistence.journal import RunStore

__all__ = ["LogCapture", "flow_graph", "read_graph", "read_logs", "save_graph", "CAPTURE"]

MAX_MESSAGE = 20_000  # characters kept of one record's message (traceback included)
_FORMATTER = logging.Formatter()

#: ``sink(task_slug, map_index, created, level, logger, message)``
Sink = Callable[[str | None, int, float, int, str, str], None]


class LogCapture(logging.Handler):
    """Sends the records of journaled runs to their recorders (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.sinks: dict[str, Sink] = {}
        self._guard = threading.Lock()

    def attach(self, run_id: str, sink: Sink) -> None:
        """Start sending run ``run_id``'s records to ``sink``."""
        with self._guard:
            # every time: code that resets the logger's handlers may have removed it
            logging.getLogger("prefectlite").addHandler(self)
            self.sinks[run_id] = sink

    def detach(self, run_id: str) -> None:
        """Stop capturing run ``run_id``'s records (the handler leaves when none is left)."""
        with self._guard:
            self.sinks.pop(run_id, None)
            if not self.sinks:
                logging.getLogger("prefectlite").removeHandler(self)

    def handle(self, record: logging.LogRecord) -> bool:  # no handler lock: sinks lock
        ctx = task_run_of(record) or _context._current.get()  # stamped: from another process
        sinks = self.sinks
        sink = sinks.get(ctx.get("flow_run_id"))  # type: ignore[arg-type]
        if sink is None:
            if len(sinks) != 1 or "task_slug" in ctx:
                return False  # another process's or an unjournaled run's record
            sink = next(iter(sinks.values()), None)
            if sink is None:
                return False
            ctx = {}
        try:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            if len(message) > MAX_MESSAGE:
                message = message[:MAX_MESSAGE] + "... (cut)"
            slug, index = ctx.get("journal_slug"), None  # an eager task run: its run name
            if slug is None:
                slug, index = ctx.get("task_slug"), ctx.get("map_index")
            sink(slug, -1 if index is None else index, record.created,
                 record.levelno, record.name, message)
        except Exception:
            self.handleError(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() does it
        self.handle(record)


#: the one handler every journaled run of this process shares
CAPTURE = LogCapture()


def flow_graph(flow: Flow, slugs: dict[Any, str]) -> str:
    """The flow's tasks and edges as JSON text (stored with the run for the dashboard)."""
    mapped = {e.downstream_task for e in flow.edges if e.mapped}
    tasks = [{"slug": slugs[t], "name": t.name, "type": type(t).__name__,
              "mapped": t in mapped} for t in slugs]
    edges = sorted([slugs[e.upstream_task], slugs[e.downstream_task], e.key, e.mapped]
                   for e in flow.edges)
    return json.dumps({"tasks": tasks, "edges": edges}, default=str)


def save_graph(store: RunStore, run_id: str, graph: str) -> None:
    """Store (or replace) the graph of run ``run_id`` (an eager run's is known at its end)."""
    with store.writing() as conn:
        conn.execute("INSERT OR REPLACE INTO flow_graphs VALUES (?, ?)", (run_id, graph))


def read_graph(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The graph stored with run ``run_id`` (``None`` for runs recorded without one)."""
    rows = store._query("SELECT graph FROM flow_graphs WHERE flow_run_id = ?", (run_id,))
    return json.loads(rows[0][0]) if rows else None


def logged_tasks(store: RunStore, run_id: str) -> set[str]:
    """The slugs of the tasks of run ``run_id`` that have logged anything (a task that has
    logged but has no finished row yet is running)."""
    rows = store._query("SELECT DISTINCT task_slug FROM logs WHERE flow_run_id = ? AND "
                        "task_slug IS NOT NULL", [run_id])
    return {row[0] for row in rows}


def read_logs(store: RunStore, run_id: str, task_slug: str | None = None,
              map_index: int | None = None, after: int = -1,
              limit: int | None = None) -> list[LogRecord]:
    """Run ``run_id``'s log records in the order they were made.

    ``task_slug`` keeps one task's records (``map_index``: one mapped child's); ``after``
    keeps those whose ``seq`` is above it (for following a running run).
    """
    sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM logs WHERE flow_run_id = ? AND seq > ?"
    args: list[Any] = [run_id, after]
    if task_slug is not None:
        sql += " AND task_slug = ?"
        args.append(task_slug)
        if map_index is not None:
            sql += " AND map_index = ?"
            args.append(map_index)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [LogRecord.from_row(row) for row in store._query(sql, args)]
