"""``JournalRecorder``: the run observer that writes a flow run into the run journal.

The flow run's row is committed when the run starts, so a killed run can be found. Each
finished task run becomes a row that waits in memory and is committed in batches: when
``batch_size`` rows are waiting, every ``flush_interval`` seconds (a background thread), and
when the run ends; a write holds SQLite's write lock only for that short transaction.

Ordering is what makes the journal trustworthy: a row is built only after the task's state
reached the driver, and by then the task runner has already stored the result, either in a
file written atomically and ``fsync``-ed, or as bytes carried by the state that go into the
row itself (``JournalResult``), committed in the same transaction. So the journal never
calls a task finished whose result is not durably stored. A kill loses at most the last
``flush_interval`` seconds of rows; those tasks simply run again on resume.

Graph runs reach it as a :class:`RunObserver`; eager runs (:mod:`prefectlite.eager.journal`)
through :meth:`JournalRecorder.begin`, :meth:`~JournalRecorder.add_row` and
:meth:`~JournalRecorder.end`, so both kinds batch, capture logs and fail the same way.

The run's log records (:mod:`prefectlite.persistence.journal_logs`) wait and are committed with
the task-run rows; at most ``max_log_records`` of them per run, then one marker record
saying how many more were not stored. The flow's graph is stored with the run's row.

A write that fails raises :class:`~prefectlite.persistence.records.JournalError` from
the next observer call, which stops the run with a ``Failed`` state that says so; if it
fails only when the run ends, ``flow.run`` raises it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.results.journal_result import JournalResult
from prefectlite.engine.state import Mapped, Retrying, State, Success
from prefectlite.engine.task_steps import cache_key
from prefectlite.persistence.cache import cache_row, code_hash
from prefectlite.persistence.inputs import take_inputs
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import CAPTURE, flow_graph, save_graph
from prefectlite.persistence.records import PYTHON, JournalError, task_run_row

logger = logging.getLogger("prefectlite.FlowRunner")


class JournalRecorder(RunObserver):
    """Writes flow runs and their task runs into a :class:`RunStore` (see module docstring)."""

    def __init__(self, store: RunStore, resumed_from: str | None = None,
                 copied: list[tuple[str, int]] | None = None, flush_interval: float = 0.2,
                 batch_size: int = 1000, close_store: bool = False,
                 max_log_records: int = 10_000, flow_file: str | None = None) -> None:
        self.store, self.resumed_from, self.copied = store, resumed_from, list(copied or ())
        self.flow_file = flow_file
        self.close_store = close_store  # the store is ours: close it when a run ends
        self.flush_interval, self.batch_size = flush_interval, batch_size
        self.run_id: str | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._cache_rows: list[tuple[Any, ...]] = []
        self._logs: list[tuple[Any, ...]] = []
        self.max_log_records, self._log_seq, self._log_dropped = max_log_records, 0, 0
        self._append_lock, self._flush_lock = threading.Lock(), threading.Lock()
        self._error: JournalError | None = None
        self._raised = self._cached = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._codes: dict[Task, str] = {}
        self._kinds: dict[tuple[Any, ...], tuple[int, Any]] = {}

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        self.flow_name, self.slugs = flow.name, flow.slugs
        secret = [p.name for p in flow.parameters() if getattr(p, "secret", False)]
        self.begin(context["flow_run_id"], flow.name, dict(context.get("parameters") or {}),
                   graph=flow_graph(flow, self.slugs), secret=secret)

    def begin(self, run_id: str, flow_name: str, parameters: dict[str, Any],
              graph: str | None = None, secret: list[str] | tuple[str, ...] = (),
              parent_run_id: str | None = None) -> None:
        """Start writing run ``run_id``: its row (committed at once), its log records, the
        flush thread. :meth:`flow_run_started` calls it for a graph run; an eager run (which
        has no ``Flow``) calls it directly, then :meth:`add_row` and :meth:`end`."""
        if self.store.closed:  # the next run of a schedule
            self.store = RunStore(self.store.path)
        self.run_id = run_id
        self.parameters = {k: v for k, v in parameters.items()
                           if k not in secret}  # secret values are stored nowhere
        self._error, self._raised, self._cached = None, False, False
        self._log_seq = self._log_dropped = 0
        try:
            self.store.start_run(run_id, flow_name, {**self.parameters, **dict.fromkeys(secret)},
                                 self.resumed_from,
                                 parent_run_id=parent_run_id, graph=graph,
                                 flow_file=self.flow_file, secret=secret)
            if self.copied and self.resumed_from:
                self.store.copy_task_runs(run_id, self.resumed_from, self.copied)
        except BaseException:
            if self.close_store:
                self.store.close()
            raise
        CAPTURE.attach(run_id, self._log)
        self._stop.clear()
        self._thread = threading.Thread(target=self._flush_regularly, daemon=True,
                                        name="prefectlite-journal")
        self._thread.start()

    def task_run_finished(self, task: Task, map_index: int | None, state: State) -> None:
        row, cache = self._row(task, map_index, state)
        self.add_row(row, cache)

    def add_row(self, row: tuple[Any, ...], cache: tuple[Any, ...] | None = None) -> None:
        """Queue one ``task_runs`` row (and its ``cache`` row); raise an earlier write's
        :class:`~prefectlite.persistence.records.JournalError`."""
        if self._error is not None:
            self._raised = True
            raise self._error
        with self._append_lock:
            self._rows.append(row)
            if cache is not None:
                self._cache_rows.append(cache)
                self._cached = True
            full = len(self._rows) >= self.batch_size
        if full:
            try:
                self.flush()
            except JournalError:
                self._raised = True
                raise

    def _log(self, slug: str | None, index: int, created: float, level: int, name: str,
             message: str) -> None:
        with self._append_lock:
            seq = self._log_seq
            if seq < self.max_log_records:
                self._log_seq = seq + 1
                self._logs.append((self.run_id, seq, slug, index, created, level, name,
                                   message))
            else:
                self._log_dropped += 1

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        self.end(type(state).__name__, state.message)

    def end(self, state_name: str, message: Any, graph: str | None = None) -> None:
        """Commit what waits, then the run's final state (and ``graph``, when the run's
        graph was only known at its end); close the store if it is ours."""
        assert self.run_id is not None
        CAPTURE.detach(self.run_id)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._log_dropped:
            with self._append_lock:
                self._logs.append((
                    self.run_id, self._log_seq, None, -1, time.time(), logging.WARNING,
                    "prefectlite.journal", f"Log truncated: {self._log_dropped} more log "
                    f"record(s) of this run were not stored (the journal keeps at most "
                    f"{self.max_log_records} per run; see JournalRecorder(max_log_records=))."))
        try:
            self.flush()
            if graph is not None:
                save_graph(self.store, self.run_id, graph)
            self.store.finish_run(self.run_id, state_name, _text(message))
            if self._cached:
                self.store.purge_cache()
        except JournalError as exc:
            if not self._raised:
                raise  # the run's state does not show it: the caller must hear of it
            logger.error("Flow run %s: the run journal is incomplete: %s", self.run_id, exc)
        finally:
            if self.close_store:
                self.store.close()

    def flush(self) -> None:
        """Commit the rows waiting in memory (in the order their states arrived)."""
        with self._flush_lock:
            with self._append_lock:
                rows, cache, logs = self._rows, self._cache_rows, self._logs
                self._rows, self._cache_rows, self._logs = [], [], []
            if not rows and not cache and not logs:
                return
            try:
                self.store.add_task_runs(rows, cache, logs)
            except JournalError as exc:
                with self._append_lock:  # keep them for a later attempt
                    self._rows[:0], self._cache_rows[:0] = rows, cache
                    self._logs[:0] = logs
                self._error = exc
                raise

    def _flush_regularly(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self.flush()
            except JournalError:
                return  # kept in self._error; the next task event raises it

    def _row(self, task: Task, index: int | None, state: State
             ) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
        ctx, result = state.context, state._result
        location = None if isinstance(state, Mapped) else result.location
        kind = self._kind(result) if location is not None else None
        inline = getattr(result, "inline", None) if kind is not None else None
        code = self._codes.get(task)
        if code is None:
            code = self._codes[task] = code_hash(task)
        run_count = state.run_count if isinstance(state, Retrying) else ctx.get("run_count")
        assert self.run_id is not None
        row = task_run_row(
            self.run_id, self.slugs[task], index, task.name, type(state).__name__,
            _text(state.message), started=ctx.get("start_time"), run_count=run_count,
            n_map_states=len(state.map_states) if isinstance(state, Mapped) else None,
            result_kind=kind, result_location=location,
            result_checksum=getattr(result, "checksum", None) if kind else None,
            serializer=getattr(result.serializer, "name", None) if kind else None,
            python=PYTHON if kind else None, code_hash=code,
            managed=kind is not None and _is_journal_result(result), result_inline=inline,
            inputs=take_inputs(ctx))
        cache = None
        if task.cache_for is not None and type(state) is Success and kind is not None:
            key = cache_key(task, {"flow_name": self.flow_name, "task_slug": self.slugs[task]})
            cache = cache_row(task, key, state, self.run_id, self.parameters, kind)
        return row, cache

    def _kind(self, result: Any) -> int:
        key = (type(result), getattr(result, "dir", None), id(result.serializer),
               id(result._formatter), getattr(result, "fsync", None))
        known = self._kinds.get(key)
        if known is None:
            import cloudpickle

            recipe = result.copy()  # how to read locations back: no value of its own
            recipe.value, recipe.location = None, None
            for attr in ("checksum", "inline"):
                if hasattr(recipe, attr):
                    setattr(recipe, attr, None)
            kind = self.store.result_kind(cloudpickle.dumps(recipe))
            known = self._kinds[key] = (kind, (result.serializer, result._formatter))
        return known[0]


def _is_journal_result(result: Any) -> bool:
    return isinstance(result, JournalResult)


def _text(message: Any) -> str | None:
    if message is None:
        return None
    text = message if isinstance(message, str) else repr(message)
    return text if len(text) <= 4000 else text[:3997] + "..."
