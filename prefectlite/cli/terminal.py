"""Writing text that came from a flow (names, messages, parameters) to a terminal.

A task name or an error message may hold terminal control characters: an escape sequence
that recolours, moves the cursor, rewrites the window title or hides text, a carriage return
that overwrites the line, Unicode bidirectional overrides that show text in another order
than it is stored ("Trojan source"). Lone surrogates cannot be encoded at all and would
crash the output. :func:`escape` shows each of these as a ``\\uXXXX`` escape instead
(which also reads back as the same character in JSON); newlines and tabs are kept. Every
command of the CLI writes through :func:`echo` or escapes the pieces it lays out.
"""

from __future__ import annotations

import re
from typing import Any

import click

__all__ = ["echo", "escape"]

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline) and C1 controls, DEL
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\ud800-\udfff]"  # lone surrogates
)


def escape(text: str) -> str:
    """``text`` with terminal control characters shown as ``\\uXXXX`` escapes.

    Examples
    --------
    >>> escape("ok\\x1b[31mred\\rline\\n")
    'ok\\\\u001b[31mred\\\\u000dline\\n'
    >>> escape("plain café")
    'plain café'
    """
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def echo(message: Any = "", **kwargs: Any) -> None:
    """``click.echo`` of ``str(message)`` escaped (see :func:`escape`)."""
    click.echo(escape(str(message)), **kwargs)
