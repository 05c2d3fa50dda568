"""The packaging metadata in setup.cfg: declared extras, and the version the package reports."""

from __future__ import annotations

import configparser
import importlib.metadata
from pathlib import Path

import pytest

import prefectlite

SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"


def _requirement_names(block: str) -> set[str]:
    """``"dask>=2024.8\\nrich>=13"`` -> ``{"dask", "rich"}`` (names only, lower case)."""
    names = set()
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name = line.split(";", 1)[0]
            for sep in "<>=!~[ ":
                name = name.split(sep, 1)[0]
            names.add(name.lower())
    return names


@pytest.fixture(scope="module")
def extras() -> dict[str, set[str]]:
    if not SETUP_CFG.exists():
        pytest.skip("setup.cfg is not available (tests run outside a source checkout)")
    config = configparser.ConfigParser()
    config.read(SETUP_CFG, encoding="utf-8")
    section = config["options.extras_require"]
    return {extra: _requirement_names(section[extra]) for extra in section}


def test_requirement_names_parses_specifiers_and_markers() -> None:
    block = "\ndask>=2024.8\nclick>=8.1,!=8.3.0\ngraphviz ; python_version>'3'\n# note\n"
    assert _requirement_names(block) == {"dask", "click", "graphviz"}


def test_declared_extras(extras: dict[str, set[str]]) -> None:
    assert set(extras) == {
        "dask", "viz", "progress", "validation", "templates", "test", "docs", "dev",
    }
    assert extras["templates"] == {"jinja2"}
    assert extras["validation"] == {"pydantic"}
    assert extras["dask"] == {"dask", "distributed"}
    assert extras["viz"] == {"graphviz"}
    assert extras["progress"] == {"rich"}
    assert extras["docs"] == {"sphinx", "myst-parser"}


def test_test_extra_can_run_the_dask_suite(extras: dict[str, set[str]]) -> None:
    # The suite starts real LocalClusters: everything of the dask extra must be in [test].
    assert extras["dask"] <= extras["test"]
    assert {"pytest", "pytest-timeout", "hypothesis", "rich"} <= extras["test"]
    assert extras["templates"] <= extras["test"]  # JinjaTemplate is tested


def test_dev_extra_is_a_superset(extras: dict[str, set[str]]) -> None:
    assert extras["test"] | extras["docs"] | extras["viz"] | extras["progress"] <= extras["dev"]
    assert {"ruff", "mypy", "tox"} <= extras["dev"]


def test_version_matches_installed_metadata() -> None:
    try:
        installed = importlib.metadata.version("prefectlite")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("prefectlite is not installed; nothing to compare against")
    assert prefectlite.__version__ == installed


def test_the_default_configuration_ships_with_the_package() -> None:
    if not SETUP_CFG.exists():
        pytest.skip("setup.cfg is not available (tests run outside a source checkout)")
    config = configparser.ConfigParser()
    config.read(SETUP_CFG, encoding="utf-8")
    shipped = {name.strip() for name in config["options.package_data"]["prefectlite"].split(",")}
    assert "config.toml" in shipped
    assert (Path(prefectlite.__file__).parent / "config.toml").is_file()
