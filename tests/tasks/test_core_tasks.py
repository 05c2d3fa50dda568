"""Tests for prefectlite.tasks.core: Constant, FunctionTask, collection and operator tasks."""

from __future__ import annotations

import importlib
import pickle
from datetime import timedelta
from typing import Any

import cloudpickle
import pytest

from prefectlite import Edge, Flow, Task, task, unmapped
from prefectlite.exceptions import TaskDefinitionError
from prefectlite.tasks.core import collections, operators
from prefectlite.tasks.core.constants import Constant
from prefectlite.tasks.core.function import FunctionTask


def double(x: int) -> int:
    """Twice ``x``."""
    return 2 * x


class TestConstant:
    def test_value_and_name(self) -> None:
        assert Constant(3).run() == 3
        assert Constant(3).name == "3"
        assert Constant("a").name == "'a'"
        assert Constant(list(range(100))).name == "Constant[list]"
        assert Constant(1, name="one").name == "one"

    def test_options_pass_through(self) -> None:
        assert Constant(1, tags=["t"]).tags == {"t"}

    def test_not_needed_for_plain_values(self) -> None:
        with Flow("f") as flow:
            t = task(double)(4)
        assert flow.tasks == {t} and flow.constants[t] == {"x": 4}


class TestFunctionTask:
    def test_wraps_the_function(self) -> None:
        t = FunctionTask(double)
        assert t.name == "double" and t.__doc__ == "Twice ``x``."
        assert t.run(2) == 4 and t.fn is double and t.__wrapped__ is double
        assert list(t.inputs()) == ["x"]

    def test_name_and_options(self) -> None:
        t = FunctionTask(double, name="twice", max_retries=1, retry_delay=timedelta(0))
        assert (t.name, t.max_retries) == ("twice", 1)

    def test_not_callable(self) -> None:
        with pytest.raises(TypeError, match=r"FunctionTask needs a callable, got 3"):
            FunctionTask(3)  # type: ignore[arg-type]

    def test_callable_object(self) -> None:
        class Doubler:
            def __call__(self, x: int) -> int:
                return 2 * x

        t = FunctionTask(Doubler(), name="doubler")
        assert t.run(3) == 6 and list(t.inputs()) == ["x"]

    def test_checks_the_signature(self) -> None:
        with pytest.raises(TaskDefinitionError, match=r"Task 'f': run\(\) uses the reserved"):
            FunctionTask(lambda flow: flow, name="f")

    def test_copies_keep_the_function(self) -> None:
        t = FunctionTask(double)
        with Flow("f"):
            c = t(1)
        assert c.run(5) == 10 and c.name == "double"

    @pytest.mark.parametrize("module", [pickle, cloudpickle], ids=["pickle", "cloudpickle"])
    def test_pickles(self, module: Any) -> None:
        t = FunctionTask(double)
        copy = module.loads(module.dumps(t))
        assert copy.run(4) == 8 and copy.name == "double"


class TestCollections:
    def test_runs(self) -> None:
        assert collections.List().run(arg_2="b", arg_1="a") == ["a", "b"]
        assert collections.Tuple().run(arg_1=1, arg_2=2) == (1, 2)
        assert collections.Set().run(arg_1=1, arg_2=1) == {1}
        assert collections.Dict().run(keys=["a", None], values=[1, 2]) == {"a": 1, None: 2}
        assert collections.List().run() == []

    def test_order_holds_past_nine_inputs(self) -> None:
        results = {f"arg_{i}": i for i in range(12, 0, -1)}
        assert collections.List().run(**results) == list(range(1, 13))

    def test_dict_refuses_keys_and_values_of_different_lengths(self) -> None:
        with pytest.raises(ValueError, match=r"A different number of keys and values were "
                           r"provided! \(1 keys: \['a'\]; 2 values\)"):
            collections.Dict().run(keys=["a"], values=[1, 2])

    @pytest.mark.parametrize(
        ("make", "cls"),
        [(lambda a, b: [a, b, 3], collections.List), (lambda a, b: (a, b, 3), collections.Tuple),
         (lambda a, b: {a, b, 3}, collections.Set)],
        ids=["list", "tuple", "set"],
    )
    def test_sequences_of_tasks(self, make: Any, cls: type) -> None:
        @task
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            a, b = Task(name="a")(), Task(name="b")()
            out = show(make(a, b))
        (edge,) = flow.edges_to(out)
        coll = edge.upstream_task
        assert type(coll) is cls and edge.key == "x" and coll.auto_generated
        keys = {e.key: e.upstream_task for e in flow.edges_to(coll)}
        assert set(keys.values()) == {a, b}
        (const_key,) = flow.constants[coll]
        assert set(keys) | {const_key} == {"arg_1", "arg_2", "arg_3"}
        assert flow.constants[coll][const_key] == 3
        if cls is not collections.Set:
            assert keys == {"arg_1": a, "arg_2": b}

    def test_dict_of_tasks(self) -> None:
        @task
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            k, v = Task(name="k")(), Task(name="v")()
            out = show({"plain": v, k: 1})
        (edge,) = flow.edges_to(out)
        d = edge.upstream_task
        assert type(d) is collections.Dict
        keys, values = (e.upstream_task for e in sorted(flow.edges_to(d), key=lambda e: e.key))
        assert type(keys) is collections.List and type(values) is collections.List
        assert flow.edges_to(keys) == {Edge(k, keys, key="arg_2")}
        assert flow.constants[keys] == {"arg_1": "plain"}
        assert flow.edges_to(values) == {Edge(v, values, key="arg_1")}
        assert flow.constants[values] == {"arg_2": 1}
        state = flow.run()
        assert state.result[out].result == {"plain": None, None: 1}  # Task() returns None

    def test_nested_collections(self) -> None:
        @task
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            a = Task(name="a")()
            out = show({"outer": [a, (a, 2)]})
        assert sorted(type(t).__name__ for t in flow.tasks) == [
            "Dict", "FunctionTask", "List", "List", "Task", "Tuple",
        ]
        (d,) = flow.get_tasks(task_type=collections.Dict)
        (tup,) = flow.get_tasks(task_type=collections.Tuple)
        assert flow.constants[d] == {"keys": ["outer"]}
        (values,) = flow.upstream_tasks(d)
        (inner,) = flow.upstream_tasks(values)
        assert flow.edges == {
            Edge(d, out, key="x"), Edge(values, d, key="values"), Edge(inner, values, key="arg_1"),
            Edge(a, inner, key="arg_1"), Edge(tup, inner, key="arg_2"), Edge(a, tup, key="arg_1"),
        }
        assert flow.constants[tup] == {"arg_2": 2}
        assert set(flow.slugs) == flow.tasks

    def test_markers_inside_collections(self) -> None:
        @task
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            a, b = Task(name="a")(), Task(name="b")()
            out = show.map([unmapped(a), b])
        (edge,) = flow.edges_to(out)
        lst = edge.upstream_task
        assert edge.mapped and type(lst) is collections.List
        assert flow.edges_to(lst) == {Edge(a, lst, key="arg_1"), Edge(b, lst, key="arg_2")}

    def test_bind_options(self) -> None:
        flow = Flow("f")
        a, up = Task(name="a"), Task(name="up")
        lst = collections.List().bind(a, 1, flow=flow, upstream_tasks=[up])
        assert flow.edges == {Edge(a, lst, key="arg_1"), Edge(up, lst)}
        d = collections.Dict().bind(keys=["x"], values=a, flow=flow)
        assert flow.edges_to(d) == {Edge(a, d, key="values")}
        assert flow.constants[d] == {"keys": ["x"]}

    def test_sequence_bind_takes_positional_inputs_only(self) -> None:
        with pytest.raises(TypeError, match=r"unexpected keyword argument 'x'"):
            collections.List().bind(x=1, flow=Flow("f"))  # type: ignore[call-arg]


class TestOperatorTasks:
    @pytest.mark.parametrize(
        ("cls", "x", "y", "expected"),
        [
            (operators.Add, 2, 3, 5), (operators.Sub, 2, 3, -1), (operators.Mul, 2, 3, 6),
            (operators.Div, 3, 2, 1.5), (operators.FloorDiv, 7, 2, 3), (operators.Mod, 7, 2, 1),
            (operators.Pow, 2, 5, 32), (operators.Equal, 1, 1, True),
            (operators.NotEqual, 1, 1, False), (operators.GreaterThan, 2, 1, True),
            (operators.GreaterThanOrEqual, 1, 1, True), (operators.LessThan, 2, 1, False),
            (operators.LessThanOrEqual, 2, 1, False), (operators.And, 1, 0, 0),
            (operators.Or, 0, "b", "b"),
        ],
    )
    def test_binary(self, cls: type, x: Any, y: Any, expected: Any) -> None:
        t = cls()
        assert t.run(x, y) == expected and t.run(x=x, y=y) == expected
        assert list(t.inputs()) == ["x", "y"]
        # importable by name (pickling by reference), and the same class at Prefect 1's path
        module = importlib.import_module(cls.__module__)
        assert getattr(module, cls.__qualname__) is cls
        assert getattr(operators, cls.__name__) is cls
        assert cls.__doc__

    def test_unary_and_getitem(self) -> None:
        assert operators.Not().run(x=[]) is True
        assert operators.GetItem().run(task_result=[1, 2], key=1) == 2

    def test_operator_tasks_pickle(self) -> None:
        t = pickle.loads(pickle.dumps(operators.Add()))
        assert type(t) is operators.Add and t.run(1, 2) == 3


class TestGetItemAndGetAttr:
    def test_defaults_replace_a_missing_key_or_attribute(self) -> None:
        import types

        obj = types.SimpleNamespace(a=types.SimpleNamespace(b=2))
        assert operators.GetAttr().run(obj, "a.b") == 2
        assert operators.GetAttr(default=0).run(obj, "a.c") == 0
        assert operators.GetAttr().run(obj, "zz", "given") == "given"
        assert operators.GetItem(default="none").run({"k": 1}, "j") == "none"
        with pytest.raises(AttributeError):
            operators.GetAttr().run(obj, "missing")
        with pytest.raises(KeyError):
            operators.GetItem().run({}, "missing")
        assert repr(operators.NoDefault.value) == "<no default>"

    def test_getattr_in_a_flow_with_a_task_as_the_name(self) -> None:
        import types

        @task
        def make() -> Any:
            return types.SimpleNamespace(size=3)

        @task
        def which() -> str:
            return "size"

        with Flow("f") as flow:
            size = operators.GetAttr()(make(), which())
        assert flow.run().result[size].result == 3

    def test_indexing_names_the_task_and_keeps_result_settings(self) -> None:
        with Flow("f"):
            data = Task(name="data", checkpoint=False)()
            key = Task(name="key")()
            by_value, by_task = data["k"], data[key]
        assert (by_value.name, by_task.name) == ("data['k']", "data[key]")
        assert by_value.checkpoint is False
