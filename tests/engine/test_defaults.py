"""Tests for the configured default executor / runner classes (prefectlite.engine.defaults)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from prefectlite import Flow, engine, task
from prefectlite.engine.flow_runner import FlowRunner
from prefectlite.engine.task_runner import TaskRunner
from prefectlite.executors import LocalExecutor
from prefectlite.utilities.configuration import set_temporary_config


class RecordingExecutor(LocalExecutor):
    used = threading.Event()

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        RecordingExecutor.used.set()
        return super().submit(fn, *args, **kwargs)


class MyFlowRunner(FlowRunner):
    pass


def test_built_in_defaults() -> None:
    assert engine.get_default_executor_class() is LocalExecutor
    assert engine.get_default_flow_runner_class() is FlowRunner
    assert engine.get_default_task_runner_class() is TaskRunner


@pytest.mark.parametrize("value", [MyFlowRunner, f"{__name__}.MyFlowRunner"])
def test_a_class_or_its_path(value: Any) -> None:
    with set_temporary_config({"engine.flow_runner.default_class": value}):
        assert engine.get_default_flow_runner_class() is MyFlowRunner


@pytest.mark.parametrize("path", ["prefectlite.engine.no_such_module.X", "not a path",
                                  "prefectlite.executors.NoSuchExecutor"])
def test_a_bad_path_warns_and_falls_back(path: str) -> None:
    with (set_temporary_config({"engine.executor.default_class": path}),
          pytest.warns(UserWarning, match=f"Could not import {path}")):
        assert engine.get_default_executor_class() is LocalExecutor


def test_flow_run_uses_the_configured_executor() -> None:
    @task
    def one() -> int:
        return 1

    with Flow("f") as flow:
        out = one()
    RecordingExecutor.used.clear()
    with set_temporary_config({"engine.executor.default_class": RecordingExecutor}):
        assert flow.run().result[out].result == 1
    assert RecordingExecutor.used.is_set()
