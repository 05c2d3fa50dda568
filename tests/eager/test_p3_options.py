"""Prefect 3 task and flow options on the eager API: hooks, retries, run names, results,
methods as flows, ProcessPoolTaskRunner, tasks outside flows, server-only features."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from prefectlite import flow, task
from prefectlite.exceptions import FlowContextError, ServerOnlyError
from prefectlite.filesystems import LocalFileSystem
from prefectlite.results import ResultStore
from prefectlite.task_runners import ProcessPoolTaskRunner
from prefectlite.tasks import exponential_backoff


def test_task_hooks_as_lists_partials_and_decorators() -> None:
    seen: list[tuple] = []

    def record(task, task_run, state, **extra):
        seen.append((task.name, task_run.name, state.name, extra))

    @task(on_completion=[record], on_failure=[functools.partial(record, why="x")])
    def maybe(fail: bool):
        if fail:
            raise ValueError("meh")
        return 1

    @maybe.on_running
    def started(task, task_run, state):
        seen.append(("running", task_run.name, state.name, {}))

    @flow
    def pipeline():
        maybe(False)
        return "done", maybe(True, return_state=True)

    _, failed = pipeline()
    assert failed.is_failed()
    assert seen == [("running", "maybe-0", "Running", {}), ("maybe", "maybe-0", "Completed", {}),
                    ("running", "maybe-1", "Running", {}),
                    ("maybe", "maybe-1", "Failed", {"why": "x"})]


def test_a_single_callable_on_failure_stays_prefect_1() -> None:
    seen = []
    t = task(on_failure=lambda task, state: seen.append(state))(lambda: 1 / 0)
    assert t.p3_options is None and len(t.state_handlers) == 1
    with pytest.raises(TypeError, match="list of hooks"):
        task(on_completion=print)(lambda: 1)


def test_flow_hooks_and_a_failing_hook_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def bad_hook(flow, flow_run, state):
        raise RuntimeError("hook broke")

    @flow(on_failure=[lambda f, r, s: seen.append(f"{f.name}:{s.name}"), bad_hook],
          on_running=[lambda f, r, s: seen.append(f"running {r.name == r.name}")])
    def failing():
        raise ValueError("oops")

    @failing.on_completion
    def never(flow, flow_run, state):
        seen.append("completed")

    assert failing(return_state=True).is_failed()
    assert seen == ["running True", "failing:Failed"]
    assert "An error was encountered while running hook 'bad_hook'" in caplog.text


def test_retry_delays_condition_and_backoff() -> None:
    attempts: list[int] = []

    @task(retries=3, retry_delay_seconds=[0, 0, 0],
          retry_condition_fn=lambda t, r, s: "retry" in str(s.result(raise_on_failure=False)))
    def flaky(msg: str):
        attempts.append(1)
        raise ValueError(msg)

    @flow
    def pipeline():
        flaky("retry me", return_state=True)
        flaky("give up", return_state=True)

    pipeline()
    assert len(attempts) == 4 + 1
    assert exponential_backoff(backoff_factor=2)(3) == [2, 4, 8]
    jittered = task(retries=2, retry_delay_seconds=[10], retry_jitter_factor=0.5)(lambda: 1)
    assert all(5 <= jittered.p3_options.retry_delay(n) <= 15 for n in (1, 2))
    with pytest.raises(ValueError, match="retry_jitter_factor"):
        task(retries=1, retry_jitter_factor=-1)(lambda: 1)


def test_callable_run_names_without_arguments() -> None:
    @task(task_run_name=lambda: "custom-name")
    def named():
        from prefectlite import runtime

        return runtime.task_run.name

    @flow(flow_run_name=lambda: "my-run")
    def pipeline():
        from prefectlite import runtime

        return runtime.flow_run.name, named()

    assert pipeline() == ("my-run", "custom-name")


def test_result_storage_key_is_readable_through_a_result_store(tmp_path: Path) -> None:
    storage = LocalFileSystem(basepath=str(tmp_path))

    @task(persist_result=True, result_storage_key="hello-{parameters[name]}.pickle",
          result_storage=storage)
    def hello(name: str = "world"):
        return f"hello {name}"

    @flow(cache_result_in_memory=False, persist_result=True)
    def pipeline():
        hello()
        hello(name="foo")

    pipeline()
    store = ResultStore(result_storage=storage)
    assert store.read("hello-foo.pickle").result == "hello foo"
    assert store.read("hello-world.pickle").metadata.serializer.type == "pickle"
    with pytest.raises(ValueError, match="does not exist"):
        store.read("missing")


def test_flows_over_classmethods_and_staticmethods() -> None:
    class Jobs:
        @flow
        def instance(self):
            return type(self).__name__

        @flow
        @classmethod
        def on_class(cls):
            return cls.__name__

        @flow
        @staticmethod
        def static():
            return "static"

        @classmethod
        @flow
        def other_order(cls):
            return "other " + cls.__name__

    assert (Jobs().instance(), Jobs.on_class(), Jobs.static(), Jobs.other_order()) == (
        "Jobs", "Jobs", "static", "other Jobs")


@task
def _triple(x):
    return 3 * x


def test_process_pool_task_runner() -> None:
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def pipeline():
        return [f.result() for f in _triple.map([1, 2])]

    assert pipeline() == [3, 6]


def test_task_outside_flows_follows_the_configuration() -> None:
    @task
    def add(x):
        return x + 1

    with pytest.raises(FlowContextError, match=r"run_outside_flows = true.*\[tasks\]"):
        add(1)
    from prefectlite import context

    with context(config={"tasks": {"run_outside_flows": True}}):
        assert add(1) == 2
        state = add(2, return_state=True)
    assert state.is_completed() and state.result() == 3


def test_server_only_features_say_so() -> None:
    @flow
    def f():
        pass

    for call in (f.serve, f.deploy, _triple.delay, _triple.serve,
                 lambda: LocalFileSystem("/x").save("name")):
        with pytest.raises(ServerOnlyError, match="prefectlite runs without one"):
            call()
    with pytest.raises(ServerOnlyError, match="instead"):
        from prefectlite.variables import Variable  # noqa: F401
