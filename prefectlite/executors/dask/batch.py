"""Sending a round of submissions to the cluster as one graph update.

``client.submit`` is one scheduler message ("update-graph") per task, each pickled on its
own. ``DaskExecutor.submit`` instead gives the caller a future for a key at once and queues
the work in a :class:`Batch`; the queue goes to the scheduler as one ``client.get(graph,
keys, sync=False)`` (public API, one message; pickled as one graph, so what submissions
share, like the context's values, is pickled once) when the caller next waits
(``wait_any``, ``result``, ``wait``), when ``CHUNK`` submissions are queued (so the workers
start on a big round while the rest is still being submitted), and otherwise once the caller
has submitted nothing for ``QUIET`` seconds (a timer on the client's event loop), so a
future handed to other code always runs.

Futures inside a submission's arguments (the upstream states of a task, the key holding a
shipped task) may sit in lists, tuples and dict values: :func:`punch` replaces each by a
:class:`Slot` and names its key as a dependency of the graph task, and :func:`run_call` on
the worker puts the values back (:func:`fill`) before calling the function.

Batches go out in order under one lock, so a task never reaches the scheduler before a key it
depends on. If a batch cannot be sent (an argument that does not pickle), its items are sent
one by one, and an item that still cannot be sent becomes a data key holding the ``Failed``
state that says why (see :mod:`prefectlite.executors.shipping`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from dask.task_spec import DataNode, Task, TaskRef
from distributed import Future

from prefectlite.engine.state import Failed
from prefectlite.executors.shipping import (
    _arguments_culprit,
    _pickle_failure,
    run_shipped,
)
from prefectlite.utilities.pickling import pickle_error

__all__ = ["Batch", "Slot", "fill", "punch", "run_call"]

WHERE = "the Dask cluster"
#: queued submissions that are sent at once, without waiting for the caller to wait
CHUNK = 1000
#: seconds without a new submission after which the event loop sends what is queued
QUIET = 0.005
#: as for ``client.submit``: rounds sent further apart than this run in the order sent
FIFO = "100 ms"


class Slot:
    """Where a future stood in a submission's arguments: the index of its value."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __reduce__(self) -> tuple[Any, ...]:
        return (Slot, (self.index,))

    def __repr__(self) -> str:
        return f"Slot({self.index})"


def punch(obj: Any, keys: list[Any]) -> Any:
    """``obj`` with each future in it (in lists, tuples, dict values) replaced by a ``Slot``;
    the futures' keys are appended to ``keys``. Containers without futures are returned as
    they are (not copied)."""
    if isinstance(obj, Future):
        keys.append(obj.key)
        return Slot(len(keys) - 1)
    kind = type(obj)
    if kind is dict:
        before = len(keys)
        new = {k: punch(v, keys) for k, v in obj.items()}
        return new if len(keys) > before else obj
    if kind is list or kind is tuple:
        before = len(keys)
        items = [punch(v, keys) for v in obj]
        if len(keys) == before:
            return obj
        return items if kind is list else tuple(items)
    return obj


def fill(obj: Any, values: tuple[Any, ...]) -> Any:
    """(worker) ``obj`` with each ``Slot`` replaced by its value (undoes :func:`punch`)."""
    kind = type(obj)
    if kind is Slot:
        return values[obj.index]
    if kind is dict:
        return {k: fill(v, values) for k, v in obj.items()}
    if kind is list:
        return [fill(v, values) for v in obj]
    if kind is tuple:
        return tuple(fill(v, values) for v in obj)
    return obj


def run_call(call: tuple[Any, ...], *values: Any) -> Any:
    """(worker) Run one submission: ``call`` is ``(name, fn, args, kwargs, log_level)`` with
    slots where futures were; ``values`` are those futures' values, resolved by Dask."""
    name, fn, args, kwargs, level = call
    if values:
        args, kwargs = fill(args, values), fill(kwargs, values)
    return run_shipped(name, fn, args, kwargs, level)


class Item:
    """One queued submission: its key, graph node and resources, and what it was made of
    (to say which argument does not pickle, if it comes to that)."""

    __slots__ = ("call", "key", "name", "node", "resources")

    def __init__(self, key: str, node: Any, resources: dict[str, float] | None = None,
                 name: str = "", call: tuple[Any, ...] | None = None) -> None:
        self.key, self.node, self.resources = key, node, resources
        self.name, self.call = name, call


def call_item(key: str, name: str, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
              level: int | None, resources: dict[str, float] | None) -> Item:
    """The queued form of ``fn(*args, **kwargs)`` run under ``key`` on a worker."""
    keys: list[Any] = []
    call = (name, fn, punch(args, keys), punch(kwargs, keys), level)
    node = Task(key, run_call, call, *(TaskRef(k) for k in keys))
    return Item(key, node, resources, name, (fn, args, kwargs))


def data_item(key: str, value: Any) -> Item:
    """A key that holds ``value`` (a shipped task, or the ``Failed`` state of a submission
    that could not be sent)."""
    return Item(key, DataNode(key, value))


class Batch:
    """The submissions not sent yet, and the lock that keeps batches in order."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.queue_lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.last_add = 0.0

    def add(self, item: Item) -> int:
        """Queue ``item``; how many are queued now."""
        with self.queue_lock:
            self.items.append(item)
            self.last_add = time.monotonic()
            return len(self.items)

    def quiet_for(self) -> float:
        """Seconds since the last submission was queued."""
        return time.monotonic() - self.last_add

    def send(self, client: Any) -> None:
        """Send everything queued, as few graph updates as the resources allow."""
        with self.send_lock:
            with self.queue_lock:
                items, self.items = self.items, []
            for group in _by_resources(items):
                _send_group(client, group)


def _by_resources(items: list[Item]) -> list[list[Item]]:
    """``items`` cut into runs that ask for the same resources (order kept)."""
    groups: list[list[Item]] = []
    for item in items:
        if groups and groups[-1][0].resources == item.resources:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _send_group(client: Any, items: list[Item]) -> None:
    graph = {item.key: item.node for item in items}
    try:
        client.get(graph, list(graph), sync=False, resources=items[0].resources,
                   fifo_timeout=FIFO)
    except Exception:
        for item in items:  # find the submission that cannot be sent
            _send_alone(client, item)


def _send_alone(client: Any, item: Item) -> None:
    """Send one item; one whose arguments do not pickle becomes its ``Failed`` state."""
    try:
        client.get({item.key: item.node}, [item.key], sync=False, resources=item.resources,
                   fifo_timeout=FIFO)
    except Exception:
        if item.call is None or pickle_error(item.call) is None:
            raise
        fn, args, kwargs = item.call
        failed: Failed = _pickle_failure(item.name, WHERE, _arguments_culprit(fn, args, kwargs))
        client.get({item.key: DataNode(item.key, failed)}, [item.key], sync=False,
                   fifo_timeout=FIFO)
