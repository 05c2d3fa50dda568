"""One ``@task`` for both styles: its options in both spellings, the error outside both
styles, calling the function directly, methods and ``with_options``."""

from __future__ import annotations

import datetime

import pytest

from prefectlite import Flow, flow, task
from prefectlite.exceptions import FlowContextError, TaskDefinitionError
from prefectlite.tasks.core.function import FunctionTask


@task
def add(x, y=1):
    return x + y


class TestSpellings:
    def test_prefect3_spelling(self) -> None:
        @task(retries=3, retry_delay_seconds=2, timeout_seconds=5, log_prints=True,
              description="adds", version="1.0")
        def t(x):
            return x

        assert t.max_retries == 3 and t.retry_delay == datetime.timedelta(seconds=2)
        assert t.timeout == 5 and t.log_stdout is True and t.log_prints is True
        assert (t.description, t.version) == ("adds", "1.0")

    def test_prefect1_spelling(self) -> None:
        @task(max_retries=2, retry_delay=datetime.timedelta(seconds=1), timeout=3,
              log_stdout=True)
        def t(x):
            return x

        assert (t.max_retries, t.retry_delay, t.timeout, t.log_stdout) == (
            2, datetime.timedelta(seconds=1), 3, True)
        assert t.log_prints is None

    def test_retries_without_a_delay_wait_zero_seconds(self) -> None:
        assert task(retries=2)(lambda: 1).retry_delay == datetime.timedelta(0)
        assert task(retry_delay_seconds=4)(lambda: 1).max_retries == 0  # ignored, as in P3

    def test_prefect1_still_needs_a_delay(self) -> None:
        with pytest.raises(TaskDefinitionError, match="`retry_delay` must be provided"):
            task(max_retries=2)(lambda: 1)

    def test_both_spellings_agreeing_are_fine(self) -> None:
        t = task(retries=2, max_retries=2, timeout=5, timeout_seconds=5.0,
                 retry_delay=datetime.timedelta(seconds=3), retry_delay_seconds=3)(lambda: 1)
        assert (t.max_retries, t.timeout) == (2, 5)

    @pytest.mark.parametrize("options,names", [
        ({"retries": 2, "max_retries": 3, "retry_delay_seconds": 0}, "max_retries=3.*retries=2"),
        ({"retries": 1, "retry_delay": datetime.timedelta(seconds=1),
          "retry_delay_seconds": 2}, "retry_delay=.*retry_delay_seconds=2"),
        ({"timeout": 1, "timeout_seconds": 2}, "timeout=1.*timeout_seconds=2"),
        ({"log_stdout": True, "log_prints": False}, "log_stdout=True.*log_prints=False"),
    ])
    def test_contradictory_pairs_are_rejected(self, options, names) -> None:
        with pytest.raises(TaskDefinitionError, match=f"Task 'f': {names}.*give only one"):
            @task(**options)
            def f():
                pass

    def test_a_list_of_delays_gives_one_delay_per_retry(self) -> None:
        t = task(retries=2, retry_delay_seconds=[1, 2])(lambda: 1)
        assert t.max_retries == 2
        assert t.p3_options.retry_delays == [1.0, 2.0]
        assert [t.p3_options.retry_delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 2.0]

    def test_a_bad_list_of_delays_is_refused(self) -> None:
        with pytest.raises(TaskDefinitionError, match=r"retry_delay_seconds=\[1, -2\]"):
            task(retries=2, retry_delay_seconds=[1, -2])(lambda: 1)

    def test_unknown_option(self) -> None:
        with pytest.raises(TypeError, match="cache_polcy"):
            task(cache_polcy=None)(lambda: 1)


class TestOutsideBothStyles:
    def test_calling_says_how_to_do_each(self) -> None:
        with pytest.raises(FlowContextError) as info:
            add(1, 2)
        text = str(info.value)
        assert "`with Flow(...)`" in text and "`@flow`" in text
        assert "add.run(...)" in text and "add.fn(...)" in text

    @pytest.mark.parametrize("verb", ["submit", "map"])
    def test_submit_and_map(self, verb: str) -> None:
        with pytest.raises(FlowContextError, match=r"@flow"):
            getattr(add, verb)([1, 2])

    def test_submit_inside_a_flow_block(self) -> None:
        with Flow("g"), pytest.raises(FlowContextError, match="call the task instead"):
            add.submit(1)

    def test_fn_and_run_call_the_function(self) -> None:
        assert add.fn(1, 2) == 3 and add.run(1, y=5) == 6 and add.fn(1) == 2


class TestBothStyles:
    def test_graph_inside_a_flow_block_and_value_inside_a_flow(self) -> None:
        with Flow("graph") as graph:
            node = add(1, 2)
        assert node in graph.tasks and node is not add

        @flow
        def eager():
            return add(1, 2)

        assert eager() == 3
        assert graph.run().result[node].result == 3

    def test_graph_block_inside_an_eager_flow(self) -> None:
        @flow
        def builds_a_graph():
            with Flow("inner") as inner:
                node = add(1, 2)
            return inner.run().result[node].result

        assert builds_a_graph() == 3


class Calculator:
    def __init__(self, base: int) -> None:
        self.base = base

    @task
    def plus(self, x):
        return self.base + x

    @flow
    def total(self, x: int):
        return self.plus(x)

    @classmethod
    @flow
    def make(cls, base: int):
        return cls(base).total(1)

    @staticmethod
    @task
    def double(x):
        return 2 * x

    @staticmethod
    @flow
    def quadruple(x: int):
        return Calculator.double(Calculator.double(x))


class TestMethods:
    def test_instance_methods(self) -> None:
        calc = Calculator(10)
        assert calc.total("5") == 15
        assert calc.plus.fn(2) == 12 and Calculator.plus.fn(calc, 2) == 12

    def test_class_and_static_methods(self) -> None:
        assert Calculator.make(3) == 4
        assert Calculator.quadruple(2) == 8
        assert Calculator(0).quadruple(1) == 4

    def test_method_tasks_in_a_graph(self) -> None:
        calc = Calculator(1)
        with Flow("methods") as graph:
            node = calc.plus(2)
        assert graph.run().result[node].result == 3

    def test_a_task_without_self_in_a_class_body_stays_a_task(self) -> None:
        class Holder:  # as Prefect 1 test classes hold tasks
            @task
            def echo(x):
                return x

            with Flow("held") as graph:
                node = echo(5)

        holder = Holder()
        assert holder.echo is Holder.echo and holder.node is Holder.node
        assert holder.graph.run().result[holder.node].result == 5


def test_with_options() -> None:
    retried = add.with_options(name="adder", retries=2)
    assert isinstance(retried, FunctionTask)
    assert (retried.name, retried.max_retries, add.name, add.max_retries) == (
        "adder", 2, "add", 0)
    assert retried.fn(1) == 2
