"""``prefectlite runs list|show|logs|delete``: read and prune the run journal (``runs replay``:
:mod:`prefectlite.cli.replay_cmd`).

The journal is ``$PREFECTLITE_HOME/prefectlite.db`` (:mod:`prefectlite.persistence.journal`);
``prefectlite run`` writes it unless ``--no-journal``. A run id may be shortened to any
unique prefix (as with git). Reading commands never create the journal: with no journal
yet, they say so.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from prefectlite.cli._errors import CliError, CommandFailed
from prefectlite.cli.progress import Row, format_duration
from prefectlite.cli.summary import plain_table
from prefectlite.cli.terminal import echo
from prefectlite.core.flow import Flow
from prefectlite.engine.state import State

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> datetime.timedelta:
    """``7d``, ``12h``, ``30m``, ``90s``, ``2w`` (or a sum: ``1d12h``) as a timedelta.

    Examples
    --------
    >>> parse_age("7d"), parse_age("1h30m")
    (datetime.timedelta(days=7), datetime.timedelta(seconds=5400))
    """
    compact = re.sub(r"\s", "", text.lower())
    if not re.fullmatch(r"(\d+(\.\d+)?[smhdw])+", compact):
        raise CliError(f"--older-than {text!r} is not an age: use a number and a unit, e.g. "
                       "7d, 12h, 30m, 90s or 2w.")
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", compact)
    return datetime.timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


@contextmanager
def open_store(create: bool = False) -> Iterator[Any]:
    """The run journal; a one-line error when it is missing (unless ``create``) or broken."""
    from prefectlite import settings
    from prefectlite.persistence.journal import JournalError, RunStore

    path = settings.journal_path()
    if not create and not path.exists():
        raise CommandFailed(f"no run journal yet at {path} (prefectlite run records runs "
                            "there; PREFECTLITE_HOME moves it).")
    try:
        store = RunStore(path)
    except JournalError as exc:
        raise CommandFailed(str(exc)) from None
    try:
        yield store
    except JournalError as exc:
        raise CommandFailed(str(exc)) from None
    finally:
        store.close()


def _local(moment: datetime.datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _seconds(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def flow_state_of_run(flow: Flow, run_id: str) -> State:
    """A flow state whose ``result`` maps ``flow``'s tasks to their states in run ``run_id``."""
    from prefectlite.persistence.journal import JournalError
    from prefectlite.persistence.resume import find_run
    from prefectlite.persistence.runs import run_states

    with open_store() as store:
        try:
            run = find_run(store, flow, run_id if run_id == "latest" else resolve(store, run_id))
        except JournalError as exc:  # not a run of this flow, no unfinished run, ...
            raise CliError(str(exc)) from None
        states = run_states(flow, run.id, store)
    return State(message=f"Run {run.id}", result=states)


@click.group("runs")
def runs_group() -> None:
    """List, show, print the logs of, replay a task of, and delete the runs recorded in the
    run journal."""


@runs_group.command("list")
@click.option("--flow", "flow_name", metavar="NAME", help="Only runs of this flow.")
@click.option("--state", metavar="STATE", help="Only runs that ended in STATE (e.g. Failed).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most this many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(flow_name: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """List recorded flow runs, newest first."""
    with open_store() as store:
        runs = store.list_runs(flow_name=flow_name, state=state, limit=limit)
    if as_json:
        echo(json.dumps([_run_info(r) for r in runs], indent=2, default=str))
        return
    if not runs:
        echo("No runs recorded" + (f" for flow {flow_name!r}." if flow_name else "."))
        return
    rows = [["run id", "flow", "state", "started", "duration", "resumed from"]]
    for r in runs:
        rows.append([r.id[:8], r.flow_name, r.state or "Running", _local(r.started),
                     format_duration(_seconds(r.started, r.ended)),
                     (r.resumed_from or "")[:8]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def _run_info(run: Any) -> dict[str, Any]:
    from prefectlite.persistence.records import masked

    return {"id": run.id, "flow": run.flow_name, "state": run.state, "message": run.message,
            "parameters": masked(run.parameters), "started": run.started, "ended": run.ended,
            "duration": _seconds(run.started, run.ended), "resumed_from": run.resumed_from,
            "python": run.python, "prefectlite_version": run.prefectlite_version,
            "host": run.host, "pid": run.pid, "heartbeat": run.heartbeat,
            "flow_file": run.flow_file}


def task_rows(task_runs: Any, children: bool = False) -> list[Row]:
    """Summary rows for a run's task runs (mapped children folded into their task)."""
    rows: list[tuple[datetime.datetime, Row]] = []
    kids: dict[str, list[Any]] = {}
    for t in task_runs:
        if t.map_index is not None:
            kids.setdefault(t.task_slug, []).append(t)
    for t in task_runs:
        if t.map_index is not None and not children:
            continue
        label = t.task_slug if t.map_index is None else f"{t.task_slug}[{t.map_index}]"
        mine = kids.get(t.task_slug, []) if t.map_index is None else []
        retries = sum(max((k.run_count or 1) - 1, 0) for k in mine) + max((t.run_count or 1)
                                                                         - 1, 0)
        start = min((k.started for k in [t, *mine] if k.started), default=None)
        message = " ".join((t.message or "").split())
        if mine:
            counts: dict[str, int] = {}
            for k in mine:
                counts[k.state] = counts.get(k.state, 0) + 1
            message = f"{len(mine)} mapped runs: " + ", ".join(
                f"{n} {s}" for s, n in sorted(counts.items(), key=lambda i: -i[1]))
        if t.copied_from:
            message = f"(kept from run {t.copied_from[:8]}) {message}"
        order = start or t.ended
        rows.append((order, Row(label, t.state, _seconds(start, t.ended), retries, message)))
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


@runs_group.command("show")
@click.argument("run_id")
@click.option("-a", "--all", "children", is_flag=True, help="Also list each mapped child.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_command(run_id: str, children: bool, as_json: bool) -> None:
    """Show one run (an id, a unique prefix of one, or `latest`) and its task runs."""
    with open_store() as store:
        run = store.get_run(resolve(store, run_id))
    rows = task_rows(run.task_runs, children)
    if as_json:
        info = _run_info(run)
        info["tasks"] = [r.__dict__ for r in rows]
        echo(json.dumps(info, indent=2, default=str))
        return
    echo(f"Flow run {run.id}")
    echo(f"  flow        {run.flow_name}")
    echo(f"  state       {run.state or 'Running'}: {run.message or ''}".rstrip())
    from prefectlite.persistence.records import SUCCEEDED, masked, resume_command

    shown = json.dumps(masked(run.parameters), default=repr)
    echo(f"  parameters  {shown}" + (" (some only as text: they were pickled)"
                                          if run.parameters_pickled else ""))
    echo(f"  started     {_local(run.started)}")
    echo(f"  ended       {_local(run.ended)} "
               f"({format_duration(_seconds(run.started, run.ended))})")
    if run.resumed_from:
        echo(f"  resumed     from run {run.resumed_from}")
    echo(f"  where       {run.host} pid {run.pid}, Python {run.python}, "
               f"prefectlite {run.prefectlite_version}")
    if run.state not in SUCCEEDED and not run.in_progress:
        echo(f"  resume      {resume_command(run.flow_file, run.id[:8])}")
    echo("")
    echo(plain_table(rows) if rows else "No task runs recorded.")


def resolve(store: Any, run_id: str) -> str:
    """The full id of the run ``run_id`` names (``latest``: the newest run); a one-line usage
    error when it names none or several."""
    from prefectlite.persistence.journal import JournalError

    if run_id == "latest":
        newest = store.list_runs(limit=1)
        if not newest:
            raise CliError(f"no runs in the run journal {store.path} yet.")
        return str(newest[0].id)
    try:
        return str(store.resolve_run_id(run_id))
    except JournalError:
        matches = [r.id for r in store.list_runs() if r.id.startswith(run_id)]
        if matches:
            listed = ", ".join(m[:12] for m in matches)
            raise CliError(f"{run_id!r} starts several run ids ({listed}); give more of "
                           "it.") from None
        raise CliError(f"no run {run_id!r} in the run journal {store.path} (`prefectlite "
                       "runs list` lists the runs).") from None


def _chosen(store: Any, run_ids: tuple[str, ...], age: datetime.timedelta | None,
            flow_name: str | None) -> list[str]:
    """The ids ``delete`` would delete (for ``--dry-run``)."""
    if run_ids:
        return [resolve(store, r) for r in run_ids]
    cutoff = None if age is None else datetime.datetime.now(datetime.UTC) - age
    return [r.id for r in store.list_runs(flow_name=flow_name)
            if cutoff is None or r.started < cutoff]


@runs_group.command("delete")
@click.argument("run_ids", nargs=-1, metavar="[RUN_ID]...")
@click.option("--older-than", metavar="AGE", help="Delete runs started more than AGE ago "
              "(7d, 12h, 30m, 2w).")
@click.option("--flow", "flow_name", metavar="NAME", help="Only runs of this flow.")
@click.option("--keep-results", is_flag=True, help="Keep the result files of deleted runs.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option("--force", is_flag=True, help="Delete runs in progress too (a live process "
              "runs them: it will fail when it next writes).")
def delete_command(run_ids: tuple[str, ...], older_than: str | None, flow_name: str | None,
                   keep_results: bool, dry_run: bool, force: bool) -> None:
    """Delete runs by id, or by age (--older-than) and/or flow (--flow), with their results.

    Runs in progress are refused (the command says which), unless --force."""
    if run_ids and older_than:
        raise CliError("give run ids or --older-than, not both.")
    if not run_ids and not older_than and not flow_name:
        raise CliError("say which runs to delete: RUN_ID..., --older-than AGE or --flow NAME.")
    age = parse_age(older_than) if older_than else None
    with open_store() as store:
        if dry_run:
            ids = _chosen(store, run_ids, age, flow_name)
            echo(f"Would delete {len(ids)} run(s)" + (": " + ", ".join(ids) if ids
                                                           else "."))
            return
        chosen = [resolve(store, r) for r in run_ids] or None
        ids = store.delete_runs(chosen, older_than=age, flow_name=flow_name,
                                delete_results=not keep_results, force=force)
    echo(f"Deleted {len(ids)} run(s)" + (": " + ", ".join(ids) if ids else "."))


def _task_key(store: Any, run_id: str, task: str) -> tuple[str, int | None]:
    """``(slug, map_index)`` for TASK: a slug or a task name, with ``[i]`` for one child."""
    import re as _re

    index = None
    match = _re.fullmatch(r"(.*)\[(\d+)\]", task)
    if match:
        task, index = match.group(1), int(match.group(2))
    from prefectlite.persistence.journal_logs import read_graph

    graph = read_graph(store, run_id) or {"tasks": []}  # tasks that have not finished too
    names = {t.task_slug: t.task_name for t in store.task_runs(run_id)}
    names.update((t["slug"], t["name"]) for t in graph["tasks"])
    slugs = set(names)
    if task in slugs:
        return task, index
    named = sorted(slug for slug, name in names.items() if name == task)
    if len(named) == 1:
        return named[0], index
    if named:
        raise CliError(f"several tasks of run {run_id[:8]} are named {task!r} "
                       f"({', '.join(named)}); give one of these slugs.")
    listed = ", ".join(sorted(slugs)[:10]) or "none yet"
    raise CliError(f"run {run_id[:8]} has no task run {task!r} (its tasks: {listed}).")


@runs_group.command("logs")
@click.argument("run_id")
@click.argument("task", required=False)
@click.option("--level", default="DEBUG", show_default=True, metavar="LEVEL",
              help="Only records at this level or above (DEBUG, INFO, WARNING, ERROR).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records.")
def logs_command(run_id: str, task: str | None, level: str, as_json: bool) -> None:
    """Print the log records stored with a run (or with one TASK of it: a slug or a name,
    `name[3]` for one mapped child)."""
    import logging

    from prefectlite.persistence.journal_logs import read_logs

    threshold = logging.getLevelName(level.upper())
    if not isinstance(threshold, int):
        raise CliError(f"--level {level!r} is not a log level: use DEBUG, INFO, WARNING, "
                       "ERROR or CRITICAL.")
    with open_store() as store:
        full = resolve(store, run_id)
        slug, index = _task_key(store, full, task) if task else (None, None)
        records = [r for r in read_logs(store, full, slug, index) if r.level >= threshold]
    if as_json:
        echo(json.dumps([{"seq": r.seq, "task": r.task_slug, "map_index": r.map_index,
                                "time": r.created, "level": r.level_name,
                                "logger": r.logger, "message": r.message}
                               for r in records], indent=2, default=str))
        return
    if not records:
        echo("No log records stored" + (f" for task {task!r}." if task else "."))
        return
    for r in records:
        where = ""
        if slug is None and r.task_slug is not None:
            where = r.task_slug if r.map_index is None else f"{r.task_slug}[{r.map_index}]"
            where += " - "
        echo(f"[{_local(r.created)}] {r.level_name} - {where}{r.logger} | {r.message}")
