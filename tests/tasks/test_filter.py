"""Tests for prefectlite.tasks.control_flow.FilterTask."""

from __future__ import annotations

import logging

import pytest

from prefectlite import Flow, task, triggers
from prefectlite.tasks.control_flow import FilterTask


@task
def invert(x: int) -> float:
    return 1 / x


class TestOptions:
    def test_defaults_run_after_failures_and_skips(self) -> None:
        f = FilterTask()
        assert f.name == "FilterTask"
        assert f.trigger is triggers.all_finished and f.skip_on_upstream_skip is False

    def test_task_options_can_be_overridden(self) -> None:
        f = FilterTask(trigger=triggers.all_successful, skip_on_upstream_skip=True, name="keep")
        assert f.trigger is triggers.all_successful and f.skip_on_upstream_skip is True
        assert f.name == "keep"

    @pytest.mark.parametrize("option", ["filter_func", "log_func"])
    def test_functions_must_be_callable(self, option: str) -> None:
        with pytest.raises(TypeError, match=rf"FilterTask: {option}=3 is not callable"):
            FilterTask(**{option: 3})


class TestRun:
    def test_default_drops_none_and_exceptions_only(self) -> None:
        error = KeyError("k")
        assert FilterTask().run([0, None, "", error, False, [], 2]) == [0, "", False, [], 2]

    def test_own_filter_func(self) -> None:
        error = KeyError("k")
        assert FilterTask(filter_func=lambda v: v != 2).run([None, 2, error, 3]) == [
            None, error, 3]

    def test_log_func_message_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        f = FilterTask(name="evens", filter_func=lambda v: v % 2 == 0,
                       log_func=lambda kept: f"kept {len(kept)}: {kept}")
        with caplog.at_level(logging.INFO, logger="prefectlite"):
            assert f.run([1, 2, 3, 4]) == [2, 4]
        assert ("prefectlite.evens", "kept 2: [2, 4]") in [
            (r.name, r.getMessage()) for r in caplog.records]

    def test_in_a_flow_it_keeps_the_children_that_succeeded(self) -> None:
        with Flow("filter") as flow:
            inverted = invert.map([0, 1, 4])
            good = FilterTask()(inverted)
        state = flow.run()
        assert state.result[inverted].map_states[0].is_failed()
        assert state.result[good].result == [1.0, 0.25]
        assert state.is_successful()  # the filter is the only terminal task
