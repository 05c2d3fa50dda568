"""The executor interface: somewhere to run functions, and a way to learn when they finish.

An executor decides nothing about states; the flow runner hands it a picklable function and
arguments, and asks which submitted futures are done. Its methods:

``start()``
    A context manager around a whole flow run (open pools, connect clients, ...).
``submit(fn, *args, extra_context=None, **kwargs)``
    Start ``fn(*args, **kwargs)``; return a future (any object this executor understands).
    ``extra_context`` is for the executor itself, not passed to ``fn``: the runner puts
    ``task_full_name``, ``task_slug``, ``map_index`` and ``task_tags`` there, for naming work
    and mapping tags to resources.
``prepare_task(task)``
    Called once per task and flow run; the return value is what ``submit`` receives in place
    of the task (a cluster executor can ship the task once and pass a reference after that).
``wait_any(futures, timeout)``
    Block until at least one of ``futures`` is done (or ``timeout`` seconds pass); return the
    done ones (possibly none after a timeout).
``result(future)``
    The value of a done future.
``add_done_callback(future, fn)``
    Call ``fn(future)`` once ``future`` is done: at once, in the calling thread, if it is
    already, else in whichever thread sees it finish (a worker, the executor's own). ``fn``
    must be quick and must not raise; it reads the value with ``result(future)``. This is
    what the eager task runners (:mod:`prefectlite.task_runners`) build on. The default
    calls the future's own ``add_done_callback`` (``concurrent.futures``, dask's and
    :class:`~prefectlite.utilities.futures.DoneFuture` have one).
``wait(futures)``
    Prefect 1's call: resolve a (nested) collection of futures to values (the base class
    raises ``NotImplementedError`` for ``submit`` and ``wait``, as Prefect 1's does).
``limiter(limits)``
    Inside ``start()``: a context manager giving a :class:`~prefectlite.engine.limits.Limiter`
    whose slots the task runs of this flow run share wherever they run (tag concurrency
    limits). The default keeps threading semaphores, right for executors that run tasks in
    this process; executors that ship work elsewhere give semaphores that travel with it.

``resolves_futures`` says whether ``submit`` accepts this executor's futures among the
arguments and resolves them where the work runs (``dask.distributed`` does). When it is
``True`` the flow runner submits a task as soon as its upstream tasks are *submitted*,
passing their futures, so the cluster and not the driver waits for inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any


class Executor:
    """Base class of executors (see the module docstring for the contract)."""

    resolves_futures: bool = False
    #: whether submitted work is pickled to another process; the runner then sends small
    #: stand-ins for the tasks at either end of each upstream edge (not the tasks, nor the flow)
    ships_work: bool = False
    #: at most this many runs submitted and not yet finished (``None``: no limit); bounds
    #: the memory a wide map holds, and 1 makes a run go strictly depth-first
    max_in_flight: int | None = None

    def __repr__(self) -> str:
        return f"<Executor: {type(self).__name__}>"

    @contextmanager
    def start(self) -> Iterator[None]:
        """Set up whatever the executor needs for one flow run, and tear it down after."""
        yield

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Start ``fn(*args, **kwargs)`` and return a future for it."""
        raise NotImplementedError(f"{type(self).__name__} must implement submit()")

    def prepare_task(self, task: Any) -> Any:
        """What to pass to ``submit`` in place of ``task`` (default: the task itself)."""
        return task

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        """Wait until at least one of ``futures`` is done (or ``timeout``); return the done ones."""
        raise NotImplementedError(f"{type(self).__name__} must implement wait_any()")

    def result(self, future: Any) -> Any:
        """The value of a done future."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def add_done_callback(self, future: Any, fn: Callable[[Any], Any]) -> None:
        """Call ``fn(future)`` once ``future`` is done (at once if it is)."""
        add = getattr(future, "add_done_callback", None)
        if add is None:
            raise NotImplementedError(
                f"{type(self).__name__} must implement add_done_callback(): its futures "
                f"({type(future).__name__}) have no add_done_callback method.")
        add(fn)

    def wait(self, futures: Any) -> Any:
        """Resolve futures (possibly inside lists, tuples, sets and dicts) to their values."""
        raise NotImplementedError(f"{type(self).__name__} must implement wait()")

    @contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Slots for tag concurrency ``limits`` shared by this run's tasks (see above)."""
        from prefectlite.engine.limits import ThreadLimiter

        yield ThreadLimiter(limits)

    def _is_future(self, obj: Any) -> bool:
        """Whether ``obj`` is one of this executor's futures (used by :func:`resolve`)."""
        return False


def not_started(executor: Executor) -> RuntimeError:
    """The error for work submitted to ``executor`` outside its ``start()``."""
    return RuntimeError(f"{type(executor).__name__} is not started: submit work inside "
                        "`with executor.start():` (flow.run does this for you).")


def resolve(executor: Executor, futures: Any) -> Any:
    """``executor.result`` of every future of ``executor`` inside (nested) lists, tuples,
    sets and dict values; anything else is returned as it is (a ``wait`` for executors
    whose futures are plain objects)."""
    if isinstance(futures, list | tuple | set):
        return type(futures)(resolve(executor, f) for f in futures)
    if isinstance(futures, dict):
        return {k: resolve(executor, v) for k, v in futures.items()}
    return executor.result(futures) if executor._is_future(futures) else futures
