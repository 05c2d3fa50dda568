"""The ``prefectlite`` command line (click): run, check, inspect and draw flows.

``prefectlite = prefectlite.cli:cli`` is the console script; ``python -m prefectlite`` is the
same. Every option can also come from an environment variable ``PREFECTLITE_<COMMAND>_<OPTION>``
(e.g. ``PREFECTLITE_RUN_EXECUTOR=threads``). Exit codes: 0 success, 1 the flow (or the
check) failed, 2 bad input; see :mod:`prefectlite.cli._errors`. The commands live in one
module each and import the engine, dask or rich only when they need them.
"""

from __future__ import annotations

import click

import prefectlite
from prefectlite.cli.check import check_command
from prefectlite.cli.inspect_cmd import inspect_command
from prefectlite.cli.replay_cmd import replay_command
from prefectlite.cli.run import run_command
from prefectlite.cli.runs import runs_group
from prefectlite.cli.ui import ui_command
from prefectlite.cli.visualize import visualize_command

__all__ = ["cli"]


@click.group(context_settings={"auto_envvar_prefix": "PREFECTLITE",
                               "help_option_names": ["-h", "--help"]})
@click.version_option(prefectlite.__version__, "-V", "--version", prog_name="prefectlite")
def cli() -> None:
    """prefectlite: run Prefect Core 1-style flows from the command line, with no server."""


@cli.command("version")
def version_command() -> None:
    """Print the versions of prefectlite, Python and the optional packages."""
    import platform
    from importlib import metadata

    click.echo(f"prefectlite {prefectlite.__version__}")
    click.echo(f"python      {platform.python_version()} ({platform.python_implementation()})")
    for name in ("click", "networkx", "pendulum", "dask", "distributed", "rich", "graphviz",
                 "starlette", "uvicorn"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        click.echo(f"{name:<11} {version}")


cli.add_command(run_command)
cli.add_command(check_command)
cli.add_command(inspect_command)
cli.add_command(visualize_command)
cli.add_command(runs_group)
runs_group.add_command(replay_command)
cli.add_command(ui_command)
