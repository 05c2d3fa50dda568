"""Replaying one task run: its function called again, here, with the inputs it was given.

A journaled run records each task run's inputs (:mod:`prefectlite.persistence.inputs`).
:func:`replay` finds a task run in the journal, loads the flow from the file the run
recorded (or takes the ``flow`` given), and calls that task's ``run`` in the current
process with those inputs, inside a ``prefectlite.context`` like the original one (flow
name, flow run id, parameters, task name and slug, map index), so that a failure can be
stepped through (``debug=True`` runs it under :mod:`pdb`). ``prefectlite runs replay RUN
TASK[INDEX] [--pdb]`` is the same from the command line.

Only the task's function runs: no state handlers, retries, timeouts, caching or result
writing, and nothing is written to the journal.

Examples
--------
>>> from prefectlite.persistence import replay  # doctest: +SKIP
>>> replay("latest", "load[3]")  # doctest: +SKIP
Traceback (most recent call last):
...
ValueError: bad row 3
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefectlite import settings
from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.exceptions import PrefectliteError
from prefectlite.persistence.inputs import NotRecorded, decode_inputs
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.records import (
    FlowRunRecord,
    JournalError,
    TaskRunRecord,
    source_hash,
)
from prefectlite.utilities import context as _context

__all__ = ["PreparedReplay", "ReplayError", "prepare_replay", "replay"]

#: states whose task function never ran in that run (nothing was called to replay)
_NOT_RUN = {"TriggerFailed": "its trigger failed", "Skipped": "it was skipped",
            "Cached": "a cached result stood in for it", "Pending": "it did not start",
            "Paused": "it was paused", "Scheduled": "it did not start"}


class ReplayError(PrefectliteError, ValueError):
    """A task run cannot be replayed: unknown run or task, no recorded inputs, an input
    not recorded, the flow's file gone or changed. The message says which and what to do."""


@dataclass
class PreparedReplay:
    """A task run ready to be replayed (:func:`prepare_replay`); :meth:`call` runs it.

    ``warnings`` holds what the caller should hear before it runs (the flow's file changed
    since the run, ...).
    """

    run: FlowRunRecord
    record: TaskRunRecord
    flow: Flow
    task: Task
    inputs: dict[str, Any]
    context: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``slug`` or ``slug[index]``."""
        index = self.record.map_index
        return self.record.task_slug + ("" if index is None else f"[{index}]")

    def call(self, debug: bool = False) -> Any:
        """Call the task's ``run`` with the recorded inputs inside the run's context; return
        its result or raise its exception. ``debug``: under :mod:`pdb` (it stops at the
        function's first line; on an exception, a post-mortem session before it is raised)."""
        token = _context.install({**_context.snapshot(), **self.context})
        try:
            if debug:
                return _debugged(self.task.run, self.inputs)
            return self.task.run(**self.inputs)
        finally:
            _context.restore(token)


def _debugged(fn: Any, inputs: dict[str, Any]) -> Any:
    """``fn(**inputs)`` under pdb: stopped at its first line, post-mortem when it raises;
    :class:`bdb.BdbQuit` when the session is quit before it returned."""
    import bdb
    import pdb

    class Debugger(pdb.Pdb):
        quit_asked = False

        def set_quit(self) -> None:  # Bdb.runcall swallows the BdbQuit of a "quit"
            self.quit_asked = True
            super().set_quit()

    interactive = sys.stdin.isatty()  # else commands are read from sys.stdin as it is now
    debugger = Debugger() if interactive else Debugger(stdin=sys.stdin, stdout=sys.stdout)
    try:
        result = debugger.runcall(fn, **inputs)
    except Exception:
        debugger.reset()
        debugger.interaction(None, sys.exc_info()[2])
        raise
    if debugger.quit_asked:
        raise bdb.BdbQuit
    return result


def replay(run_id: str, task: str, map_index: int | None = None, *, flow: Flow | None = None,
           inputs: Mapping[str, Any] | None = None, journal: str | Path | None = None,
           debug: bool = False) -> Any:
    """Call the function of task ``task`` of journaled run ``run_id`` again, in this
    process, with the inputs recorded for it; return its result or raise its exception.

    Parameters
    ----------
    run_id
        A run id, a unique prefix of one, or ``"latest"`` (the newest run).
    task
        The task's slug (``load-1``) or name (``load``); ``"load[3]"`` is child 3 of a
        mapped task, as is ``map_index=3``.
    flow
        The flow the run ran; by default it is loaded from the file the run recorded.
    inputs
        Values for arguments (secret ones are never recorded; others can be replaced).
    journal
        The run journal's path (default ``$PREFECTLITE_HOME/prefectlite.db``).
    debug
        Run the function under :mod:`pdb` (see :meth:`PreparedReplay.call`).

    Raises
    ------
    ReplayError
        When the task run cannot be replayed (the message says why and what to do).
    """
    prepared = prepare_replay(run_id, task, map_index, flow=flow, inputs=inputs,
                              journal=journal)
    import warnings

    for text in prepared.warnings:
        warnings.warn(text, stacklevel=2)
    return prepared.call(debug)


def prepare_replay(run_id: str, task: str, map_index: int | None = None, *,
                   flow: Flow | None = None, inputs: Mapping[str, Any] | None = None,
                   journal: str | Path | None = None) -> PreparedReplay:
    """Everything :func:`replay` needs, checked; see there for the arguments."""
    path = Path(journal).expanduser() if journal else settings.journal_path()
    if not path.exists():
        raise ReplayError(f"No run journal at {path}: runs are journaled by `prefectlite "
                          "run` and flow.run(journal=True).")
    try:
        store = RunStore(path)
    except JournalError as exc:
        raise ReplayError(str(exc)) from None
    with store:
        run = _find_run(store, run_id)
        record = _find_task_run(store, run, *_split_index(task, map_index))
        blob = _stored_inputs(store, run, record)
        warnings: list[str] = []
        flow = flow if flow is not None else _load_flow(run, warnings)
        found = _task_of(flow, run, record)
        given = _decoded(store, blob, record) | dict(inputs or {})
        context = _replay_context(store, run, record, flow, found)
    missing = [v.explain() for v in given.values() if isinstance(v, NotRecorded)]
    if missing:
        raise ReplayError(f"Task run {_label(record)} of run {run.id[:8]} cannot be replayed: "
                          + "; ".join(missing) + ".")
    return PreparedReplay(run, record, flow, found, given, context, warnings)


def _label(record: TaskRunRecord) -> str:
    index = record.map_index
    return repr(record.task_slug + ("" if index is None else f"[{index}]"))


def _split_index(task: str, map_index: int | None) -> tuple[str, int | None]:
    """``"name[3]"`` as ``("name", 3)``; an explicit ``map_index`` must agree."""
    match = re.fullmatch(r"(.*)\[(\d+)\]", task.strip())
    if not match:
        return task, map_index
    index = int(match.group(2))
    if map_index is not None and map_index != index:
        raise ReplayError(f"{task!r} names map index {index} but map_index={map_index} was "
                          "given; give one of them.")
    return match.group(1), index


def _find_run(store: RunStore, run_id: str) -> FlowRunRecord:
    if run_id == "latest":
        newest = store.list_runs(limit=1)
        if not newest:
            raise ReplayError(f"No runs in the run journal {store.path} yet.")
        run_id = newest[0].id
    try:
        return store.get_run(run_id)
    except JournalError as exc:
        raise ReplayError(f"{exc} (`prefectlite runs list` lists them)") from None


def _find_task_run(store: RunStore, run: FlowRunRecord, task: str,
                   index: int | None) -> TaskRunRecord:
    """The row of ``task`` (a slug or a name) and ``index`` in ``run``."""
    slugs = sorted({t.task_slug for t in run.task_runs if task in (t.task_slug, t.task_name)})
    if not slugs:
        known = sorted({t.task_slug for t in run.task_runs})
        listed = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "") or "none"
        raise ReplayError(f"Run {run.id[:8]} ({run.flow_name}) has no task run {task!r}; "
                          f"its tasks: {listed}.")
    if len(slugs) > 1:
        raise ReplayError(f"Several tasks of run {run.id[:8]} are named {task!r}: "
                          f"{', '.join(slugs)}; give one of these slugs.")
    rows = {t.map_index: t for t in run.task_runs if t.task_slug == slugs[0]}
    children = sorted(i for i in rows if i is not None)
    if index is None and children:
        failed = [str(i) for i in children if rows[i].state not in ("Success", "Cached")]
        which = f" (not successful: {', '.join(failed[:10])})" if failed else ""
        raise ReplayError(f"Task {slugs[0]!r} of run {run.id[:8]} is mapped over "
                          f"{len(children)} children{which}; give one: {slugs[0]}[INDEX].")
    if index not in rows:
        have = f"children 0 to {children[-1]}" if children else "no mapped children"
        raise ReplayError(f"Task {slugs[0]!r} of run {run.id[:8]} has no child [{index}] "
                          f"recorded ({have}).")
    return rows[index]


def _stored_inputs(store: RunStore, run: FlowRunRecord, record: TaskRunRecord) -> bytes:
    with store.reading() as conn:
        blob = conn.execute(
            "SELECT inputs FROM task_runs WHERE flow_run_id = ? AND task_slug = ? AND "
            "map_index = ?", (run.id, record.task_slug,
                              -1 if record.map_index is None else record.map_index)
        ).fetchone()[0]
    if blob is not None:
        return bytes(blob)
    why = _NOT_RUN.get(record.state)
    if why:
        raise ReplayError(f"Task run {_label(record)} of run {run.id[:8]} ended "
                          f"{record.state}: {why}, so its function was not called and "
                          "no inputs were recorded.")
    raise ReplayError(
        f"No inputs were recorded for task run {_label(record)} of run {run.id[:8]} "
        f"(recorded by prefectlite {run.prefectlite_version}): runs journaled before inputs "
        "were recorded, runs with [journal] max_input_bytes = 0, and eager @flow runs have "
        "none. Run the flow again, journaled, to replay its tasks.")


def _decoded(store: RunStore, blob: bytes, record: TaskRunRecord) -> dict[str, Any]:
    try:
        return decode_inputs(blob, store.unpickle)
    except Exception as exc:
        raise ReplayError(
            f"The inputs recorded for task run {_label(record)} cannot be read back "
            f"({type(exc).__name__}: {exc}); a class or module they use may have changed "
            "or be missing here.") from exc


def _replay_context(store: RunStore, run: FlowRunRecord, record: TaskRunRecord, flow: Flow,
                    task: Task) -> dict[str, Any]:
    """The context keys the task's run had (those a replay can know)."""
    index = record.map_index
    return {
        "flow": flow, "flow_name": run.flow_name, "flow_run_id": run.id,
        "parameters": store.run_parameters(run.id), "task_name": task.name,
        "task_slug": record.task_slug, "task_tags": task.tags, "logger": task.logger,
        "task_full_name": task.name if index is None else f"{task.name}[{index}]",
        "task_run_count": record.run_count or 1, "replay": True,
        **({} if index is None else {"map_index": index}),
    }


def _task_of(flow: Flow, run: FlowRunRecord, record: TaskRunRecord) -> Task:
    by_slug = {slug: t for t, slug in flow.slugs.items()}
    found = by_slug.get(record.task_slug)
    if found is None or found.name != record.task_name:
        raise ReplayError(
            f"Flow {flow.name!r} has no task {record.task_slug!r} named "
            f"{record.task_name!r} any more: its code changed since run {run.id[:8]}. "
            "Replay needs the flow as it was when it ran.")
    return found


def _load_flow(run: FlowRunRecord, warnings: list[str]) -> Flow:
    """The flow of ``run``, from the file (or module) it recorded."""
    if not run.flow_file:
        raise ReplayError(f"Run {run.id[:8]} did not record where its flow came from; pass "
                          "the flow: replay(..., flow=flow).")
    source, sep, name = run.flow_file.rpartition(":")
    if not (sep and source and name and not re.search(r"[/\\]", name)):
        source, name = run.flow_file, run.flow_name
    is_file = source.endswith(".py") or "/" in source or "\\" in source
    if is_file and not Path(source).is_file():
        raise ReplayError(f"The flow file of run {run.id[:8]}, {source}, is gone; pass the "
                          "flow: replay(..., flow=flow).")
    now = source_hash(run.flow_file) if is_file else None
    if run.flow_file_hash and now and now != run.flow_file_hash:
        warnings.append(f"{source} changed since run {run.id[:8]}; replaying the code as it "
                        "is now.")
    module = _load_module(source, is_file)
    return _flow_in(module, name, source)


def _load_module(source: str, is_file: bool) -> Any:
    try:
        if not is_file:
            return importlib.import_module(source)
        path = Path(source).resolve()
        name = "_prefectlite_replay_" + re.sub(r"\W", "_", path.stem)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        sys.modules[name] = module  # classes defined in it must be found by pickle
        spec.loader.exec_module(module)
        return module
    except Exception as exc:
        raise ReplayError(f"Loading the flow from {source} failed: {type(exc).__name__}: "
                          f"{exc}") from exc


def _flow_in(module: Any, name: str, source: str) -> Flow:
    flows = [v for v in vars(module).values() if isinstance(v, Flow) and v.name == name]
    named = getattr(module, name, None)
    if not flows and isinstance(named, Flow):
        flows = [named]
    if not flows and callable(named):  # a function that builds the flow
        try:
            built = named()
        except Exception as exc:
            raise ReplayError(f"{source}: {name}() failed: {type(exc).__name__}: {exc}") \
                from exc
        flows = [built] if isinstance(built, Flow) else []
    if not flows:
        raise ReplayError(f"{source} has no flow named {name!r} at module level, nor a "
                          "function of that name that builds it; pass the flow: "
                          "replay(..., flow=flow).")
    if len(flows) > 1:
        raise ReplayError(f"{source} defines {len(flows)} flows named {name!r}; pass the "
                          "flow: replay(..., flow=flow).")
    return flows[0]
