"""Prefect 3's ``prefect.logging`` names: :func:`get_run_logger`, :func:`get_logger` and
:func:`disable_run_logger`.

Run loggers are children of the ``prefectlite`` logger (see
:mod:`prefectlite.utilities.logging`); prefectlite never configures the root logger.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from prefectlite.eager.loggers import get_run_logger
from prefectlite.logging import loggers

__all__ = ["disable_run_logger", "get_logger", "get_run_logger", "loggers"]


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``prefectlite`` logger, or its child ``prefectlite.<name>``."""
    return logging.getLogger("prefectlite" if not name else f"prefectlite.{name}")


@contextlib.contextmanager
def disable_run_logger() -> Iterator[None]:
    """Within the block, the flow-run and task-run loggers drop their records (e.g. to call
    ``my_task.fn()`` in a unit test without a flow run)."""
    loggers = [logging.getLogger(f"prefectlite.{n}") for n in ("flow_runs", "task_runs")]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, before, strict=True):
            lg.disabled = was
