"""`import prefectlite` stays light: no dask, distributed, graphviz, runner or executor modules.

Each check runs in a fresh interpreter, because this test session has imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import prefectlite

HEAVY = ("dask", "distributed", "graphviz")
ENGINE = ("prefectlite.engine.task_runner", "prefectlite.engine.flow_runner",
          "prefectlite.executors")


def loaded_after(code: str) -> list[str]:
    """The names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    package_root = str(Path(prefectlite.__file__).resolve().parent.parent)
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def forbidden(modules: list[str]) -> list[str]:
    return [m for m in modules
            if m.split(".")[0] in HEAVY or any(m == e or m.startswith(e + ".") for e in ENGINE)]


BUILD_A_FLOW = textwrap.dedent(
    """
    from prefectlite import Flow, Parameter, task, unmapped

    @task
    def add(x, y=1):
        return x + y

    with Flow("f") as flow:
        total = add(Parameter("n"), y=2)
        add.map([1, 2], y=unmapped(total)) + 1
    flow.validate()
    flow.to_dot()
    flow.to_mermaid()
    """
)


@pytest.mark.parametrize(
    "code",
    ["import prefectlite", "import prefectlite.core", BUILD_A_FLOW],
    ids=["prefectlite", "prefectlite.core", "building a flow"],
)
def test_stays_light(code: str) -> None:
    modules = loaded_after(code)
    assert "prefectlite" in modules
    assert forbidden(modules) == []


def test_the_check_itself_sees_heavy_imports() -> None:
    pytest.importorskip("graphviz")
    assert forbidden(loaded_after("import prefectlite, graphviz")) != []


def test_subpackages_are_attributes_of_a_bare_import() -> None:
    code = textwrap.dedent(
        """
        import prefectlite
        assert prefectlite.config.logging.level
        assert prefectlite.configuration.Config
        assert prefectlite.engine.state.Success and prefectlite.engine.signals.FAIL
        assert prefectlite.triggers.all_successful and prefectlite.schedules.Schedule
        assert prefectlite.utilities.configuration.set_temporary_config
        assert prefectlite.executors.LocalExecutor
        assert prefectlite.tasks.control_flow
        assert prefectlite.engine.flow_runner.FlowRunner
        """
    )
    modules = loaded_after(code)
    assert "prefectlite.executors" in modules
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        prefectlite.nothing_here  # noqa: B018
