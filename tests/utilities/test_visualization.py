"""Tests for prefectlite.utilities.visualization: DOT, Mermaid and graphviz pictures."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from prefectlite import Flow, Task, task
from prefectlite.engine.state import Failed, Mapped, Success
from prefectlite.utilities import visualization


@task
def inc(x: int) -> int:
    return x + 1


@task
def total(xs: list, label: str) -> int:
    return sum(xs)


@pytest.fixture
def picture_flow() -> tuple[Flow, list[Task]]:
    """numbers -(mapped x)-> inc -(xs)-> 'the "total"' -(state only)-> after."""
    with Flow("pic") as flow:
        numbers = Task(name="numbers")()
        many = inc.map(numbers)
        summed = total(many, label="ignored", task_args={"name": 'the "total"'})
        after = Task(name="after")(upstream_tasks=[summed])
    return flow, [numbers, many, summed, after]


def test_to_dot(picture_flow: tuple[Flow, list[Task]]) -> None:
    flow, _ = picture_flow
    assert flow.to_dot() == textwrap.dedent(
        """\
        digraph "pic" {
          t0 [label="numbers" shape=ellipse];
          t1 [label="inc" shape=box3d];
          t2 [label="the \\"total\\"" shape=ellipse];
          t3 [label="after" shape=ellipse];
          t0 -> t1 [label="x" style=dashed];
          t1 -> t2 [label="xs"];
          t2 -> t3;
        }"""
    )
    assert visualization.to_dot(flow) == flow.to_dot()


def test_to_mermaid(picture_flow: tuple[Flow, list[Task]]) -> None:
    flow, _ = picture_flow
    assert flow.to_mermaid() == textwrap.dedent(
        """\
        flowchart TD
          t0("numbers")
          t1[["inc"]]
          t2("the #quot;total#quot;")
          t3("after")
          t0 -.->|x| t1
          t1 -->|xs| t2
          t2 --> t3"""
    )
    assert visualization.to_mermaid(flow) == flow.to_mermaid()


def test_first_steps_flow() -> None:
    @task
    def add(x: int, y: int = 1) -> int:
        return x + y

    with Flow("My first flow!") as flow:
        first_result = add(1, y=2)
        add(x=first_result, y=100)
    assert flow.to_mermaid() == 'flowchart TD\n  t0("add")\n  t1("add")\n  t0 -->|x| t1'
    assert flow.to_dot() == textwrap.dedent(
        """\
        digraph "My first flow!" {
          t0 [label="add" shape=ellipse];
          t1 [label="add" shape=ellipse];
          t0 -> t1 [label="x"];
        }"""
    )


def test_colours_from_a_flow_state(picture_flow: tuple[Flow, list[Task]]) -> None:
    flow, (numbers, many, summed, _) = picture_flow
    state = Success(result={numbers: Success(), many: Mapped(), summed: Failed()})
    dot = flow.to_dot(state).splitlines()
    assert dot[1] == '  t0 [label="numbers" shape=ellipse style=filled fillcolor="#28a745"];'
    assert dot[2] == '  t1 [label="inc" shape=box3d style=filled fillcolor="#003ccb"];'
    assert dot[3].endswith('shape=ellipse style=filled fillcolor="#eb0000"];')
    assert dot[4] == '  t3 [label="after" shape=ellipse];'  # no state, no colour
    assert flow.to_mermaid(state).splitlines()[-3:] == [
        "  style t0 fill:#28a745", "  style t1 fill:#003ccb", "  style t2 fill:#eb0000",
    ]


def test_empty_flow() -> None:
    assert Flow("empty").to_dot() == 'digraph "empty" {\n}'
    assert Flow("empty").to_mermaid() == "flowchart TD"


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Graphs ``flow.visualize()`` would open in a viewer (none is opened in tests)."""
    graphs: list[object] = []
    monkeypatch.setattr(visualization, "_show", graphs.append)
    return graphs


def test_visualize_returns_a_digraph(
    picture_flow: tuple[Flow, list[Task]], shown: list[object]
) -> None:
    graphviz = pytest.importorskip("graphviz")
    flow, _ = picture_flow
    graph = flow.visualize()
    assert shown == [graph]  # outside a notebook it is shown, as in Prefect 1
    assert isinstance(graph, graphviz.Digraph)
    assert graph.name == "pic" and graph.format == "pdf"
    source = graph.source
    assert "t1 [label=inc shape=box3d]" in source
    assert "t0 -> t1 [label=x style=dashed]" in source
    assert "t2 -> t3\n" in source
    assert flow.visualize(format="svg").format == "svg"


def test_visualize_with_a_flow_state(
    picture_flow: tuple[Flow, list[Task]], shown: list[object]
) -> None:
    pytest.importorskip("graphviz")
    flow, (numbers, *_) = picture_flow
    source = flow.visualize(Success(result={numbers: Success()})).source
    assert 't0 [label=numbers fillcolor="#28a745" shape=ellipse style=filled]' in source


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is missing")
def test_render_to_a_file(picture_flow: tuple[Flow, list[Task]], tmp_path: Path) -> None:
    pytest.importorskip("graphviz")
    flow, _ = picture_flow
    flow.visualize(filename=str(tmp_path / "pic"), format="svg")
    assert (tmp_path / "pic.svg").read_text().lstrip().startswith("<?xml")
    assert not (tmp_path / "pic").exists()  # the DOT source is cleaned up


def test_render_without_dot(
    picture_flow: tuple[Flow, list[Task]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("graphviz")
    flow, _ = picture_flow
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match=r"Rendering needs the Graphviz 'dot' program, which "
                       r"was not found on PATH\. Install it .*or write flow\.to_dot\(\) to a file"):
        flow.visualize(filename=str(tmp_path / "pic"))


def test_visualize_without_the_graphviz_package(
    picture_flow: tuple[Flow, list[Task]], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow, _ = picture_flow
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match=r'needs the graphviz package: pip install '
                       r'"prefectlite\[viz\]"\. flow\.to_dot\(\) and flow\.to_mermaid\(\) work'):
        flow.visualize()


def test_visualize_without_dot_says_so(
    picture_flow: tuple[Flow, list[Task]], monkeypatch: pytest.MonkeyPatch
) -> None:
    graphviz = pytest.importorskip("graphviz")
    flow, _ = picture_flow
    monkeypatch.setenv("PATH", "")
    with pytest.warns(UserWarning, match=r"flow\.visualize\(\) cannot draw the graph: it needs "
                      r"the Graphviz 'dot' program.*flow\.to_mermaid\(\) and flow\.to_dot\(\)"):
        graph = flow.visualize()
    assert isinstance(graph, graphviz.Digraph)  # still returned, e.g. for graph.source


def test_visualize_in_a_notebook_leaves_display_to_it(
    picture_flow: tuple[Flow, list[Task]], monkeypatch: pytest.MonkeyPatch
) -> None:
    graphviz = pytest.importorskip("graphviz")
    import types
    import warnings

    shell = types.ModuleType("IPython")
    shell.get_ipython = lambda: object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", shell)
    monkeypatch.setenv("PATH", "")
    flow, _ = picture_flow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = flow.visualize()  # no viewer, no warning: the notebook shows the graph
    assert isinstance(graph, graphviz.Digraph)
