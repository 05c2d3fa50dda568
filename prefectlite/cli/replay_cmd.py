"""``prefectlite runs replay RUN TASK[INDEX] [--pdb]``: run one recorded task run again, here.

The task's function is called in this process with the inputs the run journal recorded for
it (:mod:`prefectlite.persistence.replaying`), inside a context like the original's. Its
result's ``repr`` is printed on stdout (exit 0), or its traceback on stderr (exit 1). With
``--pdb`` it runs under pdb: stopped at the function's first line, and in a post-mortem
session when it raises. A task run that cannot be replayed (unknown run or task, no
recorded inputs, a secret or unrecorded input not given with ``-i``, the flow's file gone)
is an ``Error:`` line and exit 2.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from prefectlite.cli._errors import FLOW_FAILED, CliError
from prefectlite.cli.params import parse_param
from prefectlite.cli.runs import open_store, resolve
from prefectlite.cli.terminal import echo

__all__ = ["replay_command"]


def _short(value: Any, width: int = 80) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[:width - 3] + "..."


@click.command("replay")
@click.argument("run_id", metavar="RUN")
@click.argument("task", metavar="TASK[INDEX]")
@click.option("--pdb", "debug", is_flag=True,
              help="Run it under pdb: stop at its first line, post-mortem when it raises.")
@click.option("-i", "--input", "given", multiple=True, metavar="NAME=VALUE",
              help="Give an argument (one that was not recorded, e.g. a secret, or to try "
              "another value). VALUE is JSON, else a string. Repeatable.")
def replay_command(run_id: str, task: str, debug: bool, given: tuple[str, ...]) -> None:
    """Call the function of TASK (a slug or a name; `name[3]` for a mapped child) of run RUN
    (an id, a unique prefix, or `latest`) again, in this process, with its recorded inputs.

    Prints the result (exit 0) or the traceback (exit 1)."""
    import bdb

    from prefectlite.persistence import replaying

    inputs = dict((name, value.value) for name, value in map(parse_param, given))
    with open_store() as store:
        full, path = resolve(store, run_id), store.path
    try:
        prepared = replaying.prepare_replay(full, task, inputs=inputs, journal=path)
    except replaying.ReplayError as exc:
        raise CliError(str(exc)) from None
    for warning in prepared.warnings:
        echo(f"Warning: {warning}", err=True)
    shown = ", ".join(f"{k}={'********' if k in inputs else _short(v)}"
                      for k, v in prepared.inputs.items())
    echo(f"Replaying {prepared.label} of run {full[:8]} (flow {prepared.run.flow_name}, "
         f"ended {prepared.record.state}): {prepared.task.name}({shown})", err=True)
    try:
        result = prepared.call(debug)
    except bdb.BdbQuit:
        echo("Replay stopped in the debugger.", err=True)
        raise click.exceptions.Exit(FLOW_FAILED) from None
    except Exception as exc:
        _print_traceback(exc)
        echo(f"Task run {prepared.label} raised {type(exc).__name__}.", err=True)
        raise click.exceptions.Exit(FLOW_FAILED) from None
    echo(_short(result, 10_000))


def _print_traceback(exc: BaseException) -> None:
    """The traceback from the task's function on (the replay's own frames left out)."""
    import bdb
    import pdb

    from prefectlite.persistence import replaying

    ours = {__file__, replaying.__file__, bdb.__file__, pdb.__file__}
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    echo("".join(lines).rstrip("\n"), err=True)
    sys.stderr.flush()
