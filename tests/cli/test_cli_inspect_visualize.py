"""``inspect``, ``visualize`` and ``version``."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

import prefectlite


class TestInspect:
    def test_text(self, invoke, flow_file) -> None:
        result = invoke("inspect", flow_file("needs_param"))
        assert result.exit_code == 0
        out = result.stdout
        assert out.startswith("Flow 'needs-param' from ")
        assert "  repeat-1  repeat  FunctionTask" in out
        assert "  name   type  default  required" in out
        assert "  times  any   2        no" in out and "  word   any            yes" in out
        assert "  word -> repeat-1  (argument word)" in out
        assert "Reference tasks: repeat-1" in out
        assert "Next scheduled runs" not in out

    def test_types_are_shown(self, invoke, flow_file) -> None:
        out = invoke("inspect", flow_file("typed")).stdout
        assert "  n      int   1        no" in out and "  start  date           yes" in out

    def test_json_and_schedule(self, invoke, flow_file) -> None:
        result = invoke("inspect", flow_file("scheduled"), "--json", "-n", "3")
        info = json.loads(result.stdout)
        assert len(info["next_scheduled_runs"]) == 3
        assert info["parameters"] == [{"name": "label", "default": None, "required": True,
                                       "class": "Parameter", "type": None}]
        assert info["edges"][0] == {"upstream": "label", "downstream": "record-1",
                                    "key": "label", "mapped": False, "flattened": False}

    def test_mapped_edges(self, invoke, flow_file) -> None:
        out = invoke("inspect", flow_file("retrying")).stdout
        assert "(argument x, mapped)" in out
        assert "  flaky-1      flaky      FunctionTask  yes     2\n" in out


class TestVisualize:
    def test_dot_file(self, invoke, flow_file, tmp_path) -> None:
        out = tmp_path / "flow.dot"
        result = invoke("visualize", flow_file("simple"), "-o", out)
        assert result.exit_code == 0 and result.stdout == f"Wrote {out}\n"
        assert out.read_text().startswith('digraph "simple" {')

    def test_mermaid_file(self, invoke, flow_file, tmp_path) -> None:
        out = tmp_path / "flow.mmd"
        assert invoke("visualize", flow_file("retrying"), "-o", out).exit_code == 0
        text = out.read_text()
        assert text.startswith("flowchart TD") and "-.->|x|" in text

    def test_stdout(self, invoke, flow_file) -> None:
        assert invoke("visualize", flow_file("simple"), "-o", "-").stdout.startswith("digraph")
        result = invoke("visualize", flow_file("simple"), "-o", "-", "--mermaid")
        assert result.stdout.startswith("flowchart TD")

    def test_unknown_suffix(self, invoke, flow_file, tmp_path) -> None:
        result = invoke("visualize", flow_file("simple"), "-o", tmp_path / "flow.jpg")
        assert result.exit_code == 2 and "cannot tell the picture format" in result.stderr

    def test_svg_without_dot_binary(self, invoke, flow_file, tmp_path, monkeypatch) -> None:
        pytest.importorskip("graphviz")
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        result = invoke("visualize", flow_file("simple"), "-o", tmp_path / "flow.svg")
        assert result.exit_code == 2  # a missing extra is bad input, as for `-e dask`
        assert result.stderr.startswith("Error: writing .svg files needs Graphviz's `dot` "
                                        "program, which is not on PATH")
        assert not (tmp_path / "flow.svg").exists()

    def test_svg_without_graphviz_package(self, invoke, flow_file, tmp_path,
                                          monkeypatch) -> None:
        monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
        result = invoke("visualize", flow_file("simple"), "-o", tmp_path / "flow.svg")
        assert result.exit_code == 2
        assert result.stderr.startswith("Error: writing .svg files needs the graphviz package")
        assert not (tmp_path / "flow.svg").exists()

    @pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
    @pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
    def test_rendered(self, invoke, flow_file, tmp_path, suffix) -> None:
        pytest.importorskip("graphviz")
        out = tmp_path / f"flow{suffix}"
        assert invoke("visualize", flow_file("simple"), "-o", out).exit_code == 0
        assert out.stat().st_size > 100
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [out.name]


def test_version(invoke) -> None:
    result = invoke("version")
    assert result.stdout.splitlines()[0] == f"prefectlite {prefectlite.__version__}"
    assert any(line.startswith("click ") for line in result.stdout.splitlines())
    assert invoke("--version").stdout == f"prefectlite, version {prefectlite.__version__}\n"


def test_help_lists_commands(invoke) -> None:
    out = invoke("--help").stdout
    for name in ("run", "check", "inspect", "visualize", "version"):
        assert f"  {name} " in out
