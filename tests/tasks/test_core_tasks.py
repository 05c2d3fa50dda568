"""Tests for prefectlite.tasks.core: Constant, FunctionTask, collection and operator tasks."""

from __future__ import annotations

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
        assert collections.List().run(arg_1="b", arg_0="a") == ["a", "b"]
        assert collections.Tuple().run(arg_0=1, arg_1=2) == (1, 2)
        assert collections.Set().run(arg_0=1, arg_1=1) == {1}
        assert collections.Dict().run(key_0="a", value_0=1, key_1="b", value_1=2) == {
            "a": 1, "b": 2,
        }
        assert collections.List().run() == []

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
        assert type(coll) is cls and edge.key == "x"
        keys = {e.key: e.upstream_task for e in flow.edges_to(coll)}
        assert set(keys.values()) == {a, b}
        (const_key,) = flow.constants[coll]
        assert set(keys) | {const_key} == {"arg_0", "arg_1", "arg_2"}
        assert flow.constants[coll][const_key] == 3
        if cls is not collections.Set:
            assert keys == {"arg_0": a, "arg_1": b}

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
        assert flow.edges_to(d) == {Edge(v, d, key="value_0"), Edge(k, d, key="key_1")}
        assert flow.constants[d] == {"key_0": "plain", "value_1": 1}
        assert d.run(**flow.constants[d], value_0="V", key_1="K") == {"plain": "V", "K": 1}

    def test_nested_collections(self) -> None:
        @task
        def show(x: Any) -> Any:
            return x

        with Flow("f") as flow:
            a = Task(name="a")()
            out = show({"outer": [a, (a, 2)]})
        assert [type(t).__name__ for t in flow.sorted_tasks()] == [
            "Task", "Tuple", "List", "Dict", "FunctionTask",
        ]
        (d,) = flow.get_tasks(task_type=collections.Dict)
        (lst,) = flow.get_tasks(task_type=collections.List)
        (tup,) = flow.get_tasks(task_type=collections.Tuple)
        assert flow.edges == {
            Edge(d, out, key="x"), Edge(lst, d, key="value_0"),
            Edge(a, lst, key="arg_0"), Edge(tup, lst, key="arg_1"), Edge(a, tup, key="arg_0"),
        }
        assert flow.constants[tup] == {"arg_1": 2}
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
        assert flow.edges_to(lst) == {Edge(a, lst, key="arg_0"), Edge(b, lst, key="arg_1")}

    def test_bind_options(self) -> None:
        flow = Flow("f")
        a, up = Task(name="a"), Task(name="up")
        lst = collections.List().bind(a, 1, flow=flow, upstream_tasks=[up])
        assert flow.edges == {Edge(a, lst, key="arg_0"), Edge(up, lst)}
        d = collections.Dict().bind(x=a, flow=flow)
        assert flow.edges_to(d) == {Edge(a, d, key="value_0")}
        assert flow.constants[d] == {"key_0": "x"}

    def test_dict_bind_takes_keywords_only(self) -> None:
        with pytest.raises(TypeError, match=r"<Task: Dict>: bind a mapping as keyword arguments"):
            collections.Dict().bind({"a": 1}, flow=Flow("f"))


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
        assert cls.__module__ == "prefectlite.tasks.core.operators"
        assert cls.__doc__

    def test_unary_and_getitem(self) -> None:
        assert operators.Not().run(x=[]) is True
        assert operators.GetItem().run(task_result=[1, 2], key=1) == 2

    def test_operator_tasks_pickle(self) -> None:
        t = pickle.loads(pickle.dumps(operators.Add()))
        assert type(t) is operators.Add and t.run(1, 2) == 3
