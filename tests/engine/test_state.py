"""Tests for prefectlite.engine.state: hierarchy, predicates, equality, copy and pickling."""

from __future__ import annotations

import datetime
import pickle
import sys
import threading
from typing import Any

import cloudpickle
import pytest

from prefectlite.engine import state as st
from prefectlite.engine.result import NoResult, Result
from prefectlite.engine.state import (
    Cached,
    Cancelled,
    Cancelling,
    ClientFailed,
    Failed,
    Finished,
    Looped,
    Mapped,
    Paused,
    Pending,
    Queued,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    State,
    Submitted,
    Success,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
)
from prefectlite.utilities.context import context
from prefectlite.utilities.errors import PortableError

UTC = datetime.UTC
PICKLERS = [pytest.param(pickle, id="pickle"), pytest.param(cloudpickle, id="cloudpickle")]
ALL_STATES = [getattr(st, name) for name in st.__all__]

# class -> (direct parent, Prefect 1.4 UI colour)
HIERARCHY: dict[type[State], tuple[type, str]] = {
    State: (object, "#696969"),
    Pending: (State, "#7ebdff"),
    Scheduled: (Pending, "#ffab00"),
    Paused: (Scheduled, "#99a8e8"),
    Resume: (Scheduled, "#f58c0c"),
    Retrying: (Scheduled, "#f66a0a"),
    Running: (State, "#3d67ff"),
    Cancelling: (Running, "#E8E8E8"),
    Finished: (State, "#003ccb"),
    Success: (Finished, "#28a745"),
    Cached: (Success, "#34d058"),
    Mapped: (Success, "#003ccb"),
    Skipped: (Success, "#62757f"),
    Failed: (Finished, "#eb0000"),
    TriggerFailed: (Failed, "#ff5131"),
    ValidationFailed: (Failed, "#ff5131"),
    TimedOut: (Failed, "#ff4e33"),
    Looped: (Finished, "#003ccb"),
    Cancelled: (Finished, "#bdbdbd"),
    ClientFailed: (st._MetaState, "#eb0000"),
    Submitted: (st._MetaState, "#ffdf5d"),
    Queued: (st._MetaState, "#ffea7f"),
}

# Prefect 1.4's predicates, and for each class the ones that are True (all others are False)
PREDICATES = {
    "is_pending", "is_scheduled", "is_retrying", "is_submitted", "is_queued",
    "is_meta_state", "is_running", "is_finished", "is_successful", "is_failed",
    "is_skipped", "is_cached", "is_mapped", "is_looped",
}
TRUE_PREDICATES: dict[type[State], set[str]] = {
    State: set(),
    Pending: {"is_pending"},
    Scheduled: {"is_pending", "is_scheduled"},
    Paused: {"is_pending", "is_scheduled"},
    Resume: {"is_pending", "is_scheduled"},
    Retrying: {"is_pending", "is_scheduled", "is_retrying"},
    ClientFailed: {"is_meta_state"},
    Submitted: {"is_submitted", "is_meta_state"},
    Queued: {"is_queued", "is_meta_state", "is_scheduled"},
    Running: {"is_running"},
    Cancelling: {"is_running"},
    Finished: {"is_finished"},
    Success: {"is_finished", "is_successful"},
    Cached: {"is_finished", "is_successful", "is_cached"},
    Mapped: {"is_finished", "is_successful", "is_mapped"},
    Skipped: {"is_finished", "is_successful", "is_skipped"},
    Failed: {"is_finished", "is_failed"},
    TriggerFailed: {"is_finished", "is_failed"},
    ValidationFailed: {"is_finished", "is_failed"},
    TimedOut: {"is_finished", "is_failed"},
    Looped: {"is_finished", "is_looped"},
    Cancelled: {"is_finished"},
}


class Ambiguous:
    """Behaves like a numpy array under ``==``: the answer has no truth value."""

    def __eq__(self, other: object) -> Any:
        class _NoTruth:
            def __bool__(self) -> bool:
                raise ValueError("ambiguous")

        return _NoTruth()

    __hash__ = None  # type: ignore[assignment]


class TestHierarchy:
    def test_every_exported_state_is_in_the_table(self) -> None:
        assert set(ALL_STATES) == set(HIERARCHY)

    @pytest.mark.parametrize("cls", list(HIERARCHY))
    def test_parent(self, cls: type[State]) -> None:
        assert cls.__bases__ == (HIERARCHY[cls][0],)

    @pytest.mark.parametrize("cls", list(HIERARCHY))
    def test_color(self, cls: type[State]) -> None:
        assert cls.color == HIERARCHY[cls][1]

    def test_children_hide_private_classes_but_include_their_children(self) -> None:
        names = State.children(names_only=True)
        assert "_MetaState" not in names
        assert {"Submitted", "Queued"} <= set(names)
        assert set(names) == {cls.__name__ for cls in HIERARCHY} - {"State"}

    def test_children_of_a_leaf_and_include_self(self) -> None:
        assert TimedOut.children() == []
        assert TimedOut.children(include_self=True) == [TimedOut]
        assert Scheduled.children() == [Paused, Resume, Retrying]

    def test_parents(self) -> None:
        assert Skipped.parents() == [Success, Finished, State]
        assert Submitted.parents(names_only=True) == ["State"]
        assert State.parents(include_self=True) == [State]


class TestPredicates:
    @pytest.mark.parametrize("cls", list(TRUE_PREDICATES))
    def test_predicate_table(self, cls: type[State]) -> None:
        state = cls()
        actual = {name for name in PREDICATES if getattr(state, name)()}
        assert actual == TRUE_PREDICATES[cls]

    def test_table_covers_every_state(self) -> None:
        assert set(TRUE_PREDICATES) == set(ALL_STATES)

    def test_states_have_exactly_prefect_predicates(self) -> None:
        # code that loops over every is_* method (as Prefect 1 users' tests do) sees 1.4's set
        found = {name for name in dir(Success()) if name.startswith("is_")}
        assert found == PREDICATES


class TestConstruction:
    def test_defaults(self) -> None:
        state = Success()
        assert state.message is None
        assert state._result is NoResult
        assert state.result is None
        assert state.context == {}
        assert state.cached_inputs == {}

    def test_raw_result_is_wrapped(self) -> None:
        state = Success(message="done", result=3)
        assert type(state._result) is Result
        assert state.result == 3

    def test_result_none_means_no_result(self) -> None:
        assert Success(result=None)._result is NoResult

    @pytest.mark.parametrize("falsy", [0, "", {}, [], False])
    def test_falsy_results_are_kept(self, falsy: Any) -> None:
        state = Success(result=falsy)
        assert state._result is not NoResult
        assert state.result == falsy

    def test_result_instance_is_kept(self) -> None:
        result = Result(3, location="x.pkl")
        assert Success(result=result)._result is result

    def test_result_setter_rewraps(self) -> None:
        state = Failed()
        state.result = ValueError("x")
        assert isinstance(state._result, Result)
        assert isinstance(state.result, ValueError)

    def test_message_may_be_an_exception(self) -> None:
        error = ZeroDivisionError("division by zero")
        state = Failed(error, result="partial")
        assert state.message is error
        assert state.result == "partial"

    def test_each_state_gets_its_own_dicts(self) -> None:
        first, second = Pending(), Pending()
        assert first.context is not second.context
        assert first.cached_inputs is not second.cached_inputs

    def test_unknown_arguments_are_rejected(self) -> None:
        with pytest.raises(TypeError, match="start_time"):
            Success(start_time=None)  # type: ignore[call-arg]


class TestPositionalArguments:
    """Positional order is each class's Prefect 1.4 constructor order."""

    def test_base_order(self) -> None:
        state = Success("m", 1, {"a": 1}, {"x": Result(2)})
        assert (state.context, state.cached_inputs) == ({"a": 1}, {"x": Result(2)})

    def test_pending_and_failed_take_cached_inputs_before_context(self) -> None:
        for cls in (Pending, Failed, TimedOut):
            state = cls("m", 1, {"x": Result(2)}, {"a": 1})
            assert (state.cached_inputs, state.context) == ({"x": Result(2)}, {"a": 1})

    def test_scheduled_family(self) -> None:
        start = datetime.datetime(2030, 1, 1, tzinfo=UTC)
        state = Retrying("m", 1, start, {"x": Result(2)}, {"a": 1}, 4)
        assert (state.start_time, state.run_count, state.context) == (start, 4, {"a": 1})
        assert Paused("m", None, start).start_time == start

    def test_classes_with_their_own_data(self) -> None:
        assert Looped("again", 1, 2).loop_count == 2
        cached = Cached("m", 1, {"x": Result(1)}, {"p": 2})
        assert (cached.cached_inputs, cached.cached_parameters) == ({"x": Result(1)}, {"p": 2})
        child = Success()
        assert Mapped("m", None, [child]).map_states == [child]
        start = datetime.datetime(2030, 1, 1, tzinfo=UTC)
        queued = Queued("m", None, child, start)
        assert (queued.state, queued.start_time) == (child, start)


class TestValuesFromTheContext:
    def test_task_tags_become_context_tags(self) -> None:
        with context(task_tags={"etl"}):
            assert Success().context == {"tags": ["etl"]}
            assert Success(context={"tags": ["own"]}).context == {"tags": ["own"]}
        assert Success().context == {}

    @pytest.mark.parametrize("cls", [Scheduled, Paused, Resume, Retrying])
    def test_scheduled_states_record_the_run_count(self, cls: type[State]) -> None:
        with context(task_run_count=3):
            assert cls().context == {"task_run_count": 3}

    @pytest.mark.parametrize("cls", [Pending, Running, Success, Failed, Queued, Looped])
    def test_other_states_do_not(self, cls: type[State]) -> None:
        with context(task_run_count=3):
            assert "task_run_count" not in cls().context

    def test_retrying_run_count_defaults_to_the_context(self) -> None:
        assert Retrying().run_count == 1
        with context(task_run_count=5):
            assert Retrying().run_count == 5
            assert Retrying(run_count=2).run_count == 2

    def test_looped_loop_count_defaults_to_the_context(self) -> None:
        assert Looped().loop_count == 1
        with context(task_loop_count=7):
            assert Looped().loop_count == 7
            assert Looped(loop_count=2).loop_count == 2


class TestExtraAttributes:
    """State handlers may set attributes of their own on a state, as in Prefect 1."""

    def test_setting_an_attribute(self) -> None:
        state = Success(result=1)
        state.timestamp = 12  # type: ignore[attr-defined]
        assert state.timestamp == 12  # type: ignore[attr-defined]

    def test_extra_attributes_take_part_in_equality(self) -> None:
        left, right = Success(result=1), Success(result=1)
        left.note = "a"  # type: ignore[attr-defined]
        assert left != right
        right.note = "a"  # type: ignore[attr-defined]
        assert left == right
        right.note = "b"  # type: ignore[attr-defined]
        assert left != right

    def test_private_extra_attributes_do_not(self) -> None:
        left = Success(result=1)
        left._scratch = 1  # type: ignore[attr-defined]
        assert left == Success(result=1)

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_they_survive_pickling(self, pickler: Any) -> None:
        state = Retrying(run_count=2)
        state.owner = "me"  # type: ignore[attr-defined]
        restored = pickler.loads(pickler.dumps(state))
        assert restored.owner == "me"
        assert restored.run_count == 2

    def test_they_survive_copy(self) -> None:
        state = Failed("m")
        state.owner = "me"  # type: ignore[attr-defined]
        assert state.copy(message="n").owner == "me"  # type: ignore[attr-defined]


class TestTimes:
    def test_scheduled_defaults_to_now_in_utc(self) -> None:
        before = datetime.datetime.now(UTC)
        start = Scheduled().start_time
        assert start is not None
        assert start.tzinfo is not None
        assert before <= start <= datetime.datetime.now(UTC)

    def test_naive_time_is_read_as_utc(self) -> None:
        state = Retrying(start_time=datetime.datetime(2024, 1, 2, 3))
        assert state.start_time == datetime.datetime(2024, 1, 2, 3, tzinfo=UTC)

    def test_aware_time_is_kept(self) -> None:
        tz = datetime.timezone(datetime.timedelta(hours=2))
        moment = datetime.datetime(2024, 1, 2, 3, tzinfo=tz)
        assert Scheduled(start_time=moment).start_time is moment

    def test_pendulum_times_are_accepted(self) -> None:
        pendulum = pytest.importorskip("pendulum")
        moment = pendulum.datetime(2024, 1, 2)
        assert Scheduled(start_time=moment).start_time == moment

    def test_paused_waits_indefinitely(self) -> None:
        assert Paused().start_time is None
        assert Paused(start_time=None).start_time is None
        moment = datetime.datetime(2030, 1, 1, tzinfo=UTC)
        assert Paused(start_time=moment).start_time == moment

    def test_resume_and_queued_default_to_now(self) -> None:
        assert Resume().start_time is not None
        assert Queued().start_time is not None

    @pytest.mark.parametrize("cls", ALL_STATES)
    def test_only_scheduled_and_queued_states_have_a_start_time(self, cls: type[State]) -> None:
        assert hasattr(cls(), "start_time") == issubclass(cls, Scheduled | Queued)

    def test_cached_expiration_is_made_aware(self) -> None:
        state = Cached(cached_result_expiration=datetime.datetime(2024, 1, 1))
        assert state.cached_result_expiration == datetime.datetime(2024, 1, 1, tzinfo=UTC)
        assert Cached().cached_result_expiration is None


class TestMapped:
    def test_empty(self) -> None:
        state = Mapped()
        assert state.map_states == []
        assert state.n_map_states == 0
        assert state.result is None

    def test_result_is_only_what_it_was_given(self) -> None:
        assert Mapped(map_states=[Success(result=1)]).result is None
        assert Mapped(result=[1], map_states=[Success(result=1)]).result == [1]

    def test_n_map_states(self) -> None:
        assert Mapped(map_states=[Success(), Success()]).n_map_states == 2
        assert Mapped(n_map_states=5).n_map_states == 5
        state = Mapped(map_states=[Success()], n_map_states=4)
        assert state.n_map_states == 4
        state.n_map_states = None  # type: ignore[assignment]
        assert state.n_map_states == 1

    def test_map_states_list_is_copied(self) -> None:
        children: list[State] = [Success()]
        state = Mapped(map_states=children)
        children.append(Failed())
        assert len(state.map_states) == 1


class TestMetaStates:
    @pytest.mark.parametrize("cls", [Submitted, Queued, ClientFailed])
    def test_wraps_a_state(self, cls: type[State]) -> None:
        inner = Retrying()
        assert cls(state=inner).state is inner  # type: ignore[call-arg]

    def test_nested_meta_states_are_unwrapped(self) -> None:
        inner = Scheduled()
        wrapped: State = inner
        for i in range(50):
            wrapped = (Queued, Submitted, ClientFailed)[i % 3](state=wrapped)
        assert wrapped.state is inner  # type: ignore[attr-defined]

    def test_wrapped_state_takes_part_in_equality(self) -> None:
        assert Submitted(state=Success(result=1)) == Submitted(state=Success(result=1))
        assert Submitted(state=Success(result=1)) != Submitted(state=Success(result=2))


class TestRepr:
    @pytest.mark.parametrize(
        ("state", "text"),
        [
            (Success(message="Task run succeeded."), '<Success: "Task run succeeded.">'),
            (Success(), "<Success>"),
            (TriggerFailed("x", result=1), '<TriggerFailed: "x">'),
            (Failed(ValueError("bad")), '<Failed: "bad">'),
            (Pending(""), '<Pending: "">'),
        ],
    )
    def test_repr(self, state: State, text: str) -> None:
        assert repr(state) == text


class TestEquality:
    @pytest.mark.parametrize(
        ("left", "right"),
        [
            (Success("m", 1), Success("m", 1)),
            (Success("m", Result(1)), Success("m", 1)),
            (Success(), Success()),
            (Success("m", 1), Success("other", 1)),  # messages are not compared
            (Success("m", 1, context={"a": 1}), Success("m", 1, context={"b": 2})),
            (State(result=Success(result=1)), State(result=Success(result=1))),
            (
                Scheduled(start_time=datetime.datetime(2020, 1, 1)),
                Scheduled(start_time=datetime.datetime(2020, 1, 1)),
            ),
            (Mapped(map_states=[Success(result=1)]), Mapped(map_states=[Success(result=1)])),
            (Retrying(run_count=2, start_time=datetime.datetime(2020, 1, 1)),
             Retrying(run_count=2, start_time=datetime.datetime(2020, 1, 1))),
            (Success(result=None), Success()),
        ],
    )
    def test_equal(self, left: State, right: State) -> None:
        assert left == right

    @pytest.mark.parametrize(
        ("left", "right"),
        [
            (Success("m", 1), Success("m", 2)),
            (State(result=Success(result=1)), State(result=Success(result=2))),
            (Success(result=1), Cached(result=1)),
            (Failed(), TriggerFailed()),
            (Pending(cached_inputs={"x": 1}), Pending(cached_inputs={"x": 2})),  # type: ignore
            (Pending(cached_inputs={"x": 1}), Pending(cached_inputs={"y": 1})),  # type: ignore
            (
                Scheduled(start_time=datetime.datetime(2020, 1, 1)),
                Scheduled(start_time=datetime.datetime(2021, 1, 1)),
            ),
            (Mapped(map_states=[Success(result=1)]), Mapped(map_states=[Failed(result=1)])),
            (Mapped(map_states=[Success()]), Mapped(map_states=[Success(), Success()])),
            (Looped(loop_count=1), Looped(loop_count=2)),
            (Cached(cached_parameters={"a": 1}), Cached(cached_parameters={"a": 2})),
        ],
    )
    def test_not_equal(self, left: State, right: State) -> None:
        assert left != right

    def test_other_objects_are_never_equal(self) -> None:
        assert Success() != "Success"
        assert Success(result=1) != Result(1)
        assert (Success() == None) is False  # noqa: E711

    def test_ambiguous_results_do_not_raise(self) -> None:
        value = Ambiguous()
        assert Success(result=value) == Success(result=value)
        assert Success(result=value) != Success(result=Ambiguous())

    def test_unhashable_results_are_fine(self) -> None:
        assert Success(result={"a": [1]}) == Success(result={"a": [1]})

    def test_hash_is_identity_so_states_can_be_keys(self) -> None:
        first, second = Success(result=1), Success(result=1)
        table = {first: "a", second: "b"}
        assert table[first] == "a"
        assert table[second] == "b"
        assert {State(result=[1]), Pending(cached_inputs={"a": 1})}  # type: ignore[dict-item]


class TestCopy:
    def test_copy_is_a_new_equal_state(self) -> None:
        state = Success("m", 3, context={"a": 1})
        duplicate = state.copy()
        assert duplicate is not state
        assert type(duplicate) is Success
        assert duplicate == state
        assert duplicate.context == {"a": 1}
        assert duplicate.context is not state.context

    def test_changes_are_applied_and_the_original_is_untouched(self) -> None:
        state = Success("m", 3)
        changed = state.copy(result=4, message="n")
        assert (changed.message, changed.result) == ("n", 4)
        assert (state.message, state.result) == ("m", 3)
        assert isinstance(changed._result, Result)

    def test_result_object_is_kept(self) -> None:
        result = Result(1, location="a")
        assert Success(result=result).copy()._result is result

    def test_subclass_fields_are_carried_over(self) -> None:
        start = datetime.datetime(2020, 1, 1, tzinfo=UTC)
        state = Retrying("m", start_time=start, run_count=3)
        duplicate = state.copy(message="again")
        assert duplicate.start_time == start
        assert duplicate.run_count == 3
        assert Paused().copy().start_time is None

    def test_mapped_copy(self) -> None:
        state = Mapped(map_states=[Success(result=1)], n_map_states=3)
        duplicate = state.copy(map_states=[Success(result=2)], result=[2])
        assert duplicate.result == [2]
        assert duplicate.n_map_states == 3

    def test_meta_and_cached_copies(self) -> None:
        inner = Success()
        assert Submitted(state=inner).copy().state is inner
        assert Cached(cached_parameters={"p": 1}).copy().cached_parameters == {"p": 1}

    def test_unknown_field_is_an_error(self) -> None:
        with pytest.raises(TypeError, match=r"Success\.copy\(\) got unknown field\(s\) run_count"):
            Success().copy(run_count=2)


class _Unpicklable(Exception):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lock = threading.RLock()


class _NeedsTwo(Exception):
    """Never pickles, not even a copy of it: its class is not importable by name, and
    pickling the class itself by value fails on the lock it holds."""

    guard = threading.RLock()

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


_NeedsTwo.__qualname__ = "_Elsewhere"


class TestPickling:
    @pytest.mark.parametrize("pickler", PICKLERS)
    @pytest.mark.parametrize("cls", ALL_STATES)
    def test_round_trip(self, cls: type[State], pickler: Any) -> None:
        state = cls("message", {"value": [1, 2]}, context={"tags": ["a"]})
        restored = pickler.loads(pickler.dumps(state))
        assert type(restored) is cls
        assert restored == state
        assert restored.message == "message"
        assert restored.context == {"tags": ["a"]}

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_no_result_stays_the_singleton(self, pickler: Any) -> None:
        assert pickler.loads(pickler.dumps(Pending()))._result is NoResult

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_timestamps_and_children_survive(self, pickler: Any) -> None:
        mapped = Mapped(map_states=[Retrying(run_count=2), Success(result=1)])
        restored = pickler.loads(pickler.dumps(mapped))
        assert restored == mapped
        retrying = mapped.map_states[0]
        assert isinstance(retrying, Retrying)
        assert restored.map_states[0].start_time == retrying.start_time

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_exception_results_survive(self, pickler: Any) -> None:
        restored = pickler.loads(pickler.dumps(Failed("boom", result=ValueError("boom"))))
        assert isinstance(restored.result, ValueError)
        assert restored.result.args == ("boom",)

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_an_unpicklable_exception_keeps_its_class_and_message(self, pickler: Any) -> None:
        error = _Unpicklable("locked")
        error.code = 7
        state = Failed("boom", result=error)
        restored = pickler.loads(pickler.dumps(state))
        assert type(restored.result) is _Unpicklable
        assert restored.result.args == ("locked",) and restored.result.code == 7
        assert state.result is error  # the original state is untouched

    @pytest.mark.parametrize("pickler", PICKLERS)
    def test_an_exception_that_cannot_be_rebuilt_is_described(self, pickler: Any) -> None:
        error = _NeedsTwo("a", "b")
        restored = pickler.loads(pickler.dumps(Failed("boom", result=error)))
        assert type(restored.result) is PortableError
        assert restored.result.type_name == f"{__name__}._Elsewhere"
        assert str(restored.result) == f"{__name__}._Elsewhere: a and b"

    def test_other_unpicklable_results_still_fail(self) -> None:
        with pytest.raises(TypeError, match="pickle"):
            cloudpickle.dumps(Success(result=threading.RLock()))


class TestSize:
    def test_sizeof_counts_the_result(self) -> None:
        small, big = Success(result=1), Success(result="x" * 10_000)
        assert sys.getsizeof(big) - sys.getsizeof(small) >= 9_000


class _Reader(Result):
    """A Result that "reads" by returning a copy holding the location it was asked for."""

    def read(self, location: str) -> Result:
        found = self.copy()
        found.value, found.location = f"read {location}", location
        return found


class TestLoadResult:
    def test_reads_a_result_that_has_only_a_location(self) -> None:
        state = Success(result=Result(location="a.pkl"))
        assert state.load_result(_Reader()) is state
        assert state.result == "read a.pkl"

    def test_uses_the_state_own_result_without_an_argument(self) -> None:
        state = Success(result=_Reader(location="b.pkl"))
        assert state.load_result().result == "read b.pkl"

    @pytest.mark.parametrize("result", [Result(42, location="c.pkl"), Result()])
    def test_nothing_to_read(self, result: Result) -> None:
        state = Success(result=result)
        assert state.load_result(_Reader())._result is result

    def test_mapped_loads_its_children(self) -> None:
        state = Mapped(map_states=[None, Success(result=Result(location="x"))])  # type: ignore
        state.load_result(_Reader())
        assert state.result == [None, "read x"]
        assert state.map_states[1].result == "read x"  # type: ignore[union-attr]

    def test_cached_inputs(self) -> None:
        state = Pending(cached_inputs={"x": Result(), "y": Result(1), "z": Result(location="z")})
        state.load_cached_results({"x": _Reader(location="x-loc"), "z": _Reader()})
        assert {k: r.value for k, r in state.cached_inputs.items()} == {
            "x": "read x-loc", "y": 1, "z": "read z",
        }
