"""Opening the run journal's SQLite file: private, checked, in WAL mode, migrated.

The journal's directory is created ``0700`` and the file ``0600`` whatever the umask
(SQLite gives its ``-wal`` and ``-shm`` files the database file's mode), since it holds
parameters and results (:mod:`prefectlite.utilities.files`). Opening checks that the file
is a prefectlite journal (the SQLite header's ``application_id``) and that its schema
version is not newer than this prefectlite's, and applies the migrations it lacks, in one
transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from prefectlite.persistence import records
from prefectlite.persistence.records import (
    JournalError,
    check_application,
    migrate,
    schema_version,
)
from prefectlite.utilities.files import private_dir, private_file


def write_error(path: Path, exc: BaseException) -> JournalError:
    """The error of a failed write to the journal ``path``."""
    return JournalError(
        f"Could not write the run journal {path}: {exc}. The run's record is "
        "incomplete; free some disk space or make the journal's directory writable, "
        "then resume the run."
    )


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """An open, checked and migrated connection to the journal ``path``."""
    if path.exists() and not path.is_file():
        raise JournalError(f"The run journal {path} is not a file.")
    try:
        private_dir(path.parent)
        with contextlib.suppress(PermissionError):  # another user's file: SQLite says
            private_file(path)  # whether it can be used
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise JournalError(
            f"Cannot open the run journal {path}: {exc}. Set PREFECTLITE_HOME (or "
            "pass journal=PATH) to a writable directory."
        ) from exc
    try:
        prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Check the file, turn on WAL mode and foreign keys, migrate to ``SCHEMA_VERSION``."""
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        check_application(conn, path)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
        if schema_version(conn, path) < records.SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")  # another process may migrate at the same time
            try:
                migrate(conn, path)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise JournalError(
                f"{path} is not a prefectlite run journal ({exc}). Move the file "
                "away, or point PREFECTLITE_HOME (or journal=) at another place."
            ) from exc
        raise write_error(path, exc) from exc
    if mode.lower() != "wal":
        raise JournalError(f"The run journal {path} cannot use WAL mode ({mode}); "
                           "it must be on a local file system.")
