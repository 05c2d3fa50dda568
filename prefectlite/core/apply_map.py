"""Building the sub-graph of ``apply_map``: a whole function of task calls, mapped.

``func`` is called once, in a scratch flow, with the arguments turned into tasks, while the
context says ``mapped=True`` (so that ``.map()`` and mapped edges inside it are refused) and
no outer ``case`` / resource block is open. Then, as in Prefect 1:

1. every task of the scratch flow is added to the real flow (where open blocks take them);
2. every edge is copied as a *mapped* edge, except edges from an argument wrapped in
   ``unmapped`` (which stay whole); ``flatten`` arguments stay flattened;
3. constants are copied, except a mapped plain-value argument (``apply_map(f, [1, 2])``),
   which becomes a ``Constant`` task mapped into the tasks that use it; a mapped argument
   that is a list or tuple of tasks is zipped (child ``i`` gets element ``i`` of each);
4. each task created by ``func`` that has no upstream among the others created by it gets
   every argument (bar unmapped constants) as a state-only upstream, mapped like the
   argument: so all of the sub-graph runs once per element, with as many children as the
   shortest mapped argument has elements, and only after its inputs finished.

A failure anywhere leaves the real flow as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from prefectlite.exceptions import FlowContextError
from prefectlite.utilities.context import context
from prefectlite.utilities.edges import EdgeAnnotation, flatten, unmapped, unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.core.task import Task


def build_apply_map(
    func: Callable[..., Any], args: tuple, kwargs: dict[str, Any], flow: Flow | None
) -> Any:
    """See :func:`prefectlite.utilities.tasks.apply_map`."""
    from prefectlite.core.as_task import as_task, contains_task
    from prefectlite.core.flow import Flow
    from prefectlite.core.task import Task
    from prefectlite.tasks.core import collections
    from prefectlite.tasks.core.constants import Constant

    flow_given = flow is not None
    if flow is None:
        flow = context.get("flow")
        if flow is None:
            raise FlowContextError(
                "Couldn't infer a flow in the current context: call apply_map() inside "
                "`with Flow(...):` or pass flow=."
            )
    for value in (*args, *kwargs.values()):
        if not isinstance(value, Task | EdgeAnnotation | Sequence):
            raise TypeError(
                f"Cannot map over non-sequence object of type `{type(value).__name__}` "
                f"(apply_map of {getattr(func, '__name__', func)!r}: pass a list, a task, or "
                "wrap the value in unmapped(...))"
            )
    scratch = Flow(f"apply_map of {getattr(func, '__name__', 'function')}")
    before = set(flow.tasks)
    info: dict[Task, tuple[bool, bool, bool]] = {}  # arg task -> (mapped, constant, flat)
    mapped_constants: dict[int, Task] = {}  # id(value) -> its Constant task

    def prepare(value: Any) -> Task:
        is_mapped = not isinstance(value, unmapped)
        raw = unwrap(value)[0]
        if is_mapped and isinstance(raw, list | tuple | set) and contains_task(raw):
            # a sequence of tasks is zipped: child i gets element i of each of them
            kind = {list: collections.List, tuple: collections.Tuple}.get(type(raw),
                                                                         collections.Set)
            t = kind().bind(*raw, mapped=True, flow=flow)
            t.auto_generated = True
        else:
            t = as_task(value, flow=flow)  # a collection of tasks is built in the flow itself
        is_constant = isinstance(t, Constant)
        info[t] = (is_mapped, is_constant, isinstance(value, flatten))
        if not isinstance(t, Constant):
            flow.add_task(t)
            with context(case=None, resource=None):
                scratch.add_task(t)
        elif is_mapped:
            mapped_constants[id(t.value)] = t
        return t

    with flow._atomic():
        inputs = [prepare(a) for a in args]
        kw_inputs: dict[str, Any] = {k: prepare(v) for k, v in kwargs.items()}
        if flow_given:
            kw_inputs["flow"] = scratch
        with context(mapped=True, case=None, resource=None), scratch:
            result = func(*inputs, **kw_inputs)
        _copy_into(scratch, flow, info, mapped_constants)
        created = set(scratch.tasks) - before - set(info)
        for task in created:
            upstream = flow.upstream_tasks(task)
            if upstream & created:
                continue
            for arg, (is_mapped, is_constant, flat) in info.items():
                if arg not in upstream and (is_mapped or not is_constant):
                    flow.add_edge(arg, task, mapped=is_mapped, flattened=flat, validate=False)
    return result


def _copy_into(scratch: Flow, flow: Flow, info: dict[Task, tuple[bool, bool, bool]],
               mapped_constants: dict[int, Task]) -> None:
    """Steps 1-3 of the module docstring."""
    tasks = scratch.sorted_tasks()
    for task in tasks:
        flow.add_task(task)
    for task in tasks:
        for e in scratch.edges_to(task):
            if task in info:  # inside an argument (a collection of tasks): as it was
                flow.add_edge(e.upstream_task, task, key=e.key, mapped=e.mapped,
                              flattened=e.flattened, validate=False)
                continue
            is_mapped, _, flat = info.get(e.upstream_task, (True, False, False))
            flow.add_edge(e.upstream_task, task, key=e.key, mapped=is_mapped,
                          flattened=flat or e.flattened, validate=False)
        for key, value in scratch.constants.get(task, {}).items():
            source = mapped_constants.get(id(value))
            if source is not None:
                flow.add_edge(source, task, key=key, mapped=True, flattened=info[source][2],
                              validate=False)
            else:
                flow._add_constant(task, key, value, False)
