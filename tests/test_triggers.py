"""Tests for prefectlite.triggers: pure functions from upstream states to run / don't run.

Edge keys are plain strings: triggers only read ``upstream_states.values()``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

import cloudpickle
import pytest

from prefectlite import triggers
from prefectlite.engine import signals
from prefectlite.engine.state import (
    Cached,
    Failed,
    Mapped,
    Paused,
    Pending,
    Retrying,
    Running,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefectlite.utilities.context import context

Trigger = Callable[[Mapping[Any, State]], bool]


def ups(*states: State) -> dict[str, State]:
    """Upstream states keyed by placeholder edges ``e0``, ``e1``, ..."""
    return {f"e{i}": s for i, s in enumerate(states)}


SIMPLE_TRIGGERS: list[Trigger] = [
    triggers.all_successful, triggers.all_failed, triggers.any_successful,
    triggers.any_failed, triggers.all_finished, triggers.always_run,
]
FACTORIES: list[Trigger] = [
    triggers.some_successful(at_least=1), triggers.some_successful(at_most=0),
    triggers.some_failed(at_least=0.5), triggers.some_failed(at_most=2),
]

# Prefect 1.4's messages, word for word
ALL_SUCCESSFUL = 'Trigger was "all_successful" but some of the upstream tasks failed.'
ALL_FAILED = 'Trigger was "all_failed" but some of the upstream tasks succeeded.'
ANY_SUCCESSFUL = 'Trigger was "any_successful" but none of the upstream tasks succeeded.'
ANY_FAILED = 'Trigger was "any_failed" but none of the upstream tasks failed.'
ALL_FINISHED = 'Trigger was "all_finished" but some of the upstream tasks were not finished.'
NOT_ALL_SKIPPED = 'Trigger was "not_all_skipped" but some of the upstream tasks failed.'


def message_of(trigger: Trigger, upstream: Mapping[Any, State]) -> str:
    """The message of the TRIGGERFAIL signal ``trigger`` raises."""
    with pytest.raises(signals.TRIGGERFAIL) as info:
        trigger(upstream)
    assert type(info.value.state) is TriggerFailed
    return str(info.value.state.message)


class TestNoUpstreams:
    @pytest.mark.parametrize("trigger", SIMPLE_TRIGGERS + FACTORIES, ids=repr)
    def test_every_trigger_runs(self, trigger: Trigger) -> None:
        assert trigger({}) is True

    def test_manual_only_still_pauses(self) -> None:
        with pytest.raises(signals.PAUSE, match="manual_only"):
            triggers.manual_only({})

    def test_not_all_skipped_skips(self) -> None:
        # none of no upstreams ran: Prefect 1.4 counts that as "all were skipped"
        with pytest.raises(signals.SKIP, match="All upstreams were skipped"):
            triggers.not_all_skipped({})


class TestAllSuccessful:
    @pytest.mark.parametrize(
        "states",
        [
            (Success(),),
            (Success(), Skipped(), Cached()),
            (Mapped(map_states=[Success(), Success()]),),
            (Mapped(),),
        ],
    )
    def test_runs(self, states: tuple[State, ...]) -> None:
        assert triggers.all_successful(ups(*states)) is True

    @pytest.mark.parametrize(
        "bad", [Failed(), TriggerFailed(), Pending(), Running(), Retrying(), TimedOut()]
    )
    def test_anything_else_fails_it(self, bad: State) -> None:
        assert message_of(triggers.all_successful, ups(Success(), bad)) == ALL_SUCCESSFUL


class TestAllFailed:
    def test_runs(self) -> None:
        assert triggers.all_failed(ups(Failed(), TriggerFailed(), TimedOut())) is True

    def test_a_success_or_skip_blocks_it(self) -> None:
        assert message_of(triggers.all_failed, ups(Failed(), Skipped())) == ALL_FAILED


class TestAnySuccessful:
    def test_runs_with_one_success(self) -> None:
        assert triggers.any_successful(ups(Failed(), Failed(), Skipped())) is True

    def test_fails_with_none(self) -> None:
        assert message_of(triggers.any_successful, ups(Failed(), Pending())) == ANY_SUCCESSFUL

    def test_a_mapped_upstream_with_no_children_fails_it(self) -> None:
        # Prefect 1.4: the dict is not empty, but it expands to no states at all.
        assert message_of(triggers.any_successful, ups(Mapped())) == ANY_SUCCESSFUL


class TestAnyFailed:
    def test_runs_with_one_failure(self) -> None:
        assert triggers.any_failed(ups(Success(), TimedOut())) is True

    def test_fails_with_none(self) -> None:
        assert message_of(triggers.any_failed, ups(Success(), Skipped())) == ANY_FAILED


class TestAllFinished:
    @pytest.mark.parametrize("trigger", [triggers.all_finished, triggers.always_run])
    def test_runs_whatever_the_outcome(self, trigger: Trigger) -> None:
        assert trigger(ups(Success(), Failed(), Skipped(), TriggerFailed())) is True

    def test_always_run_is_an_alias(self) -> None:
        assert triggers.always_run is triggers.all_finished

    def test_unfinished_upstream_fails_it(self) -> None:
        upstream = ups(Success(), Running(), Paused())
        assert message_of(triggers.all_finished, upstream) == ALL_FINISHED


class TestManualOnly:
    def test_pauses(self) -> None:
        with pytest.raises(signals.PAUSE) as info:
            triggers.manual_only(ups(Success()))
        assert type(info.value.state) is Paused
        assert info.value.state.message == 'Trigger function is "manual_only"'
        assert info.value.state.start_time is None

    def test_runs_when_resumed(self) -> None:
        with context(resume=True):
            assert triggers.manual_only(ups(Success())) is True
            assert triggers.manual_only({}) is True

    def test_falsy_resume_still_pauses(self) -> None:
        with context(resume=False), pytest.raises(signals.PAUSE):
            triggers.manual_only(ups(Success()))


class TestNotAllSkipped:
    def test_runs_when_one_upstream_ran(self) -> None:
        assert triggers.not_all_skipped(ups(Skipped(), Success())) is True

    def test_skips_when_all_were_skipped(self) -> None:
        with pytest.raises(signals.SKIP, match="All upstreams were skipped") as info:
            triggers.not_all_skipped(ups(Skipped(), Skipped()))
        assert type(info.value.state) is Skipped
        assert info.value.state.result is None

    def test_fails_when_an_upstream_failed(self) -> None:
        assert message_of(triggers.not_all_skipped, ups(Skipped(), Failed())) == NOT_ALL_SKIPPED


class TestMappedUpstreams:
    def test_children_are_counted_not_the_mapped_state(self) -> None:
        mapped = Mapped(map_states=[Success(), Failed(), Failed()])
        assert message_of(triggers.all_successful, ups(mapped)) == ALL_SUCCESSFUL
        assert triggers.any_failed(ups(mapped)) is True
        assert triggers.some_failed(at_least=2, at_most=2)(ups(mapped)) is True

    def test_mixed_with_plain_upstreams(self) -> None:
        upstream = ups(Success(), Mapped(map_states=[Success(), Skipped()]))
        assert triggers.all_successful(upstream) is True
        assert triggers.some_successful(at_least=3)(upstream) is True
        with pytest.raises(signals.TRIGGERFAIL):
            triggers.some_successful(at_least=4)(upstream)

    def test_the_same_state_object_counts_once(self) -> None:
        shared = Failed()
        upstream = {"x": shared, "y": shared, "z": Success()}
        assert triggers.some_failed(at_most=0.5)(upstream) is True  # 1 of 2, not 2 of 3

    def test_equal_but_distinct_states_count_separately(self) -> None:
        with pytest.raises(signals.TRIGGERFAIL):
            triggers.some_failed(at_most=1)(ups(Failed(), Failed(), Success()))

    def test_unhashable_results_are_fine(self) -> None:
        upstream = ups(Success(result={"a": [1]}), Mapped(map_states=[Success(result=[1])]))
        assert triggers.all_successful(upstream) is True


class TestSomeSuccessfulAndSomeFailed:
    @pytest.mark.parametrize(
        ("at_least", "at_most", "successes", "failures", "runs"),
        [
            (None, None, 0, 3, True),
            (1, None, 1, 2, True),
            (2, None, 1, 2, False),
            (None, 1, 1, 2, True),
            (None, 1, 2, 1, False),
            (0.5, None, 2, 2, True),  # 0.5 * 4 = 2
            (0.5, None, 1, 2, False),  # 0.5 * 3 = 1.5 > 1
            (None, 0.5, 2, 1, False),  # 2 > 1.5
            (0.25, 0.75, 2, 2, True),
            (1, 1, 1, 0, True),  # 1 is a count, not 100%
            (0, 0, 0, 2, True),
        ],
    )
    def test_some_successful_bounds(
        self, at_least: float | None, at_most: float | None, successes: int, failures: int,
        runs: bool,
    ) -> None:
        upstream = ups(*[Success() for _ in range(successes)],
                       *[Failed() for _ in range(failures)])
        trigger = triggers.some_successful(at_least=at_least, at_most=at_most)
        if runs:
            assert trigger(upstream) is True
        else:
            assert message_of(trigger, upstream) == (
                'Trigger was "some_successful" but thresholds were not met.'
            )

    @pytest.mark.parametrize(
        ("at_least", "at_most", "failures", "successes", "runs"),
        [
            (1, None, 1, 5, True),
            (2, None, 1, 5, False),
            (0.5, None, 2, 2, True),
            (None, 0.1, 1, 4, False),  # 1 > 0.5
            (None, 0, 0, 4, True),
        ],
    )
    def test_some_failed_bounds(
        self, at_least: float | None, at_most: float | None, failures: int, successes: int,
        runs: bool,
    ) -> None:
        upstream = ups(*[Failed() for _ in range(failures)],
                       *[Success() for _ in range(successes)])
        trigger = triggers.some_failed(at_least=at_least, at_most=at_most)
        if runs:
            assert trigger(upstream) is True
        else:
            assert message_of(trigger, upstream) == (
                'Trigger was "some_failed" but thresholds were not met.'
            )

    @pytest.mark.parametrize("factory", [triggers.some_successful, triggers.some_failed])
    def test_negative_bounds_are_rejected(self, factory: Callable[..., Trigger]) -> None:
        with pytest.raises(ValueError, match=r"at_least must be a count >= 1 or a fraction"):
            factory(at_least=-1)

    @pytest.mark.parametrize("factory", [triggers.some_successful, triggers.some_failed])
    def test_bounds_that_are_not_numbers_fail_when_the_trigger_runs(
        self, factory: Callable[..., Trigger]
    ) -> None:
        trigger = factory(at_most="2")  # accepted when made, as in Prefect 1.4
        assert trigger({}) is True
        with pytest.raises(TypeError, match="at_most must be a number .* not str"):
            trigger(ups(Success()))

    def test_triggers_have_a_name_and_repr(self) -> None:
        trigger = triggers.some_failed(at_most=2)
        assert trigger.__name__ == "some_failed"
        assert repr(trigger) == "some_failed(at_least=None, at_most=2)"

    @pytest.mark.parametrize("pickler", [pickle, cloudpickle])
    def test_built_triggers_pickle(self, pickler: Any) -> None:
        trigger = pickler.loads(pickler.dumps(triggers.some_successful(at_least=2)))
        assert trigger(ups(Success(), Success())) is True
        with pytest.raises(signals.TRIGGERFAIL):
            trigger(ups(Success(), Failed()))
