"""``-e tcp://...``: the CLI on the session's real LocalCluster (2 worker processes)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.dask


def test_run_on_a_cluster(invoke, flow_file, dask_address) -> None:
    result = invoke("run", flow_file("retrying"), "-e", dask_address, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {t["task"]: t for t in data["tasks"]}
    assert rows["total"]["state"] == "Success"
    assert rows["flaky"]["retries"] == 1  # the retry ran on a worker; the journal says so


def test_file_tasks_reach_the_workers(invoke, flow_file, dask_address) -> None:
    """The flow file is not importable on the workers: its tasks travel by value."""
    result = invoke("run", flow_file("simple"), "-e", dask_address.replace("tcp://", ""))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_check_on_a_cluster(invoke, flow_file, dask_address) -> None:
    result = invoke("check", flow_file("unpicklable"), "-e", dask_address)
    assert result.exit_code == 1
    assert "DaskExecutor pickles tasks (it sends tasks to Dask workers): checked." in \
        result.stdout
