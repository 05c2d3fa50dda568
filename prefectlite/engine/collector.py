"""Python's cyclic garbage collector during a flow run: fewer walks over a heap that grows.

A run makes a few objects per task (states, contexts) that all live until the run ends. With
the collector's default thresholds, CPython walks the young objects every 700 allocations and,
every so often, the whole heap, the flow's graph and the states made so far included: on a
100,000-task flow that costs about as much as running the tasks themselves.

While at least one flow run is under way in the process, :func:`run_collection` moves the
objects that existed before the run out of the collector's reach (``gc.freeze()``) and lets
the youngest generation grow to :data:`YOUNG_THRESHOLD` objects between collections. Cyclic
garbage is still collected, in fewer, larger steps. When the last run ends, the thresholds are
put back and the frozen objects become collectable again. Left alone: a collector the
application disabled (``gc.disable()`` or a threshold of 0), and objects it froze itself.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

#: Allocations between two collections of the youngest generation while a flow runs.
YOUNG_THRESHOLD = 50_000

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_runs = 0  # flow runs under way (nested and concurrent ones included)
_saved: tuple[tuple[int, ...], bool] | None = None  # thresholds before, and whether we froze


def _pause() -> None:
    global _saved
    thresholds = gc.get_threshold()
    if not gc.isenabled() or thresholds[0] == 0:
        _saved = None
        return
    froze = gc.get_freeze_count() == 0  # never thaw what the application froze
    if froze:
        gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    _saved = (thresholds, froze)


def _resume() -> None:
    if _saved is None:
        return
    thresholds, froze = _saved
    gc.set_threshold(*thresholds)
    if froze:
        gc.unfreeze()


@contextmanager
def run_collection() -> Iterator[None]:
    """Within the block (a flow run), collect cyclic garbage in larger steps and leave the
    objects made before the first of the process's current runs alone.

    Examples
    --------
    >>> import gc
    >>> before = gc.get_threshold()
    >>> with run_collection():
    ...     gc.get_threshold()[0] >= YOUNG_THRESHOLD
    True
    >>> gc.get_threshold() == before
    True
    """
    global _runs
    with _lock:
        if _runs == 0:
            _pause()
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                _resume()


def during_run(method: F) -> F:
    """Decorate a method that runs a flow with :func:`run_collection`."""
    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with run_collection():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
