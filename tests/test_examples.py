"""Every script in ``examples/`` runs to the end (exit code 0) in a fresh interpreter.

Examples assert what they show, so a zero exit code means the example still tells the truth.
Scripts that need Dask are skipped when dask is not installed, and get a longer timeout since
they start a local cluster.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
NEEDS_DASK = {"dask_cluster.py"}
TIMEOUT = {"dask_cluster.py": 120}


def needs_dask(path: Path) -> bool:
    return path.name in NEEDS_DASK or "import dask" in path.read_text() or (
        "DaskExecutor" in path.read_text())


def test_there_are_examples() -> None:
    assert {"first_steps.py", "retries_and_cleanup.py"} <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path: Path) -> None:
    if needs_dask(path) and importlib.util.find_spec("dask") is None:
        pytest.skip(f"{path.name} needs dask (pip install 'prefectlite[dask]')")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(path)], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=TIMEOUT.get(path.name, 60),
    )
    assert proc.returncode == 0, f"{path.name} exited {proc.returncode}:\n{proc.stderr}"


def test_dask_example_without_dask_says_what_to_install(tmp_path: Path) -> None:
    """Without the dask extra the Dask example stops with one line naming the extra."""
    blocker = tmp_path / "sitecustomize.py"  # makes dask and distributed unimportable
    blocker.write_text("import sys\n"
                       "sys.modules['dask'] = sys.modules['distributed'] = None\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(tmp_path), str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "dask_cluster.py")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == ("This example needs the dask extra (dask and distributed): "
                           'pip install ".[dask]" in prefectlite\'s source tree.\n')
