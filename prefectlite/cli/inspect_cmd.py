"""``prefectlite inspect``: what a flow is made of, without running it.

Tasks (slug, name, class, mapped or not, retries, timeout, tags), Parameters (type,
default, required), edges (upstream -> downstream, argument, mapped), reference tasks, and the next
scheduled times when the flow has a schedule. ``--json`` prints the same as one object.
"""

from __future__ import annotations

import json
from typing import Any

import click

from prefectlite.cli.loading import load_flow
from prefectlite.cli.terminal import echo
from prefectlite.core.flow import Flow
from prefectlite.core.parameter import Parameter
from prefectlite.utilities.coercion import type_name


def describe_flow(flow: Flow, next_runs: int = 5) -> dict[str, Any]:
    """The flow as plain data (what ``inspect --json`` prints)."""
    slugs = flow.slugs
    mapped = {e.downstream_task for e in flow.edges if e.mapped}
    tasks = [{
        "slug": slugs[t], "name": t.name, "class": type(t).__name__, "mapped": t in mapped,
        "max_retries": t.max_retries, "timeout": getattr(t, "timeout", None),
        "tags": sorted(t.tags),
    } for t in flow.sorted_tasks() if not isinstance(t, Parameter)]
    params = [{
        "name": p.name, "default": p.default, "required": p.required,
        "class": type(p).__name__, "type": None if p.type is None else type_name(p.type),
    } for p in sorted(flow.parameters(), key=lambda p: p.name)]
    order = {t: i for i, t in enumerate(flow.sorted_tasks())}
    edges = [{
        "upstream": slugs[e.upstream_task], "downstream": slugs[e.downstream_task],
        "key": e.key, "mapped": e.mapped, "flattened": e.flattened,
    } for e in sorted(flow.edges, key=lambda e: (order[e.upstream_task],
                                                 order[e.downstream_task], e.key or ""))]
    schedule = None
    if flow.schedule is not None:
        schedule = [t.isoformat() for t in flow.schedule.next(next_runs)]
    return {
        "name": flow.name, "tasks": tasks, "parameters": params, "edges": edges,
        "reference_tasks": sorted(slugs[t] for t in flow.reference_tasks()),
        "next_scheduled_runs": schedule,
    }


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_description(info: dict[str, Any], source: str) -> str:
    """The text ``inspect`` prints."""
    lines = [f"Flow {info['name']!r} from {source}", "", f"Tasks ({len(info['tasks'])}):"]
    rows = [["slug", "name", "class", "mapped", "retries", "timeout", "tags"]]
    for t in info["tasks"]:
        rows.append([t["slug"], t["name"], t["class"], "yes" if t["mapped"] else "",
                     str(t["max_retries"] or ""), "" if t["timeout"] is None
                     else f"{t['timeout']:g}s", ", ".join(t["tags"])])
    lines += _table(rows) if info["tasks"] else ["  (none)"]
    lines += ["", f"Parameters ({len(info['parameters'])}):"]
    rows = [["name", "type", "default", "required"]]
    for p in info["parameters"]:
        default = "" if p["required"] and p["default"] is None else json.dumps(
            p["default"], default=repr)
        rows.append([p["name"], p["type"] or "any", default, "yes" if p["required"] else "no"])
    lines += _table(rows) if info["parameters"] else ["  (none)"]
    lines += ["", f"Edges ({len(info['edges'])}):"]
    for e in info["edges"]:
        extra = [f"argument {e['key']}"] if e["key"] else ["state only"]
        extra += ["mapped"] if e["mapped"] else []
        extra += ["flattened"] if e["flattened"] else []
        lines.append(f"  {e['upstream']} -> {e['downstream']}  ({', '.join(extra)})")
    if not info["edges"]:
        lines.append("  (none)")
    lines += ["", "Reference tasks: " + (", ".join(info["reference_tasks"]) or "(none)")]
    if info["next_scheduled_runs"] is not None:
        lines += ["", "Next scheduled runs:"]
        lines += [f"  {t}" for t in info["next_scheduled_runs"]] or ["  (none)"]
    return "\n".join(lines)


@click.command("inspect")
@click.argument("target", metavar="PATH_OR_MODULE[:FLOW_NAME]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-n", "--next-runs", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many scheduled times to list.")
def inspect_command(target: str, as_json: bool, next_runs: int) -> None:
    """Show a flow's tasks, parameters, edges, reference tasks and next scheduled runs."""
    loaded = load_flow(target)
    info = describe_flow(loaded.graph_flow("inspect"), next_runs)
    if as_json:
        echo(json.dumps(info, indent=2, default=repr))
    else:
        echo(format_description(info, f"{loaded.source} (variable {loaded.variable})"))
