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

Version 3 adds to ``flow_runs``::

    heartbeat     when the process running it last said it is alive (UNIX seconds; written
                  every ``HEARTBEAT_INTERVAL`` seconds by :mod:`prefectlite.persistence.claims`)
    flow_file     where the flow came from (``path/to/flow.py`` or ``module``, with
                  ``:NAME`` when the file holds several flows), for the resume command

Version 4 adds, for ``prefectlite runs replay`` (:mod:`prefectlite.persistence.replay`)::

    task_runs.inputs         the keyword arguments the task's function was called with: a
                             pickle of a dict, arguments that were not recorded (secret, too
                             big, not picklable) replaced by a ``NotRecorded`` marker
                             (:mod:`prefectlite.persistence.inputs`); NULL when none
    flow_runs.flow_file_hash the SHA-256 of the flow file when the run started

A ``Running`` row whose process is gone is read back as ``Crashed`` (:func:`live_state`).

Times are UNIX seconds (UTC); the records turn them into aware ``datetime`` objects.
"""

from __future__ import annotations

import datetime
import json
import os
import pickle
import re
import socket
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cloudpickle

from prefectlite.exceptions import PrefectliteError

SCHEMA_VERSION = 4
APPLICATION_ID = 0x50464C54  # "PFLT" in the SQLite header: this file is a prefectlite journal
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
FINISHED_TASK = ("Success", "Cached", "Skipped", "Mapped")  # states a resume may keep
#: final states of a flow run that succeeded (``Completed``: an eager run)
MASK = "********"  # what a secret value is shown (and stored) as
#: parameter (and task) names whose values are never shown
SECRET = re.compile(r"secret|passw(or)?d|passwd|token|api[_-]?key|credential|private[_-]?key|"
                    r"auth", re.IGNORECASE)
SUCCEEDED = ("Success", "Cached", "Skipped", "Mapped", "Completed")
HEARTBEAT_INTERVAL = 5.0  # seconds between two heartbeats of a running run
STALE_AFTER = 60.0  # a heartbeat older than this: the run's process is gone (or hung)
HOST = socket.gethostname()
#: ids of the runs this process started and has not finished (a row of our own pid that is
#: not here belongs to a run that ended without saying so)
ACTIVE: set[str] = set()

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
    3: (
        "ALTER TABLE flow_runs ADD COLUMN heartbeat REAL",
        "ALTER TABLE flow_runs ADD COLUMN flow_file TEXT",
        "CREATE INDEX flow_runs_by_resumed ON flow_runs (resumed_from)",
    ),
    4: (
        "ALTER TABLE task_runs ADD COLUMN inputs BLOB",
        "ALTER TABLE flow_runs ADD COLUMN flow_file_hash TEXT",
    ),
}

RUN_COLUMNS = ("id", "flow_name", "state", "message", "parameters", "parameters_pickle",
               "started", "ended", "resumed_from", "python", "prefectlite_version", "host",
               "pid", "parent_run_id", "heartbeat", "flow_file", "flow_file_hash")
#: the columns of a task run as written; reading lists all but the inline bytes and inputs
ROW_COLUMNS = ("flow_run_id", "task_slug", "map_index", "task_name", "state", "message",
               "started", "ended", "run_count", "n_map_states", "result_kind",
               "result_location", "result_checksum", "serializer", "python", "code_hash",
               "managed", "copied_from", "result_inline", "inputs")
TASK_COLUMNS = ROW_COLUMNS[:-2]
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
    inputs: bytes | None = None,
) -> tuple[Any, ...]:
    """One ``task_runs`` row as :meth:`RunStore.add_task_runs` takes it (``ROW_COLUMNS``).

    Both journal writers (the Prefect 1 style runs' ``JournalRecorder`` and the eager
    API's journal) build their rows here. ``map_index=None`` is the whole task (stored as
    ``-1``); ``ended`` defaults to now; ``inputs`` are the task's recorded arguments
    (:func:`prefectlite.persistence.inputs.take_inputs`).

    Examples
    --------
    >>> row = task_run_row("run-1", "add-1", None, "add", "Success", None, ended=5.0)
    >>> dict(zip(ROW_COLUMNS, row))["map_index"], len(row) == len(ROW_COLUMNS)
    (-1, True)
    """
    return (flow_run_id, task_slug, -1 if map_index is None else map_index, task_name, state,
            message, started, time.time() if ended is None else ended, run_count,
            n_map_states, result_kind, result_location, result_checksum, serializer, python,
            code_hash, int(managed), copied_from, result_inline, inputs)


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
    heartbeat: datetime.datetime | None = None
    flow_file: str | None = None
    flow_file_hash: str | None = None
    #: some parameters are stored only as a pickle (not read when listing; see
    #: ``RunStore.run_parameters``); ``parameters`` shows them as text
    parameters_pickled: bool = False
    task_runs: tuple[TaskRunRecord, ...] = ()

    @classmethod
    def from_row(cls, row: Sequence[Any], tasks: tuple[TaskRunRecord, ...] = ()
                 ) -> FlowRunRecord:
        """Build a record from ``RUN_COLUMNS`` (never unpickling anything)."""
        values = dict(zip(RUN_COLUMNS, row))
        blob, text = values.pop("parameters_pickle"), values.pop("parameters")
        values["parameters"] = _json_object(text)
        values["parameters_pickled"] = blob is not None
        values["state"], message = live_state(values)
        values["message"] = message or values["message"]
        for key in ("started", "ended", "heartbeat"):
            values[key] = when(values[key])
        return cls(**values, task_runs=tasks)

    @property
    def in_progress(self) -> bool:
        """Whether a live process is running it now (``Running``, not ``Crashed``)."""
        return self.state == "Running"


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def process_alive(host: str | None, pid: int | None, run_id: str) -> bool | None:
    """Whether the process ``pid`` on ``host`` still runs run ``run_id``; ``None``: cannot
    tell (another host)."""
    if host != HOST or pid is None:
        return None
    if pid == os.getpid():
        return run_id in ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def live_state(values: dict[str, Any], now: float | None = None) -> tuple[str, str | None]:
    """The state of a ``flow_runs`` row (a dict of ``RUN_COLUMNS``), ``Crashed`` for a
    ``Running`` run whose process is gone (not on this host any more, or silent for
    ``STALE_AFTER`` seconds), with the message saying why (``None``: the row's)."""
    state = values["state"]
    if state != "Running" or values.get("ended") is not None:
        return state, None
    beat = values.get("heartbeat") or values["started"]
    silent = (now or time.time()) - beat
    where = f"{values.get('host')} pid {values.get('pid')}"
    if process_alive(values.get("host"), values.get("pid"), values["id"]) is False:
        return "Crashed", f"The process running it ({where}) is gone."
    if silent > STALE_AFTER:
        return "Crashed", (f"The process running it ({where}) has not been heard of for "
                           f"{silent:.0f} s.")
    return state, None


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


def encode_parameters(parameters: dict[str, Any], secret: Sequence[str] = ()
                      ) -> tuple[str, bytes | None]:
    """Parameters as JSON text, and a cloudpickle of those that JSON cannot hold.

    The text holds every parameter: the JSON-able values themselves, the others as their
    ``repr`` (for display; resuming reads the pickle), and the ``secret`` ones as ``MASK``
    (their values are stored nowhere).

    Examples
    --------
    >>> encode_parameters({"n": 3, "pw": "x"}, secret=["pw"])
    ('{"n": 3, "pw": "********"}', None)
    >>> text, blob = encode_parameters({"when": {1}})
    >>> text, blob is not None
    ('{"when": "{1}"}', True)
    """
    shown: dict[str, Any] = {}
    pickled: dict[str, Any] = {}
    for name, value in parameters.items():
        if name in secret:
            shown[name] = MASK
            continue
        try:
            text = json.dumps(value, sort_keys=True)
            if json.loads(text) == value:
                shown[name] = value
                continue
        except (TypeError, ValueError, RecursionError):
            pass
        pickled[name] = value
        shown[name] = _short_repr(value)
    return json.dumps(shown, sort_keys=True), cloudpickle.dumps(pickled) if pickled else None


def masked(parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` with the values of secret-looking names (:data:`SECRET`) masked.

    Examples
    --------
    >>> masked({"n": 3, "db_password": "hunter2"})
    {'n': 3, 'db_password': '********'}
    """
    return {k: MASK if SECRET.search(str(k)) else v for k, v in parameters.items()}


def resume_command(flow_file: str | None, run_id: str) -> str:
    """The command that resumes run ``run_id`` of the flow in ``flow_file``.

    Examples
    --------
    >>> resume_command("/srv/my flows/etl.py:etl", "1a2b3c4d")
    "prefectlite run '/srv/my flows/etl.py:etl' --resume 1a2b3c4d"
    >>> resume_command(None, "1a2b3c4d")
    'prefectlite run FLOW_FILE --resume 1a2b3c4d'
    """
    import shlex

    where = shlex.quote(flow_file) if flow_file else "FLOW_FILE"
    return f"prefectlite run {where} --resume {run_id}"


def source_hash(flow_file: str | None) -> str | None:
    """The SHA-256 of the file ``flow_file`` (``path.py[:NAME]``) names; ``None`` when it
    names no file (a module, or a file gone)."""
    if not flow_file:
        return None
    import hashlib

    source, sep, name = flow_file.rpartition(":")
    path = source if sep and source and name and not re.search(r"[/\\]", name) \
        else flow_file
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()
    except OSError:
        return None


def clean_text(value: Any) -> Any:
    """``value``, with the lone surrogates of a string (which UTF-8, and so SQLite, cannot
    hold) written as ``\\udcff`` escapes.

    Examples
    --------
    >>> clean_text("bad\\udcff é"), clean_text(3)
    ('bad\\\\udcff é', 3)
    """
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def insert_rows(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """``conn.executemany(sql, rows)``; rows holding text UTF-8 cannot encode (a name with a
    lone surrogate) are written with :func:`clean_text` (only then: no cost otherwise)."""
    conn.execute("SAVEPOINT insert_rows")  # one per batch of rows, inside the transaction
    try:
        conn.executemany(sql, rows)
    except UnicodeEncodeError:
        conn.execute("ROLLBACK TO insert_rows")  # the rows before the bad one, written again
        conn.executemany(sql, [tuple(clean_text(v) for v in row) for row in rows])
    conn.execute("RELEASE insert_rows")


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a repr that raises: the type is enough to show
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


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
