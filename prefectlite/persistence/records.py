"""The run journal's schema and the records its read API returns.

Kept apart from :mod:`prefectlite.persistence.journal` (the ``RunStore`` that opens, writes and
reads the file) so that the table layout can be read in one place. Each schema version is
a list of SQL statements in :data:`MIGRATIONS`; a journal at version *n* is brought to
:data:`SCHEMA_VERSION` by running the lists *n+1, n+2, ...* in one transaction, and
``schema_version`` gets one row per applied version.

Tables (version 1)::

    flow_runs     id, flow_name, state, message, parameters (JSON text, or a pickle when
                  not JSON-able), started, ended, resumed_from, python,
                  prefectlite_version, host, pid, parent_run_id (a subflow's parent run)
    task_runs     (flow_run_id, task_slug, map_index) is the key; map_index -1 is the
                  whole task (a mapped task's Mapped state). task_name, state, message,
                  started, ended, run_count, n_map_states, result_kind, result_location,
                  result_checksum, serializer, python, code_hash, managed (the journal
                  chose the result's place, so deleting the run may delete its file),
                  copied_from (for rows a resumed run took over: the run that ran it),
                  result_inline (the result's bytes, for small JournalResult values)
    result_kinds  id, recipe: a pickled Result without value, location or checksum, that
                  reads locations back; shared by every row written the same way
    cache         persisted ``cache_for`` entries: cache_key, code_hash, python, created,
                  expires, flow_run_id, parameters and inputs (pickles), inputs_hash, and
                  the result as in task_runs

Version 2 adds::

    flow_graphs   flow_run_id, graph: the flow's tasks and edges as JSON (what the
                  dashboard draws before any task finished)
    logs          (flow_run_id, seq) is the key: task_slug and map_index (NULL / -1 for
                  records of the flow run itself), created, level, logger, message (with
                  the formatted traceback of a record that carried one)

Times are UNIX seconds (UTC); the records turn them into aware ``datetime`` objects.
"""

from __future__ import annotations

import datetime
import json
import pickle
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cloudpickle

from prefectlite.exceptions import PrefectliteError

SCHEMA_VERSION = 2
APPLICATION_ID = 0x50464C54  # "PFLT" in the SQLite header: this file is a prefectlite journal
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
FINISHED_TASK = ("Success", "Cached", "Skipped", "Mapped")  # states a resume may keep

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied REAL NOT NULL)",
        """CREATE TABLE flow_runs (
            id TEXT PRIMARY KEY, flow_name TEXT NOT NULL, state TEXT NOT NULL, message TEXT,
            parameters TEXT, parameters_pickle BLOB, started REAL NOT NULL, ended REAL,
            resumed_from TEXT REFERENCES flow_runs(id) ON DELETE SET NULL,
            python TEXT NOT NULL, prefectlite_version TEXT NOT NULL, host TEXT, pid INTEGER,
            parent_run_id TEXT REFERENCES flow_runs(id) ON DELETE SET NULL)""",
        "CREATE INDEX flow_runs_by_flow ON flow_runs (flow_name, started)",
        "CREATE INDEX flow_runs_by_start ON flow_runs (started)",
        "CREATE TABLE result_kinds (id INTEGER PRIMARY KEY, recipe BLOB NOT NULL UNIQUE)",
        """CREATE TABLE task_runs (
            flow_run_id TEXT NOT NULL REFERENCES flow_runs(id) ON DELETE CASCADE,
            task_slug TEXT NOT NULL, map_index INTEGER NOT NULL, task_name TEXT NOT NULL,
            state TEXT NOT NULL, message TEXT, started REAL, ended REAL NOT NULL,
            run_count INTEGER, n_map_states INTEGER,
            result_kind INTEGER REFERENCES result_kinds(id), result_location TEXT,
            result_checksum TEXT, serializer TEXT, python TEXT, code_hash TEXT,
            managed INTEGER NOT NULL DEFAULT 0, copied_from TEXT, result_inline BLOB,
            PRIMARY KEY (flow_run_id, task_slug, map_index)) WITHOUT ROWID""",
        "CREATE INDEX task_runs_by_location ON task_runs (result_location)",
        """CREATE TABLE cache (
            id INTEGER PRIMARY KEY, cache_key TEXT NOT NULL, code_hash TEXT NOT NULL,
            python TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
            flow_run_id TEXT REFERENCES flow_runs(id) ON DELETE CASCADE,
            parameters BLOB, inputs BLOB, inputs_hash TEXT,
            result_kind INTEGER REFERENCES result_kinds(id), result_location TEXT NOT NULL,
            result_checksum TEXT, serializer TEXT, result_inline BLOB)""",
        "CREATE INDEX cache_lookup ON cache (cache_key, code_hash, inputs_hash, expires)",
        "CREATE INDEX cache_expiry ON cache (expires)",
    ),
    2: (
        """CREATE TABLE flow_graphs (
            flow_run_id TEXT PRIMARY KEY REFERENCES flow_runs(id) ON DELETE CASCADE,
            graph TEXT NOT NULL)""",
        """CREATE TABLE logs (
            flow_run_id TEXT NOT NULL REFERENCES flow_runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, task_slug TEXT, map_index INTEGER NOT NULL,
            created REAL NOT NULL, level INTEGER NOT NULL, logger TEXT NOT NULL,
            message TEXT NOT NULL, PRIMARY KEY (flow_run_id, seq)) WITHOUT ROWID""",
    ),
}

RUN_COLUMNS = ("id", "flow_name", "state", "message", "parameters", "parameters_pickle",
               "started", "ended", "resumed_from", "python", "prefectlite_version", "host",
               "pid", "parent_run_id")
#: the columns of a task run as written; reading lists all but the inline bytes
ROW_COLUMNS = ("flow_run_id", "task_slug", "map_index", "task_name", "state", "message",
               "started", "ended", "run_count", "n_map_states", "result_kind",
               "result_location", "result_checksum", "serializer", "python", "code_hash",
               "managed", "copied_from", "result_inline")
TASK_COLUMNS = ROW_COLUMNS[:-1]
LOG_COLUMNS = ("flow_run_id", "seq", "task_slug", "map_index", "created", "level", "logger",
               "message")
CACHE_COLUMNS = ("cache_key", "code_hash", "python", "created", "expires", "flow_run_id",
                 "parameters", "inputs", "inputs_hash", "result_kind", "result_location",
                 "result_checksum", "serializer", "result_inline")


def task_run_row(
    flow_run_id: str, task_slug: str, map_index: int | None, task_name: str, state: str,
    message: str | None, *, started: float | None = None, ended: float | None = None,
    run_count: int | None = None, n_map_states: int | None = None,
    result_kind: int | None = None, result_location: str | None = None,
    result_checksum: str | None = None, serializer: str | None = None,
    python: str | None = None, code_hash: str | None = None, managed: bool = False,
    copied_from: str | None = None, result_inline: bytes | None = None,
) -> tuple[Any, ...]:
    """One ``task_runs`` row as :meth:`RunStore.add_task_runs` takes it (``ROW_COLUMNS``).

    Both journal writers (the Prefect 1 style runs' ``JournalRecorder`` and the eager
    API's journal) build their rows here. ``map_index=None`` is the whole task (stored as
    ``-1``); ``ended`` defaults to now.

    Examples
    --------
    >>> row = task_run_row("run-1", "add-1", None, "add", "Success", None, ended=5.0)
    >>> dict(zip(ROW_COLUMNS, row))["map_index"], len(row) == len(ROW_COLUMNS)
    (-1, True)
    """
    return (flow_run_id, task_slug, -1 if map_index is None else map_index, task_name, state,
            message, started, time.time() if ended is None else ended, run_count,
            n_map_states, result_kind, result_location, result_checksum, serializer, python,
            code_hash, int(managed), copied_from, result_inline)


class JournalError(PrefectliteError, RuntimeError):
    """The run journal cannot be opened, is not a prefectlite journal, or cannot be written."""


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return sorted(r[0] for r in rows)


def check_application(conn: sqlite3.Connection, path: Any) -> None:
    """Refuse an SQLite file that belongs to another application."""
    # One read transaction, so both reads see the same file: another process may be creating
    # the journal right now (tables and application id appear together when it commits).
    conn.execute("BEGIN")
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = _tables(conn)
    finally:
        conn.execute("COMMIT")
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
        raise JournalError(
            f"{path} is an SQLite database, but not a prefectlite run journal (it holds the "
            f"tables {', '.join(tables)}). Point PREFECTLITE_HOME (or journal=) at "
            "another place."
        )


def schema_version(conn: sqlite3.Connection, path: Any) -> int:
    """The journal's schema version (0: new); newer than this prefectlite's is an error."""
    version = 0
    if "schema_version" in _tables(conn):
        version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"The run journal {path} has schema version {version}, written by a newer "
            f"prefectlite; this one reads versions up to {SCHEMA_VERSION}. Upgrade "
            "prefectlite, or point PREFECTLITE_HOME (or journal=) at another place."
        )
    return int(version)


def migrate(conn: sqlite3.Connection, path: Any) -> None:
    """Apply the missing migrations (call inside a write transaction)."""
    for step in range(schema_version(conn, path) + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[step]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (step, time.time()))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def when(seconds: float | None) -> datetime.datetime | None:
    """A journal time (UNIX seconds) as an aware UTC datetime.

    Examples
    --------
    >>> when(0).isoformat(), when(None)
    ('1970-01-01T00:00:00+00:00', None)
    """
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


@dataclass(frozen=True)
class TaskRunRecord:
    """One row of ``task_runs``: how one task (or mapped child) of a flow run ended.

    ``map_index`` is ``None`` for a whole task. ``inline`` says the result's bytes are kept
    in the journal itself (:class:`~prefectlite.engine.results.JournalResult`).
    """

    flow_run_id: str
    task_slug: str
    map_index: int | None
    task_name: str
    state: str
    message: str | None
    started: datetime.datetime | None
    ended: datetime.datetime
    run_count: int | None
    n_map_states: int | None
    result_kind: int | None
    result_location: str | None
    result_checksum: str | None
    serializer: str | None
    python: str | None
    code_hash: str | None
    managed: bool
    copied_from: str | None
    inline: bool = False

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> TaskRunRecord:
        """Build a record from ``TASK_COLUMNS`` followed by an "is inline" flag."""
        values = dict(zip(TASK_COLUMNS, row))
        values["map_index"] = None if values["map_index"] < 0 else values["map_index"]
        values["started"], values["ended"] = when(values["started"]), when(values["ended"])
        values["managed"] = bool(values["managed"])
        return cls(**values, inline=bool(row[len(TASK_COLUMNS)]))

    @property
    def is_finished(self) -> bool:
        """Whether the state is one a resumed run may keep (Success, Cached, Skipped, Mapped)."""
        return self.state in FINISHED_TASK


@dataclass(frozen=True)
class FlowRunRecord:
    """One row of ``flow_runs``, with its task runs when read by ``RunStore.get_run``."""

    id: str
    flow_name: str
    state: str
    message: str | None
    parameters: dict[str, Any]
    started: datetime.datetime
    ended: datetime.datetime | None
    resumed_from: str | None
    python: str
    prefectlite_version: str
    host: str | None
    pid: int | None
    parent_run_id: str | None = None
    task_runs: tuple[TaskRunRecord, ...] = ()

    @classmethod
    def from_row(cls, row: Sequence[Any], tasks: tuple[TaskRunRecord, ...] = ()
                 ) -> FlowRunRecord:
        """Build a record from ``RUN_COLUMNS``."""
        values = dict(zip(RUN_COLUMNS, row))
        blob, text = values.pop("parameters_pickle"), values.pop("parameters")
        values["parameters"] = (cloudpickle.loads(blob) if blob is not None
                                else json.loads(text or "{}"))
        values["started"], values["ended"] = when(values["started"]), when(values["ended"])
        return cls(**values, task_runs=tasks)


@dataclass(frozen=True)
class LogRecord:
    """One stored log record of a flow run (``task_slug`` ``None``: the flow run's own)."""

    flow_run_id: str
    seq: int
    task_slug: str | None
    map_index: int | None
    created: datetime.datetime
    level: int
    logger: str
    message: str

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> LogRecord:
        """Build a record from ``LOG_COLUMNS``."""
        values = dict(zip(LOG_COLUMNS, row))
        values["map_index"] = None if values["map_index"] < 0 else values["map_index"]
        values["created"] = when(values["created"])
        return cls(**values)

    @property
    def level_name(self) -> str:
        """``INFO``, ``ERROR``, ... (``Level 15`` for a custom level)."""
        import logging

        return logging.getLevelName(self.level)


def encode_parameters(parameters: dict[str, Any]) -> tuple[str | None, bytes | None]:
    """Parameters as JSON text when they allow it, else as a cloudpickle.

    Examples
    --------
    >>> encode_parameters({"n": 3})
    ('{"n": 3}', None)
    >>> encode_parameters({"when": {1, 2}})[0] is None
    True
    """
    try:
        text = json.dumps(parameters, sort_keys=True)
        if json.loads(text) == parameters:
            return text, None
    except (TypeError, ValueError):
        pass
    return None, cloudpickle.dumps(parameters)


def pickle_or_none(value: Any) -> bytes | None:
    """``cloudpickle.dumps(value)``, or ``None`` when the value cannot be pickled.

    Examples
    --------
    >>> import threading
    >>> pickle_or_none({"a": 1}) is not None, pickle_or_none(threading.Lock())
    (True, None)
    """
    try:
        return cloudpickle.dumps(value)  # type: ignore[no-any-return]
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
