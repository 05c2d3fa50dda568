"""Arguments of a task run in an eager flow: bound to the signature, then resolved.

Binding turns ``task(*args, **kwargs)`` into the keyword inputs ``run_task`` passes (without
``inspect.Signature.bind`` in the common case of plain positional-or-keyword parameters).
Resolving replaces every future (waiting for it) and state among the inputs, also inside
lists, tuples, sets and dicts, by its value; ``quote(x)`` is passed as it is and
``allow_failure(x)`` passes the exception of a failed upstream. An upstream that did not
complete raises :class:`NotReady`, which the caller turns into ``Pending(name="NotReady")``.
A future may only be used by the flow run that submitted it and by that run's subflows
(:func:`check_owner`). See :mod:`prefectlite.eager.task_calls` for how runs use these.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prefectlite.eager.annotations import allow_failure, opaque, quote
from prefectlite.eager.exceptions import ForeignFutureError, UpstreamTaskError
from prefectlite.eager.futures import PrefectFuture, PrefectFutureList
from prefectlite.eager.states import Pending, State, StateDetails, StateType
from prefectlite.utilities.edges import EdgeAnnotation, unwrap

if TYPE_CHECKING:
    from prefectlite.core.task import Task
    from prefectlite.eager.run import FlowRun

__all__ = ["NotReady", "bind", "check_owner", "check_wait_for", "collect_futures",
           "needs_resolving", "not_ready", "prepare", "resolve"]

_ATOMS = frozenset({int, float, str, bool, type(None), bytes, complex})
_BIND_CACHE: dict[int, tuple[inspect.Signature, tuple[Any, ...]]] = {}


class NotReady(Exception):
    """An upstream of this run did not complete (carries the upstream run's name)."""


"""Binding arguments"""


def _bind_info(sig: inspect.Signature) -> tuple[Any, ...]:
    params = list(sig.parameters.values())
    simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
    names = tuple(p.name for p in params)
    required = frozenset(p.name for p in params if p.default is p.empty)
    return simple, names, frozenset(names), required


def bind(task: Task, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name (what ``run_task`` passes as keywords).

    Raises ``TypeError`` (naming the task and its signature) for a call that does not fit.
    """
    sig = task._run_signature()
    entry = _BIND_CACHE.get(id(sig))
    if entry is None or entry[0] is not sig:
        entry = _BIND_CACHE[id(sig)] = (sig, _bind_info(sig))
    simple, names, known, required = entry[1]
    if simple and len(args) <= len(names):  # the common case, without inspect's bind()
        inputs = dict(zip(names, args))
        if kwargs and (kwargs.keys() & inputs.keys() or not kwargs.keys() <= known):
            return task._bind_arguments(args, kwargs)
        inputs.update(kwargs)
        if required <= inputs.keys():
            return inputs
    return task._bind_arguments(args, kwargs)  # the slow way, with Python's own message


"""Resolving futures and states among the arguments"""


def needs_resolving(inputs: dict[str, Any]) -> bool:
    """Whether any input is more than a plain scalar (so it may hold futures or states)."""
    atoms = _ATOMS
    return any(type(v) not in atoms for v in inputs.values())


def check_owner(run: FlowRun, task: Any, future: PrefectFuture) -> None:
    """Raise ``ForeignFutureError`` unless ``future`` was submitted by ``run`` or a parent."""
    owner, seen = future._run, run  # type: FlowRun, FlowRun | None
    while seen is not None:
        if seen is owner:
            return
        seen = seen.parent
    raise ForeignFutureError(
        f"Task {task.name!r} was given the future of task run {future.task_run_name!r} from "
        f"flow run {owner.name!r} (flow {owner.flow.name!r}), but runs in flow run "
        f"{run.name!r} (flow {run.flow.name!r}). A future can be used in the flow run that "
        "submitted it and in that run's subflows; pass its value instead: future.result()."
    )


def _value_of(state: State, upstream: str, allow: bool) -> Any:
    if state.type is StateType.COMPLETED:
        return state.data
    if allow:
        return state.result(raise_on_failure=False)
    raise NotReady(upstream)


def resolve(run: FlowRun, task: Any, value: Any) -> Any:
    """``value`` with its futures and states replaced by their data (module docstring)."""
    cls = type(value)
    if cls in _ATOMS:
        return value
    if cls is PrefectFuture:
        check_owner(run, task, value)
        value.wait()
        return _value_of(value.state, value.task_run_name, False)
    if isinstance(value, State):
        return _value_of(value, value.name, False)
    if cls is allow_failure:
        inner = value.value
        if isinstance(inner, PrefectFuture):
            check_owner(run, task, inner)
            inner.wait()
            inner = inner.state
        return _value_of(inner, "", True) if isinstance(inner, State) else inner
    if cls is quote:
        return value.value
    if isinstance(value, EdgeAnnotation):
        return resolve(run, task, unwrap(value)[0])
    if cls is PrefectFutureList:  # what .map() returned: a list of values
        return [resolve(run, task, v) for v in value]
    if cls in (list, tuple, set, frozenset):
        items = [resolve(run, task, v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else cls(items)
    if cls is dict:
        resolved = {k: resolve(run, task, v) for k, v in value.items()}
        return value if all(resolved[k] is v for k, v in value.items()) else resolved
    if cls is opaque:  # the future itself is resolved, never what its value holds
        inner = value.value
        return resolve(run, task, inner) if isinstance(inner, PrefectFuture | State) else inner
    if _is_dataclass(value):
        return _resolve_fields(run, task, value)
    return value


def _is_dataclass(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _resolve_fields(run: FlowRun, task: Any, value: Any) -> Any:
    """A dataclass instance with the futures and states in its fields resolved (a copy,
    only when something changed)."""
    changed = {}
    for field in dataclasses.fields(value):
        old = getattr(value, field.name)
        new = resolve(run, task, old)
        if new is not old:
            changed[field.name] = new
    if not changed:
        return value
    copied = copy.copy(value)
    for name, new in changed.items():
        object.__setattr__(copied, name, new)  # frozen dataclasses too
    return copied


def collect_futures(run: FlowRun, task: Any, value: Any, found: list[PrefectFuture]
                    ) -> None:
    """Collect the futures inside ``value`` (checking that this run may use them)."""
    cls = type(value)
    if cls in _ATOMS or cls is quote:
        return
    if cls is PrefectFuture:
        check_owner(run, task, value)
        found.append(value)
    elif isinstance(value, allow_failure):
        collect_futures(run, task, value.value, found)
    elif isinstance(value, EdgeAnnotation):
        collect_futures(run, task, value.task, found)
    elif cls in (list, tuple, set, frozenset, PrefectFutureList):
        for v in value:
            collect_futures(run, task, v, found)
    elif cls is dict:
        for v in value.values():
            collect_futures(run, task, v, found)
    elif cls is opaque:
        if isinstance(value.value, PrefectFuture):
            collect_futures(run, task, value.value, found)
    elif _is_dataclass(value):
        for field in dataclasses.fields(value):
            collect_futures(run, task, getattr(value, field.name), found)


def check_wait_for(run: FlowRun, task: Any, wait_for: Iterable[Any]) -> None:
    """Wait for each future of ``wait_for``; raise ``NotReady`` for one that did not complete."""
    for item in _flat(wait_for):
        allow = isinstance(item, allow_failure)
        item = item.value if allow else item
        if isinstance(item, PrefectFuture):
            check_owner(run, task, item)
            item.wait()
            state, upstream = item.state, item.task_run_name
        elif isinstance(item, State):
            state, upstream = item, item.name
        else:
            continue  # Prefect 3 ignores anything else in wait_for
        if not allow and state.type is not StateType.COMPLETED:
            raise NotReady(upstream)


def _flat(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        if type(item) in (list, tuple, set, frozenset, PrefectFutureList):
            yield from _flat(item)
        else:
            yield item


def prepare(run: FlowRun, task: Task, inputs: dict[str, Any], wait_for: Any
            ) -> dict[str, Any]:
    """The inputs resolved, after waiting for ``wait_for``; raises :class:`NotReady`."""
    if needs_resolving(inputs):
        inputs = {k: resolve(run, task, v) for k, v in inputs.items()}
    if wait_for:
        check_wait_for(run, task, wait_for)
    return inputs


def not_ready(upstream: str, details: StateDetails) -> State:
    """The state of a run that did not start because ``upstream`` did not complete."""
    message = f"Upstream task run {upstream!r} did not reach a 'COMPLETED' state."
    return Pending(name="NotReady", message=message, data=UpstreamTaskError(message),
                   state_details=details)
