"""Pool processes: what each one does first, and how its log records reach the driver.

A process pool (:class:`~prefectlite.executors.LocalProcessPoolExecutor`, and
``LocalDaskExecutor("processes")`` through it) starts each worker with :func:`init_process`:
records of the ``prefectlite`` logger made there go to a queue, stamped with their task run
(:mod:`prefectlite.utilities.log_records`); the worker exits as soon as the driver is gone; then
the user's own initializer runs. In the driver a :class:`LogQueue` hands each record from the
queue to the driver's logger of the same name, so its handlers (console, run journal) see it
as if the task had run here.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from collections.abc import Callable
from typing import Any

from prefectlite.utilities.log_records import stamp_task_run

__all__ = ["LogQueue", "init_process"]

logger = logging.getLogger("prefectlite.executors")
LOGGER = "prefectlite"


def init_process(queue: Any, level: int, initializer: Callable[..., Any] | None = None,
                 initargs: tuple = ()) -> None:
    """Pool process initializer: send ``prefectlite`` records to the driver via ``queue``,
    exit when the driver dies, then call ``initializer(*initargs)`` if given."""
    log = logging.getLogger(LOGGER)
    log.setLevel(level)
    handler = logging.handlers.QueueHandler(queue)
    handler.addFilter(stamp_task_run)
    log.addHandler(handler)
    _exit_with_parent()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent() -> None:
    """(pool process) Watch the driver in a daemon thread and exit as soon as it is gone.

    A driver killed with ``kill -9`` cannot shut its pool down; without this its worker
    processes would live on, orphaned, finishing (or hanging in) tasks nobody waits for.
    The watcher blocks on the parent's sentinel, which becomes ready when it exits.
    """
    import multiprocessing
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="prefectlite-watch-driver", daemon=True).start()


class _Redispatch(logging.Handler):
    """Driver side of the queue: hand each record to the driver's logger of the same name."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == LOGGER or record.name.startswith(LOGGER + "."):
            logging.getLogger(record.name).handle(record)


class LogQueue:
    """The queue pool processes log into, and the driver thread that reads it.

    ``initargs(initializer, initargs)`` is what to pass a pool with :func:`init_process`;
    :meth:`stop` ends the reading thread once the pool is shut down.
    """

    def __init__(self, context: Any) -> None:
        self.queue = context.Queue()
        self.listener = logging.handlers.QueueListener(self.queue, _Redispatch())
        self.listener.start()

    def initargs(self, initializer: Callable[..., Any] | None, initargs: tuple) -> tuple:
        """Arguments of :func:`init_process` for a pool logging into this queue."""
        level = logging.getLogger(LOGGER).getEffectiveLevel()
        return (self.queue, level, initializer, initargs)

    def stop(self) -> None:
        """Read what is left, then stop.

        A pool process killed while writing a record can leave a torn message in the queue,
        on which the listener's reader blocks for good: wait a little, then let its (daemon)
        thread go rather than hang the run or interpreter exit.
        """
        queue, listener = self.queue, self.listener
        thread = listener._thread
        listener.enqueue_sentinel()
        if thread is not None:
            thread.join(timeout=5)
        listener._thread = None
        queue.close()
        if thread is not None and thread.is_alive():
            logger.warning("Log records of a dead pool process could not be read; "
                           "some worker log lines may be missing.")
            queue.cancel_join_thread()
        else:
            queue.join_thread()
