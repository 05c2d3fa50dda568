"""Which task run a log record belongs to, carried on the record across processes.

In the process that runs a task, ``prefectlite.context`` says which flow run, task and map
index a record belongs to. A record made in a Dask worker or a pool process reaches the
driver through a queue or the cluster's event stream and is handled there outside that
context, so the worker-side handler stamps the identity onto the record first
(:func:`stamp_task_run`), and the driver reads it back (:func:`task_run_of`).

Examples
--------
>>> import logging
>>> from prefectlite.utilities import context as _context
>>> record = logging.makeLogRecord({"msg": "hello"})
>>> token = _context.install({"flow_run_id": "run-1", "task_slug": "inc-1", "map_index": 2})
>>> stamp_task_run(record)
True
>>> _context.restore(token)
>>> task_run_of(record)
{'flow_run_id': 'run-1', 'task_slug': 'inc-1', 'map_index': 2}
>>> task_run_of(logging.makeLogRecord({"msg": "made outside any run"})) is None
True
"""

from __future__ import annotations

import logging
from typing import Any

from prefectlite.utilities.context import _current

__all__ = ["RECORD_ATTRIBUTE", "stamp_task_run", "task_run_of"]

#: the record attribute that holds the identity (a dict of plain values: it survives pickling
#: and the msgpack encoding of Dask's event stream)
RECORD_ATTRIBUTE = "prefectlite_task_run"
_KEYS = ("flow_run_id", "task_slug", "map_index", "journal_slug")


def stamp_task_run(record: logging.LogRecord) -> bool:
    """Put the current task run's identity on ``record`` (a ``logging`` filter: returns True).

    A record already stamped (in a nested handler chain) or made outside a flow run is left
    as it is.
    """
    if not hasattr(record, RECORD_ATTRIBUTE):
        values = _current.get()
        if values.get("flow_run_id") is not None:
            setattr(record, RECORD_ATTRIBUTE, {k: _plain(values.get(k)) for k in _KEYS})
    return True


def task_run_of(record: logging.LogRecord) -> dict[str, Any] | None:
    """The identity stamped on ``record`` by :func:`stamp_task_run`, or ``None``."""
    found = getattr(record, RECORD_ATTRIBUTE, None)
    return found if isinstance(found, dict) else None


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int) else str(value)
