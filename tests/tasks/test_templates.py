"""StringFormatter and JinjaTemplate: call arguments, upstream results and context values."""

from __future__ import annotations

import pytest

from prefectlite import Flow, Parameter, context, task
from prefectlite.tasks.templates import StringFormatter

jinja2 = pytest.importorskip("jinja2")
from prefectlite.tasks.templates import JinjaTemplate  # noqa: E402


@task
def count() -> int:
    return 7


@pytest.mark.parametrize("cls, template", [
    (StringFormatter, "{who} saw {n} in {flow_name}"),
    (JinjaTemplate, "{{ who }} saw {{ n }} in {{ flow_name }}"),
])
def test_renders_call_arguments_upstream_results_and_context(cls, template) -> None:
    with Flow("templates") as flow:
        who = Parameter("who")
        text = cls(template=template)(who=who, n=count())
    state = flow.run(parameters={"who": "Ann"})
    assert state.result[text].result == "Ann saw 7 in templates"


@pytest.mark.parametrize("cls, template", [
    (StringFormatter, "{x}"), (JinjaTemplate, "{{ x }}"),
])
def test_a_template_at_call_time_replaces_the_default(cls, template) -> None:
    renderer = cls(template="default")
    assert renderer.run(x=1) == "default"
    assert renderer.run(template=template, x=1) == "1"


@pytest.mark.parametrize("cls, template", [
    (StringFormatter, "{mood}"), (JinjaTemplate, "{{ mood }}"),
])
def test_keyword_arguments_win_over_context_keys(cls, template) -> None:
    with context(mood="grumpy"):
        assert cls(template=template).run() == "grumpy"
        assert cls(template=template).run(mood="happy") == "happy"


def test_no_template_renders_an_empty_string() -> None:
    assert StringFormatter().run() == ""
    assert JinjaTemplate().run() == ""


def test_string_formatter_names_a_missing_field() -> None:
    with pytest.raises(KeyError, match="field 'missing' of task 'fmt'.*pass missing="):
        StringFormatter(template="{missing}", name="fmt").run()


def test_jinja_undefined_variables_render_empty_and_logic_works() -> None:
    template = "{% if rows %}{{ rows | length }} rows{% else %}none{% endif %}{{ nothing }}"
    assert JinjaTemplate(template=template).run(rows=[1, 2]) == "2 rows"
    assert JinjaTemplate(template=template).run(rows=[]) == "none"
