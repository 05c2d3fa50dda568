"""Pictures of a flow: DOT and Mermaid text (no binary needed) and a ``graphviz.Digraph``.

All three are drawn from one plain model (``_model``): one node per task in sorted order,
labelled with its name, drawn as a box stack when the task is mapped, and filled with its
state's colour when a flow state is given; one arrow per edge, labelled with its key, dashed
when mapped.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.engine.state import State


def _model(flow: Flow, flow_state: State | None) -> tuple[list[dict], list[dict]]:
    tasks = flow.sorted_tasks()
    ids = {t: f"t{i}" for i, t in enumerate(tasks)}
    states = getattr(flow_state, "result", None) or {}
    mapped = {e.downstream_task for e in flow.edges if e.mapped}
    nodes = [
        {"id": ids[t], "label": t.name, "mapped": t in mapped,
         "color": getattr(states.get(t), "color", None)}
        for t in tasks
    ]
    edges: list[dict[str, Any]] = [
        {"from": ids[e.upstream_task], "to": ids[e.downstream_task], "label": e.key or "",
         "mapped": e.mapped} for e in flow.edges
    ]
    edges.sort(key=lambda e: (int(e["from"][1:]), int(e["to"][1:]), e["label"]))
    return nodes, edges


def to_dot(flow: Flow, flow_state: State | None = None) -> str:
    """DOT text for ``flow``.

    Examples
    --------
    >>> from prefectlite import Flow, Task
    >>> f = Flow("f")
    >>> _ = f.add_edge(Task(name="a"), Task(name="b"))
    >>> print(to_dot(f))
    digraph "f" {
      t0 [label="a" shape=ellipse];
      t1 [label="b" shape=ellipse];
      t0 -> t1;
    }
    """
    nodes, edges = _model(flow, flow_state)
    lines = [f"digraph {json.dumps(flow.name)} {{"]
    for n in nodes:
        shape = "box3d" if n["mapped"] else "ellipse"
        fill = f' style=filled fillcolor="{n["color"]}"' if n["color"] else ""
        lines.append(f'  {n["id"]} [label={json.dumps(n["label"])} shape={shape}{fill}];')
    for e in edges:
        attrs = [f"label={json.dumps(e['label'])}"] if e["label"] else []
        attrs += ["style=dashed"] if e["mapped"] else []
        suffix = f" [{' '.join(attrs)}]" if attrs else ""
        lines.append(f"  {e['from']} -> {e['to']}{suffix};")
    return "\n".join([*lines, "}"])


def to_mermaid(flow: Flow, flow_state: State | None = None) -> str:
    """Mermaid ``flowchart`` text for ``flow``.

    Examples
    --------
    >>> from prefectlite import Flow, Task
    >>> f = Flow("f")
    >>> _ = f.add_edge(Task(name="a"), Task(name="b"), key=None)
    >>> print(to_mermaid(f))
    flowchart TD
      t0("a")
      t1("b")
      t0 --> t1
    """
    nodes, edges = _model(flow, flow_state)
    lines = ["flowchart TD"]
    for n in nodes:
        label = n["label"].replace('"', "#quot;")
        lines.append(f'  {n["id"]}[["{label}"]]' if n["mapped"] else f'  {n["id"]}("{label}")')
    for e in edges:
        arrow = "-.->" if e["mapped"] else "-->"
        label = f"|{e['label']}|" if e["label"] else ""
        lines.append(f"  {e['from']} {arrow}{label} {e['to']}")
    lines += [f"  style {n['id']} fill:{n['color']}" for n in nodes if n["color"]]
    return "\n".join(lines)


def visualize(
    flow: Flow, flow_state: State | None = None, filename: str | None = None,
    format: str | None = None,
) -> Any:
    """A ``graphviz.Digraph`` of ``flow``; rendered to ``filename`` when given."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "flow.visualize() needs the graphviz package: pip install \"prefectlite[viz]\". "
            "flow.to_dot() and flow.to_mermaid() work without it."
        ) from None
    nodes, edges = _model(flow, flow_state)
    graph = graphviz.Digraph(name=flow.name, format=format or "pdf")
    for n in nodes:
        fill = {"style": "filled", "fillcolor": n["color"]} if n["color"] else {}
        graph.node(n["id"], label=n["label"], shape="box3d" if n["mapped"] else "ellipse", **fill)
    for e in edges:
        graph.edge(e["from"], e["to"], label=e["label"] or None,
                   style="dashed" if e["mapped"] else None)
    if filename is not None:
        try:
            graph.render(filename, cleanup=True)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(
                f"Rendering needs {_NO_DOT}, or write flow.to_dot() to a file."
            ) from None
    elif not _in_notebook():
        _show(graph)
    return graph


_NO_DOT = ("the Graphviz 'dot' program, which was not found on PATH. Install it "
           "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: "
           "conda install graphviz)")


def _in_notebook() -> bool:
    """Whether we run inside IPython/Jupyter, which displays the returned graph itself."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return bool(get and get() is not None)


def _show(graph: Any) -> None:
    """Open ``graph`` in the system's viewer (as Prefect 1 did); warn when that is impossible."""
    if shutil.which("dot") is None:
        warnings.warn(f"flow.visualize() cannot draw the graph: it needs {_NO_DOT}. "
                      "flow.to_mermaid() and flow.to_dot() need no program.", stacklevel=3)
        return
    path = os.path.join(tempfile.mkdtemp(prefix="prefectlite-"), graph.name or "flow")
    try:
        graph.render(path, format="pdf", view=True, cleanup=True)
    except Exception as exc:  # no viewer, no display: say where the picture is
        warnings.warn(f"flow.visualize() drew the graph to {path}.pdf but could not open a "
                      f"viewer ({exc}); pass filename= to choose where it goes.", stacklevel=3)
