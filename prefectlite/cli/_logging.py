"""Logging while a command runs: the CLI is the application, so it sets up the handler.

Records of the ``prefectlite`` logger go to standard error in the Prefect-like format of
:mod:`prefectlite.utilities.logging`, looked up at each record (so a live display that
redirects ``sys.stderr`` shows them above itself). The root logger is not touched, and the
``prefectlite`` logger's handlers and levels are put back when the command ends.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from prefectlite import settings
from prefectlite.cli.terminal import escape
from prefectlite.utilities.logging import DATEFMT, FORMAT, LineFormatter

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StderrHandler(logging.Handler):
    """Write records to whatever ``sys.stderr`` is when they arrive."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(escape(self.format(record)) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def _quiet_task_lines(record: logging.LogRecord) -> bool:
    return record.name != "prefectlite.TaskRunner" or record.levelno >= logging.WARNING


@contextmanager
def cli_logging(level: str | None, quiet: bool, progress: bool) -> Iterator[logging.Logger]:
    """Configure the ``prefectlite`` logger for one command (see the module docstring).

    ``level`` (``--log-level``) wins; else ``-q`` means WARNING; else the configuration's
    ``logging.level`` (``PREFECTLITE__LOGGING__LEVEL``) or INFO. While a progress display
    shows each task, the per-task INFO lines of ``prefectlite.TaskRunner`` are hidden unless
    a level was asked for.
    """
    log = logging.getLogger("prefectlite")
    task_log = logging.getLogger("prefectlite.TaskRunner")
    saved = (log.level, list(log.handlers), task_log.level)
    configured = settings.current_config().get("logging", {}).get("level")
    chosen = level or ("WARNING" if quiet else configured)
    log.setLevel((chosen or "INFO").upper())
    handler = StderrHandler()
    handler.setFormatter(LineFormatter(FORMAT, DATEFMT))
    if progress and level is None:
        task_log.setLevel(max(logging.WARNING, log.level))
        handler.addFilter(_quiet_task_lines)  # records forwarded from Dask workers too
    for old in saved[1]:
        log.removeHandler(old)
    log.addHandler(handler)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        for old in saved[1]:
            log.addHandler(old)
        log.setLevel(saved[0])
        task_log.setLevel(saved[2])
