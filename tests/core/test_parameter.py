"""Tests for prefectlite.core.parameter: Parameter and DateTimeParameter."""

from __future__ import annotations

import datetime

import pendulum
import pytest

from prefectlite import Flow, Parameter, Task, context, tags, task
from prefectlite.core.parameter import DateTimeParameter
from prefectlite.engine import TaskRunner
from prefectlite.engine.signals import FAIL
from prefectlite.exceptions import DuplicateSlugError, FlowContextError


class TestParameter:
    def test_required_without_default(self) -> None:
        p = Parameter("x")
        assert (p.name, p.slug, p.default, p.required) == ("x", "x", None, True)
        assert repr(p) == "<Parameter: x>"

    def test_default_makes_it_optional(self) -> None:
        assert Parameter("x", default=3).required is False
        assert Parameter("x", default=None).required is False
        assert Parameter("x", default=3).default == 3

    def test_required_can_be_forced(self) -> None:
        p = Parameter("x", default=3, required=True)
        assert p.required and p.default == 3
        assert Parameter("x", required=False).required is False

    def test_tags(self) -> None:
        with tags("outer"):
            p = Parameter("x", tags=["own"])
        assert p.tags == {"own", "outer"}

    @pytest.mark.parametrize("name", ["", None, 3])
    def test_name_must_be_a_string(self, name: object) -> None:
        with pytest.raises(TypeError, match="A Parameter needs a non-empty string name"):
            Parameter(name)  # type: ignore[arg-type]

    def test_takes_no_inputs(self) -> None:
        p = Parameter("x")
        with Flow("f"):
            with pytest.raises(TypeError, match=r"<Parameter: x> takes no inputs: its value comes "
                               r"from the flow run"):
                p.bind(1)
            with pytest.raises(TypeError, match="takes no inputs"):
                p.bind(value=1)
        assert p.inputs() == {}

    def test_calling_adds_it_and_returns_the_same_object(self) -> None:
        p = Parameter("x")
        with Flow("f") as flow:
            assert p() is p
        assert flow.tasks == {p} and flow.parameters() == {p}
        other = Flow("g")
        assert p(flow=other) is p and other.tasks == {p}

    def test_calling_outside_a_flow(self) -> None:
        with pytest.raises(FlowContextError,
                           match=r"active Flow context while creating edge to <Parameter: x>"):
            Parameter("x")()

    def test_parameter_can_have_no_upstream_task(self) -> None:
        p, up = Parameter("x"), Task(name="up")
        with Flow("f") as flow, pytest.raises(
            ValueError, match=r"Parameters must be root tasks and can not have upstream "
            r"dependencies \(<Task: up> -> <Parameter: x>\)"
        ):
            p.bind(upstream_tasks=[up])
        assert flow.edges == set()
        with pytest.raises(ValueError, match="Parameters must be root tasks"):
            flow.add_edge(up, p)

    def test_copy_needs_a_new_name(self) -> None:
        p = Parameter("x", default=1)
        q = p.copy("y")
        assert (q.name, q.slug, q.default, q.required) == ("y", "y", 1, False)
        assert type(q) is Parameter and p.name == "x"

    def test_name_is_unique_in_a_flow(self) -> None:
        other_x = Parameter("x")
        with Flow("f") as flow:
            Parameter("x")()
            with pytest.raises(DuplicateSlugError, match=r"flow 'f' already has a Parameter named "
                               r"'x'; Parameter names must be unique"):
                other_x()
        assert len(flow) == 1

    def test_one_parameter_serves_several_flows(self) -> None:
        @task
        def show(v: object) -> object:
            return v

        p = Parameter("x")
        with Flow("a") as fa:
            show(p)
        with Flow("b") as fb:
            show(p)
        assert fa.parameters() == fb.parameters() == {p}

    def test_run_reads_the_run_parameters(self) -> None:
        with context(parameters={"x": 5}):
            assert Parameter("x").run() == 5
            assert Parameter("y", default=2).run() == 2
        assert Parameter("y", default=2).run() == 2
        with pytest.raises(FAIL, match='Parameter "x" was required but not provided.'):
            Parameter("x").run()

    def test_a_required_parameter_without_a_value_fails_its_run(self) -> None:
        p = Parameter("x")
        state = TaskRunner(p).run(context={"parameters": {}})
        assert state.is_failed() and state.message == 'Parameter "x" was required but not provided.'



class TestDateTimeParameter:
    def test_parses_strings(self) -> None:
        p = DateTimeParameter("when")
        assert p.required is True
        with context(parameters={"when": "2024-01-02T03:04:05+00:00"}):
            value = p.run()
        assert isinstance(value, pendulum.DateTime)
        assert value == pendulum.datetime(2024, 1, 2, 3, 4, 5)

    def test_datetimes_become_pendulum_datetimes(self) -> None:
        moment = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
        with context(parameters={"when": moment}):
            value = DateTimeParameter("when").run()
        assert isinstance(value, pendulum.DateTime) and value == moment
        same = pendulum.datetime(2024, 1, 2)
        with context(parameters={"when": same}):
            assert DateTimeParameter("when").run() is same
        assert DateTimeParameter("when", required=False).run() is None
        assert DateTimeParameter("when", default="2024-05-06", required=False).run() == (
            pendulum.datetime(2024, 5, 6)
        )

    def test_is_a_parameter(self) -> None:
        p = DateTimeParameter("when")
        with Flow("f") as flow:
            p()
        assert flow.parameters() == {p} and p.slug == "when"


class TestTypedParameter:
    """``Parameter(..., type=...)``: values are converted before anything runs."""

    def flow(self) -> tuple[Flow, Task]:
        @task
        def double(n):
            return 2 * n

        with Flow("typed") as flow:
            result = double(Parameter("n", default=1, type=int))
        return flow, result

    def test_values_are_converted(self) -> None:
        flow, result = self.flow()
        assert flow.run(n="21").result[result].result == 42
        assert flow.run(parameters={"n": 4.0}).result[result].result == 8

    def test_default_used_as_given(self) -> None:
        flow, result = self.flow()
        assert flow.run().result[result].result == 2

    def test_a_misfit_raises_before_anything_runs(self) -> None:
        ran = []

        @task
        def record(n, day):
            ran.append(n)

        with Flow("typed") as flow:
            record(Parameter("n", type=int), Parameter("day", type=datetime.date))
        with pytest.raises(ValueError) as info:
            flow.run(n="three", day="2024-02-30")
        assert str(info.value) == (
            "Flow run received invalid parameters:\n"
            " - parameter 'day' expects date: Input should be a valid date, got '2024-02-30'\n"
            " - parameter 'n' expects int: Input should be a valid integer, got 'three'")
        assert ran == []

    def test_flow_runner_fails_the_run_without_running_a_task(self) -> None:
        from prefectlite.engine.flow_runner import FlowRunner

        flow, result = self.flow()
        state = FlowRunner(flow).run(parameters={"n": [1]}, return_tasks=flow.tasks)
        assert state.is_failed() and "parameter 'n' expects int" in state.message
        assert result not in (state.result if isinstance(state.result, dict) else {})

    def test_container_and_optional_types(self) -> None:
        values = Parameter("v", type=list[int]).coerce(("1", 2))
        assert values == [1, 2]
        assert Parameter("o", type=int | None).coerce(None) is None

    def test_bad_default_is_an_early_error(self) -> None:
        with pytest.raises(ValueError, match=r"^Parameter 'n': its default does not fit "
                           r"type=int \(Input should be a valid integer, got 'x'\); give a "
                           r"default of that type, or change type=\.$"):
            Parameter("n", default="x", type=int)

    def test_none_default_is_allowed_for_any_type(self) -> None:
        assert Parameter("n", default=None, type=int).default is None

    def test_default_is_converted(self) -> None:
        assert Parameter("when", default="2024-01-31", type=datetime.date).default == \
            datetime.date(2024, 1, 31)

    def test_untyped_takes_values_as_given(self) -> None:
        param = Parameter("x", default=1)
        assert param.type is None and param.coerce("abc") == "abc"
