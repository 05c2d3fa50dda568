"""The run journal: one SQLite file recording flow runs and the final state of each task run.

``RunStore(path)`` opens (creating it if needed) ``$PREFECTLITE_HOME/prefectlite.db``. The
engine writes it through :class:`~prefectlite.persistence.recorder.JournalRecorder`
during ``flow.run(journal=True)``; :mod:`prefectlite.persistence.resume` reads it back for
``flow.run(resume=...)``; users and the CLI read it with :meth:`RunStore.list_runs`,
:meth:`RunStore.get_run` and :meth:`RunStore.read_result`, and prune it with
:meth:`RunStore.delete_runs`. The tables: :mod:`prefectlite.persistence.records`.
Opening (:mod:`prefectlite.persistence.opening`) makes the file private, checks it and
migrates it. Who runs (and may resume) a run: :mod:`prefectlite.persistence.claims`.

Concurrency: WAL mode (readers never block the writer), a busy timeout, and every write in
a ``BEGIN IMMEDIATE`` transaction, so several processes can journal runs at once and a
writer waits for its turn instead of failing with "database is locked". Times are UNIX
seconds (UTC); the read API turns them into aware ``datetime`` objects.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cloudpickle

from prefectlite import settings
from prefectlite.persistence import pruning
from prefectlite.persistence.claims import Heartbeat, latest_to_resume
from prefectlite.persistence.opening import connect, write_error
from prefectlite.persistence.records import (
    CACHE_COLUMNS,
    HOST,
    LOG_COLUMNS,
    MASK,
    PYTHON,
    ROW_COLUMNS,
    RUN_COLUMNS,
    SCHEMA_VERSION,
    TASK_COLUMNS,
    FlowRunRecord,
    JournalError,
    TaskRunRecord,
    clean_text,
    encode_parameters,
    insert_rows,
    source_hash,
)
from prefectlite.utilities.files import check_private

__all__ = ["FlowRunRecord", "JournalError", "RunStore", "TaskRunRecord", "SCHEMA_VERSION"]

_LISTED = ", ".join(TASK_COLUMNS) + ", result_inline IS NOT NULL"


class RunStore:
    """A run journal (an SQLite file); see the module docstring for its contents.

    Parameters
    ----------
    path
        The journal file (default ``$PREFECTLITE_HOME/prefectlite.db``). Its directory is
        created when missing.
    timeout
        Seconds a write waits for another process's write to end before failing.

    Raises
    ------
    JournalError
        When the file cannot be created or opened, is not a prefectlite journal, or was
        written by a newer prefectlite (schema version above ``SCHEMA_VERSION``).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, timeout: float = 60.0):
        self.path = Path(path).expanduser().absolute() if path else settings.journal_path()
        self.results_dir = self.path.parent / "results"
        self._lock = threading.RLock()
        self._kinds: dict[bytes, int] = {}
        self._recipes: dict[int, bytes] = {}
        self._conn = connect(self.path, timeout)
        self.closed = False
        self.heartbeat = Heartbeat(self)

    def __repr__(self) -> str:
        return f"<RunStore: {self.path}>"

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the store cannot be used afterwards)."""
        self.heartbeat.stop()
        with self._lock:
            self._conn.close()
            self.closed = True

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; any failure becomes a :class:`JournalError`."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                raise write_error(self.path, exc) from exc

    # -- writing (used by the engine) ----------------------------------------------------

    def start_run(self, run_id: str, flow_name: str, parameters: dict[str, Any],
                  resumed_from: str | None = None, parent_run_id: str | None = None,
                  graph: str | None = None, flow_file: str | None = None,
                  secret: Sequence[str] = ()) -> None:
        """Record that flow run ``run_id`` started (committed at once).

        ``resumed_from`` links a resumed run to the run it resumes (its row, written by
        :func:`~prefectlite.persistence.claims.claim`, is completed), ``parent_run_id`` a
        subflow's run to its parent's; ``graph`` is the flow's tasks and edges as JSON
        (:func:`prefectlite.persistence.journal_logs.flow_graph`), ``flow_file`` where the
        flow came from (its file's SHA-256 is stored with it); the values of the ``secret``
        parameters are not stored.
        """
        from prefectlite.version import __version__

        text, blob = encode_parameters(parameters, secret)
        now = time.time()
        values = tuple(clean_text(v) for v in (
            run_id, flow_name, "Running", "Running flow.", text, blob, now, None, resumed_from,
            PYTHON, __version__, HOST, os.getpid(), parent_run_id, now, flow_file,
            source_hash(flow_file)))
        with self.writing() as conn:
            conn.execute(
                f"INSERT INTO flow_runs ({', '.join(RUN_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(RUN_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
                "message = excluded.message, parameters = excluded.parameters, "
                "parameters_pickle = excluded.parameters_pickle, heartbeat = excluded.heartbeat, "
                "flow_file = excluded.flow_file, flow_file_hash = excluded.flow_file_hash",
                values)
            if graph is not None:
                conn.execute("INSERT OR REPLACE INTO flow_graphs VALUES (?, ?)", (run_id, graph))
        self.heartbeat.add(run_id)

    def copy_task_runs(self, run_id: str, old_run_id: str,
                       keys: Iterable[tuple[str, int]]) -> None:
        """Give run ``run_id`` the rows ``(slug, map_index)`` of ``old_run_id`` it took over."""
        kept = ", ".join(ROW_COLUMNS[1:-3])
        with self.writing() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO task_runs ({', '.join(ROW_COLUMNS)}) SELECT ?, "
                f"{kept}, COALESCE(copied_from, flow_run_id), result_inline, inputs FROM "
                "task_runs "
                "WHERE flow_run_id = ? AND task_slug = ? AND map_index = ?",
                ((run_id, old_run_id, slug, index) for slug, index in keys))

    def add_task_runs(self, rows: Sequence[tuple[Any, ...]],
                      cache_rows: Sequence[tuple[Any, ...]] = (),
                      log_rows: Sequence[tuple[Any, ...]] = ()) -> None:
        """Insert (or replace) ``task_runs`` rows, ``cache`` and ``logs`` rows, in one
        transaction."""
        with self.writing() as conn:
            for table, columns, batch in (("task_runs", ROW_COLUMNS, rows),
                                          ("cache", CACHE_COLUMNS, cache_rows),
                                          ("logs", LOG_COLUMNS, log_rows)):
                if batch:
                    insert_rows(conn, f"INSERT {'OR REPLACE ' * (table == 'task_runs')}INTO "
                                f"{table} ({', '.join(columns)}) VALUES "
                                f"({', '.join('?' * len(columns))})", batch)

    def finish_run(self, run_id: str, state: str, message: str | None) -> None:
        """Record the final state of flow run ``run_id``."""
        try:
            with self.writing() as conn:
                conn.execute("UPDATE flow_runs SET state = ?, message = ?, ended = ?, "
                             "heartbeat = ended WHERE id = ?",
                             (state, clean_text(message), time.time(), run_id))
        finally:
            self.heartbeat.remove(run_id)

    def result_kind(self, recipe: bytes) -> int:
        """The id of ``recipe`` in ``result_kinds`` (added when new)."""
        kind = self._kinds.get(recipe)
        if kind is None:
            with self.writing() as conn:
                conn.execute("INSERT OR IGNORE INTO result_kinds (recipe) VALUES (?)", (recipe,))
                kind = conn.execute("SELECT id FROM result_kinds WHERE recipe = ?",
                                    (recipe,)).fetchone()[0]
            self._kinds[recipe] = kind
        return kind

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads; a failure becomes a :class:`JournalError`."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise JournalError(f"Could not read the run journal {self.path}: {exc}") from exc

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self.reading() as conn:
            return conn.execute(sql, args).fetchall()

    def list_runs(self, flow_name: str | None = None, state: str | None = None,
                  limit: int | None = None, offset: int = 0) -> list[FlowRunRecord]:
        """Flow runs, newest first, optionally of one flow and/or in one state (``Running``:
        in progress now, ``Crashed``: its process died); ``limit`` and ``offset`` choose a
        page of them."""
        live = state in ("Running", "Crashed")
        where, args = self._filters(flow_name=flow_name,
                                    state="Running" if live else state)
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM flow_runs{where} ORDER BY started DESC"
        if (limit is not None or offset) and not live:
            sql += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        runs = [FlowRunRecord.from_row(row) for row in self._query(sql, args)]
        if live:
            runs = [r for r in runs if r.state == state][offset:]
            runs = runs if limit is None else runs[:limit]
        return runs

    def count_runs(self, flow_name: str | None = None, state: str | None = None) -> int:
        """How many runs :meth:`list_runs` would list without a limit."""
        if state in ("Running", "Crashed"):
            return len(self.list_runs(flow_name, state))
        where, args = self._filters(flow_name=flow_name, state=state)
        return int(self._query(f"SELECT COUNT(*) FROM flow_runs{where}", args)[0][0])

    def flow_names(self) -> list[str]:
        """The names of the flows that have recorded runs, sorted."""
        return [r[0] for r in self._query("SELECT DISTINCT flow_name FROM flow_runs "
                                          "ORDER BY flow_name")]

    @staticmethod
    def _filters(**values: Any) -> tuple[str, list[Any]]:
        clauses = [f"{k} = ?" for k, v in values.items() if v is not None]
        args = [v for v in values.values() if v is not None]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def resolve_run_id(self, run_id: str) -> str:
        """The full id of the run whose id is (or starts with) ``run_id``."""
        rows = self._query("SELECT id FROM flow_runs WHERE id = ? OR id LIKE ? LIMIT 2",
                           (run_id, run_id.replace("%", "").replace("_", "\\_") + "%"))
        exact = [r[0] for r in rows if r[0] == run_id]
        if exact:
            return str(exact[0])
        if len(rows) == 1:
            return str(rows[0][0])
        if not rows:
            raise JournalError(f"No flow run {run_id!r} in the run journal {self.path}; "
                               "RunStore().list_runs() lists the recorded runs.")
        raise JournalError(f"{run_id!r} is the start of several run ids in {self.path}; "
                           "give more of it.")

    def get_run(self, run_id: str, tasks: bool = True) -> FlowRunRecord:
        """The flow run ``run_id`` (or a unique prefix of it), with its task runs."""
        run_id = self.resolve_run_id(run_id)
        row = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM flow_runs WHERE id = ?",
                          (run_id,))[0]
        return FlowRunRecord.from_row(row, tuple(self.task_runs(run_id)) if tasks else ())

    def task_runs(self, run_id: str) -> list[TaskRunRecord]:
        """The task runs recorded for flow run ``run_id``, by slug and map index."""
        rows = self._query(f"SELECT {_LISTED} FROM task_runs WHERE "
                           "flow_run_id = ? ORDER BY task_slug, map_index", (run_id,))
        return [TaskRunRecord.from_row(r) for r in rows]

    def latest_run(self, flow_name: str, unfinished: bool = True) -> FlowRunRecord | None:
        """The newest run of ``flow_name`` (``unfinished``: the newest that did not succeed
        and was not resumed to success; :mod:`prefectlite.persistence.claims`)."""
        if unfinished:
            return latest_to_resume(self, flow_name)
        rows = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM flow_runs WHERE "
                           "flow_name = ? ORDER BY started DESC LIMIT 1", (flow_name,))
        return FlowRunRecord.from_row(rows[0]) if rows else None

    def run_parameters(self, run_id: str) -> dict[str, Any]:
        """The parameters run ``run_id`` was given, those stored as a pickle included (read
        only from a journal no other user can write; secret ones are missing)."""
        rows = self._query("SELECT parameters, parameters_pickle FROM flow_runs WHERE id = ?",
                           (run_id,))
        if not rows:
            raise JournalError(f"No flow run {run_id!r} in the run journal {self.path}.")
        text, blob = rows[0]
        values = {k: v for k, v in json.loads(text or "{}").items() if v != MASK}
        if blob is not None:
            values.update(self.unpickle(blob))
        return values

    def recipe(self, kind: int) -> Any:
        """A new Result (without value) that reads locations of result kind ``kind``."""
        blob = self._recipes.get(kind)
        if blob is None:
            rows = self._query("SELECT recipe FROM result_kinds WHERE id = ?", (kind,))
            if not rows:
                raise JournalError(f"The run journal {self.path} has no result kind {kind}.")
            blob = self._recipes[kind] = rows[0][0]
        return self.unpickle(blob)

    def unpickle(self, blob: bytes) -> Any:
        """Unpickle bytes read from the journal, which no other user may be able to write
        (:func:`~prefectlite.utilities.files.check_private`)."""
        check_private(self.path)
        return cloudpickle.loads(blob)

    def stored_result(self, kind: int, location: str, checksum: str | None,
                      inline: bytes | None = None) -> Any:
        """Read a stored result back: its recipe, told the checksum (and inline bytes)."""
        result = self.recipe(kind)
        if hasattr(result, "checksum"):
            result.location, result.checksum = location, checksum
        if hasattr(result, "inline"):
            if inline is not None:
                check_private(self.path)
            result.inline = inline
        return result.read(location)

    def load_result(self, record: TaskRunRecord) -> Any:
        """The ``Result`` (value included) recorded for a task run; checks its checksum.

        Raises
        ------
        ValueError
            When the run has no stored result.
        prefectlite.engine.results.ResultCorruptError
            When the stored bytes changed since they were written.
        """
        if record.result_kind is None or record.result_location is None:
            raise ValueError(f"Task run {record.task_slug}[{record.map_index}] of flow run "
                             f"{record.flow_run_id} has no stored result.")
        inline = None
        if record.inline:
            inline = self._query(
                "SELECT result_inline FROM task_runs WHERE flow_run_id = ? AND task_slug = ? "
                "AND map_index = ?", (record.flow_run_id, record.task_slug,
                                      -1 if record.map_index is None else record.map_index)
            )[0][0]
        return self.stored_result(record.result_kind, record.result_location,
                                  record.result_checksum, inline)

    def read_result(self, record: TaskRunRecord) -> Any:
        """The value stored for a task run (see :meth:`load_result`)."""
        return self.load_result(record).value

    # -- the persisted cache -------------------------------------------------------------

    def cache_entries(self, cache_key: str, code_hash: str, inputs_hash: str | None = None,
                      limit: int = 20) -> list[tuple[Any, ...]]:
        """Unexpired cache rows for ``cache_key`` and ``code_hash``, best candidates first.

        Rows whose inputs hash to ``inputs_hash`` come first (a mapped task's children share
        one key), then the newest others, at most ``limit`` of each.
        """
        sql = (f"SELECT {', '.join(CACHE_COLUMNS)} FROM cache WHERE cache_key = ? AND "
               "code_hash = ? AND python = ? AND expires > ? {} ORDER BY created DESC LIMIT ?")
        args = [cache_key, code_hash, PYTHON, time.time()]
        same = self._query(sql.format("AND inputs_hash = ?"), [*args, inputs_hash, limit]) \
            if inputs_hash is not None else []
        newest = self._query(sql.format(""), [*args, limit])
        return same + [row for row in newest if row not in same]

    def purge_cache(self) -> int:
        """Delete expired cache entries; return how many."""
        with self.writing() as conn:
            return conn.execute("DELETE FROM cache WHERE expires <= ?", (time.time(),)).rowcount

    # -- pruning -------------------------------------------------------------------------

    def delete_runs(self, run_ids: Iterable[str] | None = None,
                    older_than: datetime.datetime | datetime.timedelta | None = None,
                    flow_name: str | None = None, delete_results: bool = True,
                    force: bool = False) -> list[str]:
        """Delete flow runs (with their task runs and cache entries); return their ids.

        Runs are chosen by id (or unique prefix), or by ``older_than`` (a time, or an age)
        and/or ``flow_name``. A run in progress (a live process runs it) is refused with
        :class:`~prefectlite.persistence.claims.RunInProgress` unless ``force``. With
        ``delete_results``, the result files the journal chose for those runs are deleted
        too, unless a remaining run (e.g. one resumed from them) still uses them. Targets
        and results written where a task's or flow's own ``result=`` said are never deleted.
        """
        return pruning.delete_runs(self, run_ids, older_than, flow_name, delete_results,
                                   force)
