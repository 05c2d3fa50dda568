"""Tests for prefectlite.utilities.tasks: @task, tags(), as_task and defaults_from_attrs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from prefectlite import Edge, Flow, Task, context, tags, task, unmapped
from prefectlite.engine import signals
from prefectlite.engine.state import Paused
from prefectlite.exceptions import TaskDefinitionError
from prefectlite.tasks.core import collections
from prefectlite.tasks.core.constants import Constant
from prefectlite.tasks.core.function import FunctionTask
from prefectlite.utilities.tasks import as_task, defaults_from_attrs, pause_task


class TestTaskDecorator:
    def test_without_arguments(self) -> None:
        @task
        def add(x: int, y: int = 1) -> int:
            """Add two numbers."""
            return x + y

        assert isinstance(add, FunctionTask)
        assert add.name == "add" and add.__doc__ == "Add two numbers."
        assert add.run(1, 2) == 3 and add.run(x=1) == 2

    def test_with_arguments(self) -> None:
        @task(name="plus", tags=["math"], max_retries=2, retry_delay=timedelta(seconds=1),
              nout=2)
        def add(x: int, y: int) -> tuple[int, int]:
            return x + y, x - y

        assert isinstance(add, FunctionTask)
        assert (add.name, add.tags, add.max_retries, add.nout) == ("plus", {"math"}, 2, 2)
        assert add.retry_delay == timedelta(seconds=1)

    def test_with_empty_parentheses(self) -> None:
        @task()
        def one() -> int:
            return 1

        assert isinstance(one, FunctionTask) and one.run() == 1

    def test_options_are_checked(self) -> None:
        with pytest.raises(TaskDefinitionError, match=r"`retry_delay` must be provided if "
                           r"max_retries > 0 \(Task 'f'"):

            @task(max_retries=1)
            def f() -> None:
                pass

    def test_works_with_both_apis(self) -> None:
        @task
        def no_args() -> int:
            return 1

        @task
        def with_args(x: int) -> int:
            return x

        with Flow("functional") as functional:
            with_args(no_args())
        imperative = Flow("imperative")
        imperative.add_edge(no_args, with_args, key="x")
        assert len(functional.edges) == len(imperative.edges) == 1


class TestTags:
    def test_tasks_created_inside_get_the_tags(self) -> None:
        with tags("a", "b"):
            t = Task(tags=["own"])
            with tags("c"):
                inner = Task()
        assert t.tags == {"a", "b", "own"} and inner.tags == {"a", "b", "c"}
        assert set(Task().tags) == set()
        assert context.get("tags") is None

    def test_calls_inside_get_the_tags(self) -> None:
        @task
        def add(x: int) -> int:
            return x

        with Flow("f"):
            with tags("nightly"):
                tagged = add(1)
            plain = add(2)
        assert tagged.tags == {"nightly"} and set(plain.tags) == set()
        assert set(add.tags) == set()

    def test_tags_used_by_get_tasks(self) -> None:
        @task
        def add(x: int) -> int:
            return x

        with Flow("f") as flow, tags("db"):
            a = add(1)
        assert flow.get_tasks(tags=["db"]) == [a]


class TestAsTask:
    def test_tasks_pass_through(self) -> None:
        t = Task()
        assert as_task(t) is t and as_task(unmapped(t)) is t

    @pytest.mark.parametrize("value", [3, "x", None, [1, 2], {"a": (1, 2)}, {1, 2}])
    def test_plain_values_become_constants(self, value: Any) -> None:
        t = as_task(value)
        assert isinstance(t, Constant) and t.value == value

    def test_collections_of_tasks_become_collection_tasks(self) -> None:
        flow, a = Flow("f"), Task(name="a")
        lst = as_task([a, 1], flow=flow)
        assert type(lst) is collections.List
        assert flow.edges == {Edge(a, lst, key="arg_1")} and flow.constants[lst] == {"arg_2": 1}
        assert lst.auto_generated is True and a.auto_generated is False
        assert type(as_task((a,), flow=flow)) is collections.Tuple
        assert type(as_task({a}, flow=flow)) is collections.Set
        assert type(as_task(frozenset([a]), flow=flow)) is collections.Set
        assert type(as_task({"k": a}, flow=flow)) is collections.Dict

    def test_collections_need_a_flow(self) -> None:
        with pytest.raises(ValueError, match="active Flow context"):
            as_task([Task()])
        with Flow("f") as flow:
            t = as_task([Task()])
        assert t in flow.tasks


class TestDefaultsFromAttrs:
    class Greet(Task):
        def __init__(self, greeting: str = "hi", punctuation: str = "!", **kwargs: Any) -> None:
            self.greeting = greeting
            self.punctuation = punctuation
            super().__init__(**kwargs)

        @defaults_from_attrs("punctuation", "greeting")
        def run(self, name: str, greeting: str | None = None,
                punctuation: str | None = None) -> str:
            return f"{greeting} {name}{punctuation}"

    def test_missing_arguments_come_from_attributes(self) -> None:
        assert self.Greet().run("Marvin") == "hi Marvin!"
        assert self.Greet(greeting="hello").run(name="Marvin") == "hello Marvin!"

    def test_given_arguments_win(self) -> None:
        assert self.Greet().run("Marvin", "yo") == "yo Marvin!"
        assert self.Greet().run("Marvin", "yo", "?") == "yo Marvin?"
        assert self.Greet().run("Marvin", punctuation=".") == "hi Marvin."

    def test_a_given_none_wins_over_the_attribute(self) -> None:  # as in Prefect 1
        assert self.Greet().run("Marvin", None, None) == "None MarvinNone"
        assert self.Greet().run("Marvin", greeting=None) == "None Marvin!"

    def test_argument_given_twice(self) -> None:
        with pytest.raises(TypeError, match=r"Greet\.run\(\) got multiple values for "
                           r"argument 'greeting'"):
            self.Greet().run("Marvin", "yo", greeting="hey")

    def test_missing_required_argument(self) -> None:
        with pytest.raises(TypeError, match="name"):
            self.Greet().run()

    def test_signature_is_kept(self) -> None:
        assert list(self.Greet().inputs()) == ["name", "greeting", "punctuation"]
        assert self.Greet.run.__name__ == "run"

    def test_attributes_work_for_kwargs(self) -> None:
        class Kw(Task):
            extra = "from attr"

            @defaults_from_attrs("extra")
            def run(self, **kwargs: Any) -> dict:
                return kwargs

        assert Kw().run() == {"extra": "from attr"}
        assert Kw().run(extra="given", other=1) == {"extra": "given", "other": 1}


class TestPauseTask:
    def test_pauses_with_a_message(self) -> None:
        class Gate(Task):
            def run(self) -> int:
                pause_task("approve first")
                return 1

        with Flow("f") as flow:
            gate = Gate()()
        state = flow.run()
        assert isinstance(state.result[gate], Paused)
        assert state.result[gate].message == "approve first"

    def test_default_message_and_start_time(self) -> None:
        with pytest.raises(signals.PAUSE, match="Pause signal raised during task execution"):
            pause_task()
        with pytest.raises(signals.PAUSE) as info:
            pause_task(duration=timedelta(hours=1))
        assert info.value.state.start_time is not None

    def test_a_resumed_task_goes_on(self) -> None:
        with context(resume=True):
            assert pause_task() is None
