"""The command line's errors: each prints one ``Error: ...`` line and sets the exit code.

Exit codes: 0 the flow succeeded (or the command did its job), 1 the flow failed (or
``check`` found problems, or a command could not do its job), 2 the command could not start:
bad input (unknown or missing parameter, malformed value, bad executor, file not found,
a flow file that does not load, an unreachable scheduler).
"""

from __future__ import annotations

import click

from prefectlite.cli.terminal import escape

#: exit code of a flow run that did not succeed (and of ``check`` with problems)
FLOW_FAILED = 1
#: exit code of bad input
USAGE = 2


class CliError(click.ClickException):
    """Bad input: ``Error: <message>`` on stderr (no usage block, no traceback), exit 2."""

    exit_code = USAGE

    def format_message(self) -> str:
        return escape(self.message)


class CommandFailed(click.ClickException):
    """The command could not do its job (e.g. Graphviz is missing): ``Error: ...``, exit 1."""

    exit_code = FLOW_FAILED

    def format_message(self) -> str:
        return escape(self.message)
