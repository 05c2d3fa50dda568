"""``-p NAME=VALUE`` and ``--params-file``: parsing, and the shape a value must have."""

from __future__ import annotations

import json

import pytest

from prefectlite import Flow, Parameter
from prefectlite.cli._errors import CliError
from prefectlite.cli.params import Given, gather, parse_param, resolve
from prefectlite.core.parameter import DateTimeParameter


def flow_with(*params: Parameter) -> Flow:
    flow = Flow("f")
    for p in params:
        flow.add_task(p)
    return flow


class TestParse:
    @pytest.mark.parametrize(("text", "value"), [
        ("n=3", 3), ("x=1.5", 1.5), ("flag=true", True), ("none=null", None),
        ("name=Marvin", "Marvin"), ('s="quoted"', "quoted"), ("xs=[1, 2]", [1, 2]),
        ('d={"a": 1}', {"a": 1}), ("eq=a=b", "a=b"), ("empty=", ""), ("sp=two words", "two words"),
    ])
    def test_json_else_string(self, text: str, value: object) -> None:
        assert parse_param(text)[1].value == value

    @pytest.mark.parametrize("text", ["novalue", "=3", " =3", ""])
    def test_malformed(self, text: str) -> None:
        with pytest.raises(CliError, match="malformed --param .*expected NAME=VALUE"):
            parse_param(text)

    def test_params_file_then_flags(self, tmp_path) -> None:
        path = tmp_path / "p.json"
        path.write_text(json.dumps({"a": 1, "b": [2]}))
        given = gather(["a=5"], str(path))
        assert {k: v.value for k, v in given.items()} == {"a": 5, "b": [2]}

    @pytest.mark.parametrize(("content", "match"), [
        ("[1, 2]", r"must hold a JSON object .* not a list"),
        ('"text"', "not a string"),
        ("{'a': 1}", r"is not valid JSON: .* at line 1, column 2"),
    ])
    def test_params_file_errors(self, tmp_path, content: str, match: str) -> None:
        path = tmp_path / "p.json"
        path.write_text(content)
        with pytest.raises(CliError, match=match):
            gather([], str(path))

    def test_params_file_missing(self, tmp_path) -> None:
        with pytest.raises(CliError, match="cannot read --params-file"):
            gather([], str(tmp_path / "nope.json"))


class TestResolve:
    def test_unknown_and_missing_together(self) -> None:
        flow = flow_with(Parameter("a"), Parameter("b", default=1))
        values, problems = resolve(flow, {"zz": Given(1)})
        assert problems == [
            "flow 'f' has no parameter 'zz'; its parameters are: a, b",
            "flow 'f' needs a value for the required parameter 'a': pass -p a=VALUE",
        ]

    def test_supplied_elsewhere_is_not_missing(self) -> None:
        assert resolve(flow_with(Parameter("a")), {}, supplied={"a"})[1] == []

    @pytest.mark.parametrize(("default", "raw"), [
        (1, "[1, 2]"), (1, "abc"), (1.5, "true"), ([1], "3"), ({"a": 1}, "[1]"), (True, "1"),
    ])
    def test_wrong_kind(self, default: object, raw: str) -> None:
        name, given = parse_param(f"x={raw}")
        _, problems = resolve(flow_with(Parameter("x", default=default)), {name: given})
        assert len(problems) == 1 and problems[0].startswith("parameter 'x' takes ")

    def test_message(self) -> None:
        _, problems = resolve(flow_with(Parameter("n", default=10)), dict([parse_param("n=[1]")]))
        assert problems == ["parameter 'n' takes a number (like its default 10), got a list: [1]"]

    @pytest.mark.parametrize(("default", "raw", "value"), [
        (1, "2.5", 2.5), (1.0, "2", 2), ([1], "[]", []), ({"a": 1}, '{"b": 2}', {"b": 2}),
        (None, "[1]", [1]), (1, "null", None), ("x", "abc", "abc"),
    ])
    def test_right_kind(self, default: object, raw: str, value: object) -> None:
        name, given = parse_param(f"x={raw}")
        values, problems = resolve(flow_with(Parameter("x", default=default)), {name: given})
        assert problems == [] and values == {"x": value}

    def test_string_default_keeps_the_text(self) -> None:
        flow = flow_with(Parameter("name", default="Marvin"))
        values, problems = resolve(flow, dict([parse_param("name=123")]))
        assert problems == [] and values == {"name": "123"}

    def test_string_default_from_a_file_is_typed(self) -> None:
        flow = flow_with(Parameter("name", default="Marvin"))
        _, problems = resolve(flow, {"name": Given(123)})
        assert problems == ["parameter 'name' takes a string (like its default \"Marvin\"), "
                            "got a number: 123"]

    def test_required_without_default_takes_anything(self) -> None:
        values, problems = resolve(flow_with(Parameter("x")), dict([parse_param("x=[1]")]))
        assert problems == [] and values == {"x": [1]}

    def test_datetime_parameter(self) -> None:
        flow = flow_with(DateTimeParameter("when"))
        assert resolve(flow, dict([parse_param("when=2024-01-31T09:00:00")]))[1] == []
        assert "takes a date-time string" in resolve(flow, dict([parse_param("when=3")]))[1][0]
        assert resolve(flow, dict([parse_param("when=yesterday-ish")]))[1]


class TestTypedParameters:
    def test_cli_text_is_converted(self) -> None:
        flow = flow_with(Parameter("n", type=int), Parameter("ids", type=list[int]))
        values, problems = resolve(flow, dict([parse_param("n=7"), parse_param("ids=[1, \"2\"]")]))
        assert problems == [] and values == {"ids": [1, 2], "n": 7}

    def test_text_that_looks_like_json_stays_text_for_str(self) -> None:
        flow = flow_with(Parameter("zipcode", type=str))
        values, problems = resolve(flow, dict([parse_param("zipcode=01234")]))
        assert problems == [] and values == {"zipcode": "01234"}

    def test_misfit_names_parameter_type_and_value(self) -> None:
        flow = flow_with(Parameter("n", type=int))
        _, problems = resolve(flow, dict([parse_param("n=many")]))
        assert problems == ["parameter 'n' expects int: Input should be a valid integer, "
                            "got 'many'"]

    def test_params_file_values_are_converted(self, tmp_path) -> None:
        path = tmp_path / "params.json"
        path.write_text(json.dumps({"n": "5"}))
        values, problems = resolve(flow_with(Parameter("n", type=int)), gather((), str(path)))
        assert problems == [] and values == {"n": 5}
