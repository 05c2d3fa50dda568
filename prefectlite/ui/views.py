"""What the dashboard's pages show, as plain data computed from the run journal.

Nothing here knows about HTTP or HTML: the functions take a :class:`RunStore` (or records)
and return dictionaries and lists the templates render (and the JSON endpoint returns),
so they can be tested without a server. Every value is rendered by Jinja2 with
autoescaping; nothing here builds markup.
"""

from __future__ import annotations

import datetime
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from prefectlite.engine import state as _states
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import logged_tasks, read_graph, read_logs
from prefectlite.persistence.records import (
    MASK,
    SECRET,
    FlowRunRecord,
    TaskRunRecord,
    resume_command,
)

PAGE_SIZE = 50
PREVIEW_CHARS = 2000
#: tracebacks show the files under the directory prefectlite is installed in relative to it
_ROOT = '"' + str(Path(_states.__file__).resolve().parents[2]) + os.sep


def short_paths(text: str) -> str:
    """``text`` with the quoted file paths under prefectlite's install directory shortened."""
    return text.replace(_ROOT, '"')
NOT_RUN = "Pending"  # what a task without a row yet shows


#: the eager API's state names (Prefect 3's) coloured as the Prefect 1 states they match
_ALIASES = {"Completed": "Success", "Crashed": "Failed", "Cancelling": "Cancelled",
            "Late": "Scheduled", "AwaitingRetry": "Retrying"}


def color(state: str | None) -> str:
    """The colour of a state name (Prefect's state colours, as the CLI uses them)."""
    cls = getattr(_states, _ALIASES.get(state or "", state or ""), None)
    if isinstance(cls, type) and issubclass(cls, _states.State):
        return str(cls.color)
    return "#62757f" if state == "Running" else "#bdbdbd"


def duration(start: datetime.datetime | None, end: datetime.datetime | None,
             now: datetime.datetime | None = None) -> float | None:
    """Seconds from ``start`` to ``end`` (to ``now`` while it has not ended)."""
    if start is None:
        return None
    end = end or now
    return None if end is None else max((end - start).total_seconds(), 0.0)


def mask_parameters(parameters: dict[str, Any]) -> dict[str, str]:
    """Parameters as display text, the values of secret-looking names masked.

    Examples
    --------
    >>> mask_parameters({"n": 3, "db_password": "hunter2"})
    {'n': '3', 'db_password': '********'}
    """
    shown = {}
    for name, value in parameters.items():
        if SECRET.search(str(name)):
            shown[str(name)] = MASK
            continue
        try:
            text = json.dumps(value, default=repr)
        except (TypeError, ValueError):
            text = repr(value)
        shown[str(name)] = text
    return shown


def run_summary(run: FlowRunRecord, now: datetime.datetime) -> dict[str, Any]:
    """One line of the runs page."""
    state = run.state or "Running"
    return {"id": run.id, "short": run.id[:8], "flow": run.flow_name, "state": state,
            "color": color(state), "message": run.message or "", "started": run.started,
            "ended": run.ended, "duration": duration(run.started, run.ended, now),
            "resumed_from": run.resumed_from, "running": run.in_progress}


def runs_page(store: RunStore, flow: str | None, state: str | None, page: int,
              now: datetime.datetime) -> dict[str, Any]:
    """The runs page: one page of runs (newest first), the filters and the page count."""
    total = store.count_runs(flow_name=flow, state=state)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    runs = store.list_runs(flow_name=flow, state=state, limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE)
    return {"runs": [run_summary(r, now) for r in runs], "total": total, "page": page,
            "pages": pages, "flow": flow or "", "state": state or "",
            "flows": store.flow_names(),
            "states": ["Running", "Success", "Failed", "Cancelled", "TriggerFailed",
                       "TimedOut", "Skipped"]}


def node_states(task_runs: tuple[TaskRunRecord, ...] | list[TaskRunRecord],
                started: set[str] = frozenset()  # type: ignore[assignment]
                ) -> dict[str, dict[str, Any]]:
    """Each task's state (by slug), with its mapped children's counts per state; a task of
    ``started`` (it has logged: "Starting task run...") without a row yet is Running."""
    nodes: dict[str, dict[str, Any]] = {
        slug: {"state": "Running", "color": color("Running"), "message": ""}
        for slug in started}
    children: dict[str, Counter[str]] = defaultdict(Counter)
    for t in task_runs:
        if t.map_index is None:
            nodes[t.task_slug] = {"state": t.state, "color": color(t.state),
                                  "message": t.message or ""}
        else:
            children[t.task_slug][t.state] += 1
    for slug, counts in children.items():
        node = nodes.setdefault(slug, {"state": "Running", "color": color("Running"),
                                       "message": ""})
        node["children"] = [{"state": s, "count": n, "color": color(s)}
                            for s, n in sorted(counts.items(), key=lambda i: -i[1])]
    return nodes


def layout(graph: dict[str, Any]) -> dict[str, Any]:
    """Positions for the graph's nodes: one column per depth (longest path from a root)."""
    tasks = graph["tasks"]
    ups: dict[str, set[str]] = defaultdict(set)
    for up, down, *_ in graph["edges"]:
        ups[down].add(up)
    depth: dict[str, int] = {}
    order = [t["slug"] for t in tasks]

    def depth_of(slug: str) -> int:  # iterative: deep chains must not hit the recursion limit
        stack = [slug]
        while stack:
            top = stack[-1]
            pending = [u for u in ups[top] if u not in depth and u != top]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            depth[top] = 1 + max((depth[u] for u in ups[top] if u in depth), default=-1)
        return depth[slug]

    columns: dict[int, list[str]] = defaultdict(list)
    for slug in order:
        columns[depth_of(slug)].append(slug)
    w, h, gap_x, gap_y = 170, 44, 60, 20
    pos = {}
    for col, slugs in columns.items():
        for row, slug in enumerate(slugs):
            pos[slug] = (20 + col * (w + gap_x), 20 + row * (h + gap_y))
    nodes = [{**t, "x": pos[t["slug"]][0], "y": pos[t["slug"]][1], "w": w, "h": h}
             for t in tasks]
    edges = []
    for up, down, key, mapped in graph["edges"]:
        (x1, y1), (x2, y2) = pos[up], pos[down]
        edges.append({"x1": x1 + w, "y1": y1 + h / 2, "x2": x2, "y2": y2 + h / 2,
                      "key": key or "", "mapped": mapped})
    width = 40 + max((len(columns)) * (w + gap_x) - gap_x, w)
    height = 40 + max((len(c) for c in columns.values()), default=1) * (h + gap_y) - gap_y
    return {"nodes": nodes, "edges": edges, "width": width, "height": height}


def timeline(task_runs: tuple[TaskRunRecord, ...], start: datetime.datetime,
             end: datetime.datetime) -> dict[str, Any]:
    """Gantt bars: one per task run that has a start time, placed in seconds from ``start``;
    the axis runs to ``end`` (the run's end, or now while it runs) or the last bar's end."""
    bars: list[dict[str, Any]] = []
    for t in task_runs:
        if t.started is None or t.copied_from:
            continue
        label = t.task_slug if t.map_index is None else f"{t.task_slug}[{t.map_index}]"
        if t.map_index is None and t.state == "Mapped":
            continue  # its children have their own bars
        bars.append({"label": label, "slug": t.task_slug, "index": t.map_index,
                     "state": t.state, "color": color(t.state),
                     "offset": max((t.started - start).total_seconds(), 0.0),
                     "length": max((t.ended - t.started).total_seconds(), 0.0),
                     "retries": max((t.run_count or 1) - 1, 0)})
    bars.sort(key=lambda b: (b["offset"], b["label"]))
    ends: list[float] = [b["offset"] + b["length"] for b in bars]
    span = max([*ends, (end - start).total_seconds(), 1e-3])
    return {"bars": bars, "span": span}


def run_page(store: RunStore, run_id: str, now: datetime.datetime) -> dict[str, Any]:
    """The run page: summary, parameters, graph with states, timeline, resume command."""
    run = store.get_run(run_id)
    graph = read_graph(store, run.id) or _graph_from_rows(run.task_runs)
    nodes = node_states(run.task_runs, _started(store, run))
    drawn = layout(graph)
    for node in drawn["nodes"]:
        node.update(nodes.get(node["slug"], {"state": NOT_RUN, "color": color(NOT_RUN),
                                             "message": ""}))
    summary = run_summary(run, now)
    resume = None
    if run.ended is None or run.state not in ("Success", "Cached", "Skipped"):
        resume = resume_command(run.flow_file, run.id)
    return {"run": summary, "parameters": mask_parameters(run.parameters),
            "graph": drawn, "timeline": timeline(run.task_runs, run.started, run.ended or now),
            "resume": resume, "host": run.host, "pid": run.pid, "python": run.python,
            "version": run.prefectlite_version, "parent": run.parent_run_id,
            "errors": [t for t in run.task_runs if t.state in _FAILED]}


_FAILED = ("Failed", "TriggerFailed", "TimedOut")


def run_status(store: RunStore, run_id: str, now: datetime.datetime) -> dict[str, Any]:
    """What the run page polls while the run is going: the run's and each task's state."""
    run = store.get_run(run_id)
    return {"run": {k: (v.isoformat() if isinstance(v, datetime.datetime) else v)
                    for k, v in run_summary(run, now).items()},
            "nodes": node_states(run.task_runs, _started(store, run)),
            "timeline": timeline(run.task_runs, run.started, run.ended or now)}


def _started(store: RunStore, run: FlowRunRecord) -> set[str]:
    """Tasks of a run still going that have begun (logged) but not finished."""
    return logged_tasks(store, run.id) if run.ended is None else set()


def _graph_from_rows(task_runs: tuple[TaskRunRecord, ...]) -> dict[str, Any]:
    seen: dict[str, dict[str, Any]] = {}
    for t in task_runs:
        seen.setdefault(t.task_slug, {"slug": t.task_slug, "name": t.task_name, "type": "",
                                      "mapped": False})
        if t.map_index is not None:
            seen[t.task_slug]["mapped"] = True
    return {"tasks": list(seen.values()), "edges": []}


def task_page(store: RunStore, run_id: str, slug: str, index: int | None) -> dict[str, Any]:
    """A task run's page: its row(s), traceback, result preview and log records."""
    run = store.get_run(run_id)
    rows = [t for t in run.task_runs if t.task_slug == slug]
    row = next((t for t in rows if t.map_index == index), None)
    children = [t for t in rows if t.map_index is not None] if index is None else []
    logs = read_logs(store, run.id, slug, index)
    tracebacks = [short_paths(r.message) for r in logs
                  if "Traceback (most recent call last)" in r.message]
    secret = bool(SECRET.search(slug))
    return {"run": run_summary(run, datetime.datetime.now(datetime.UTC)), "slug": slug,
            "index": index, "row": row, "state": row.state if row else NOT_RUN,
            "color": color(row.state if row else NOT_RUN),
            "children": [{"index": c.map_index, "state": c.state, "color": color(c.state),
                          "message": c.message or ""} for c in children],
            "traceback": tracebacks[-1] if tracebacks else None,
            "preview": None if secret or row is None else _preview(store, row),
            "logs": [{"seq": r.seq, "time": r.created, "level": r.level_name,
                      "logger": r.logger, "index": r.map_index,
                      "message": short_paths(r.message)}
                     for r in logs]}


def _preview(store: RunStore, row: TaskRunRecord) -> str | None:
    """The start of a result kept in the journal itself (files are not opened)."""
    if not row.inline:
        return None
    try:
        value = store.read_result(row)
    except Exception as exc:  # a result that cannot be read back here
        return f"(cannot be read here: {exc!r})"
    text = repr(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "..."
