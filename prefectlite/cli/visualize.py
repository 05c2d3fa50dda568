"""``prefectlite visualize``: a picture of a flow, the format taken from the file's suffix.

``.dot``/``.gv`` (Graphviz text) and ``.mmd``/``.mermaid`` (Mermaid text) are written by
prefectlite itself; ``.svg``, ``.png`` and ``.pdf`` are rendered by the ``graphviz`` package
(the ``viz`` extra) and its ``dot`` program. ``-o -`` writes the text formats to stdout.
``--run RUN_ID`` fills each task with the colour of its final state in that journaled run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from prefectlite.cli._errors import CliError, CommandFailed
from prefectlite.cli.loading import load_flow
from prefectlite.cli.terminal import echo
from prefectlite.core.flow import Flow
from prefectlite.engine.state import State

TEXT_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
RENDERED = (".svg", ".png", ".pdf")


def picture_text(flow: Flow, kind: str, flow_state: State | None = None) -> str:
    """DOT or Mermaid text for ``flow``."""
    return flow.to_dot(flow_state) if kind == "dot" else flow.to_mermaid(flow_state)


def render(flow: Flow, path: Path, flow_state: State | None = None) -> None:
    """Render ``flow`` to ``path`` (.svg/.png/.pdf) with Graphviz; clear errors if missing."""
    try:
        import graphviz
    except ImportError:
        raise CliError(f"writing {path.suffix} files needs the graphviz package: pip "
                            "install \"prefectlite[viz]\" (and Graphviz's `dot` program), "
                            "or write a .dot or .mmd file, which needs neither.") from None
    if shutil.which("dot") is None:
        raise CliError(_no_dot(path))
    graph = flow.visualize(flow_state)
    try:
        data = graph.pipe(format=path.suffix[1:].lower())
    except graphviz.ExecutableNotFound:
        raise CliError(_no_dot(path)) from None
    except graphviz.CalledProcessError as exc:
        raise CommandFailed(f"Graphviz could not render {path}: {exc}") from None
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None


def _no_dot(path: Path) -> str:
    return (f"writing {path.suffix} files needs Graphviz's `dot` program, which is not on "
            "PATH (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz); .dot and .mmd files need no program.")


def run_state(flow: Flow, run_id: str) -> State:
    """A flow state holding the task states of journaled run ``run_id`` of ``flow``."""
    from prefectlite.cli.runs import flow_state_of_run

    return flow_state_of_run(flow, run_id)


@click.command("visualize")
@click.argument("target", metavar="PATH_OR_MODULE[:FLOW_NAME]")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="Where to write: .dot, .mmd (no Graphviz needed), .svg, .png, .pdf; "
                   "'-' prints DOT text (or Mermaid with --mermaid).")
@click.option("--mermaid", is_flag=True, help="With -o -: print Mermaid instead of DOT.")
@click.option("--run", "run_id", metavar="RUN_ID",
              help="Colour the tasks by their final states in this journaled run.")
def visualize_command(target: str, output: str, mermaid: bool, run_id: str | None) -> None:
    """Draw a flow's graph to a file (the format comes from the suffix)."""
    path = Path(output)
    suffix = path.suffix.lower()
    if output != "-" and suffix not in TEXT_FORMATS and suffix not in RENDERED:
        raise CliError(f"cannot tell the picture format of {output!r}: use a file name "
                       "ending in .dot, .gv, .mmd, .svg, .png or .pdf.")
    loaded = load_flow(target)
    loaded.graph_flow("visualize")
    state = run_state(loaded.flow, run_id) if run_id else None
    if output == "-":
        echo(picture_text(loaded.flow, "mermaid" if mermaid else "dot", state))
        return
    if suffix in TEXT_FORMATS:
        text = picture_text(loaded.flow, TEXT_FORMATS[suffix], state)
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    else:
        render(loaded.flow, path, state)
    echo(f"Wrote {path}")
