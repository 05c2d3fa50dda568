"""Logging for prefectlite: stdlib ``logging`` under the ``prefectlite`` logger, nothing else.

prefectlite never touches the root logger and never calls ``logging.basicConfig``. When a
flow runs and neither the ``prefectlite`` logger nor the root logger has a handler (a plain
script), one stream handler is added to the ``prefectlite`` logger so the Prefect-style lines
are shown::

    [2026-11-22 10:00:00+0000] INFO - prefectlite.TaskRunner | Task 'add': Finished task run ...

If the application configured logging itself (the root logger has handlers), records simply
propagate there. The level, line format and date format come from the configuration's
``logging.level`` (``PREFECTLITE__LOGGING__LEVEL``, default ``INFO``), ``logging.format`` and
``logging.datefmt``.
For large flows, quiet the per-task lines with
``logging.getLogger("prefectlite.TaskRunner").setLevel("WARNING")`` (or set
``PREFECTLITE__LOGGING__LEVEL=WARNING`` for everything).
"""

from __future__ import annotations

import logging

from prefectlite import settings

FORMAT = "[%(asctime)s] %(levelname)s - %(name)s | %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S%z"
_HANDLER_NAME = "prefectlite-default"


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``prefectlite`` logger, or its child ``prefectlite.{name}``.

    Examples
    --------
    >>> get_logger("FlowRunner").name
    'prefectlite.FlowRunner'
    """
    root = logging.getLogger("prefectlite")
    return root.getChild(name) if name else root


def configure_logging(level: str | int | None = None) -> logging.Logger:
    """Give the ``prefectlite`` logger a handler if nothing would show its records.

    Idempotent; returns the ``prefectlite`` logger.
    """
    log = get_logger()
    options = settings.current_config().get("logging") or {}
    level = level or options.get("level")
    if level is not None:
        log.setLevel(level.upper() if isinstance(level, str) else level)
    elif log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(options.get("format") or FORMAT,
                                               options.get("datefmt") or DATEFMT))
        log.addHandler(handler)
    return log
