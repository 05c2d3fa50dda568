"""The eager ``@flow``: options, calls and states, names and log lines, parameters,
subflows, retries, timeouts, ``log_prints`` and generator flows."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
from typing import Any, Literal

import pytest

from prefectlite import context, flow, task
from prefectlite.eager.exceptions import FlowRunTimeoutError, ParameterTypeError
from prefectlite.flows import EagerFlow
from prefectlite.states import Completed, State
from prefectlite.task_runners import SequentialTaskRunner, ThreadPoolTaskRunner
from prefectlite.utilities.names import ADJECTIVES, ANIMALS


@task
def add(x, y=1):
    return x + y


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


class TestDecorator:
    def test_with_and_without_arguments(self) -> None:
        @flow
        def plain():
            """Docs."""
            return 1

        @flow(name="named", description="d", version="2", retries=1, retry_delay_seconds=0.5,
              timeout_seconds=10, task_runner=SequentialTaskRunner, log_prints=True,
              validate_parameters=False, flow_run_name="run-{x}")
        def configured(x):
            return x

        assert isinstance(plain, EagerFlow) and plain.name == "plain"
        assert plain.description == "Docs." and plain() == 1
        assert (configured.name, configured.description, configured.version) == (
            "named", "d", "2")
        assert (configured.retries, configured.retry_delay_seconds, configured.timeout_seconds
                ) == (1, 0.5, 10)
        assert isinstance(configured.task_runner, SequentialTaskRunner)
        assert configured.log_prints and not configured.should_validate_parameters
        assert repr(configured) == "<EagerFlow: name='named'>"

    def test_default_name_and_runner(self) -> None:
        @flow
        def my_favorite_function():
            pass

        assert my_favorite_function.name == "my-favorite-function"
        assert isinstance(my_favorite_function.task_runner, ThreadPoolTaskRunner)

    @pytest.mark.parametrize("options,match", [
        ({"retries": -1}, "retries=-1"), ({"retry_delay_seconds": "x"}, "retry_delay_seconds"),
        ({"timeout_seconds": 0}, "timeout_seconds=0 must be a positive number"),
        ({"task_runner": object()}, "is not a task runner"),
    ])
    def test_bad_options(self, options: dict[str, Any], match: str) -> None:
        with pytest.raises((ValueError, TypeError), match=match):
            flow(**options)(lambda: None)

    def test_not_a_function(self) -> None:
        with pytest.raises(TypeError, match="@flow needs a function"):
            flow(3)  # type: ignore[call-overload]

    def test_with_options(self) -> None:
        @flow(retries=2)
        def f():
            return "f"

        g = f.with_options(name="g", retries=0)
        assert (g.name, g.retries, f.name, f.retries, g()) == ("g", 0, "f", 2, "f")
        with pytest.raises(TypeError, match="unknown option"):
            f.with_options(colour="red")

    def test_the_core_flow_class_is_unchanged(self) -> None:
        import prefectlite
        from prefectlite.core.flow import Flow

        assert prefectlite.Flow is Flow and prefectlite.flow is flow


class TestCallsAndStates:
    def test_value_state_and_raise_on_failure(self) -> None:
        @flow
        def fails():
            raise KeyError("k")

        with pytest.raises(KeyError):
            fails()
        state = fails(return_state=True)
        assert state.is_failed() and state.message == "Flow run encountered an exception: " \
            "KeyError: 'k'"
        assert isinstance(state.result(raise_on_failure=False), KeyError)
        assert state.state_details.flow_run_id is not None

    def test_bad_arguments_raise_before_a_run(self) -> None:
        @flow
        def f(x):
            return x

        with pytest.raises(TypeError, match=r"Flow 'f': missing a required argument: 'x'"):
            f()

    def test_run_names_and_log_lines(self, caplog: pytest.LogCaptureFixture) -> None:
        @flow
        def named():
            return context.flow_run_name

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            name = named()
        adjective, animal = name.split("-")
        assert adjective in ADJECTIVES and animal in ANIMALS
        assert f"Created flow run '{name}' for flow 'named'" in lines(caplog)
        assert f"Flow run '{name}' - Finished in state Completed()" in lines(caplog)

    def test_flow_run_name_template_and_callable(self) -> None:
        @flow(flow_run_name="greet-{who}")
        def greet(who: str):
            return context.flow_run_name

        @flow(flow_run_name=lambda: "fixed")
        def fixed():
            return context.flow_run_name

        assert greet("ann") == "greet-ann" and fixed() == "fixed"
        with pytest.raises(ValueError, match="flow_run_name 'x-{nope}' could not be made"):
            flow(flow_run_name="x-{nope}")(lambda: 1)()

    def test_iterables_of_states_and_futures(self) -> None:
        @task
        def bad():
            raise ValueError("bad")

        @flow
        def mixed():
            return add.submit(1), bad(return_state=True), add(1, return_state=True)

        state = mixed(return_state=True)
        assert state.is_failed() and state.message == "1/3 states failed."
        assert all(isinstance(s, State) for s in state.data)
        with pytest.raises(ValueError, match="bad"):
            state.result()

        @flow
        def all_good():
            return [add.submit(1), add(2, return_state=True)]

        good = all_good(return_state=True)
        assert good.is_completed() and good.message == "All states completed."
        assert [s.result() for s in all_good()] == [2, 3]

    def test_manual_failed_state(self) -> None:
        @flow
        def manual():
            from prefectlite.states import Failed

            return Failed(message="How did this happen!?")

        from prefectlite.eager.exceptions import FailedRun

        with pytest.raises(FailedRun, match="How did this happen"):
            manual()
        assert str(manual(return_state=True)) == "Failed('How did this happen!?')"

    def test_prefect1_context_keys(self) -> None:
        @flow
        def ctx(x: int):
            return context.flow_name, context.parameters, context.today

        name, params, today = ctx(3)
        assert (name, params) == ("ctx", {"x": 3})
        assert today == datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")


class Point:
    def __init__(self, x: int) -> None:
        self.x = x


@dataclasses.dataclass
class Settings:
    level: int


try:
    import pydantic
except ImportError:  # the `validation` extra is optional
    Config = None
else:
    class Config(pydantic.BaseModel):  # type: ignore[no-redef]
        name: str
        size: int = 1


class TestParameters:
    def test_coercion_before_the_body(self) -> None:
        @flow
        def typed(n: int, ratio: float, flag: bool, tags: list[int],
                  when: datetime.date, mode: Literal["a", "b"] = "a", maybe: int | None = None):
            return n, ratio, flag, tags, when, mode, maybe

        assert typed("3", "0.5", "yes", ("1", 2), "2024-01-02", "b", "7") == (
            3, 0.5, True, [1, 2], datetime.date(2024, 1, 2), "b", 7)

    def test_invalid_parameters_fail_without_running(self,
                                                     caplog: pytest.LogCaptureFixture) -> None:
        ran = []

        @flow
        def typed(n: int, flag: bool, point: Point):
            ran.append(1)

        state = typed("x", "maybe", 3, return_state=True)
        assert state.is_failed() and not ran
        assert state.message.startswith("Validation of flow parameters failed with error: "
                                        "ParameterTypeError: Flow run received invalid")
        for part in (" - n: Input should be a valid integer, got 'x'",
                     " - flag: Input should be a valid boolean, got 'maybe'",
                     " - point: Input should be an instance of Point, got 3"):
            assert part in state.message
        with pytest.raises(ParameterTypeError) as info:
            typed("x", True, Point(1))
        assert info.value.errors == [("n", "Input should be a valid integer, got 'x'")]
        assert any("Validation of flow parameters failed" in m for m in lines(caplog))

    def test_validation_can_be_switched_off(self) -> None:
        @flow(validate_parameters=False)
        def raw(n: int):
            return n

        assert raw("3") == "3"

    def test_pydantic_models(self) -> None:
        if Config is None:
            pytest.skip("pydantic is not installed")

        @flow
        def configured(config: Config, settings: Settings):
            return config, settings

        config, settings = configured({"name": "a", "size": "2"}, {"level": "3"})
        assert config == Config(name="a", size=2) and settings == Settings(level=3)
        state = configured({"size": 1}, {"level": 1}, return_state=True)
        assert "config: name: Field required" in state.message

    def test_futures_given_to_a_subflow_become_data(self) -> None:
        @flow
        def child(x: int):
            return x * 10

        @flow
        def parent():
            return child(add.submit(1)), child(add(2, return_state=True))

        assert parent() == (20, 30)


class TestSubflows:
    def test_child_run_is_linked_and_blocks_the_parent(self) -> None:
        seen: dict[str, Any] = {}

        @flow
        def child():
            from prefectlite.eager.run import current_run

            run = current_run()
            seen["child"], seen["parent"] = run, run.parent
            time.sleep(0.05)
            return "child done"

        @flow
        def parent():
            from prefectlite.eager.run import current_run

            seen["outer"] = current_run()
            started = time.monotonic()
            value = child()
            return value, time.monotonic() - started

        value, elapsed = parent()
        assert value == "child done" and elapsed >= 0.05
        assert seen["parent"] is seen["outer"] and seen["child"] in seen["outer"].children
        assert seen["child"].state.is_completed()

    def test_a_subflow_has_its_own_task_runner(self) -> None:
        runners = []

        @task
        def which():
            return threading.current_thread().name

        @flow(task_runner=SequentialTaskRunner())
        def child():
            return which.submit().result()

        @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
        def parent():
            from prefectlite.eager.run import current_run

            runners.append(current_run().task_runner)
            return which.submit().result(), child()

        in_pool, in_child = parent()
        assert in_pool.startswith("prefectlite-task") and in_child == "MainThread"

    def test_a_subflow_that_raises(self) -> None:
        @flow
        def child():
            raise RuntimeError("child broke")

        @flow
        def parent():
            state = child(return_state=True)
            assert state.is_failed()
            child()
            return "not reached"

        with pytest.raises(RuntimeError, match="child broke"):
            parent()
        state = parent(return_state=True)
        assert state.is_failed() and "RuntimeError: child broke" in state.message

    def test_wait_for_on_a_subflow(self) -> None:
        @task
        def bad():
            raise ValueError()

        @flow
        def child():
            return "ran"

        @flow
        def parent():
            return child(wait_for=[add.submit(1)]), child(wait_for=[bad.submit()],
                                                          return_state=True).name

        assert parent() == ("ran", "NotReady")


class TestRetriesTimeoutsPrints:
    def test_flow_retries(self, caplog: pytest.LogCaptureFixture) -> None:
        attempts = []

        @flow(retries=2, retry_delay_seconds=0)
        def flaky():
            attempts.append(1)
            if len(attempts) < 3:
                raise RuntimeError("again")
            return "ok"

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            assert flaky() == "ok"
        assert len(attempts) == 3
        assert sum("Received non-final state 'AwaitingRetry'" in m for m in lines(caplog)) == 2

    def test_validation_failures_are_not_retried(self) -> None:
        @flow(retries=3)
        def typed(n: int):
            raise AssertionError("never runs")

        assert typed("x", return_state=True).is_failed()

    def test_timeout_in_a_thread(self) -> None:
        def body():
            for _ in range(200):
                time.sleep(0.01)
            return "finished"

        slow = flow(timeout_seconds=0.2)(body)
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.setdefault(
            "state", slow(return_state=True)))
        started = time.monotonic()
        thread.start()
        thread.join(10)
        state = box["state"]
        assert state.is_failed() and state.name == "TimedOut"
        assert state.message == "Flow run exceeded timeout of 0.2 second(s)"
        assert time.monotonic() - started < 1.5
        with pytest.raises(FlowRunTimeoutError):
            state.result()

    def test_timeout_in_the_main_thread(self) -> None:
        import signal

        @flow(timeout_seconds=0.1)
        def sleepy():
            time.sleep(5)  # SIGALRM interrupts the sleep itself

        remaining = signal.setitimer(signal.ITIMER_REAL, 0)  # pytest-timeout's alarm, if any
        try:
            started = time.monotonic()
            state = sleepy(return_state=True)
        finally:
            if remaining[0]:
                signal.setitimer(signal.ITIMER_REAL, *remaining)
        assert state.name == "TimedOut" and time.monotonic() - started < 2

    def test_fast_flow_is_not_interrupted_later(self) -> None:
        @flow(timeout_seconds=0.05)
        def quick():
            return 1

        box = {}
        thread = threading.Thread(target=lambda: box.update(value=quick(),
                                                            after=time.sleep(0.2)))
        thread.start()
        thread.join(5)
        assert box["value"] == 1 and "after" in box

    def test_log_prints_is_inherited_by_tasks(self, caplog: pytest.LogCaptureFixture,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        @task
        def chatty():
            print("hello from the task")

        @task(log_prints=False)
        def quiet():
            print("to stdout")

        @flow(log_prints=True)
        def chatter():
            chatty()
            quiet()
            chatty.submit().wait()

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            chatter()
        assert capsys.readouterr().out == "to stdout\n"
        assert lines(caplog).count("hello from the task") == 2


class TestGeneratorFlows:
    def test_a_flow_that_yields(self, caplog: pytest.LogCaptureFixture) -> None:
        @flow
        def numbers(n: int):
            for i in range(n):
                yield add(i)
            return "done"

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            assert list(numbers("3")) == [1, 2, 3]
        assert any(m.endswith("Finished in state Completed()") for m in lines(caplog))

    def test_context_only_during_steps(self) -> None:
        @flow
        def steps():
            yield context.get("flow_name")
            yield context.get("flow_name")

        outside = []
        for item in steps():
            outside.append((item, context.get("flow_name")))
        assert outside == [("steps", None), ("steps", None)]

    def test_closed_early_and_failing(self, caplog: pytest.LogCaptureFixture) -> None:
        @flow
        def endless():
            while True:
                yield 1

        @flow
        def broken():
            yield 1
            raise ValueError("gen broke")

        gen = endless()
        assert next(gen) == 1
        with caplog.at_level(logging.INFO, logger="prefectlite"):
            gen.close()
        assert any("closed the generator before it was exhausted" in m for m in lines(caplog))
        with pytest.raises(ValueError, match="gen broke"):
            list(broken())

    def test_invalid_parameters(self) -> None:
        @flow
        def numbers(n: int):
            yield n

        with pytest.raises(ParameterTypeError):
            next(numbers("x"))


def test_keyboard_interrupt_crashes_the_run(caplog: pytest.LogCaptureFixture) -> None:
    @flow
    def interrupted():
        raise KeyboardInterrupt

    with caplog.at_level(logging.INFO, logger="prefectlite"), pytest.raises(KeyboardInterrupt):
        interrupted()
    assert any("Finished in state Crashed(" in m for m in lines(caplog))


def test_completed_state_with_data() -> None:
    @flow
    def returns_state():
        return Completed(data=5)

    assert returns_state() == 5
