"""``prefectlite run FILE[:NAME]`` for an eager ``@flow`` function.

The flow is called with the ``-p``/``--params-file`` values as keyword arguments; the flow's
own signature decides which names exist and its type hints convert the values (a mistake is
one ``Error:`` line and exit 2 before the body runs). With ``--journal`` (the default) the run
is recorded in the run journal like a graph run, and the summary lists its task runs from
there; ``--no-journal`` prints the flow's final state only. Exit 0 when the flow run
completed, 1 when not.

``--limit TAG=N`` holds as for a graph flow (it overrides the configuration's
``[task_concurrency]`` table, tag by tag, for this run). Options that steer the graph engine
have no meaning for a function that runs its own body (``-e``: the flow's ``task_runner=``
chooses where tasks run; schedules; ``--resume``): they are refused with a one-line error
saying so.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from typing import Any

from prefectlite.cli._errors import CliError
from prefectlite.cli.params import Given
from prefectlite.cli.progress import Row, rich_available
from prefectlite.cli.summary import plain_table, rich_table, rows_json
from prefectlite.cli.terminal import echo

__all__ = ["arguments", "refuse_graph_options", "run_eager", "run_settings"]


def refuse_graph_options(name: str, **given: Any) -> None:
    """A one-line error for each option that only graph flows take (first one found)."""
    why = {
        "executor": "where its tasks run is the flow's task_runner= (e.g. "
                    "ThreadPoolTaskRunner)",
        "resume": "eager runs are not resumed from the command line",
        "schedule": "it has no schedule; run it from cron or a loop of your own",
    }
    for option, value in given.items():
        if value:
            flag = {"schedule": "--schedule/--cron/--interval", "executor": "-e"}.get(
                option, f"--{option}")
            raise CliError(f"{flag} does not apply to {name}, an eager @flow function: "
                           f"{why[option]}.")


def run_settings(log_level: str | None, limits: dict[str, int]) -> dict[str, Any]:
    """The configuration the flow run reads, for ``set_temporary_config``: the logger's level
    and the ``[task_concurrency]`` table with ``--limit``'s values on top."""
    from prefectlite import settings
    from prefectlite.engine.limits import merge_limits

    out: dict[str, Any] = {"logging.level": log_level.upper()} if log_level else {}
    if limits:  # the whole table: a tag may contain dots, which would read as sections
        configured = settings.current_config().get("task_concurrency")
        out["task_concurrency"] = merge_limits(configured, limits)
    return out


def arguments(flow: Any, given: dict[str, Given]) -> dict[str, Any]:
    """The keyword arguments for ``flow`` from the command line's values."""
    sig = inspect.signature(flow.fn)
    params = sig.parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = sorted(set(given) - set(params)) if not takes_any else []
    if unknown:
        raise CliError(f"flow {flow.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                       f"its parameters are: {', '.join(params) or '(none)'}.")
    missing = [n for n, p in params.items() if p.default is p.empty and n not in given
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if missing:
        hint = " ".join(f"-p {n}=VALUE" for n in missing)
        raise CliError(f"flow {flow.name!r} needs a value for {', '.join(map(repr, missing))}: "
                       f"pass {hint}.")
    from prefectlite.eager.exceptions import ParameterTypeError
    from prefectlite.eager.validation import type_hints, validate

    hints = type_hints(flow.fn)
    # "-p zip=01234" for a str parameter stays the text typed, not the JSON it looks like
    values = {n: g.raw if hints.get(n) is str and g.raw is not None else g.value
              for n, g in given.items()}
    try:  # the flow would fail its run on these; on the command line they are bad input
        validate(sig, hints, values)
    except ParameterTypeError as exc:
        raise CliError("; ".join(f"{name}: {problem}" for name, problem in exc.errors)
                       + ".") from None
    return values


def run_eager(flow: Any, values: dict[str, Any], journal: bool, quiet: bool,
              as_json: bool) -> bool:
    """Call ``flow`` with ``values``; print the summary; whether the run completed."""
    if journal:
        flow = flow.with_options(journal=True)
    outcome = flow(**values, return_state=True)
    state = asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
    if not quiet:
        _summary(flow, state, journal, as_json)
    return bool(state.is_completed())


def _summary(flow: Any, state: Any, journal: bool, as_json: bool) -> None:
    details = getattr(state, "state_details", None)
    run_id = str(details.flow_run_id) if details is not None and details.flow_run_id else None
    rows = _rows(run_id) if journal and run_id else []
    if as_json:
        echo(json.dumps({"flow": flow.name, "flow_run_id": run_id, "state": state.name,
                         "message": state.message, "tasks": json.loads(rows_json(rows))},
                        default=str))
        return
    short = f" (run {run_id[:8]})" if journal and run_id else ""
    why = f" - {state.message}" if state.message else ""
    title = f"Flow run {flow.name!r}{short}: {state.name}{why}"
    if rows and sys.stdout.isatty() and rich_available():
        from rich.console import Console

        Console().print(rich_table(rows, title=title))
        return
    echo(title)
    if rows:
        echo(plain_table(rows))


def _rows(run_id: str) -> list[Row]:
    """The run's task runs as summary rows, read back from the journal."""
    from prefectlite.persistence.journal import RunStore

    with RunStore() as store:
        records = store.task_runs(run_id)
    rows = []
    for rec in records:
        took = (rec.ended - rec.started).total_seconds() if rec.started else None
        retries = max((rec.run_count or 1) - 1, 0)
        rows.append(Row(rec.task_slug, rec.state, took, retries, rec.message or ""))
    return rows

