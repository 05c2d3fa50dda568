"""docs/eager_flows.md and docs/two_styles.md are true: their Python blocks run in order, and
the values their comments show are what prefectlite gives."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def run_page(name: str) -> dict[str, Any]:
    page = DOCS / name
    if not page.exists():
        pytest.skip("docs are not part of this checkout")
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 3
    ns: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), ns)  # noqa: S102
    return ns


def test_eager_flows_page() -> None:
    ns = run_page("eager_flows.md")
    assert ns["my_flow"](3) == 3
    assert ns["divide"](1, 4) == 0.25
    assert str(ns["failed"]) == ("Failed('Flow run encountered an exception: "
                                 "ZeroDivisionError: float division by zero')")
    assert isinstance(ns["error"], ZeroDivisionError)
    assert ns["parse_all"](["1", "2", "x"]) == ([1, 2], True)
    assert ns["scaled_total"]([1, 2, 3]) == 60
    assert ns["main_flow"]() == 43
    assert ns["cached_flow"]() == ("Cached", "Cached")  # the page's run stored the records
    assert ns["undone"] == ["side-effect.txt"]
    assert ns["named"](2) == ("run-2", {"x": 2}, ("custom-name", "custom-name"))
    assert asyncio.run(ns["fetch_all"]()) == [0, 2, 4]
    assert str(ns["maybe_work"](False, return_state=True)) == \
        "Skipped('No work to do', type=COMPLETED)"
    message = ns["typed"]("ten", 5, return_state=True).message
    assert message == (
        "Validation of flow parameters failed with error: ParameterTypeError: Flow run received "
        "invalid parameters:\n - n: Input should be a valid integer, got 'ten'\n - when: Input "
        "should be a valid string, got 5")


def test_two_styles_page() -> None:
    ns = run_page("two_styles.md")
    assert ns["state"].result[ns["total"]].result == 100 and ns["eager_etl"](5) == 100
    assert (ns["prefect1_style"].max_retries, ns["prefect3_style"].max_retries) == (2, 2)
    assert (ns["prefect1_style"].timeout, ns["prefect3_style"].timeout) == (30, 30)
    assert "max_retries=3 (Prefect 1) and retries=2 (Prefect 3) are" in ns["message"]
    assert repr(ns["eager"]()) == "Completed(message=None, type=COMPLETED, result=1)"
    graph_state = ns["graph"].run().result[ns["node"]]
    assert repr(graph_state) == '<Success: "Task run succeeded.">'
