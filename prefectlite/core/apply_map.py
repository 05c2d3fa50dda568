"""Building the sub-graph of ``apply_map``: a whole function of task calls, mapped.

``func`` is called once, in a scratch flow, with the (task-ified) arguments. Every task it
created is then moved into the real flow with each of its incoming edges marked mapped,
except edges from an argument that was wrapped in ``unmapped``; constants stay constants.
So child ``i`` of every task in the sub-graph works on element ``i`` of the mapped inputs.
A control-flow condition (``case``, ``ifelse``, ``switch``) that depends only on unmapped
inputs is the same for every child: it stays unmapped and runs once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prefectlite.exceptions import FlowContextError
from prefectlite.utilities.context import context
from prefectlite.utilities.edges import unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.core.task import Task


def build_apply_map(
    func: Callable[..., Any], args: tuple, kwargs: dict[str, Any], flow: Flow | None
) -> Any:
    """See :func:`prefectlite.utilities.tasks.apply_map`."""
    from prefectlite.core.flow import Flow
    from prefectlite.utilities.tasks import as_task

    flow = flow if flow is not None else context.get("flow")
    if flow is None:
        raise FlowContextError(
            "apply_map() needs a flow: call it inside `with Flow(...):` or pass flow=."
        )
    scratch = Flow(f"apply_map of {getattr(func, '__name__', 'function')}")
    unmapped_inputs: set[Task] = set()
    flat_inputs: set[Task] = set()

    def prepare(value: Any) -> Task:
        value, is_mapped, flat = unwrap(value, mapped=True)
        t = as_task(value, flow=flow)
        if not is_mapped:
            unmapped_inputs.add(t)
        if flat:
            flat_inputs.add(t)
        flow.add_task(t)
        scratch.add_task(t)
        return t

    with flow._atomic():  # a failure anywhere leaves the flow as it was, inputs included
        inputs = [prepare(a) for a in args]
        kw_inputs = {k: prepare(v) for k, v in kwargs.items()}
        with scratch:
            result = func(*inputs, **kw_inputs)
        outside = set(inputs) | set(kw_inputs.values())
        for t in scratch.sorted_tasks():
            if t not in outside:
                _move(t, scratch, flow, unmapped_inputs, flat_inputs)
    return result


def _move(task: Task, scratch: Flow, flow: Flow, unmapped_inputs: set, flat_inputs: set) -> None:
    edges = scratch.edges_to(task)
    mapped_in = [e for e in edges if e.upstream_task not in unmapped_inputs]
    whole = not mapped_in and bool(edges) and getattr(task, "_unmapped_condition", False)
    if whole:  # e.g. `with case(unmapped_flag, True):` inside func: decided once
        unmapped_inputs.add(task)
    elif not mapped_in:
        raise ValueError(
            f"{task!r}, created inside apply_map, depends on no mapped input, so it cannot be "
            "mapped. Pass it a mapped argument of the function, or create it outside apply_map."
        )
    flow.add_task(task)
    for e in edges:
        flattened = e.flattened or e.upstream_task in flat_inputs
        flow.add_edge(e.upstream_task, task, key=e.key, flattened=flattened,
                      mapped=e.upstream_task not in unmapped_inputs, validate=False)
    for key, value in scratch.constants.get(task, {}).items():
        flow._add_constant(task, key, value, False)
