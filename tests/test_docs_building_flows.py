"""docs/building_flows.md is true: its Python blocks run in order, and the pictures and error
messages it quotes are what prefectlite produces."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, task
from prefectlite.exceptions import (
    CycleError,
    DuplicateArgumentError,
    DuplicateSlugError,
    FlowContextError,
    NotATaskError,
    TaskDefinitionError,
    TaskNotInFlowError,
)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "building_flows.md"
pytestmark = pytest.mark.skipif(not PAGE.exists(), reason="docs are not part of this checkout")


@pytest.fixture(scope="module")
def text() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def namespace(text: str) -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 15
    ns: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), ns)  # noqa: S102
    return ns


def test_blocks_build_what_they_say(namespace: dict[str, Any]) -> None:
    flow = namespace["flow"]  # the imperative First Steps flow, after "Mixing both"
    assert [flow.slugs[t] for t in flow.sorted_tasks()] == [
        "add-1", "add-2", "name", "add-3", "say_hello-1",
    ]
    assert namespace["add"].run(1, 2) == 3 and namespace["add_ten"].run(1) == 11
    assert len(namespace["apply_flow"]) == 5
    assert namespace["loaded"].tags == {"db", "nightly"}
    assert namespace["branch_flow"].parameters() == {namespace["x"]}


def quoted_blocks(text: str) -> list[str]:
    return [b.rstrip("\n") for b in re.findall(r"```text\n(.*?)```", text, flags=re.S)]


@task
def add(x: Any, y: Any = 1) -> Any:
    return x + y


@task
def say_hello(person: str) -> None:
    print(f"Hello, {person}!")


def test_pictures_are_real_output(text: str) -> None:
    # the imperative First Steps flow, on fresh copies of the tasks
    first_add, hello = add.copy(), say_hello.copy()
    flow = Flow("My imperative flow!")
    name, second_add = Parameter("name"), first_add.copy()
    for t in (first_add, second_add, hello):
        flow.add_task(t)
    hello.set_upstream(second_add, flow=flow)
    first_add.bind(x=1, y=2, flow=flow)
    second_add.bind(x=first_add, y=100, flow=flow)
    hello.bind(person=name, flow=flow)
    assert flow.to_mermaid() in quoted_blocks(text)

    with Flow("My first flow!") as first:
        first_result = add(1, y=2)
        add(x=first_result, y=100)
    assert first.to_dot() in quoted_blocks(text)


def unescape(cell: str) -> str:
    return cell.replace("\\<", "<").replace("\\>", ">").replace("\\`", "`")


def test_error_messages_are_real(text: str) -> None:
    def duplicate_argument() -> None:
        with Flow("f"):
            t = add.copy()
            t.bind(x=1)
            t.bind(x=2)

    def cycle() -> None:
        with Flow("cyclic") as flow:
            a = add(1)
            b = add(a)
            a.set_upstream(b)
        flow.validate()

    def duplicate_parameter() -> None:
        with Flow("f"):
            add(Parameter("n"))
            add(Parameter("n"))

    def not_in_flow() -> None:
        Flow("My first flow!").set_reference_tasks([Task(name="other")])

    cases = {
        "FlowContextError": (FlowContextError, lambda: add(1, y=2)),
        "TaskDefinitionError": (TaskDefinitionError, lambda: Task(name="fetch", max_retries=3)),
        "DuplicateArgumentError": (DuplicateArgumentError, duplicate_argument),
        "CycleError": (CycleError, cycle),
        "DuplicateSlugError": (DuplicateSlugError, duplicate_parameter),
        "TaskNotInFlowError": (TaskNotInFlowError, not_in_flow),
        "NotATaskError": (NotATaskError, lambda: Flow("f").add_task(add.run)),
    }
    rows = {m.group(1): unescape(m.group(2).strip())
            for m in re.finditer(r"^\| `(\w+Error)` \([^)]*\) \|[^|]*\| (.*) \|$", text, re.M)}
    assert set(rows) == set(cases)
    for name, (cls, action) in cases.items():
        with pytest.raises(cls) as info:
            action()
        message = re.sub(r"0x[0-9a-f]+", "0x...", str(info.value))
        assert message == rows[name], name
