"""Futures of the eager API: what ``task.submit(...)`` and ``task.map(...)`` return.

A :class:`PrefectFuture` stands for one task run on the flow run's task runner. Underneath it
is a ``concurrent.futures.Future`` (its *cell*) whose value is the run's final
:class:`~prefectlite.states.State`; every task runner fills its cells that way, so waiting,
callbacks and ``concurrent.futures.wait`` work the same on threads and on Dask.

* ``future.state``: the final state when done, else ``Running`` / ``Pending``;
* ``future.wait(timeout)``: block until done (or ``timeout`` seconds pass);
* ``future.result(timeout, raise_on_failure=True)``: the task's return value, or raise its
  exception (``raise_on_failure=False`` returns the exception instead).

A future belongs to the flow run that submitted it; it may be passed to tasks of that run and
of its subflows, where it resolves to its value before the task runs (see
:mod:`prefectlite.eager.task_calls`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from prefectlite.eager.states import Crashed, Pending, Running, State

if TYPE_CHECKING:
    import uuid

__all__ = [
    "DoneAndNotDoneFutures", "PrefectFuture", "PrefectFutureList", "as_completed",
    "futures_in", "resolve_futures_to_states", "wait",
]


class PrefectFuture:
    """A submitted task run (see the module docstring)."""

    __slots__ = ("_cell", "_run", "_state", "task_name", "task_run_id", "task_run_name")

    def __init__(self, cell: cf.Future[Any], run: Any, task_name: str, task_run_name: str,
                 task_run_id: uuid.UUID) -> None:
        self._cell = cell
        self._run = run  # the FlowRun that submitted it
        self._state: State | None = None
        self.task_name, self.task_run_name, self.task_run_id = task_name, task_run_name, task_run_id

    def __repr__(self) -> str:
        return f"<PrefectFuture {self.task_run_name!r}: {self.state.name}>"

    @property
    def state(self) -> State:
        """The run's final state once done; ``Running`` or ``Pending`` before that."""
        if self._state is not None:
            return self._state
        cell = self._cell
        if not cell.done():
            return Running() if cell.running() else Pending()
        try:
            state: State = cell.result()
        except BaseException as exc:  # the task runner itself failed
            state = Crashed(message=f"Task run {self.task_run_name!r} crashed: {exc!r}",
                            data=exc)
        self._state = state
        return state

    def done(self) -> bool:
        """Whether the run has finished."""
        return self._cell.done()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run finishes, or ``timeout`` seconds pass."""
        if not self._cell.done():
            cf.wait([self._cell], timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        """The task's return value (waiting for it); a failure raises its exception.

        Raises
        ------
        TimeoutError
            If the run did not finish within ``timeout`` seconds.
        """
        if not self._cell.done():
            cf.wait([self._cell], timeout)
            if not self._cell.done():
                raise TimeoutError(f"Task run {self.task_run_name!r} did not complete within "
                                   f"{timeout} seconds.")
        return self.state.result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Callable[[PrefectFuture], Any]) -> None:
        """Call ``fn(future)`` when the run finishes (at once if it has)."""
        self._cell.add_done_callback(lambda _: fn(self))


class PrefectFutureList(list[PrefectFuture]):
    """The futures of a ``task.map(...)``: a list with ``wait()`` and ``result()``."""

    def wait(self, timeout: float | None = None) -> None:
        """Block until every run finishes, or ``timeout`` seconds pass."""
        _wait_cells([f._cell for f in self], timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[Any]:
        """Every task's return value, in order; the first failure raises.

        Raises
        ------
        TimeoutError
            If the runs did not all finish within ``timeout`` seconds.
        """
        _, not_done = _wait_cells([f._cell for f in self], timeout)
        if not_done:
            raise TimeoutError(f"{len(not_done)} of {len(self)} task runs did not complete "
                               f"within {timeout} seconds.")
        return [f.result(raise_on_failure=raise_on_failure) for f in self]


class DoneAndNotDoneFutures(NamedTuple):
    """What :func:`wait` returns."""

    done: set[PrefectFuture]
    not_done: set[PrefectFuture]


def _wait_cells(cells: list[Any], timeout: float | None) -> tuple[list[Any], list[Any]]:
    """``concurrent.futures.wait`` for cells, some of which may be finished stand-ins."""
    pending = [c for c in cells if not c.done()]
    if pending:
        cf.wait(pending, timeout)
    return [c for c in cells if c.done()], [c for c in cells if not c.done()]


def wait(futures: Iterable[PrefectFuture], timeout: float | None = None
         ) -> DoneAndNotDoneFutures:
    """Wait until all ``futures`` finish (or ``timeout``); return the done and the others."""
    by_cell = {f._cell: f for f in futures}
    done, not_done = _wait_cells(list(by_cell), timeout)
    return DoneAndNotDoneFutures({by_cell[c] for c in done}, {by_cell[c] for c in not_done})


def as_completed(futures: Iterable[PrefectFuture], timeout: float | None = None
                 ) -> Iterator[PrefectFuture]:
    """Yield ``futures`` as they finish (raises ``TimeoutError`` after ``timeout`` seconds)."""
    by_cell = {f._cell: f for f in futures}
    pending = []
    for cell, future in by_cell.items():
        if cell.done():
            yield future
        else:
            pending.append(cell)
    for cell in cf.as_completed(pending, timeout):
        yield by_cell[cell]


async def until_done(future: PrefectFuture) -> None:
    """Wait, without blocking the event loop, until ``future``'s run has finished (a run
    that finished as it was submitted holds a ``DoneFuture``, which asyncio cannot wrap)."""
    cell = future._cell
    if not cell.done():
        await asyncio.wrap_future(cell)


def futures_in(value: Any) -> list[PrefectFuture]:
    """The futures inside ``value`` (itself, or in its lists, tuples, sets, dict values).

    Examples
    --------
    >>> futures_in([1, {"a": (2, 3)}])
    []
    """
    if isinstance(value, PrefectFuture):
        return [value]
    if type(value) in (list, tuple, set, frozenset, PrefectFutureList):
        return [f for v in value for f in futures_in(v)]
    if type(value) is dict:
        return [f for v in value.values() for f in futures_in(v)]
    return []


def resolve_futures_to_states(value: Any) -> Any:
    """``value`` with every future (also in lists, tuples, sets, dict values) replaced by
    its final state, waiting for each.

    Examples
    --------
    >>> resolve_futures_to_states({"a": [1, (2, 3)]})
    {'a': [1, (2, 3)]}
    """
    if isinstance(value, PrefectFuture):
        value.wait()
        return value.state
    if type(value) is PrefectFutureList:
        return [resolve_futures_to_states(v) for v in value]
    if type(value) in (list, tuple, set, frozenset):
        items = [resolve_futures_to_states(v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    if type(value) is dict:
        resolved = {k: resolve_futures_to_states(v) for k, v in value.items()}
        return value if all(resolved[k] is v for k, v in value.items()) else resolved
    return value
