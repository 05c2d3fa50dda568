"""Shared fixtures. The Dask ones start a real ``distributed.LocalCluster`` (no mocks).

One cluster serves the whole session: 2 worker processes with 1 thread each, no dashboard
port of its own (``":0"``), so two clusters never fight over port 8787. A test that kills a
worker leaves the cluster whole: the nanny starts a new worker process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import prefectlite
from prefectlite import configuration


@pytest.fixture
def config_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``config_env(NAME, value)`` sets (``None``: removes) an environment variable and makes
    ``prefectlite.config`` what a process started with that environment would load, as it is
    read once at import. Both are undone after the test."""

    def apply(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        fresh = configuration.load_default_config()
        for key in [k for k in prefectlite.config if k not in fresh]:
            monkeypatch.delitem(prefectlite.config, key)
        for key, section in fresh.items():
            monkeypatch.setitem(prefectlite.config, key, section)

    return apply


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` for the session."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


@pytest.fixture
def dask_address(dask_cluster: Any) -> str:
    """The session cluster's scheduler address (what ``DaskExecutor(address=...)`` takes)."""
    return str(dask_cluster.scheduler_address)


@pytest.fixture
def dask_client(dask_cluster: Any) -> Iterator[Any]:
    """A client of the session cluster, for looking at the workers from a test."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        yield client
