"""docs/mapping.md and docs/control_flow.md are true: their Python blocks run in order, and
the diagrams and messages they quote are what prefectlite produces."""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from prefectlite import Flow, Parameter, task

REPO = Path(__file__).resolve().parent.parent
PAGES = {name: REPO / "docs" / f"{name}.md" for name in ("mapping", "control_flow")}
pytestmark = pytest.mark.skipif(not all(p.exists() for p in PAGES.values()),
                                reason="docs are not part of this checkout")


def text_of(name: str) -> str:
    return PAGES[name].read_text(encoding="utf-8")


def run_blocks(name: str) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    for block in re.findall(r"```python\n(.*?)```", text_of(name), flags=re.S):
        exec(compile(block, str(PAGES[name]), "exec"), ns)  # noqa: S102
    return ns


def quoted(name: str) -> list[str]:
    return [b.rstrip("\n") for b in re.findall(r"```text\n(.*?)```", text_of(name), flags=re.S)]


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    logger = logging.getLogger("prefectlite")
    level = logger.level
    yield
    logger.setLevel(level)  # the examples set levels at import


@pytest.mark.parametrize("name", sorted(PAGES))
def test_python_blocks_run(name: str) -> None:
    assert run_blocks(name)


def test_mapping_diagram_and_messages() -> None:
    blocks = quoted("mapping")
    assert example("map_reduce").build().to_mermaid() in blocks

    @task
    def add(x: int, y: int) -> int:
        return x + y

    @task
    def inc(x: int) -> int:
        return x + 1

    with Flow("f") as flow:
        unequal = add.map([1, 2, 3], y=[1, 2])
        over_int = inc.map(Parameter("n"))
    state = flow.run(n=5)
    assert state.result[unequal].result == [2, 4]
    assert state.result[over_int].message in blocks
    assert str(state.result[over_int].result) in blocks


def test_control_flow_diagrams() -> None:
    blocks = quoted("control_flow")
    ns = run_blocks("control_flow")
    assert ns["mapped_flow"].to_mermaid() in blocks
    assert ns["resource_flow"].to_mermaid() in blocks
    assert example("branching").build().to_mermaid() in blocks
