"""The First Steps page, runnable: build a flow two ways, run it, read the states.

    python examples/first_steps.py

1. Functional API: inside ``with Flow(...)``, calling a task records it in the graph.
2. A ``Parameter``: a value given when the flow runs (``flow.run(name="Marvin")``).
3. Imperative API: the same kind of flow built with ``add_task``, ``set_upstream`` and
   ``bind(..., flow=flow)``, where ``say_hello`` waits for ``second_add`` without using its
   result.

Every ``assert`` below is part of the example: it shows what the run returns.
"""

from __future__ import annotations

import logging

from prefectlite import Flow, Parameter, Task, task

# Per-task log lines are useful in a big flow; in this tour they would drown the output.
logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)


@task
def add(x, y=1):
    return x + y


@task
def say_hello(person: str) -> str:
    greeting = f"Hello, {person}!"
    print(greeting)
    return greeting


def functional() -> None:
    with Flow("My first flow!") as flow:
        first_result = add(1, y=2)
        second_result = add(x=first_result, y=100)

    state = flow.run()
    assert state.is_successful()
    # state.result maps every task of the flow to its own final state
    assert state.result[first_result].result == 3
    assert state.result[second_result].result == 103
    print(f"functional: {state!r}; second add returned {state.result[second_result].result}")


def with_a_parameter() -> None:
    with Flow("Say hi!") as flow:
        name = Parameter("name")
        hello = say_hello(name)

    state = flow.run(name="Marvin")  # prints "Hello, Marvin!"
    assert state.result[hello].result == "Hello, Marvin!"


class AddTask(Task):
    def run(self, x, y=1):
        return x + y


def imperative() -> None:
    order: list[str] = []

    def record(task, old_state, new_state):  # a task state handler
        if new_state.is_successful():
            order.append(task.name)

    first_add = AddTask(name="first_add", state_handlers=[record])
    second_add = AddTask(name="second_add", state_handlers=[record])
    hello = say_hello.copy(state_handlers=[record])
    name = Parameter("name")

    flow = Flow("My imperative flow!")
    flow.add_task(first_add)
    flow.add_task(second_add)
    flow.add_task(hello)
    # a state-only dependency: say_hello waits for second_add but gets no data from it
    hello.set_upstream(second_add, flow=flow)
    # data dependencies
    first_add.bind(x=1, y=2, flow=flow)
    second_add.bind(x=first_add, y=100, flow=flow)
    hello.bind(person=name, flow=flow)

    state = flow.run(name="Arthur")
    assert state.is_successful()
    assert state.result[second_add].result == 103
    assert order.index("say_hello") > order.index("second_add"), order
    print(f"imperative: tasks finished in the order {order}")


if __name__ == "__main__":
    functional()
    with_a_parameter()
    imperative()
