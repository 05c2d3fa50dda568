"""Log records made on Dask workers, sent to the driver with the task run they belong to.

Records of the ``prefectlite`` logger made in a worker process reach the driver's logger of
the same name through the cluster's event stream (:class:`ForwardRecords`, a worker plugin
that publishes each record on a topic the driver's client subscribes to; this module is
imported when a ``DaskExecutor`` starts, and imports ``distributed``). Before a record
leaves its process, :func:`~prefectlite.utilities.log_records.stamp_task_run` puts
the task run's identity (flow run id, task slug, map index) on it, so the run journal on the
driver stores it with its task, also when several journaled runs are going at once. The
workers' logger level follows the driver's. Workers living in the driver's own process are
not forwarded (their records are already local; forwarding them would loop). No root logger
is touched.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from prefectlite.utilities.log_records import stamp_task_run, task_run_of

__all__ = ["ForwardRecords", "Receiver", "start_forwarding", "stop_forwarding"]

logger = logging.getLogger("prefectlite.executors.dask")
LOGGER = "prefectlite"


class _Publish(logging.Handler):
    """(worker) Publish each record, stamped and with its message formatted, on ``topic``."""

    def __init__(self, worker: Any, topic: str) -> None:
        super().__init__()
        self.worker, self.topic = worker, topic
        self.addFilter(stamp_task_run)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            attributes = dict(record.__dict__, msg=record.getMessage(), args=None,
                              exc_info=None)
            attributes.pop("message", None)
            self.worker.log_event(self.topic, attributes)
        except Exception:
            self.handleError(record)


class ForwardRecords(WorkerPlugin):
    """A Dask worker plugin: each worker publishes its ``prefectlite`` records on ``topic``.

    ``level`` is the driver's level for the ``prefectlite`` logger, applied on the workers so
    that the records the driver would show are made at all. A worker in the driver's own
    process (``driver_pid``) is left alone: its records are local already.
    """

    def __init__(self, topic: str, level: int, driver_pid: int) -> None:
        self.topic, self.level, self.driver_pid = topic, level, driver_pid
        self.handler: _Publish | None = None

    def setup(self, worker: Any) -> None:
        if os.getpid() == self.driver_pid:
            return
        log = logging.getLogger(LOGGER)
        log.setLevel(self.level)
        self.handler = _Publish(worker, self.topic)
        log.addHandler(self.handler)

    def teardown(self, worker: Any) -> None:
        if self.handler is not None:
            logging.getLogger(LOGGER).removeHandler(self.handler)


def _redispatch(record: logging.LogRecord) -> None:
    """Hand ``record`` to the driver's logger of the same name (``prefectlite`` ones only)."""
    if record.name == LOGGER or record.name.startswith(LOGGER + "."):
        logging.getLogger(record.name).handle(record)


class Receiver:
    """(driver, on the client's event loop) Records published by the workers: each is made
    a record again and handed to the driver's logger of the same name, unless it is stamped
    with a flow run that is not one of ``runs`` (the runs this executor submitted: another
    driver, or another client of this process, receives it too and handles it there)."""

    def __init__(self) -> None:
        self.runs: set[Any] = set()

    def __call__(self, event: Any) -> None:
        _, attributes = event
        record = logging.makeLogRecord(attributes)
        run = task_run_of(record)
        if run is None or run.get("flow_run_id") in self.runs:
            _redispatch(record)


def start_forwarding(client: Any, in_process: bool, receiver: Receiver) -> str | None:
    """Forward the workers' records to ``receiver``; the plugin's name (``None``: the
    workers live in this process, their records are local already)."""
    if in_process:
        return None
    name = f"prefectlite-logs-{client.id}"  # one per client: ending a run ends only its own
    client.subscribe_topic(name, receiver)
    level = logging.getLogger(LOGGER).getEffectiveLevel()
    client.register_plugin(ForwardRecords(name, level, os.getpid()), name=name)
    return name


def stop_forwarding(client: Any, name: str | None) -> None:
    """Undo :func:`start_forwarding` (quietly, if the cluster is already going away)."""
    if name is None:
        return
    try:
        client.unsubscribe_topic(name)
        client.unregister_worker_plugin(name)
    except Exception as exc:  # the cluster may already be going away
        logger.debug("Could not stop forwarding worker logs: %r", exc)
