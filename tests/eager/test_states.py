"""prefectlite.states: the eager states, their results, final-state rules, and the
conversion from the engine's Prefect 1 states."""

from __future__ import annotations

import pytest

from prefectlite.eager.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    PausedRun,
    TaskRunTimeoutError,
    UnfinishedRun,
    UpstreamTaskError,
)
from prefectlite.engine import signals
from prefectlite.engine import state as p1
from prefectlite.states import (
    TERMINAL_STATES,
    AwaitingRetry,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    State,
    StateDetails,
    StateType,
    from_engine,
    get_state_exception,
    is_state_iterable,
    return_value_to_state,
)


class TestConstruction:
    @pytest.mark.parametrize("make,kind,name", [
        (Completed, StateType.COMPLETED, "Completed"), (Failed, StateType.FAILED, "Failed"),
        (Crashed, StateType.CRASHED, "Crashed"), (Cancelled, StateType.CANCELLED, "Cancelled"),
        (Pending, StateType.PENDING, "Pending"), (Running, StateType.RUNNING, "Running"),
        (Scheduled, StateType.SCHEDULED, "Scheduled"), (Paused, StateType.PAUSED, "Paused"),
        (AwaitingRetry, StateType.SCHEDULED, "AwaitingRetry"),
        (Late, StateType.SCHEDULED, "Late"), (Retrying, StateType.RUNNING, "Retrying"),
    ])
    def test_each_constructor(self, make, kind, name) -> None:
        state = make(message="m")
        assert isinstance(state, State) and state.type is kind and state.name == name
        assert state.message == "m" and state.data is None

    def test_custom_name(self) -> None:
        state = Completed(message="No work to do", name="Skipped")
        assert state.is_completed() and state.name == "Skipped"

    def test_from_a_type_string(self) -> None:
        assert State("FAILED").type is StateType.FAILED

    def test_repr_and_str(self) -> None:
        assert repr(Completed(data=42)) == "Completed(message=None, type=COMPLETED, result=42)"
        assert str(Completed()) == "Completed()"
        assert str(Failed(message="bad")) == "Failed('bad')"
        assert str(Completed(name="Skipped")) == "Skipped(type=COMPLETED)"

    def test_predicates(self) -> None:
        checks = {"is_scheduled": Scheduled(), "is_pending": Pending(),
                  "is_running": Running(), "is_completed": Completed(), "is_failed": Failed(),
                  "is_crashed": Crashed(), "is_cancelled": Cancelled(),
                  "is_paused": Paused()}
        for predicate, state in checks.items():
            assert [p for p in checks if getattr(state, p)()] == [predicate]
        assert {s.type for s in (Completed(), Failed(), Cancelled(), Crashed())} == \
            set(TERMINAL_STATES)
        assert Completed().is_final() and not Running().is_final()

    def test_details_and_timestamp(self) -> None:
        state = Completed()
        assert state.state_details.flow_run_id is None
        assert state.timestamp.tzinfo is not None
        assert Scheduled().state_details.scheduled_time is not None
        assert "task_run_id=1" in repr(StateDetails(task_run_id=1))

    def test_model_copy(self) -> None:
        state = Completed(message="a", data=1)
        copy = state.model_copy({"message": "b"})
        assert (copy.message, copy.data, state.message) == ("b", 1, "a")


class TestResult:
    def test_completed_returns_data(self) -> None:
        assert Completed(data=[1]).result() == [1]
        assert Completed().result() is None

    def test_failed_raises_its_exception(self) -> None:
        error = ValueError("x")
        with pytest.raises(ValueError) as info:
            Failed(data=error).result()
        assert info.value is error
        assert Failed(data=error).result(raise_on_failure=False) is error

    @pytest.mark.parametrize("make,wrapper", [(Failed, FailedRun), (Crashed, CrashedRun),
                                              (Cancelled, CancelledRun)])
    def test_wrapper_exceptions(self, make, wrapper) -> None:
        with pytest.raises(wrapper, match="^it broke$"):
            make(message="it broke").result()
        with pytest.raises(wrapper, match="^text data$"):
            make(data="text data").result()
        assert isinstance(make().result(raise_on_failure=False), wrapper)

    def test_unfinished_and_paused(self) -> None:
        with pytest.raises(UnfinishedRun, match="Run is in RUNNING state"):
            Running().result()
        with pytest.raises(PausedRun):
            Paused().result()
        error = UpstreamTaskError("upstream")
        with pytest.raises(UpstreamTaskError):
            Pending(name="NotReady", data=error).result()

    def test_exception_of_nested_states(self) -> None:
        inner = Failed(data=KeyError("k"))
        assert isinstance(get_state_exception(Failed(data=inner)), KeyError)
        assert isinstance(get_state_exception(Failed(data=[Completed(), inner])), KeyError)
        assert isinstance(get_state_exception(Failed(data=object())), FailedRun)
        with pytest.raises(ValueError, match="Expected a failed"):
            get_state_exception(Completed())


class TestFinalStateRules:
    def test_values(self) -> None:
        assert return_value_to_state(5).data == 5
        gen = (i for i in range(3))
        assert return_value_to_state(gen).data == [0, 1, 2]

    def test_manual_state_is_used(self) -> None:
        manual = Failed(message="How did this happen!?")
        assert return_value_to_state(manual) is manual

    def test_run_states_are_aggregated(self) -> None:
        ran = [from_engine(p1.Success(result=1), StateDetails(task_run_id=1)),
               from_engine(p1.Failed(result=ValueError()), StateDetails(task_run_id=2))]
        state = return_value_to_state(ran)
        assert state.is_failed() and state.message == "1/2 states failed."
        assert state.data is ran
        ok = return_value_to_state(ran[:1])
        assert ok.is_completed() and ok.message == "All states completed."
        assert return_value_to_state(ran[0]).data is ran[0]

    def test_other_aggregates(self) -> None:
        run = StateDetails(task_run_id=1)
        assert return_value_to_state([Cancelled(state_details=run)]).is_cancelled()
        assert return_value_to_state([Paused(state_details=run)]).is_paused()
        pending = return_value_to_state([Pending(state_details=run)])
        assert pending.is_failed() and pending.message == "1/1 states are not final."

    def test_is_state_iterable(self) -> None:
        assert is_state_iterable((Completed(),)) and is_state_iterable({Completed()})
        assert not is_state_iterable([]) and not is_state_iterable([1])


class TestFromEngine:
    @pytest.mark.parametrize("engine,kind,name", [
        (p1.Success(result=1), StateType.COMPLETED, "Completed"),
        (p1.Cached(result=1), StateType.COMPLETED, "Cached"),
        (p1.Skipped(), StateType.COMPLETED, "Skipped"),
        (p1.Mapped(map_states=[p1.Success(result=1)]), StateType.COMPLETED, "Completed"),
        (p1.Failed(result=ValueError()), StateType.FAILED, "Failed"),
        (p1.TriggerFailed(), StateType.FAILED, "TriggerFailed"),
        (p1.TimedOut("Task timed out after 1 seconds."), StateType.FAILED, "TimedOut"),
        (p1.Cancelled(), StateType.CANCELLED, "Cancelled"),
        (p1.Retrying(), StateType.SCHEDULED, "AwaitingRetry"),
        (p1.Paused(), StateType.PAUSED, "Paused"),
        (p1.Pending(), StateType.PENDING, "Pending"),
        (p1.Running(), StateType.RUNNING, "Running"),
        (p1.Looped(), StateType.RUNNING, "Looped"),
    ])
    def test_table(self, engine, kind, name) -> None:
        state = from_engine(engine)
        assert (state.type, state.name) == (kind, name)

    def test_data_and_messages(self) -> None:
        assert from_engine(p1.Success("Task run succeeded.", result=3)).message is None
        assert from_engine(p1.Success("custom", result=3)).message == "custom"
        timed_out = from_engine(p1.TimedOut("Task timed out after 1 seconds."))
        with pytest.raises(TaskRunTimeoutError, match="timed out after 1 seconds"):
            timed_out.result()
        assert isinstance(timed_out.result(False), TimeoutError)

    def test_signals_carry_no_data(self) -> None:
        skipped = from_engine(signals.SKIP("nothing to do").state)
        assert skipped.name == "Skipped" and skipped.result() is None
        failed = from_engine(signals.FAIL("no good").state)
        with pytest.raises(FailedRun, match="no good"):
            failed.result()

    def test_a_task_returning_states(self) -> None:
        manual = Completed(message="done", data=1)
        details = StateDetails(task_run_id=7)
        state = from_engine(p1.Success(result=manual), details)
        assert state is not manual and state.message == "done" and state.data == 1
        assert state.state_details.task_run_id == 7 and manual._details is None
        listed = from_engine(p1.Success(result=(x for x in "ab")), details)
        assert listed.data == ["a", "b"]
