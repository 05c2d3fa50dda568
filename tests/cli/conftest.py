"""Fixtures for the command-line tests: the flow files of ``flows/``, a CliRunner.

``flows/`` holds small named flow files (``flow_file("simple")`` is the path of
``flows/simple.py``); ``write_flow`` writes a one-off file into ``tmp_path``. Each test gets
its own ``PREFECTLITE_HOME`` (nothing touches ``~/.prefectlite``), and the modules the CLI
loaded from those files are forgotten afterwards.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from prefectlite.cli import cli

REPO = Path(__file__).resolve().parents[2]

FLOWS = Path(__file__).resolve().parent / "flows"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              config_env: Callable[..., None]) -> Iterator[None]:
    """A private PREFECTLITE_HOME; sys.path and sys.modules restored after the test."""
    for name in list(os.environ):
        if name.startswith("PREFECTLITE_") and name != "PREFECTLITE_HOME":
            monkeypatch.delenv(name)
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))  # also reloads prefectlite.config
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        file = str(getattr(sys.modules[name], "__file__", "") or "")
        if file.startswith((str(tmp_path), str(FLOWS))):
            del sys.modules[name]


@pytest.fixture
def flow_file() -> Callable[[str], Path]:
    """The path of ``flows/<name>.py``."""
    return lambda name: FLOWS / f"{name}.py"


@pytest.fixture
def write_flow(tmp_path: Path) -> Callable[..., Path]:
    """Write ``code`` (dedented) to ``tmp_path/name`` and return the path."""

    def write(code: str, name: str = "flows.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(code), encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., object]:
    """``invoke("run", path, "-p", "n=3")``: the CliRunner result (stdout/stderr apart)."""

    def call(*args: object, input: str | None = None) -> object:
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return call
