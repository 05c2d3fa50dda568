"""The end-of-run summary table: task, state, duration, retries, message.

Plain aligned text (what a log file or a pipe gets), or a rich table with the states in
their Prefect colours when standard output is a terminal and rich is installed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from prefectlite.cli.progress import Row, format_duration
from prefectlite.cli.terminal import escape

HEADERS = ("task", "state", "duration", "retries", "message")


def _cells(row: Row) -> tuple[str, ...]:
    return (escape(row.task), row.state, format_duration(row.duration), str(row.retries),
            escape(row.message))


def plain_table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table (the message column is last and not padded).

    Examples
    --------
    >>> print(plain_table([Row("add", "Success", 0.5, 0, "Task run succeeded.")]))
    task  state    duration  retries  message
    add   Success  500ms     0        Task run succeeded.
    """
    table = [HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS) - 1)]
    lines = []
    for line in table:
        padded = [cell.ljust(w) for cell, w in zip(line, widths)]
        lines.append("  ".join([*padded, line[-1]]).rstrip())
    return "\n".join(lines)


def rich_table(rows: Sequence[Row], title: str | None = None) -> Any:
    """The rows as a ``rich.table.Table`` (states in their colours)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for header in HEADERS:
        table.add_column(header, justify="right" if header in ("duration", "retries")
                         else "left", overflow="fold" if header == "message" else "ellipsis")
    for row in rows:
        task, state, duration, retries, message = _cells(row)
        table.add_row(Text(task), Text(state, style=row.color or ""), duration, retries,
                      Text(message))  # Text: a name is not rich markup
    return table


def rows_json(rows: Sequence[Row]) -> str:
    """The rows as a JSON list of objects (``--json``)."""
    return json.dumps([
        {"task": r.task, "state": r.state, "duration": r.duration, "retries": r.retries,
         "message": r.message} for r in rows
    ], indent=2)
