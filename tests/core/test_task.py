"""Tests for prefectlite.core.task: options, run() signatures, copy, call/bind/map, operators."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from prefectlite import Edge, Flow, Task, flatten, mapped, tags, task, triggers, unmapped
from prefectlite.core.task import RESERVED_ARGUMENTS
from prefectlite.engine.cache_validators import never_use
from prefectlite.exceptions import (
    DuplicateArgumentError,
    FlowContextError,
    TaskDefinitionError,
)
from prefectlite.tasks.core import operators
from prefectlite.tasks.core.constants import Constant


def add_fn(x: int, y: int = 1) -> int:
    return x + y


def state_of(flow: Flow) -> tuple[set, set, dict, list]:
    """Everything a failed change must leave as it was."""
    constants = {t: dict(v) for t, v in flow.constants.items()}
    return set(flow.tasks), set(flow.edges), constants, [flow.slugs[t] for t in flow.sorted_tasks()]


@pytest.fixture
def add() -> Task:
    return task(add_fn, name="add")


class TestOptions:
    def test_defaults(self) -> None:
        t = Task()
        assert t.name == "Task"
        assert t.slug is None
        assert set(t.tags) == set()
        assert (t.max_retries, t.retry_delay, t.timeout) == (0, None, None)
        assert t.trigger is triggers.all_successful
        assert t.skip_on_upstream_skip is True
        assert (t.cache_for, t.cache_validator, t.cache_key) == (None, never_use, None)
        assert (t.checkpoint, t.result, t.target) == (None, None, None)
        assert list(t.state_handlers) == [] and t.on_failure is None
        assert (t.log_stdout, t.nout, t.task_run_name) == (False, None, None)

    def test_instances_store_only_what_differs_from_the_defaults(self) -> None:
        assert set(Task().__dict__) == {"name"}
        t = Task(name="t", max_retries=2, retry_delay=timedelta(seconds=1))
        assert set(t.__dict__) == {"name", "max_retries", "retry_delay"}
        assert t.state_handlers == [] and "state_handlers" in t.__dict__  # made when asked
        t.state_handlers.append(print)
        assert t.state_handlers == [print]

    def test_options_are_stored(self) -> None:
        handler = lambda task, old, new: new  # noqa: E731
        t = Task(
            name="t", slug="t-slug", tags=["a", "b"], max_retries=3,
            retry_delay=timedelta(seconds=2), timeout=timedelta(minutes=1),
            trigger=triggers.all_finished, skip_on_upstream_skip=False,
            cache_for=timedelta(hours=1), cache_key="k", checkpoint=True,
            state_handlers=[handler], on_failure=print, log_stdout=True, target="out.txt",
            task_run_name="run-{x}", nout=2,
        )
        assert (t.name, t.slug, t.tags) == ("t", "t-slug", {"a", "b"})
        assert (t.max_retries, t.retry_delay) == (3, timedelta(seconds=2))
        assert t.timeout == 60
        assert t.trigger is triggers.all_finished
        assert t.skip_on_upstream_skip is False
        assert (t.cache_for, t.cache_key, t.checkpoint) == (timedelta(hours=1), "k", True)
        assert t.state_handlers[0] is handler and len(t.state_handlers) == 2  # + on_failure
        assert (t.log_stdout, t.target, t.task_run_name, t.nout) == (True, "out.txt", "run-{x}", 2)

    def test_repr_hash_and_logger(self) -> None:
        a, b = Task(name="same"), Task(name="same")
        assert repr(a) == "<Task: same>"
        assert a != b and len({a, b}) == 2  # compared by identity
        assert a.logger.name == "prefectlite.same"
        assert isinstance(a.logger, logging.Logger)

    def test_tags_from_enclosing_tags_blocks(self) -> None:
        with tags("outer"), tags("inner"):
            t = Task(tags=["own"])
        assert t.tags == {"outer", "inner", "own"}

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"max_retries": 2}, r"timedelta `retry_delay` must be provided.*Task 't'"),
            ({"retry_delay": timedelta(seconds=1)},
             r"`max_retries` argument greater than 0 must be provided.*Task 't'"),
            ({"retry_on": KeyError}, r"`max_retries` must be provided if `retry_on` is set"),
            ({"max_retries": -1}, r"max_retries=-1 must be an int >= 0"),
            ({"max_retries": 1, "retry_delay": 5}, r"retry_delay=5 must be a datetime.timedelta"),
            ({"trigger": "all_successful"}, r"trigger='all_successful' is not callable.*triggers"),
            ({"timeout": -1}, r"timeout=-1 is not a positive number of seconds"),
            ({"timeout": 0}, r"timeout=0 is not a positive"),
            ({"timeout": "10"}, r"timeout='10' is not a positive"),
            ({"timeout": True}, r"timeout=True is not a positive"),
            ({"timeout": timedelta(0)}, r"timeout=0 is not a positive"),
            ({"nout": -1}, r"nout=-1 must be an integer >= 0"),
            ({"nout": True}, r"nout=True must be an integer >= 0"),
            ({"nout": 1.5}, r"nout=1.5 must be an integer >= 0"),
            ({"cache_for": 10}, r"cache_for=10 must be a timedelta"),
            ({"cache_validator": "x"}, r"cache_validator='x' is not callable"),
        ],
    )
    def test_bad_options(self, kwargs: dict[str, Any], match: str) -> None:
        with pytest.raises(TaskDefinitionError, match=match):
            Task(name="t", **kwargs)

    def test_bad_options_are_value_errors_like_in_prefect(self) -> None:
        with pytest.raises(ValueError, match="`retry_delay` must be provided"):
            Task(max_retries=1)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"tags": "nightly"}, r"Task 't': tags must be a collection of strings, not one"),
            ({"state_handlers": print}, r"state_handlers must be a list of callables"),
            ({"state_handlers": "abc"}, r"state_handlers must be a list of callables"),
            ({"state_handlers": [print, 3]}, r"state handler 3 is not callable"),
            ({"on_failure": 3}, r"on_failure=3 is not callable"),
        ],
    )
    def test_bad_option_types(self, kwargs: dict[str, Any], match: str) -> None:
        with pytest.raises(TypeError, match=match):
            Task(name="t", **kwargs)

    def test_timeout_is_whole_seconds_as_in_prefect_1(self) -> None:
        assert Task(timeout=timedelta(seconds=2)).timeout == 2
        assert Task(timeout=3).timeout == 3
        with pytest.warns(UserWarning, match="sub-second resolution.*timeout_seconds"):
            assert Task(name="t", timeout=timedelta(seconds=1.5)).timeout == 1
        with pytest.raises(TypeError, match=r"Only integer timeouts \(representing seconds\) "
                           r"are supported \(Task 't': timeout=0.5"):
            Task(name="t", timeout=0.5)

    def test_timeout_seconds_takes_fractions(self) -> None:
        assert task(lambda: None, timeout_seconds=0.25).timeout == 0.25
        with pytest.raises(TaskDefinitionError, match=r"timeout=-1 is not a positive"):
            task(lambda: None, timeout_seconds=-1)


class TestRunSignature:
    @pytest.mark.parametrize("name", RESERVED_ARGUMENTS)
    def test_reserved_names_in_a_subclass(self, name: str) -> None:
        with pytest.raises(TaskDefinitionError, match=rf"Task Bad: run\(\) uses the reserved "
                           rf"argument name\(s\) {name}.*Rename them"):
            type("Bad", (Task,), {"run": eval(f"lambda self, {name}: None")})

    @pytest.mark.parametrize("name", RESERVED_ARGUMENTS)
    def test_reserved_names_in_a_function(self, name: str) -> None:
        fn = eval(f"lambda x, {name}=None: x")
        with pytest.raises(TaskDefinitionError, match=rf"reserved argument name\(s\) {name}"):
            task(fn)

    def test_star_args(self) -> None:
        with pytest.raises(TaskDefinitionError, match=r"run\(\) takes \*args.*\*\*kwargs"):

            class Bad(Task):
                def run(self, *args: Any) -> None:
                    pass

        with pytest.raises(TaskDefinitionError, match=r"Task 'f': run\(\) takes \*args"):

            @task
            def f(*numbers: int) -> None:
                pass

    def test_star_star_kwargs_is_fine(self) -> None:
        @task
        def f(x: int, **rest: Any) -> None:
            pass

        assert f.inputs() == {
            "x": {"required": True, "type": "int", "default": None},
            "rest": {"required": True, "type": "Any", "default": None},  # as in Prefect 1
        }

    def test_uninspectable_function(self) -> None:
        with pytest.raises(TaskDefinitionError,
                           match=r"This function can not be inspected.*Wrap it"):
            task(max)

    def test_inputs_and_outputs(self) -> None:
        # This module uses postponed annotations, so compile the class without them.
        namespace: dict[str, Any] = {"Task": Task}
        source = (
            "class AddTask(Task):\n"
            "    def run(self, x: int, y: int | None = None) -> int:\n"
            "        return x + (y or 0)\n"
        )
        exec(compile(source, "<test>", "exec", dont_inherit=True), namespace)
        t = namespace["AddTask"]()
        assert t.inputs() == {
            "x": {"required": True, "type": int, "default": None},
            "y": {"required": False, "type": int | None, "default": None},
        }
        assert t.outputs() is int
        assert Task().inputs() == {}
        assert task(lambda a: a).outputs() is Any

    def test_postponed_annotations_come_back_as_written(self) -> None:
        @task
        def f(x: int) -> str:
            return str(x)

        assert f.inputs() == {"x": {"required": True, "type": "int", "default": None}}
        assert f.outputs() == "str"

    def test_signature_is_inherited(self) -> None:
        class Base(Task):
            def run(self, x: int) -> int:
                return x

        class Child(Base):
            pass

        assert list(Child().inputs()) == ["x"]


class TestCopy:
    def test_copy_is_an_unbound_twin(self, add: Task) -> None:
        with Flow("f"):
            bound = add(1)
        new = bound.copy()
        assert new is not bound and type(new) is type(bound)
        assert new.name == "add" and new.slug is None and new.run is bound.run
        with Flow("g") as g:  # not "built in f": can be bound elsewhere
            new.bind(x=2)
        assert new in g.tasks

    def test_copy_keeps_an_explicit_slug_out(self) -> None:
        assert Task(slug="s").copy().slug is None

    def test_copy_with_task_args(self, add: Task) -> None:
        new = add.copy(name="plus", max_retries=2, tags=["x"])
        assert (new.name, new.max_retries, new.tags) == ("plus", 2, {"x"})
        assert (add.name, add.max_retries, set(add.tags)) == ("add", 0, set())

    def test_copy_adds_tags_to_the_originals(self) -> None:
        t = Task(tags=["a"])
        with tags("ctx"):
            new = t.copy(tags=["b"])
        assert new.tags == {"a", "b", "ctx"} and t.tags == {"a"}

    def test_copy_rejects_unknown_attributes(self, add: Task) -> None:
        with pytest.raises(AttributeError,
                           match=r"<Task: add> does not have colour as an attribute"):
            add.copy(colour="red")

    def test_copy_inside_tags_block(self, add: Task) -> None:
        with tags("etl"):
            new = add.copy()
        assert new.tags == {"etl"} and set(add.tags) == set()


class TestCallAndBind:
    def test_call_copies_and_records_constants(self, add: Task) -> None:
        with Flow("f") as flow:
            result = add(1, y=2)
        assert result is not add and add not in flow.tasks
        assert flow.tasks == {result}
        assert flow.constants == {result: {"x": 1, "y": 2}}
        assert flow.edges == set()

    def test_two_calls_are_two_nodes(self, add: Task) -> None:
        with Flow("f") as flow:
            a, b = add(1), add(2)
        assert a is not b and flow.tasks == {a, b}
        assert [flow.slugs[a], flow.slugs[b]] == ["add-1", "add-2"]
        assert a.slug is None  # generated slugs belong to the flow

    def test_task_arguments_become_keyed_edges(self, add: Task) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = add(a, y=a)
        assert flow.edges == {Edge(a, b, key="x"), Edge(a, b, key="y")}
        assert b not in flow.constants

    def test_call_with_task_args(self, add: Task) -> None:
        with Flow("f") as flow:
            t = add(1, task_args={"name": "plus", "tags": ["m"]})
        assert (t.name, t.tags, flow.slugs[t]) == ("plus", {"m"}, "plus-m-1")

    def test_bind_does_not_copy(self, add: Task) -> None:
        with Flow("f") as flow:
            assert add.bind(1, y=2) is add
        assert flow.tasks == {add} and flow.constants[add] == {"x": 1, "y": 2}

    def test_flow_keyword_outside_a_context(self, add: Task) -> None:
        flow = Flow("f")
        t = add(1, flow=flow)
        assert flow.tasks == {t}

    def test_upstream_tasks_add_state_only_edges(self, add: Task) -> None:
        with Flow("f") as flow:
            a, b = Task(name="a")(), Task(name="b")()
            c = add(1, upstream_tasks=[a, b])
        assert flow.edges == {Edge(a, c), Edge(b, c)}

    def test_kwargs_are_flattened_into_keys(self) -> None:
        @task
        def f(a: int, **rest: Any) -> None:
            pass

        with Flow("f") as flow:
            up = Task(name="up")()
            t = f(1, b=up, c=2)
        assert flow.constants[t] == {"a": 1, "c": 2}
        assert flow.edges == {Edge(up, t, key="b")}

    @pytest.mark.parametrize("verb", ["call", "bind", "map", "getitem"])
    def test_outside_a_flow(self, add: Task, verb: str) -> None:
        actions = {
            "call": lambda: add(1), "bind": lambda: add.bind(1), "map": lambda: add.map([1]),
            "getitem": lambda: add[0],
        }
        with pytest.raises(FlowContextError, match=r"(?s)Could not infer an active Flow context "
                           r"while creating edge to <Task: .*`with Flow\(\.\.\.\)` block.*@flow.*"
                           r"you need to call `(add|GetItem\(\.\.\.\))\.run\(\.\.\.\)`$"):
            actions[verb]()

    def test_subclass_outside_a_flow_names_the_class(self) -> None:
        class Double(Task):
            def run(self, x: int) -> int:
                return 2 * x

        with pytest.raises(FlowContextError, match=r"you need to call `Double\(\.\.\.\)\.run"):
            Double()(1)

    def test_set_upstream_outside_a_flow(self, add: Task) -> None:
        with pytest.raises(FlowContextError, match=r"No Flow was passed, and could not infer an "
                           r"active Flow context \(<Task: add>\.set_upstream\(\)"):
            add.set_upstream(Task())

    def test_outside_a_flow_is_a_value_error(self, add: Task) -> None:
        with pytest.raises(ValueError, match=r"add\.run\("):
            add(1)

    def test_unexpected_keyword(self, add: Task) -> None:
        with Flow("f") as flow:
            add(1)
            before = state_of(flow)
            with pytest.raises(TypeError, match=r"<Task: add>: got an unexpected keyword "
                               r"argument 'z' \(run\(x: 'int', y: 'int' = 1\)"):
                add(1, z=3)
        assert state_of(flow) == before

    def test_missing_required_argument(self, add: Task) -> None:
        with Flow("f") as flow, pytest.raises(
            TypeError, match=r"<Task: add>: missing a required argument: 'x'"
        ):
            add(y=3)
        assert len(flow) == 0

    def test_too_many_positional_arguments(self, add: Task) -> None:
        with Flow("f"), pytest.raises(TypeError, match=r"<Task: add>: too many positional"):
            add(1, 2, 3)

    def test_binding_an_argument_twice(self, add: Task) -> None:
        with Flow("f") as flow:
            add.bind(1)
            before = state_of(flow)
            with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add> '
                               r"has already been assigned in this flow \('f'\).*call "
                               r"Task\.copy\(\) before"):
                add.bind(x=2, y=5)
        assert state_of(flow) == before  # y=5 was not kept either

    def test_binding_an_argument_twice_through_an_edge(self, add: Task) -> None:
        with Flow("f") as flow:
            up = Task(name="up")()
            add.bind(x=up)
            with pytest.raises(DuplicateArgumentError, match=r'Argument "x" for task <Task: add>'):
                add.bind(x=up)
        assert flow.edges == {Edge(up, add, key="x")}

    def test_a_task_bound_in_one_flow_can_be_used_in_another(self, add: Task) -> None:
        two = task(lambda: 2, name="two")
        with Flow("first") as first:
            a = two()
        with Flow("second") as second:
            b = add(a, y=10)
            Task(name="t")(upstream_tasks=[a])
        assert a in second.tasks and first.tasks == {a}
        assert second.run().result[b].result == 12

    def test_binding_one_task_in_two_flows(self, add: Task) -> None:
        with Flow("first") as first:
            add.bind(1, 2)
        with Flow("second") as second:
            add.bind(10, 20)
        assert first.constants[add] == {"x": 1, "y": 2}
        assert second.constants[add] == {"x": 10, "y": 20}
        assert first.run().result[add].result == 3
        assert second.run().result[add].result == 30

    def test_an_unbound_task_can_join_several_flows(self) -> None:
        shared = Task(name="shared")
        with Flow("a") as fa:
            x = task(add_fn)(shared)
        with Flow("b") as fb:
            y = task(add_fn)(shared)
        assert shared in fa.tasks and shared in fb.tasks
        assert fa.edges == {Edge(shared, x, key="x")} and fb.edges == {Edge(shared, y, key="x")}

    def test_pipe(self, add: Task) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = a.pipe(add, y=10)
        assert flow.edges == {Edge(a, b, key="x")} and flow.constants[b] == {"y": 10}


class TestMap:
    def test_map_over_a_literal_and_an_unmapped_value(self, add: Task) -> None:
        with Flow("f") as flow:
            m = add.map([1, 2, 3], y=unmapped(10))
        (edge,) = flow.edges
        assert (edge.downstream_task, edge.key, edge.mapped) == (m, "x", True)
        assert isinstance(edge.upstream_task, Constant)
        assert edge.upstream_task.value == [1, 2, 3]
        assert flow.constants[m] == {"y": 10}
        assert m is not add

    def test_map_over_tasks(self, add: Task) -> None:
        with Flow("f") as flow:
            xs, ys, z = Task(name="xs")(), Task(name="ys")(), Task(name="z")()
            m = add.map(xs, y=ys, upstream_tasks=[z])
        assert flow.edges == {
            Edge(xs, m, key="x", mapped=True), Edge(ys, m, key="y", mapped=True),
            Edge(z, m, mapped=True),
        }

    def test_unmapped_task_and_unmapped_upstream(self, add: Task) -> None:
        with Flow("f") as flow:
            xs, y, z = Task(name="xs")(), Task(name="y")(), Task(name="z")()
            m = add.map(xs, y=unmapped(y), upstream_tasks=[unmapped(z)])
        assert flow.edges == {
            Edge(xs, m, key="x", mapped=True), Edge(y, m, key="y"), Edge(z, m),
        }

    def test_flatten(self, add: Task) -> None:
        with Flow("f") as flow:
            nested = Task(name="nested")()
            m = add.map(flatten(nested))
            plain = add(flatten(nested))
        assert Edge(nested, m, key="x", mapped=True, flattened=True) in flow.edges
        assert Edge(nested, plain, key="x", flattened=True) in flow.edges

    def test_mapped_marker_in_a_plain_call(self, add: Task) -> None:
        with Flow("f") as flow:
            xs, y = Task(name="xs")(), Task(name="y")()
            t = add(mapped(xs), y=y)
        assert flow.edges == {Edge(xs, t, key="x", mapped=True), Edge(y, t, key="y")}

    def test_markers_nest_and_the_inner_one_wins(self, add: Task) -> None:
        with Flow("f") as flow:
            xs, y = Task(name="xs")(), Task(name="y")()
            m = add.map(unmapped(mapped(xs)), y=mapped(unmapped(flatten(y))))
        assert flow.edges == {
            Edge(xs, m, key="x", mapped=True), Edge(y, m, key="y", flattened=True),
        }

    def test_mapped_flag_of_bind(self, add: Task) -> None:
        with Flow("f") as flow:
            xs = Task(name="xs")()
            add.bind(xs, y=unmapped(xs), mapped=True)
        assert flow.edges == {Edge(xs, add, key="x", mapped=True), Edge(xs, add, key="y")}

    def test_map_with_task_args(self, add: Task) -> None:
        with Flow("f"):
            m = add.map([1, 2], task_args={"name": "many"})
        assert m.name == "many"


class TestImperative:
    def test_set_upstream_and_downstream(self, add: Task) -> None:
        a, b, c, d = (task(add_fn, name=n) for n in "abcd")
        flow = Flow("f")
        b.set_upstream(a, flow=flow)
        b.set_upstream(c, flow=flow, key="x")
        b.set_downstream(d, flow=flow, key="y", mapped=True)
        a.set_downstream(d, flow=flow)
        assert flow.edges == {
            Edge(a, b), Edge(c, b, key="x"), Edge(b, d, key="y", mapped=True), Edge(a, d),
        }

    def test_set_upstream_mapped(self) -> None:
        a, b = Task(name="a"), task(add_fn, name="b")
        with Flow("f") as flow:
            b.set_upstream(a, key="x", mapped=True)
        assert flow.edges == {Edge(a, b, key="x", mapped=True)}

    def test_set_dependencies(self) -> None:
        a, b, c, t = Task(name="a"), Task(name="b"), Task(name="c"), task(add_fn, name="t")
        flow = Flow("f")
        t.set_dependencies(flow=flow, upstream_tasks=[a], downstream_tasks=[b],
                           keyword_tasks={"x": c, "y": 3})
        assert flow.edges == {Edge(a, t), Edge(t, b), Edge(c, t, key="x")}
        assert flow.constants[t] == {"y": 3}

    def test_set_dependencies_mapped(self) -> None:
        a, c, t = Task(name="a"), Task(name="c"), task(add_fn, name="t")
        with Flow("f") as flow:
            t.set_dependencies(upstream_tasks=[a], keyword_tasks={"x": c}, mapped=True)
        assert flow.edges == {Edge(a, t, mapped=True), Edge(c, t, key="x", mapped=True)}

    def test_set_upstream_with_a_bad_key(self) -> None:
        a, t = Task(name="a"), task(add_fn, name="t")
        flow = Flow("f")
        with pytest.raises(TypeError, match=r"<Task: t> has no argument 'z'; its run\(\) takes "
                           r"x, y"):
            t.set_upstream(a, flow=flow, key="z")
        assert len(flow) == 0


class TestOperators:
    BINARY = [
        (lambda a, b: a + b, operators.Add), (lambda a, b: a - b, operators.Sub),
        (lambda a, b: a * b, operators.Mul), (lambda a, b: a / b, operators.Div),
        (lambda a, b: a // b, operators.FloorDiv), (lambda a, b: a % b, operators.Mod),
        (lambda a, b: a**b, operators.Pow), (lambda a, b: a & b, operators.And),
        (lambda a, b: a < b, operators.LessThan),
        (lambda a, b: a <= b, operators.LessThanOrEqual),
        (lambda a, b: a > b, operators.GreaterThan),
        (lambda a, b: a >= b, operators.GreaterThanOrEqual),
        (lambda a, b: a.is_equal(b), operators.Equal),
        (lambda a, b: a.is_not_equal(b), operators.NotEqual),
        (lambda a, b: a.or_(b), operators.Or), (lambda a, b: a.and_(b), operators.And),
    ]
    IDS = ["+", "-", "*", "/", "//", "%", "**", "&", "<", "<=", ">", ">=", "is_equal",
           "is_not_equal", "or_", "and_"]

    @pytest.mark.parametrize(("expr", "cls"), BINARY, ids=IDS)
    def test_two_tasks(self, expr: Any, cls: type) -> None:
        with Flow("f") as flow:
            a, b = Task(name="a")(), Task(name="b")()
            out = expr(a, b)
        assert type(out) is cls
        assert flow.edges == {Edge(a, out, key="x"), Edge(b, out, key="y")}
        assert out not in flow.constants

    @pytest.mark.parametrize(("expr", "cls"), BINARY, ids=IDS)
    def test_task_and_constant(self, expr: Any, cls: type) -> None:
        with Flow("f") as flow:
            a = Task(name="a")()
            out = expr(a, 2)
        assert type(out) is cls
        assert flow.edges == {Edge(a, out, key="x")}
        assert flow.constants[out] == {"y": 2}

    REFLECTED = [
        (lambda a: 2 + a, operators.Add), (lambda a: 2 - a, operators.Sub),
        (lambda a: 2 * a, operators.Mul), (lambda a: 2 / a, operators.Div),
        (lambda a: 2 // a, operators.FloorDiv), (lambda a: 2 % a, operators.Mod),
        (lambda a: 2**a, operators.Pow), (lambda a: 2 & a, operators.And),
    ]

    @pytest.mark.parametrize(("expr", "cls"), REFLECTED, ids=IDS[:8])
    def test_reflected(self, expr: Any, cls: type) -> None:
        with Flow("f") as flow:
            a = Task(name="a")()
            out = expr(a)
        assert type(out) is cls
        assert flow.edges == {Edge(a, out, key="y")}
        assert flow.constants[out] == {"x": 2}

    def test_reflected_comparison_swaps_the_operator(self) -> None:
        with Flow("f") as flow:
            a = Task(name="a")()
            out = 2 < a  # noqa: SIM300 - Python asks a.__gt__(2)
        assert type(out) is operators.GreaterThan
        assert flow.edges == {Edge(a, out, key="x")} and flow.constants[out] == {"y": 2}

    def test_not(self) -> None:
        with Flow("f") as flow:
            a = Task(name="a")()
            out = a.not_()
        assert type(out) is operators.Not and flow.edges == {Edge(a, out, key="x")}

    def test_getitem(self) -> None:
        with Flow("f") as flow:
            a, k = Task(name="a")(), Task(name="k")()
            by_value, by_task = a["key"], a[k]
        assert type(by_value) is operators.GetItem
        assert flow.constants[by_value] == {"key": "key"}
        assert Edge(a, by_value, key="task_result") in flow.edges
        assert {Edge(a, by_task, key="task_result"), Edge(k, by_task, key="key")} <= flow.edges

    def test_double_equals_compares_identity_and_builds_nothing(self) -> None:
        with Flow("f") as flow:
            a, b = Task(name="a")(), Task(name="b")()
            assert (a == b) is False and (a == a) is True and (a != b) is True
        assert len(flow) == 2

    def test_operator_results_chain(self, add: Task) -> None:
        with Flow("f") as flow:
            a = add(1)
            out = (a + 1) * 2
        assert [type(t).__name__ for t in flow.sorted_tasks()] == ["FunctionTask", "Add", "Mul"]
        assert flow.terminal_tasks() == {out}

    def test_operator_runs(self) -> None:
        assert operators.Add().run(2, 3) == 5
        assert operators.Pow().run(2, 3) == 8
        assert operators.GetItem().run({"a": 1}, "a") == 1
        assert operators.And().run(1, 0) == 0 and operators.Or().run(0, 2) == 2
        assert operators.Not().run(0) is True
        assert operators.LessThanOrEqual().run(1, 1) is True
        assert operators.NotEqual().run(1, 2) is True


class TestNout:
    def test_unpacking(self) -> None:
        @task(nout=2)
        def pair() -> tuple[int, int]:
            return 1, 2

        with Flow("f") as flow:
            p = pair()
            first, second = p
        assert type(first) is operators.GetItem and type(second) is operators.GetItem
        assert flow.constants[first] == {"key": 0} and flow.constants[second] == {"key": 1}
        assert flow.edges == {Edge(p, first, key="task_result"),
                              Edge(p, second, key="task_result")}

    def test_nout_survives_the_copy_made_by_a_call(self) -> None:
        t = Task(nout=3)
        with Flow("f"):
            assert len(list(t())) == 3

    def test_iterating_without_nout(self, add: Task) -> None:
        with Flow("f") as flow:
            a = add(1)
            with pytest.raises(TypeError, match=r"Task is not iterable.*pass `nout`.*`Tuple` "
                               r"return-type annotation.*<Task: add>"):
                x, y = a
        assert flow.tasks == {a}


class TestMethodsAsTasks:
    def test_a_task_from_an_unbound_method_takes_the_instance_as_input(self, tmp_path: Any,
                                                                      ) -> None:
        from prefectlite.engine.results import LocalResult

        class Counter:
            def __init__(self) -> None:
                self.count = 0

            def increment(self) -> int:
                self.count += 1
                return self.count

        bump = task(Counter.increment, target="{task_name}", result=LocalResult(dir=tmp_path))
        counter = Counter()
        with Flow("f") as flow:
            out = bump(counter)  # an input named `self` reaches the target's formatting
        assert flow.run().result[out].result == 1

    def test_a_task_kept_on_a_class_is_not_bound_to_instances(self) -> None:
        class Holder:
            double = task(lambda x: 2 * x)

        assert Holder().double is Holder.double
        with Flow("f"):
            assert Holder().double(x=1).inputs()["x"]["required"] is True


class TestPrefectOneOptions:
    def test_retry_on(self) -> None:
        t = Task(retry_on=KeyError, max_retries=1, retry_delay=timedelta(0))
        assert t.retry_on == {KeyError}
        both = Task(retry_on=[KeyError, OSError], max_retries=1, retry_delay=timedelta(0))
        assert both.retry_on == {KeyError, OSError} and Task().retry_on is None
        with pytest.raises(TypeError, match=r"Expected an exception type but got an instance "
                           r"of str"):
            Task(retry_on=["KeyError"], max_retries=1, retry_delay=timedelta(0))
        with pytest.raises(TypeError, match=r"Expected an exception subclass"):
            Task(retry_on=int, max_retries=1, retry_delay=timedelta(0))

    def test_retry_on_decides_which_failures_are_retried(self) -> None:
        calls: list[str] = []

        @task(retry_on=KeyError, max_retries=2, retry_delay=timedelta(0))
        def flaky(kind: str) -> None:
            calls.append(kind)
            raise KeyError(kind) if kind == "key" else OSError(kind)

        with Flow("f") as flow:
            key, other = flaky("key"), flaky("os")
        state = flow.run()
        assert state.result[key].is_failed() and state.result[other].is_failed()
        assert calls.count("key") == 3 and calls.count("os") == 1

    @pytest.mark.parametrize(
        ("annotation", "nout"),
        [("tuple[int, str]", 2), ("Tuple[int, int, int]", 3), ("Tuple[()]", 0),
         ("tuple[int, ...]", None), ("tuple", None), ("list[int]", None)],
    )
    def test_nout_from_the_return_annotation(self, annotation: str, nout: int | None) -> None:
        namespace: dict[str, Any] = {}
        exec(f"from typing import Tuple\ndef f() -> {annotation}: ...", namespace)
        assert task(namespace["f"]).nout == nout  # (postponed annotations in this module)
        assert task(namespace["f"], nout=5).nout == 5

    def test_mapping_forgets_nout(self) -> None:
        pair = task(lambda x: (x, x), nout=2)
        with Flow("f"), pytest.raises(TypeError, match="Task is not iterable"):
            a, b = pair.map([1, 2])

    def test_map_refuses_an_unsubscriptable_argument(self) -> None:
        identity = task(lambda x: x)
        with Flow("f"), pytest.raises(TypeError, match=r"Cannot map over unsubscriptable "
                                      r"object of type <class 'int'>"):
            identity.map(5)

    def test_cache_validator_defaults_and_warning(self) -> None:
        from prefectlite.engine.cache_validators import all_inputs, duration_only

        assert Task(cache_for=timedelta(1)).cache_validator is duration_only
        with pytest.warns(UserWarning, match="this Task will not be cached"):
            Task(cache_validator=all_inputs)

    def test_on_failure_is_a_state_handler(self) -> None:
        seen: list[str] = []
        failing = task(lambda: 1 / 0, name="failing",
                       on_failure=lambda t, s: seen.append(type(s).__name__))
        assert len(failing.state_handlers) == 1
        with Flow("f") as flow:
            failing()
        flow.run()
        assert seen == ["Failed"]

    def test_call_signature(self) -> None:
        import inspect

        sig = inspect.signature(task(add_fn))
        assert list(sig.parameters) == ["x", "y", "mapped", "task_args", "upstream_tasks",
                                        "flow"]
        assert sig.return_annotation == "Task"
        assert "name" in inspect.signature(Task).parameters

    def test_chaining_dependencies(self) -> None:
        with Flow("f") as flow:
            a, b, c = Task(name="a")(), Task(name="b")(), Task(name="c")()
            assert a.set_downstream(b) is a and c.set_upstream(b) is c
            assert (a | b | c) is c
        assert flow.edges == {Edge(a, b), Edge(b, c)}

    def test_helpful_warnings(self) -> None:
        class Scaled(Task):
            def __init__(self, factor: Any, **kwargs: Any) -> None:
                self.factor = factor
                super().__init__(**kwargs)

        class Shadowing(Task):
            def __init__(self) -> None:
                self.target = "mine"
                super().__init__()

        with Flow("f") as flow:
            up = Task()()
            with pytest.warns(UserWarning, match="A Task was passed as an argument to Scaled"):
                flow.add_task(Scaled(up))
            with pytest.warns(UserWarning, match="`Shadowing` sets a `target` attribute"):
                flow.add_task(Shadowing())
            up.set_downstream(Task())
            with pytest.warns(UserWarning, match="You are making a copy of a task that has "
                              "dependencies"):
                flow.add_task(up.copy())

    def test_target_sets_the_location_of_a_copied_result(self, tmp_path: Any) -> None:
        from prefectlite.engine.results import LocalResult

        t = Task(target="out.bin", result=LocalResult(dir=tmp_path))
        assert t.result.location == "out.bin"
        copied = Task().copy(target="other.bin", result=LocalResult(dir=tmp_path))
        assert copied.result.location == "other.bin"


def test_prefect1_paths_name_the_graph_models_tasks() -> None:
    """Constant, the collection and operator tasks and as_task live in core/; Prefect 1's
    paths name the same objects."""
    from prefectlite.core import operators as core_operators
    from prefectlite.core import values
    from prefectlite.tasks.core import collections, constants
    from prefectlite.tasks.core import operators as task_operators
    from prefectlite.utilities import tasks as utilities_tasks

    assert constants.Constant is values.Constant
    assert (collections.List, collections.Dict) == (values.List, values.Dict)
    assert task_operators.GetItem is core_operators.GetItem
    assert utilities_tasks.as_task is values.as_task
    assert task_operators.GetItem(default=0).run({"a": 1}, "b") == 0
    assert task_operators.GetItem(default=0).run({"a": 1}, "b", default=None) is None

