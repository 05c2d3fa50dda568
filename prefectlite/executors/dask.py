"""Executors on Dask: ``LocalDaskExecutor`` (a local pool) and ``DaskExecutor`` (a cluster).

Both follow :mod:`prefectlite.executors.base` and decide nothing about states. ``dask`` and
``distributed`` are imported inside methods, so ``import prefectlite`` stays light.

Policy
    ``LocalDaskExecutor`` runs each submission on a ``concurrent.futures`` pool it owns for one
    run: threads, processes (started with ``spawn``, safe next to threads), or inline
    (``synchronous``). Dask's ``get`` is a batch call and not an event API, so dask only supplies
    the configuration (``num_workers``, ``dask.config`` keys). ``max_in_flight`` is twice the
    pool size; the flow runner keeps the rest in its last-in-first-out ready list, so a mapped
    pipeline goes depth-first. ``DaskExecutor`` submits to a ``distributed.Client`` with a unique
    key per submission and ``pure=False``; ``dask-resource:NAME=AMOUNT`` tags become worker
    resources; futures among the arguments are resolved on the cluster
    (``resolves_futures``).
Pickling is this layer's business
    ``prepare_task`` pickles each task once (cloudpickle), so an unpicklable task is known
    before anything is submitted. A task, argument or result that cannot be pickled becomes a
    future whose value is a ``Failed`` state naming the task and the offending object (found by
    descending into attributes, dicts and sequences); ``submit`` does not raise and nothing
    hangs. On the workers every submission runs through :func:`run_shipped`, which unpickles
    the task (once per process: :func:`_load`), calls the function, and checks that the result
    pickles (into a discarding writer with out-of-band buffers, so big arrays are not copied).
Bookkeeping, per run (``start()`` makes it fresh, so an executor is reusable)
    ``_RunBook.done``
        futures that finished and that ``wait_any`` has not reported yet, appended under a
        condition variable by done-callbacks (pools) or, on distributed, by one watcher on
        the client's event loop per batch of submissions (``unwatched``, handed over by
        ``wait_any``): ``wait_any`` never polls every in-flight future, and reports each
        completion once (membership by ``id``, no hashing). On distributed, ``wait_any``
        lingers up to ``DaskExecutor.linger`` after the first completion to collect more.
    ``_RunBook.names``
        future -> task name, for the ``Failed`` message when a future itself errors (a pool
        process or a worker lost for good, a cancelled future).
    ``_RunBook.batch`` / ``fetched`` (distributed)
        the futures ``wait_any`` last returned, and the states fetched for them: the first
        ``result()`` after a ``wait_any`` gathers the whole batch in one round trip.
    ``_RunBook.token`` / ``count`` (distributed)
        keys are ``<task>[-<map index>]-<run token>-<counter>``: unique without a ``uuid4``
        per submission, and grouped by task name on the dashboard.
    ``_RunBook.shipped`` (distributed)
        prepared task -> ``None`` once its first submission carried the pickled bytes, then
        the future that holds those bytes on the cluster and stands in for them in every
        later submission (mapped children): each task crosses the network once, and the
        scheduler keeps one copy that it can recompute if the worker holding it dies.
Logs
    Records of the ``prefectlite`` logger made in worker processes reach the driver's logger of
    the same name: ``Client.forward_logging`` on distributed, a ``QueueHandler`` for process
    pools. The workers' logger level follows the driver's. Workers living in the driver's own
    process are not forwarded (their records are already local; forwarding them would loop).
    No root logger is touched.

Example: ``inc.map(range(3))`` on a cluster is three submissions keyed ``inc-0-<token>-0``,
``inc-1-<token>-2``, ``inc-2-<token>-3`` (``-1`` is the future holding the pickled ``inc``:
the first submission carries it, the other two that future). As each finishes, the watcher
appends it to ``done``; ``wait_any`` returns what is there and the next ``result()`` gathers
those states together.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import inspect
import itertools
import logging
import logging.handlers
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import cloudpickle

from prefectlite.engine.state import Failed
from prefectlite.executors.base import Executor, resolve
from prefectlite.utilities.errors import safe_str
from prefectlite.utilities.pickling import find_unpicklable, pickle_error

__all__ = ["DaskExecutor", "LocalDaskExecutor", "dask_resources", "task_key"]

logger = logging.getLogger("prefectlite.executors.dask")
_LOGGER = "prefectlite"
_SCHEDULERS = {
    "threads": "threads", "threading": "threads", "processes": "processes",
    "multiprocessing": "processes", "synchronous": "synchronous", "sync": "synchronous",
    "single-threaded": "synchronous",
}

"""Naming work"""


def _index(ctx: Mapping[str, Any]) -> Any:
    """The map index in an extra context: ``map_index``, or Prefect 1's ``task_index``."""
    index = ctx.get("map_index")
    return ctx.get("task_index") if index is None else index


def task_key(extra_context: Mapping[str, Any] | None) -> str:
    """A unique Dask key for one submission: task name, map index, random suffix.

    The dashboard groups keys by the part before the suffix, so all children of a map
    share one colour.

    Examples
    --------
    >>> task_key({"task_name": "inc", "map_index": 3}).startswith("inc-3-")
    True
    >>> len(task_key(None).split("-")[-1])
    32
    """
    ctx = extra_context or {}
    name = str(ctx.get("task_name") or ctx.get("task_full_name") or "prefectlite")
    index = _index(ctx)
    prefix = name if index is None else f"{name}-{index}"
    return f"{prefix}-{uuid.uuid4().hex}"


def dask_resources(tags: Iterable[str]) -> dict[str, float]:
    """Dask worker resources from task tags of the form ``dask-resource:NAME=AMOUNT``.

    Raises
    ------
    ValueError
        For a tag that starts with ``dask-resource`` but does not have that form.

    Examples
    --------
    >>> dask_resources(["dask-resource:GPU=1", "io", "Dask-Resource:memory=2e9"])
    {'GPU': 1.0, 'memory': 2000000000.0}
    """
    resources = {}
    for tag in tags:
        if not tag.lower().startswith("dask-resource"):
            continue
        prefix, _, amount = tag.partition("=")
        name = prefix.partition(":")[2].strip()
        try:
            value = float(amount)
        except ValueError:
            name = ""
        if not name:
            raise ValueError(f"Malformed Dask resource tag {tag!r}: expected the form "
                             "'dask-resource:NAME=AMOUNT', e.g. 'dask-resource:GPU=1'.")
        resources[name] = value
    return resources


def _task_name(extra_context: Mapping[str, Any] | None, fn: Callable[..., Any]) -> str:
    ctx = extra_context or {}
    return str(ctx.get("task_full_name") or ctx.get("task_name")
               or getattr(fn, "__name__", repr(fn)))


"""Pickling: shipping tasks, finding what does not pickle"""


class ShippedTask:
    """A task pickled once by ``prepare_task`` (workers unpickle it once per process).

    ``data`` is compressed: besides being smaller, it then does not contain the bytes
    ``__main__`` when the task's function is defined in a script, which would make
    ``distributed`` pickle the whole submission a second time, with cloudpickle.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"<ShippedTask: {len(self.data)} bytes>"


class _Unshippable:
    """What ``prepare_task`` returns for a task that does not pickle: why, for the message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@functools.lru_cache(maxsize=256)
def _load(data: bytes) -> Any:
    """Unpickle a shipped task once per process (bytes hash and compare cheaply)."""
    return cloudpickle.loads(zlib.decompress(data))


def _ship(task: Any) -> ShippedTask | _Unshippable:
    try:
        return ShippedTask(zlib.compress(cloudpickle.dumps(task), 1))
    except Exception:
        return _Unshippable(_culprit(task, "task"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {safe_str(exc)}"


def _culprit(obj: Any, path: str, depth: int = 4) -> str:
    """Say which part of ``obj`` cannot be pickled: the innermost failing attribute or item.

    Examples
    --------
    >>> import threading
    >>> class Holder:
    ...     def __init__(self):
    ...         self.name, self.lock = "h", threading.Lock()
    >>> print(_culprit({"ok": 1, "h": Holder()}, "context"))  # doctest: +ELLIPSIS
    context['h'].lock, of type lock, cannot be pickled (TypeError: cannot pickle ...)
    """
    where, part, exc = find_unpicklable(obj, path, depth)
    why = f" ({_describe(exc)})" if exc is not None else ""
    return f"{where}, of type {type(part).__name__}, cannot be pickled{why}"


def _arguments_culprit(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str:
    """Say which argument of ``fn`` (and which part of it) cannot be pickled."""
    try:
        named = dict(inspect.signature(fn).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        named = {**{f"args[{i}]": a for i, a in enumerate(args)}, **kwargs}
    for name, value in named.items():
        if pickle_error(value) is not None:
            return _culprit(value, f"argument {name}")
    return _culprit(fn, f"function {getattr(fn, '__qualname__', fn)!r}", depth=0)


def _unshippable(args: tuple, name: str, where: str) -> Failed | None:
    """The ``Failed`` state for a submission whose task did not pickle in ``prepare_task``."""
    bad = next((a for a in args if isinstance(a, _Unshippable)), None)
    return None if bad is None else _pickle_failure(name, where, bad.reason)


def _pickle_call(name: str, fn: Callable[..., Any], args: tuple,
                 kwargs: dict[str, Any]) -> bytes | Failed:
    """``fn``, ``args`` and ``kwargs`` pickled for a pool process, or why they cannot be."""
    where = "a worker process"
    failed = _unshippable(args, name, where)
    if failed is not None:
        return failed
    try:
        payload: bytes = cloudpickle.dumps((fn, args, kwargs))
    except Exception:
        return _pickle_failure(name, where, _arguments_culprit(fn, args, kwargs))
    return payload


def _pickle_failure(name: str, where: str, what: str) -> Failed:
    return Failed(message=f"Task {name!r} could not be sent to {where}: {what}. Everything a "
                  "task holds or receives must pickle with cloudpickle; create locks, "
                  "connections and clients inside the task's run() instead.")


class _Discard:
    """A file that forgets what is written (the result check needs no bytes)."""

    def write(self, data: Any) -> int:
        return len(memoryview(data))


def _out_of_band(buffer: Any) -> None:
    """Pickle buffer callback: returning a false value keeps the buffer out of the stream."""


def _result_failure(name: str, value: Any) -> Failed | None:
    """``None`` if ``value`` pickles, else a ``Failed`` state that says what does not."""
    try:
        cloudpickle.CloudPickler(_Discard(), protocol=5, buffer_callback=_out_of_band).dump(value)
    except Exception:
        inner = getattr(value, "result", value)
        bad_result = pickle_error(inner) is not None
        what = _culprit(inner, "the result") if bad_result else _culprit(value, "its state")
        return Failed(message=f"Task {name!r} ran, but its result could not be sent back from "
                      f"the worker: {what}.")
    return None


"""Worker side"""


def run_shipped(name: str, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
                log_level: int | None = None) -> Any:
    """Run one submission on a worker: unpickle shipped tasks, call ``fn``, check the result.

    ``log_level`` (``None`` in the driver's own process) is the driver's level for the
    ``prefectlite`` logger, applied here so that forwarded records are made at all.
    """
    if log_level is not None:
        logging.getLogger(_LOGGER).setLevel(log_level)
    try:
        args = tuple(_load(a.data) if isinstance(a, ShippedTask) else a for a in args)
    except Exception as exc:
        return Failed(message=f"Task {name!r} could not be unpickled on the worker "
                      f"({_describe(exc)}); is the module that defines it importable there?")
    value = fn(*args, **kwargs)
    return _result_failure(name, value) or value


class _Pickled(bytes):
    """A result pickled by a pool process (so anything cloudpickle handles comes back)."""


def _run_payload(name: str, payload: bytes) -> _Pickled:
    """Process-pool side: unpickle the call, run it through :func:`run_shipped`, pickle."""
    fn, args, kwargs = cloudpickle.loads(payload)
    value = run_shipped(name, fn, args, kwargs)
    return _Pickled(cloudpickle.dumps(value))


def _init_process(queue: Any, level: int) -> None:
    """Pool process initializer: send ``prefectlite`` records to the driver via ``queue``,
    and exit when the driver dies."""
    log = logging.getLogger(_LOGGER)
    log.setLevel(level)
    log.addHandler(logging.handlers.QueueHandler(queue))
    _exit_with_parent()


def _exit_with_parent() -> None:
    """(pool process) Watch the driver in a daemon thread and exit as soon as it is gone.

    A driver killed with ``kill -9`` cannot shut its pool down; without this its worker
    processes would live on, orphaned, finishing (or hanging in) tasks nobody waits for.
    The watcher blocks on the parent's sentinel, which becomes ready when it exits.
    """
    import multiprocessing
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="prefectlite-watch-driver", daemon=True).start()


class _Redispatch(logging.Handler):
    """Driver side of the queue: hand each record to the driver's logger of the same name."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == _LOGGER or record.name.startswith(_LOGGER + "."):
            logging.getLogger(record.name).handle(record)


"""Bookkeeping shared by both executors"""


class _RunBook:
    """One run's bookkeeping (see the module docstring)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.done: list[Any] = []
        self.names: dict[Any, str] = {}
        self.batch: list[Any] = []
        self.fetched: dict[Any, Any] = {}
        self.shipped: dict[ShippedTask, Any] = {}
        self.token = uuid.uuid4().hex
        self.count = itertools.count()
        self.unwatched: list[Any] = []

    def key(self, ctx: Mapping[str, Any]) -> str:
        """Like :func:`task_key`, with a per-run token and a counter (no ``uuid4`` per key)."""
        name = str(ctx.get("task_name") or ctx.get("task_full_name") or "prefectlite")
        index = _index(ctx)
        prefix = name if index is None else f"{name}-{index}"
        return f"{prefix}-{self.token}-{next(self.count)}"

    def track(self, future: Any, name: str) -> Any:
        """Remember ``future``'s task name and hear when it finishes."""
        self.names[future] = name
        future.add_done_callback(self.finished)
        return future

    def track_later(self, future: Any, name: str) -> Any:
        """Like :meth:`track`, for a distributed future: :meth:`watch` hears of it."""
        self.names[future] = name
        self.unwatched.append(future)
        return future

    def watch(self, client: Any) -> None:
        """Hear when the futures given to :meth:`track_later` finish, with one call into
        the client's event loop for all of them (``add_done_callback`` costs a cross-thread
        call per future, and runs each callback through a thread pool)."""
        futures, self.unwatched = self.unwatched, []
        if futures:
            client.loop.add_callback(_watch, futures, self.finished)

    def finished(self, future: Any) -> None:
        with self.cond:
            self.done.append(future)
            self.cond.notify_all()

    def take(self, futures: Collection[Any], timeout: float | None,
             linger: float = 0.0) -> list[Any]:
        """The finished, unreported futures among ``futures``; wait up to ``timeout``.

        Membership goes by ``id``: the caller holds every future it passes, and hashing a
        distributed future runs Python code (10,000 of them per call added up). With
        ``linger``, once one future is done, more are collected for up to ``linger``
        seconds (never past ``timeout``, not once all are done), so that their states come
        back in fewer, bigger batches.
        """
        if not futures:
            return []
        ids = {id(f) for f in futures}
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while True:
                ready = [f for f in self.done if id(f) in ids]
                if ready and linger > 0 and len(ready) < len(ids):
                    until = time.monotonic() + linger
                    if deadline is not None:
                        until = min(until, deadline)
                    while len(ready) < len(ids):
                        left = until - time.monotonic()
                        if left <= 0:
                            break
                        self.cond.wait(left)
                        ready = [f for f in self.done if id(f) in ids]
                if ready:
                    self.done = [f for f in self.done if id(f) not in ids]
                    return ready
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return []
                self.cond.wait(left)


async def _watch(futures: list[Any], finished: Callable[[Any], None]) -> None:
    """(event loop) Call ``finished(future)`` as each distributed future finishes."""
    import asyncio

    from distributed.client import done_callback

    waits = []
    for future in futures:
        if future.status == "pending":
            waits.append(done_callback(future, finished))
        else:
            finished(future)
    await asyncio.gather(*waits, return_exceptions=True)


def _done_future(value: Any, failed: bool = False) -> cf.Future[Any]:
    """A finished ``concurrent.futures.Future`` holding ``value`` (or raising it)."""
    future: cf.Future[Any] = cf.Future()
    if failed:
        future.set_exception(value)
    else:
        future.set_result(value)
    return future


def _lost(name: str, where: str, exc: BaseException) -> Failed:
    return Failed(message=f"Task {name!r}: {where} ({_describe(exc)}).", result=exc)


def _not_started(executor: Executor) -> RuntimeError:
    return RuntimeError(f"{type(executor).__name__} is not started: submit work inside "
                        "`with executor.start():` (flow.run does this for you).")


"""``LocalDaskExecutor``"""


class LocalDaskExecutor(Executor):
    """Run tasks on a local pool of threads or processes, configured the Dask way.

    Parameters
    ----------
    scheduler
        ``"threads"`` (default), ``"processes"`` or ``"synchronous"`` (also Dask's aliases
        ``"threading"``, ``"multiprocessing"``, ``"sync"``, ``"single-threaded"``).
    num_workers
        Pool size; default ``dask.config`` ``num_workers``, else the number of CPUs.
    **kwargs
        Set in ``dask.config`` while the executor runs (as in Prefect 1).

    Examples
    --------
    >>> ex = LocalDaskExecutor(num_workers=2)
    >>> with ex.start():
    ...     futures = [ex.submit(pow, 2, n) for n in (3, 4)]
    ...     ex.wait(futures)
    [8, 16]
    """

    def __init__(self, scheduler: str = "threads", num_workers: int | None = None,
                 **kwargs: Any) -> None:
        self.scheduler = self._normalize_scheduler(scheduler)
        self.num_workers = num_workers
        self.dask_config = kwargs
        self.max_in_flight: int | None = 1 if self.scheduler == "synchronous" else None
        self.ships_work = self.scheduler == "processes"
        self._pool: cf.Executor | None = None
        self._size = 1
        self._book: _RunBook | None = None
        self._logs: tuple[Any, logging.handlers.QueueListener] | None = None

    def __repr__(self) -> str:
        return f"<Executor: LocalDaskExecutor ({self.scheduler})>"

    @staticmethod
    def _normalize_scheduler(scheduler: str) -> str:
        """Dask's name for a scheduler alias: ``"threads"``, ``"processes"`` or
        ``"synchronous"`` (``ValueError`` for anything else)."""
        key = scheduler.lower()
        if key not in _SCHEDULERS:
            raise ValueError(f"Unknown scheduler {scheduler!r} for LocalDaskExecutor: use "
                             "'threads', 'processes' or 'synchronous'.")
        return _SCHEDULERS[key]

    def wait(self, futures: Any) -> Any:
        """Resolve futures (possibly inside lists, tuples, sets and dicts) to values."""
        return resolve(self, futures)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_pool": None, "_book": None, "_logs": None}

    @contextmanager
    def start(self) -> Iterator[None]:
        """Open the pool for one run; shut it down after (without waiting, on an error)."""
        import dask.config
        from dask.system import CPU_COUNT

        with dask.config.set(self.dask_config):
            size = self.num_workers or dask.config.get("num_workers", None) or CPU_COUNT
            self._size, self._book = size, _RunBook()
            if self.scheduler != "synchronous":
                self.max_in_flight = 2 * size
                self._pool = self._make_pool(size)
            clean = False
            try:
                yield
                clean = True
            finally:
                if self._pool is not None:
                    self._pool.shutdown(wait=clean, cancel_futures=not clean)
                self._stop_log_listener()
                self._pool, self._book = None, None

    def _make_pool(self, size: int) -> cf.Executor:
        if self.scheduler == "threads":
            return cf.ThreadPoolExecutor(size, thread_name_prefix="prefectlite-dask")
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        if self._logs is None:
            queue = ctx.Queue()
            listener = logging.handlers.QueueListener(queue, _Redispatch())
            listener.start()
            self._logs = (queue, listener)
        level = logging.getLogger(_LOGGER).getEffectiveLevel()
        return cf.ProcessPoolExecutor(size, mp_context=ctx, initializer=_init_process,
                                      initargs=(self._logs[0], level))

    def _stop_log_listener(self) -> None:
        # A pool process killed while writing a record can leave a torn message in the
        # queue, on which the listener's reader blocks for good: wait a little, then let
        # its (daemon) thread go rather than hang the run or interpreter exit.
        if self._logs is not None:
            queue, listener = self._logs
            self._logs = None
            thread = listener._thread
            listener.enqueue_sentinel()
            if thread is not None:
                thread.join(timeout=5)
            listener._thread = None
            queue.close()
            if thread is not None and thread.is_alive():
                logger.warning("Log records of a dead pool process could not be read; "
                               "some worker log lines may be missing.")
                queue.cancel_join_thread()
            else:
                queue.join_thread()

    def prepare_task(self, task: Any) -> Any:
        """Processes: the task pickled once (threads and inline runs need no pickling)."""
        return _ship(task) if self.scheduler == "processes" else task

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> cf.Future[Any]:
        if self._book is None:
            raise _not_started(self)
        name = _task_name(extra_context, fn)
        if self._pool is None:
            try:
                future = _done_future(fn(*args, **kwargs))
            except Exception as exc:
                future = _done_future(exc, failed=True)
        elif self.scheduler == "threads":
            future = self._pool.submit(fn, *args, **kwargs)
        else:
            future = self._submit_pickled(name, fn, args, kwargs)
        self._book.track(future, name)
        return future

    def _submit_pickled(self, name: str, fn: Callable[..., Any], args: tuple,
                        kwargs: dict[str, Any]) -> cf.Future[Any]:
        payload = _pickle_call(name, fn, args, kwargs)
        if isinstance(payload, Failed):
            return _done_future(payload)
        assert self._pool is not None
        try:
            return self._pool.submit(_run_payload, name, payload)
        except cf.BrokenExecutor:  # a process died earlier: start a fresh pool, once
            logger.warning("A worker process died; starting a new process pool.")
            self._pool.shutdown(wait=False)
            self._pool = self._make_pool(self._size)
            return self._pool.submit(_run_payload, name, payload)

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        if self._book is None:
            raise _not_started(self)
        return self._book.take(futures, timeout)

    def result(self, future: Any) -> Any:
        """The value of a done future; a lost computation becomes a ``Failed`` state."""
        name = self._book.names.pop(future, "?") if self._book else "?"
        try:
            value = future.result()
        except Exception as exc:  # run_task never raises: the pool or its process failed
            dead = isinstance(exc, cf.BrokenExecutor)
            return _lost(name, "its worker process died" if dead else "it could not run", exc)
        return cloudpickle.loads(value) if type(value) is _Pickled else value

    def _is_future(self, obj: Any) -> bool:
        return isinstance(obj, cf.Future)


"""``DaskExecutor``"""


def _import_object(path: str) -> Any:
    """``"distributed.LocalCluster"`` -> the class it names."""
    import importlib

    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"cluster_class {path!r} must be a dotted path such as "
                         "'distributed.LocalCluster'.")
    return getattr(importlib.import_module(module), name)


def _identity(value: Any) -> Any:
    return value


class DaskExecutor(Executor):
    """Run tasks on a ``dask.distributed`` cluster: an existing one, or one made for the run.

    Parameters
    ----------
    address
        Address of a running scheduler (``"tcp://10.0.0.5:8786"``). Without it, a temporary
        cluster is created by ``start()`` and closed when the run ends.
    cluster_class
        The temporary cluster's class, or its dotted name (``"dask_kubernetes.KubeCluster"``);
        default ``distributed.LocalCluster``. As in Prefect 1, ``executor.cluster_class`` and
        ``executor.cluster_kwargs`` are ``None`` when ``address`` is given.
    cluster_kwargs
        Keyword arguments for ``cluster_class``. For a ``LocalCluster``, ``silence_logs``
        defaults to ``logging.CRITICAL`` (``WARNING`` with ``debug=True``), and is then
        visible in ``executor.cluster_kwargs``.
    adapt_kwargs
        If given, ``cluster.adapt(**adapt_kwargs)`` scales the temporary cluster with the load.
    client_kwargs
        Keyword arguments for ``distributed.Client`` (``set_as_default`` defaults to False).
    debug
        Let a temporary ``LocalCluster`` log its warnings.

    Raises
    ------
    ValueError
        If ``address`` is given together with ``cluster_class`` or ``cluster_kwargs``.

    Examples
    --------
    >>> DaskExecutor(address="tcp://127.0.0.1:8786")
    <Executor: DaskExecutor (tcp://127.0.0.1:8786)>
    >>> DaskExecutor(cluster_kwargs={"n_workers": 2}, adapt_kwargs={"maximum": 4})
    <Executor: DaskExecutor (temporary cluster)>
    """

    resolves_futures = True
    ships_work = True
    #: submitted runs not finished yet; bounds what a wide map holds on the cluster, and
    #: with the walk's last-in-first-out order makes long mapped pipelines go depth-first
    max_in_flight: int | None = 4096
    #: seconds ``wait_any`` goes on collecting finished futures after the first: each
    #: batch's states come back in one round trip, and fewer round trips leave the
    #: scheduler (and the driver) free for the work itself
    linger: float = 0.02

    def __init__(self, address: str | None = None, cluster_class: str | Callable[..., Any] |
                 None = None, cluster_kwargs: dict[str, Any] | None = None,
                 adapt_kwargs: dict[str, Any] | None = None,
                 client_kwargs: dict[str, Any] | None = None, debug: bool = False) -> None:
        if address is not None and (cluster_class is not None or cluster_kwargs is not None):
            raise ValueError("DaskExecutor: give either `address` (connect to a running "
                             "scheduler) or `cluster_class`/`cluster_kwargs` (create a "
                             "temporary cluster), not both.")
        self.address = address
        self.cluster_class: Callable[..., Any] | None = None
        self.cluster_kwargs: dict[str, Any] | None = None
        if address is None:  # as in Prefect 1: the temporary cluster's class and arguments
            from distributed import LocalCluster

            cls = cluster_class or LocalCluster
            self.cluster_class = _import_object(cls) if isinstance(cls, str) else cls
            self.cluster_kwargs = dict(cluster_kwargs or {})
            if isinstance(self.cluster_class, type) and issubclass(self.cluster_class,
                                                                   LocalCluster):
                self.cluster_kwargs.setdefault(
                    "silence_logs", logging.WARNING if debug else logging.CRITICAL)
        self.adapt_kwargs = dict(adapt_kwargs or {})
        self.client_kwargs = {"set_as_default": False, **(client_kwargs or {})}
        self.debug = debug
        self.client: Any = None
        self._book: _RunBook | None = None
        self._log_level: int | None = None

    def __repr__(self) -> str:
        where = self.address or "temporary cluster"
        return f"<Executor: DaskExecutor ({where})>"

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "client": None, "_book": None, "_log_level": None}

    @contextmanager
    def start(self) -> Iterator[None]:
        """Connect a client (creating the temporary cluster first) for one run."""
        from distributed import Client

        with self._cluster() as target, Client(target, **self.client_kwargs) as client:
            self.client, self._book = client, _RunBook()
            self._log_level = self._forward_logs(client)
            try:
                yield
            finally:
                self._stop_forwarding(client)
                self.client, self._book, self._log_level = None, None, None

    @contextmanager
    def _cluster(self) -> Iterator[Any]:
        """The scheduler address, or a temporary cluster that lives as long as the block."""
        if self.address is not None:
            logger.info("Connecting to an existing Dask cluster at %s", self.address)
            yield self.address
            return
        cls, kwargs = self.cluster_class, dict(self.cluster_kwargs or {})
        assert cls is not None  # set by __init__ whenever there is no address
        logger.info("Creating a new Dask cluster with `%s.%s`...", cls.__module__,
                    cls.__qualname__)
        with cls(**kwargs) as cluster:
            if getattr(cluster, "dashboard_link", None):
                logger.info("The Dask dashboard is available at %s", cluster.dashboard_link)
            if self.adapt_kwargs:
                cluster.adapt(**self.adapt_kwargs)
            yield cluster

    def _forward_logs(self, client: Any) -> int | None:
        """Forward worker records; the level workers should log at (``None``: not forwarded)."""
        in_process = self.address is None and (self.cluster_kwargs or {}).get(
            "processes") is False
        if in_process or os.getpid() in client.run(os.getpid).values():
            return None  # workers share our loggers: their records are local already
        client.forward_logging(_LOGGER)
        return logging.getLogger(_LOGGER).getEffectiveLevel()

    def _stop_forwarding(self, client: Any) -> None:
        if self._log_level is None:
            return
        try:
            client.unforward_logging(_LOGGER)
        except Exception as exc:  # the cluster may already be going away
            logger.debug("Could not stop forwarding worker logs: %r", exc)

    def prepare_task(self, task: Any) -> Any:
        """The task pickled once: the first submission ships it, later ones refer to it."""
        return _ship(task)

    def _prep_dask_kwargs(self, extra_context: Mapping[str, Any] | None) -> dict[str, Any]:
        """The ``client.submit`` keywords for one submission: a ``key`` named after the task
        (and map index) and the worker ``resources`` its ``dask-resource:`` tags ask for."""
        ctx = extra_context or {}
        kwargs: dict[str, Any] = {"key": self._book.key(ctx) if self._book else task_key(ctx)}
        resources = dask_resources(ctx.get("task_tags") or ())
        if resources:
            kwargs["resources"] = resources
        return kwargs

    def submit(
        self, fn: Callable[..., Any], *args: Any, extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Submit ``fn(*args, **kwargs)``; a submission that cannot be sent yields ``Failed``."""
        client, book = self.client, self._book
        if client is None or book is None:
            raise _not_started(self)
        ctx = extra_context or {}
        name = _task_name(ctx, fn)
        future = self._submit(client, book, name, fn, args, kwargs, ctx)
        if isinstance(future, Failed):
            future = client.submit(_identity, future, key=book.key(ctx), pure=False)
        return book.track_later(future, name)

    def _submit(self, client: Any, book: _RunBook, name: str, fn: Callable[..., Any],
                args: tuple, kwargs: dict[str, Any], ctx: Mapping[str, Any]) -> Any:
        """A distributed future, or the ``Failed`` state to deliver in its place."""
        where = "the Dask cluster"
        failed = _unshippable(args, name, where)
        if failed is not None:
            return failed
        try:
            dask_kwargs = self._prep_dask_kwargs(ctx)
        except ValueError as exc:
            return Failed(message=f"Task {name!r} could not be submitted: {exc}")
        args = tuple(self._reference(client, book, a, ctx) if isinstance(a, ShippedTask)
                     else a for a in args)
        try:
            return client.submit(run_shipped, name, fn, args, kwargs, self._log_level,
                                 pure=False, **dask_kwargs)
        except Exception:
            if pickle_error((fn, args, kwargs)) is None:
                raise
            return _pickle_failure(name, where, _arguments_culprit(fn, args, kwargs))

    def _reference(self, client: Any, book: _RunBook, shipped: ShippedTask,
                   ctx: Mapping[str, Any]) -> Any:
        """The shipped task inline the first time, then a cluster future that holds it."""
        if shipped not in book.shipped:
            book.shipped[shipped] = None
            return shipped
        future = book.shipped[shipped]
        if future is None:
            key = f"{ctx.get('task_name') or 'task'}-object-{book.token}-{next(book.count)}"
            future = book.shipped[shipped] = client.submit(_identity, shipped, key=key,
                                                           pure=False)
        return future

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        if self._book is None:
            raise _not_started(self)
        self._book.watch(self.client)
        done = self._book.take(futures, timeout, self.linger)
        self._book.batch.extend(done)
        return done

    def result(self, future: Any) -> Any:
        """The state of a done future; its whole ``wait_any`` batch is gathered at once."""
        book = self._book
        if book is None:
            return future.result()
        if future not in book.fetched:
            self._fetch(book, future)
        book.names.pop(future, None)
        return book.fetched.pop(future)

    def _fetch(self, book: _RunBook, future: Any) -> None:
        batch = [f for f in book.batch if f.status == "finished" and f not in book.fetched]
        book.batch = []
        if batch:
            try:
                book.fetched.update(zip(batch, self.client.gather(batch), strict=True))
            except Exception as exc:  # e.g. a worker died meanwhile: one by one below
                logger.debug("Gathering %d states failed (%r)", len(batch), exc)
        if future not in book.fetched:
            name = book.names.get(future, "?")
            try:
                book.fetched[future] = future.result()
            except Exception as exc:
                book.fetched[future] = _lost(name, "its Dask future failed", exc)

    def wait(self, futures: Any) -> Any:
        """Resolve (nested collections of) futures to their values in one gather."""
        if self.client is None:
            raise _not_started(self)
        return self.client.gather(futures)

    def _is_future(self, obj: Any) -> bool:
        from distributed import Future

        return isinstance(obj, Future)
