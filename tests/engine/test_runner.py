"""Tests for prefectlite.engine.runner: ``Runner``, ``call_state_handlers`` and ``ENDRUN``."""

from __future__ import annotations

import pytest

from prefectlite.engine import flow_runner, runner, signals, task_runner
from prefectlite.engine.runner import ENDRUN, Runner, call_state_handlers
from prefectlite.engine.state import Failed, Pending, Running, Skipped, State, Success
from prefectlite.utilities.debug import raise_on_exception


class Recording(Runner):
    """A runner whose steps do what each test asks, recording handler calls."""

    def __init__(self, **kwargs) -> None:
        self.seen: list[tuple[str, str]] = []
        super().__init__(state_handlers=[self.record], **kwargs)

    def record(self, obj: Runner, old: State, new: State) -> None:
        assert obj is self
        self.seen.append((type(old).__name__, type(new).__name__))

    @call_state_handlers
    def step(self, state: State, outcome) -> State:
        if isinstance(outcome, BaseException):
            raise outcome
        return state if outcome is None else outcome


def test_endrun_is_one_class_at_every_prefect_1_path() -> None:
    assert runner.ENDRUN is signals.ENDRUN is flow_runner.ENDRUN is task_runner.ENDRUN


def test_a_new_state_calls_the_handlers_once() -> None:
    r = Recording()
    new = r.step(Pending(), Running(message="go"))
    assert type(new) is Running and r.seen == [("Pending", "Running")]


def test_the_same_state_calls_no_handler() -> None:
    r = Recording()
    old = Pending()
    assert r.step(old, None) is old and r.seen == []


def test_endrun_carries_its_state_out_after_the_handlers() -> None:
    r = Recording()
    with pytest.raises(ENDRUN) as end:
        r.step(Pending(), ENDRUN(Success(message="done early")))
    assert end.value.state.message == "done early"
    assert r.seen == [("Pending", "Success")]


def test_a_signal_becomes_its_state() -> None:
    r = Recording()
    new = r.step(Pending(), signals.SKIP("not today"))
    assert type(new) is Skipped and new.message == "not today"


def test_an_error_becomes_failed_with_prefects_message() -> None:
    r = Recording()
    error = KeyError("k")
    new = r.step(Pending(), error)
    assert type(new) is Failed and new.result is error
    assert new.message == "Unexpected error: KeyError('k')"
    assert r.seen == [("Pending", "Failed")]


def test_inside_raise_on_exception_the_error_propagates() -> None:
    r = Recording()
    with raise_on_exception(), pytest.raises(KeyError):
        r.step(Pending(), KeyError("k"))


def test_a_handler_error_ends_the_run_failed() -> None:
    def broken(obj, old, new):
        raise RuntimeError("handler bug")

    r = Runner(state_handlers=[broken])
    with pytest.raises(ENDRUN) as end:
        r.handle_state_change(Pending(), Running())
    assert type(end.value.state) is Failed
    assert end.value.state.message == ("Unexpected error while calling state handlers: "
                                       "RuntimeError('handler bug')")


def test_a_handler_signal_replaces_the_state() -> None:
    def skip(obj, old, new):
        raise signals.SKIP("handler says skip")

    assert type(Runner(state_handlers=[skip]).handle_state_change(Pending(), Running())) \
        is Skipped


def test_handlers_may_return_none_to_keep_the_state() -> None:
    new = Running()
    assert Runner(state_handlers=[lambda *a: None]).handle_state_change(Pending(), new) is new


def test_state_handlers_must_be_a_sequence() -> None:
    with pytest.raises(TypeError, match="state_handlers should be iterable"):
        Runner(state_handlers=lambda *a: None)  # type: ignore[arg-type]


def test_the_logger_is_named_after_the_class() -> None:
    assert Recording().logger.name == "prefectlite.Recording"


def test_initialize_run_unwraps_meta_states_and_defaults_to_pending() -> None:
    from prefectlite.engine.state import Queued, Submitted

    inner = Running()
    state, ctx = Runner().initialize_run(Submitted(state=Queued(state=inner)), {"a": 1})
    assert state is inner and ctx == {"a": 1}
    assert type(Runner().initialize_run(None, {})[0]) is Pending
