"""Tests for prefectlite.utilities.debug: ``raise_on_exception`` and ``is_serializable``."""

from __future__ import annotations

import datetime
import subprocess
import threading

import pytest

from prefectlite import Flow, context, task
from prefectlite.engine import signals
from prefectlite.engine.flow_runner import FlowRunner
from prefectlite.engine.state import Failed, Retrying, Skipped, Success
from prefectlite.engine.task_runner import TaskRunner
from prefectlite.utilities.debug import is_serializable, raise_on_exception


class Boom(Exception):
    """An error only these tests raise."""


def raising_flow(error: BaseException) -> Flow:
    @task
    def explode():
        raise error

    with Flow("raising") as flow:
        explode()
    return flow


class TestRaiseOnException:
    def test_flow_run_reraises_the_tasks_own_exception_unchanged(self) -> None:
        error = Boom("the original")
        flow = raising_flow(error)
        with raise_on_exception(), pytest.raises(Boom) as caught:
            flow.run()
        assert caught.value is error

    def test_flow_runner_reraises_too(self) -> None:
        error = Boom("runner")
        with raise_on_exception(), pytest.raises(Boom) as caught:
            FlowRunner(raising_flow(error)).run()
        assert caught.value is error

    def test_task_runner_reraises(self) -> None:
        @task
        def divide(x):
            return 1 / x

        with raise_on_exception(), pytest.raises(ZeroDivisionError):
            TaskRunner(divide).run(inputs={"x": 0})

    def test_the_flag_lives_only_inside_the_block(self) -> None:
        flow = raising_flow(Boom("later"))
        with raise_on_exception():
            assert context.get("raise_on_exception") is True
        assert context.get("raise_on_exception") is None
        state = flow.run()
        assert type(state) is Failed

    @pytest.mark.parametrize(
        ("signal", "expected"),
        [(signals.SKIP, Skipped), (signals.SUCCESS, Success), (signals.FAIL, Failed)],
    )
    def test_prefect_signals_still_become_states(self, signal, expected) -> None:
        @task
        def signalling():
            raise signal("by design")

        with Flow("signals") as flow:
            s = signalling()
        with raise_on_exception():
            state = flow.run()
        assert type(state.result[s]) is expected

    def test_a_failing_task_with_retries_raises_at_its_first_failure(self) -> None:
        calls = []

        @task(max_retries=3, retry_delay=datetime.timedelta(0))
        def flaky():
            calls.append(1)
            raise Boom("first try")

        with Flow("retries") as flow:
            flaky()
        with raise_on_exception(), pytest.raises(Boom):
            flow.run()
        assert calls == [1]

    def test_a_state_handler_error_is_raised(self) -> None:
        def handler(flow, old, new):
            raise Boom("in a handler")

        flow = Flow("handled", state_handlers=[handler])
        with raise_on_exception(), pytest.raises(Boom, match="in a handler"):
            FlowRunner(flow).run()

    def test_retrying_is_not_an_error(self) -> None:
        @task
        def again():
            raise signals.RETRY("later")

        with Flow("retry signal") as flow:
            a = again()
        with raise_on_exception():
            state = FlowRunner(flow).run(return_tasks=[a])
        assert type(state.result[a]) is Retrying and state.is_running()


class TestIsSerializable:
    def test_plain_values_are(self) -> None:
        assert is_serializable({"numbers": [1, 2.5, "three"], "nested": (None, True)})

    def test_a_function_defined_here_is(self) -> None:
        factor = 3
        assert is_serializable(lambda x: x * factor)

    def test_a_lock_is_not(self) -> None:
        assert is_serializable(threading.Lock()) is False

    def test_raise_on_error_raises_the_pickling_error(self) -> None:
        with pytest.raises(TypeError, match="pickle"):
            is_serializable(threading.Lock(), raise_on_error=True)

    def test_a_value_the_new_process_cannot_load_is_not(self) -> None:
        class Unloadable:
            def __reduce__(self):
                return (__import__, ("a_module_that_does_not_exist_anywhere",))

        assert is_serializable(Unloadable()) is False
        with pytest.raises(subprocess.CalledProcessError) as caught:
            is_serializable(Unloadable(), raise_on_error=True)
        assert b"a_module_that_does_not_exist_anywhere" in caught.value.output
