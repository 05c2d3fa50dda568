"""Who runs a journaled flow run: heartbeats, and claiming a run to resume it.

A run is resumed by at most one process at a time. Resuming run ``X`` first *claims* it:
in one write transaction (``BEGIN IMMEDIATE``: no other process can claim in between) it

1. follows ``X``'s resumptions to the newest (``X`` resumed by ``Y``, ``Y`` by ``Z``, ...:
   the rows ``Z`` kept already include ``X``'s and ``Y``'s work, so resuming ``X`` again
   resumes ``Z``; nothing ``Y`` or ``Z`` finished runs twice),
2. refuses when that newest run is still in progress (a live process runs it), with a
   :class:`RunInProgress` error naming the process, and otherwise
3. inserts the new run's row (``Running``, ``resumed_from`` the newest, this host and pid):
   that row *is* the claim. A second process claiming now finds it, alive, and refuses.

A run is *in progress* while its row says ``Running`` and its process lives: on this host
its pid exists (in this process: the run has not ended), and on any host it has written a
heartbeat within ``STALE_AFTER`` seconds. Otherwise the run is ``Crashed``
(:func:`~prefectlite.persistence.records.live_state`) and its claim is taken over by the
next resume. Heartbeats come from one thread per :class:`Heartbeat`, every
``HEARTBEAT_INTERVAL`` seconds for all the runs a ``RunStore`` has started: no cost per task.

``resume="latest"`` is the newest run of the flow that did not succeed and whose
resumptions did not succeed either (:func:`latest_to_resume`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from prefectlite.persistence.records import (
    ACTIVE,
    HEARTBEAT_INTERVAL,
    HOST,
    RUN_COLUMNS,
    SUCCEEDED,
    FlowRunRecord,
    JournalError,
)

logger = logging.getLogger("prefectlite.FlowRunner")
_SELECT = f"SELECT {', '.join(RUN_COLUMNS)} FROM flow_runs"


class RunInProgress(JournalError):
    """The run to resume (or delete) is in progress in a live process."""

    def __init__(self, message: str, holder: FlowRunRecord) -> None:
        super().__init__(message)
        self.holder = holder


class Heartbeat:
    """Writes ``heartbeat = now`` for the runs a store has started and not yet finished."""

    def __init__(self, store: Any, interval: float = HEARTBEAT_INTERVAL) -> None:
        self.store, self.interval = store, interval
        self.runs: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str) -> None:
        with self._lock:
            self.runs.add(run_id)
            ACTIVE.add(run_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, daemon=True,
                                                name="prefectlite-heartbeat")
                self._thread.start()

    def remove(self, run_id: str) -> None:
        with self._lock:
            self.runs.discard(run_id)
            ACTIVE.discard(run_id)

    def stop(self) -> None:
        with self._lock:
            for run_id in self.runs:
                ACTIVE.discard(run_id)
            self.runs.clear()
        self._stop.set()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = list(self.runs)
            if not ids:
                continue
            try:
                with self.store.writing() as conn:
                    conn.execute(f"UPDATE flow_runs SET heartbeat = ? WHERE id IN "
                                 f"({', '.join('?' * len(ids))})", (time.time(), *ids))
            except Exception:  # noqa: BLE001 - a closed store or a full disk: the run's own
                continue  # writes report it; a missed beat only ages the heartbeat


def _run(conn: Any, run_id: str) -> FlowRunRecord:
    return FlowRunRecord.from_row(conn.execute(f"{_SELECT} WHERE id = ?", (run_id,)).fetchone())


def newest_resumption(conn: Any, run_id: str) -> FlowRunRecord:
    """The run at the end of ``run_id``'s resumptions: an in-progress one when there is one,
    else the newest (``run_id`` itself when it was never resumed)."""
    run, seen = _run(conn, run_id), {run_id}
    while not run.in_progress:
        kids = [FlowRunRecord.from_row(r) for r in conn.execute(
            f"{_SELECT} WHERE resumed_from = ? ORDER BY started DESC", (run.id,))]
        kids = [k for k in kids if k.id not in seen]
        if not kids:
            break
        run = next((k for k in kids if k.in_progress), kids[0])
        seen.add(run.id)
    return run


def latest_to_resume(store: Any, flow_name: str) -> FlowRunRecord | None:
    """The newest run of ``flow_name`` that did not succeed and was not resumed to success
    (an in-progress resumption counts as not yet succeeded)."""
    marks = ", ".join("?" * len(SUCCEEDED))
    with store.reading() as conn:
        rows = conn.execute(f"{_SELECT} WHERE flow_name = ? AND state NOT IN ({marks}) "
                            "ORDER BY started DESC LIMIT 200", (flow_name, *SUCCEEDED))
        for row in rows.fetchall():
            run = FlowRunRecord.from_row(row)
            if newest_resumption(conn, run.id).state not in SUCCEEDED:
                return run
    return None


def claim(store: Any, run_id: str, new_id: str, flow_name: str,
          wait: bool | float = False) -> FlowRunRecord:
    """Claim run ``run_id`` for the new run ``new_id`` (module docstring); return the run to
    restore from. ``wait``: ``True`` (or a number of seconds) waits for a run in progress to
    end instead of raising :class:`RunInProgress`."""
    deadline = None if wait is True else time.monotonic() + float(wait or 0)
    said = False
    while True:
        with store.writing() as conn:
            tip = newest_resumption(conn, run_id)
            if not tip.in_progress:
                _insert_claim(conn, tip, new_id, flow_name)
                store.heartbeat.add(new_id)
                return tip
        if deadline is not None and time.monotonic() >= deadline:
            raise RunInProgress(busy_message(run_id, tip, "resumed"), tip)
        if not said:
            logger.info("%s; waiting for it to end.", busy_message(run_id, tip, "resumed"))
            said = True
        time.sleep(min(1.0, HEARTBEAT_INTERVAL))  # polling another process's end


def busy_message(run_id: str, holder: FlowRunRecord, what: str) -> str:
    """One line saying that run ``run_id`` cannot be ``what`` (resumed, deleted) now."""
    by = "" if holder.id == run_id else f" by run {holder.id}"
    return (f"Flow run {run_id} cannot be {what}: it is in progress{by} (host {holder.host}, "
            f"pid {holder.pid}, heartbeat {_age(holder)}). Wait for it to end (--wait, "
            "or resume_wait=True), or stop that process.")


def _age(run: FlowRunRecord) -> str:
    moment = run.heartbeat or run.started
    return f"{max(time.time() - moment.timestamp(), 0):.0f} s ago"


def _insert_claim(conn: Any, tip: FlowRunRecord, new_id: str, flow_name: str) -> None:
    from prefectlite.persistence.records import PYTHON
    from prefectlite.version import __version__

    now = time.time()
    values = {"id": new_id, "flow_name": flow_name, "state": "Running",
              "message": f"Resuming flow run {tip.id}.", "started": now, "ended": None,
              "resumed_from": tip.id, "python": PYTHON,
              "prefectlite_version": __version__, "host": HOST,
              "pid": os.getpid(), "heartbeat": now}
    conn.execute(f"INSERT INTO flow_runs ({', '.join(values)}) VALUES "
                 f"({', '.join('?' * len(values))})", tuple(values.values()))
