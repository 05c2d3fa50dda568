"""Tests for prefectlite.engine.signals: the states signals carry, and their pickling."""

from __future__ import annotations

import datetime
import pickle
from typing import Any

import cloudpickle
import pytest

from prefectlite import exceptions
from prefectlite.engine import signals, state
from prefectlite.engine.signals import (
    ENDRUN,
    FAIL,
    LOOP,
    PAUSE,
    RETRY,
    SKIP,
    SUCCESS,
    TRIGGERFAIL,
    VALIDATIONFAIL,
    PrefectSignal,
    PrefectStateSignal,
    signal_from_state,
)
from prefectlite.utilities.context import context

SignalCls = type[PrefectStateSignal]
StateCls = type[state.State]
PICKLERS = [pytest.param(pickle, id="pickle"), pytest.param(cloudpickle, id="cloudpickle")]

SIGNAL_STATES = [
    (FAIL, state.Failed),
    (TRIGGERFAIL, state.TriggerFailed),
    (VALIDATIONFAIL, state.ValidationFailed),
    (SUCCESS, state.Success),
    (RETRY, state.Retrying),
    (SKIP, state.Skipped),
    (PAUSE, state.Paused),
    (LOOP, state.Looped),
]
NOT_LOOP = [pair for pair in SIGNAL_STATES if pair[0] is not LOOP]


class TestSignalStates:
    @pytest.mark.parametrize(("signal", "state_cls"), SIGNAL_STATES)
    def test_signal_builds_its_state(self, signal: SignalCls, state_cls: StateCls) -> None:
        exc = signal("a message")
        assert type(exc.state) is state_cls
        assert exc.state.message == "a message"
        assert str(exc) == "a message"

    @pytest.mark.parametrize(("signal", "state_cls"), NOT_LOOP)
    def test_result_defaults_to_the_signal(self, signal: SignalCls, state_cls: StateCls) -> None:
        exc = signal("m")
        assert exc.state.result is exc

    def test_base_signal_builds_a_plain_state(self) -> None:
        exc = PrefectStateSignal("m")
        assert type(exc.state) is state.State
        assert exc.state.result is exc

    def test_explicit_result(self) -> None:
        assert FAIL("m", result=5).state.result == 5
        assert SKIP("m", result=None).state.result is None

    def test_positional_arguments_follow_the_state_constructor(self) -> None:
        assert SUCCESS("m", 7).state.result == 7

    def test_loop_result_defaults_to_the_signal_repr(self) -> None:
        assert LOOP("again").state.result == "LOOP('again')"
        assert LOOP(result=3).state.result == 3
        assert LOOP(result=3, loop_count=4).state.loop_count == 4

    def test_retry_forwards_start_time_and_run_count(self) -> None:
        moment = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
        exc = RETRY("later", start_time=moment, run_count=3)
        assert exc.state.start_time == moment
        assert exc.state.run_count == 3

    def test_retry_defaults_to_now(self) -> None:
        start = RETRY().state.start_time
        assert start is not None
        assert datetime.datetime.now(datetime.UTC) - start < datetime.timedelta(seconds=5)

    def test_pause_waits_indefinitely(self) -> None:
        assert PAUSE("wait").state.start_time is None

    def test_no_message(self) -> None:
        exc = SUCCESS()
        assert exc.state.message is None
        assert repr(exc.state) == "<Success>"

    def test_unknown_state_arguments_are_rejected(self) -> None:
        with pytest.raises(TypeError, match="bad_result"):
            SUCCESS(bad_result=100)


class TestSignalTypes:
    @pytest.mark.parametrize(("signal", "state_cls"), SIGNAL_STATES)
    def test_signals_are_base_exceptions_not_exceptions(
        self, signal: SignalCls, state_cls: StateCls
    ) -> None:
        assert issubclass(signal, PrefectStateSignal)
        assert issubclass(signal, PrefectSignal)
        assert issubclass(signal, BaseException)
        assert not issubclass(signal, Exception)

    def test_except_exception_does_not_swallow_a_signal(self) -> None:
        def task() -> None:
            try:
                raise SKIP("nothing to do")
            except Exception:  # the point of the test
                pytest.fail("SKIP was caught by `except Exception`")

        with pytest.raises(SKIP, match="nothing to do"):
            task()

    def test_fail_family(self) -> None:
        assert issubclass(TRIGGERFAIL, FAIL)
        assert issubclass(VALIDATIONFAIL, FAIL)
        with pytest.raises(FAIL):
            raise TRIGGERFAIL("x")


class TestEndRun:
    def test_carries_a_state(self) -> None:
        final = state.Failed("no disk")
        exc = ENDRUN(final)
        assert exc.state is final
        assert str(exc) == '<Failed: "no disk">'
        assert isinstance(exc, PrefectSignal)

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_pickles(self, pickler: Any) -> None:
        exc = ENDRUN(state.Failed("no disk", result=ValueError("disk")))
        restored = pickler.loads(pickler.dumps(exc))
        assert type(restored) is ENDRUN
        assert type(restored.state) is state.Failed
        assert restored.state.message == "no disk"
        assert isinstance(restored.state.result, ValueError)


class TestSignalFromState:
    @pytest.mark.parametrize(("signal", "state_cls"), SIGNAL_STATES)
    def test_exact_state_classes(self, signal: SignalCls, state_cls: StateCls) -> None:
        assert signal_from_state(state_cls("Dummy message")) is signal

    @pytest.mark.parametrize("state_cls", [state.State, state.Cached, state.Pending])
    def test_states_without_a_signal(self, state_cls: StateCls) -> None:
        with pytest.raises(
            ValueError, match=rf"No signal matches the provided state: <{state_cls.__name__}"
        ):
            signal_from_state(state_cls())

    def test_user_defined_signals_are_found(self) -> None:
        class CANCEL(PrefectStateSignal):
            _state_cls = state.Cancelled

        assert signal_from_state(state.Cancelled()) is CANCEL


class TestPickling:
    @pytest.mark.parametrize("pickler", PICKLERS)
    @pytest.mark.parametrize(("signal", "state_cls"), SIGNAL_STATES)
    def test_round_trip(self, signal: SignalCls, state_cls: StateCls, pickler: Any) -> None:
        exc = signal("message")
        restored = pickler.loads(pickler.dumps(exc))
        assert type(restored) is signal
        assert restored.args == ("message",)
        assert type(restored.state) is state_cls
        assert restored.state.message == "message"
        if signal is not LOOP:
            assert restored.state.result is restored  # the cycle is rebuilt, not duplicated

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_keyword_arguments_survive(self, pickler: Any) -> None:
        restored = pickler.loads(pickler.dumps(RETRY("m", run_count=4, result=[1])))
        assert restored.state.run_count == 4
        assert restored.state.result == [1]

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_raised_signal_pickles_with_traceback_dropped(self, pickler: Any) -> None:
        try:
            raise FAIL("raised")
        except FAIL as exc:
            restored = pickler.loads(pickler.dumps(exc))
        assert restored.state.message == "raised"

    def test_module_exports(self) -> None:
        assert set(signals.__all__) >= {"ENDRUN", "LOOP", "signal_from_state"}


class TestContext:
    def test_retry_takes_the_run_count_from_the_context(self) -> None:
        with context(task_run_count=5):
            assert RETRY().state.run_count == 5
            assert RETRY(run_count=6).state.run_count == 6

    def test_loop_takes_the_loop_count_from_the_context(self) -> None:
        with context(task_loop_count=3):
            assert LOOP(result=1).state.loop_count == 3


class TestExceptionsModule:
    def test_signal_base_lives_in_exceptions(self) -> None:
        assert signals.PrefectSignal is exceptions.PrefectSignal
        assert issubclass(PrefectStateSignal, exceptions.PrefectSignal)

    def test_timeout_signal_is_not_an_exception(self) -> None:
        signal = exceptions.TaskTimeoutSignal("took too long")
        assert isinstance(signal, exceptions.PrefectSignal)
        assert not isinstance(signal, Exception)
        assert str(signal) == "took too long"

    def test_prefect_exception_is_the_base_of_user_errors(self) -> None:
        error = exceptions.CycleError("cycle", cycle=["a", "b"])
        assert isinstance(error, exceptions.PrefectException)
        assert isinstance(error, ValueError)
        assert str(error) == "cycle"
        assert str(exceptions.PrefectException()) == ""
