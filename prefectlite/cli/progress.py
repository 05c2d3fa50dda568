"""Progress of a flow run, as the flow runner reports it: a live display, plain lines, a summary.

All three are :class:`~prefectlite.engine.observers.RunObserver` objects, given to
``FlowRunner(flow).run(observers=[...])``; they see only what the runner reports on the
driver: one event per final state of a task run (``Retrying`` included; a mapped task's
children one by one, then its ``Mapped`` state).

:class:`RunRecorder`
    Records, per task, the time of its first and last event, its retries and its state, and
    turns them into summary rows (task, state, duration, retries, message).
:class:`PlainProgress`
    A recorder that also writes one line per finished task, per retry and per failed mapped
    child (to ``sys.stderr`` unless a stream is given).
:class:`LiveProgress`
    A recorder that draws a live `rich <https://rich.readthedocs.io>`_ display: a bar of
    finished tasks, counts of failed and retrying ones, and a table of the tasks now
    running, failed or just finished. ``rich`` is optional (the ``progress`` extra) and
    imported only here, when a live display starts.

:func:`make_progress` picks one: live when standard output is a terminal and rich is
installed, plain otherwise.

How durations are measured. Task runs report only when they end, so a duration is measured
on the driver. With an executor that runs one task at a time (``LocalExecutor``,
``LocalDaskExecutor("synchronous")``), a run's duration is the time since the previous event,
which is exact up to the runner's own overhead; a task's duration adds up its runs (mapped
children and retries included, retry delays too). With a parallel executor it is the time
from the moment the task could start (its upstream tasks finished, or the first child of a
mapped upstream for a mapped task, or the flow run started) to its final state: it includes
time spent queued behind other tasks, so it is an upper bound. In journaled runs a state
also says when its run started (``context["start_time"]``) and how often it ran
(``context["run_count"]``); that start then bounds the duration from below too, and the run
count shows retries that happened where the driver did not see them (on a Dask worker).
Tasks whose state was given (``task_states``, a resumed run) did not run: they have no
duration, and their message says so.
"""

from __future__ import annotations

import collections
import datetime
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from prefectlite.cli.terminal import escape
from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.state import Mapped, Retrying, State, Success


@dataclass
class TaskRecord:
    """What a recorder knows about one task of the run."""

    first: float | None = None  # time of its first event
    end: float | None = None  # time of its final state
    busy: float = 0.0  # summed run durations (one-at-a-time executors)
    started: float | None = None  # earliest start a state reported (journaled runs)
    retries: int = 0
    retried: set[int | None] = field(default_factory=set)  # runs that sent a Retrying
    children: dict[int, State] = field(default_factory=dict)
    state: State | None = None


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    task: str
    state: str
    duration: float | None
    retries: int
    message: str
    color: str | None = None


class RunRecorder(RunObserver):
    """Record a run's events (see the module docstring); ``rows()`` gives the summary.

    Parameters
    ----------
    sequential
        Whether the executor runs one task at a time (decides how durations are measured).
    clock
        Seconds as a float (default ``time.monotonic``).
    """

    def __init__(self, sequential: bool = False, clock: Callable[[], float] = time.monotonic):
        self.sequential, self.clock = sequential, clock
        self.lock = threading.RLock()
        self.flow: Flow | None = None
        self.started = self.last_event = 0.0
        self.ended: float | None = None
        self.final: State | None = None
        self.records: dict[Task, TaskRecord] = {}
        self.labels: dict[Task, str] = {}
        self.upstream: dict[Task, list[tuple[Task, bool]]] = {}
        #: tasks whose state the run was given (``task_states``, a resumed run): not run
        self.given: set[Task] = set()

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        with self.lock:
            self.flow, self.started = flow, self.clock()
            self.last_event, self.ended, self.final = self.started, None, None
            self.records = {t: TaskRecord() for t in flow.sorted_tasks()}
            names = collections.Counter(t.name for t in self.records)
            self.labels = {t: t.name if names[t.name] == 1 else flow.slugs[t]
                           for t in self.records}
            mapped = {e.downstream_task for e in flow.edges if e.mapped}
            self.upstream = {t: [] for t in self.records}
            for e in flow.edges:
                pipelined = e.mapped and e.upstream_task in mapped
                self.upstream[e.downstream_task].append((e.upstream_task, pipelined))

    def task_states_given(self, task_states: dict[Task, State]) -> None:
        with self.lock:
            self.given = set(task_states)

    def task_run_finished(self, task: Task, map_index: int | None, state: State) -> None:
        with self.lock:
            now = self.clock()
            rec = self.records.setdefault(task, TaskRecord())
            if rec.first is None:
                rec.first = now
            if self.sequential and not (map_index is None and rec.children):
                rec.busy += now - self.last_event
            self.last_event = now
            if isinstance(state, Retrying):
                rec.retries += 1
                rec.retried.add(map_index)
                return
            self._reported_run(rec, map_index, state, now)
            if map_index is not None:
                rec.children[map_index] = state
            else:
                rec.state, rec.end = state, now

    def _reported_run(self, rec: TaskRecord, index: int | None, state: State,
                      now: float) -> None:
        """Use what a state says of its own run: when it started, how often it ran.

        (Journaled runs record ``start_time`` and ``run_count``; retries that happen on a
        Dask worker are only known this way.)
        """
        if index in rec.retried or isinstance(state, Mapped):
            return
        count, start = state.context.get("run_count"), state.context.get("start_time")
        if isinstance(count, int) and count > 1:
            rec.retries += count - 1
        if isinstance(start, int | float) and not self.sequential:
            began = now - max(0.0, time.time() - start)
            rec.started = began if rec.started is None else min(rec.started, began)

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        with self.lock:
            self.final, self.ended = state, self.clock()

    # -- reading -----------------------------------------------------------------------

    def duration(self, task: Task) -> float | None:
        """Seconds ``task`` took (see the module docstring), or None if it never ran here."""
        rec = self.records.get(task)
        if rec is None or rec.end is None:
            return None
        if self.sequential:
            return rec.busy
        ready = self.started
        for up, pipelined in self.upstream.get(task, ()):
            up_rec = self.records.get(up)
            moment = None if up_rec is None else up_rec.first if pipelined else up_rec.end
            if moment is not None:
                ready = max(ready, moment)
        if rec.started is not None and not rec.retries:
            ready = max(ready, rec.started)
        return max(0.0, rec.end - ready)

    def state_of(self, task: Task) -> State | None:
        """The task's final state: from its event, else from the flow's final state."""
        rec = self.records.get(task)
        if rec is not None and rec.state is not None:
            return rec.state
        result = getattr(self.final, "result", None)
        return result.get(task) if isinstance(result, dict) else None

    def rows(self) -> list[Row]:
        """The summary table: one row per task, in the flow's order."""
        with self.lock:
            rows = []
            for task, rec in self.records.items():
                state = self.state_of(task)
                message = describe(state) if state is not None else "did not run"
                if rec.first is None and task in self.given:
                    message = f"(given, not run) {message}"
                rows.append(Row(
                    task=self.labels.get(task, task.name),
                    state=type(state).__name__ if state is not None else "Pending",
                    duration=self.duration(task), retries=rec.retries, message=message,
                    color=getattr(state, "color", None),
                ))
            return rows

    def counts(self) -> dict[str, int]:
        """Tasks finished, failed, running (runnable and not finished) and waiting; retries."""
        with self.lock:
            out = {"tasks": len(self.records), "finished": 0, "failed": 0, "running": 0,
                   "waiting": 0, "retries": 0, "children": 0}
            for task, rec in self.records.items():
                out["retries"] += rec.retries
                out["children"] += len(rec.children)
                out[self.status(task)] += 1
                if rec.state is not None and rec.state.is_failed():
                    out["failed"] += 1
            return out

    def status(self, task: Task) -> str:
        """``finished``, ``running`` (may run now, or some children did) or ``waiting``."""
        rec = self.records.get(task)
        if rec is None or rec.state is not None:
            return "finished"
        if rec.children or rec.retries:
            return "running"
        for up, pipelined in self.upstream.get(task, ()):
            up_rec = self.records.get(up)
            if up_rec is not None and (up_rec.first if pipelined else up_rec.end) is None:
                return "waiting"
        return "running"


def describe(state: State, width: int = 80) -> str:
    """A one-line message for ``state``; a mapped state counts its children's states.

    Examples
    --------
    >>> from prefectlite.engine.state import Failed, Success
    >>> describe(Mapped(map_states=[Success(), Success(), Failed()]))
    '3 mapped runs: 2 Success, 1 Failed'
    >>> describe(Failed("boom\\nand more"))
    'boom and more'
    >>> describe(Failed("connection refused by the upstream server"), width=30)
    'connection refused by the…'
    """
    if isinstance(state, Mapped):
        kinds = collections.Counter(type(s).__name__ for s in state.map_states)
        parts = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        text = f"{len(state.map_states)} mapped runs" + (f": {parts}" if parts else "")
    else:
        text = " ".join(str(state.message or "").split())
    return shorten(text, width)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters at a word boundary, ending in "…" when cut.

    A word longer than half the width is cut inside (a path or a URL, say).

    Examples
    --------
    >>> shorten("short", 10), shorten("retry in 5 seconds please", 14)
    ('short', 'retry in 5…')
    >>> shorten("/a/very/long/path/without/spaces", 12)
    '/a/very/lon…'
    """
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space >= width // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def format_duration(seconds: float | None) -> str:
    """Short human durations.

    Examples
    --------
    >>> format_duration(0.0123), format_duration(3.456), format_duration(125), format_duration(None)
    ('12ms', '3.46s', '2m05s', '-')
    """
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class PlainProgress(RunRecorder):
    """A recorder that writes a line per finished task, retry and failed mapped child."""

    def __init__(self, stream: IO[str] | None = None, sequential: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(sequential, clock)
        self.stream = stream

    def _write(self, text: str) -> None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        stream = self.stream or sys.stderr
        stream.write(f"[{stamp}] {escape(text)}\n")
        stream.flush()

    def task_run_finished(self, task: Task, map_index: int | None, state: State) -> None:
        super().task_run_finished(task, map_index, state)
        label = self.labels.get(task, task.name)
        if map_index is not None:
            label = f"{label}[{map_index}]"
        if isinstance(state, Retrying):
            when = state.start_time.astimezone() if state.start_time else datetime.datetime.now()
            self._write(f"{label}: Retrying (attempt {state.run_count + 1} at "
                        f"{when:%H:%M:%S}): {describe(state)}")
        elif map_index is None or state.is_failed():
            counts = self.counts()
            done = f"({counts['finished']}/{counts['tasks']} tasks done)"
            plain = type(state) is Success or (map_index is not None and state.is_successful())
            why = "" if plain else f": {describe(state)}"
            self._write(f"{label}: {type(state).__name__}{why} {done}")


class LiveProgress(RunRecorder):
    """A recorder that draws a live rich display while the run goes (needs ``rich``)."""

    def __init__(self, console: Any = None, sequential: bool = False, max_rows: int = 12,
                 refresh_per_second: float = 8,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(sequential, clock)
        self.console, self.max_rows = console, max_rows
        self.refresh_per_second = refresh_per_second
        self._live: Any = None

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        from rich.live import Live

        super().flow_run_started(flow, context)
        self._live = Live(get_renderable=self.render, console=self.console, transient=True,
                          refresh_per_second=self.refresh_per_second,
                          redirect_stderr=sys.stderr.isatty())
        self._live.start()

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        super().flow_run_finished(flow, state)
        self.close()

    def close(self) -> None:
        """Stop the display (idempotent; also done when the run finishes)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def render(self) -> Any:
        """The display: a header line, a bar of finished tasks, a table of notable tasks."""
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        with self.lock:
            c = self.counts()
            elapsed = self.clock() - self.started
            head = Text.assemble(
                (escape(f"Flow {self.flow.name!r}") if self.flow else "Flow", "bold"),
                f"  {format_duration(elapsed)}  {c['finished']}/{c['tasks']} tasks done  ",
                (f"{c['running']} running  ", "blue"),
                (f"{c['failed']} failed  ", "red" if c["failed"] else "dim"),
                (f"{c['retries']} retries", "dark_orange" if c["retries"] else "dim"),
            )
            bar = ProgressBar(total=max(c["tasks"], 1), completed=c["finished"], width=50)
            table = Table(box=None, show_header=False, pad_edge=False)
            for label, status, style in self._notable():
                table.add_row(Text(escape(label)), Text(escape(status), style=style))
            layout = Table.grid()  # a grid puts the bar (one line, no newline) on its own row
            for part in (head, bar, table):
                layout.add_row(part)
            return layout

    def _notable(self) -> list[tuple[str, str, str]]:
        running: list[tuple[str, str, str]] = []
        failed: list[tuple[float, str, str, str]] = []
        done: list[tuple[float, str, str, str]] = []
        for task, rec in self.records.items():
            label = self.labels.get(task, task.name)
            if rec.state is None and self.status(task) == "running":
                extra = f" ({len(rec.children)} mapped runs done)" if rec.children else ""
                retry = f" (retried {rec.retries}x)" if rec.retries else ""
                running.append((label, f"running{extra}{retry}", "blue"))
            elif rec.state is not None:
                target = failed if rec.state.is_failed() else done
                target.append((rec.end or 0.0, label, type(rec.state).__name__,
                               rec.state.color))
        done.sort(reverse=True)
        finished = [(lbl, name, color) for _, lbl, name, color in failed + done]
        return (running + finished)[: self.max_rows]


def rich_available() -> bool:
    """Whether ``rich`` can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec("rich") is not None
    except (ImportError, ValueError):
        return False


def make_progress(enabled: bool = True, live: bool | None = None, sequential: bool = False,
                  stream: IO[str] | None = None) -> RunRecorder:
    """A live display on a terminal with rich, else plain lines (``enabled=False``: silent).

    ``live=None`` decides by ``sys.stdout.isatty()`` and whether rich is installed.
    """
    if not enabled:
        return RunRecorder(sequential)
    if live is None:
        live = sys.stdout.isatty() and rich_available()
    if live and rich_available():
        return LiveProgress(sequential=sequential)
    return PlainProgress(stream, sequential)
