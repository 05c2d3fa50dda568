"""``DaskExecutor``: tasks on a ``dask.distributed`` cluster, an existing one or one made for
the run.

Each submission gets a key ``<task>[-<map index>]-<run token>-<counter>`` (grouped by task
on the dashboard) and the worker resources its ``dask-resource:NAME=AMOUNT`` tags ask for;
futures among its arguments are resolved on the cluster (``resolves_futures``). A round of
submissions reaches the scheduler as one graph update (:mod:`.batch`), and each task's
pickled bytes cross the network once (a data key that every run of the task depends on).
``wait_any`` hears of finished futures from one watcher on the client's event loop per round
(:mod:`.book`), and the first ``result()`` after it fetches the states of the whole round in
one call (:mod:`.fetch`). Worker records come back stamped with their task run
(:mod:`.worker_logs`).

Example: ``inc.map(range(3))`` on a cluster is three keys ``inc-0-<token>-1``,
``inc-1-<token>-2``, ``inc-2-<token>-3`` sent in one graph update with the key
``inc-object-<token>-0`` that holds the pickled ``inc``. As each finishes, the watcher
appends it to ``done``; ``wait_any`` returns what is there and the next ``result()`` fetches
those states together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from prefectlite.engine.state import Failed
from prefectlite.executors.base import Executor, not_started
from prefectlite.executors.dask.book import RunBook
from prefectlite.executors.dask.limits import ClusterSemaphore
from prefectlite.executors.dask.naming import (
    dask_resources,
    import_object,
    require_dask,
    task_key,
)
from prefectlite.executors.shipping import ShippedTask, _ship, _unshippable, lost, task_name

__all__ = ["DaskExecutor"]

logger = logging.getLogger("prefectlite.executors.dask")
#: what one run sets up, and pickling or the end of the run clears
_RUN_STATE = ("client", "_book", "_batch", "_log_level", "_forwarding", "_send_error",
              "_receiver", "_watching")


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
    performance_report_path
        If given, Dask's performance report of each run is written there (an HTML file);
        ``executor.performance_report`` reads it back.
    watch_worker_status
        Log (at DEBUG) each worker that joins or leaves the cluster during a run. By
        default on, unless ``adapt_kwargs`` are given (an adaptive cluster changes all the
        time), as in Prefect 1.

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
    _send_error: Exception | None = None  # a failed send of a round, raised on the next wait

    def __init__(self, address: str | None = None, cluster_class: str | Callable[..., Any] |
                 None = None, cluster_kwargs: dict[str, Any] | None = None,
                 adapt_kwargs: dict[str, Any] | None = None,
                 client_kwargs: dict[str, Any] | None = None, debug: bool = False,
                 performance_report_path: str | None = None,
                 watch_worker_status: bool | None = None) -> None:
        require_dask("DaskExecutor")
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
            self.cluster_class = import_object(cls) if isinstance(cls, str) else cls
            self.cluster_kwargs = dict(cluster_kwargs or {})
            if isinstance(self.cluster_class, type) and issubclass(self.cluster_class,
                                                                   LocalCluster):
                self.cluster_kwargs.setdefault(
                    "silence_logs", logging.WARNING if debug else logging.CRITICAL)
        self.adapt_kwargs = dict(adapt_kwargs or {})
        self.client_kwargs = {"set_as_default": False, **(client_kwargs or {})}
        self.debug = debug
        self.performance_report_path = performance_report_path
        self.watch_worker_status = watch_worker_status
        self.client: Any = None
        self._book: RunBook | None = None
        self._batch: Any = None
        self.__dict__.update(dict.fromkeys(_RUN_STATE))

    def __repr__(self) -> str:
        where = self.address or "temporary cluster"
        return f"<Executor: DaskExecutor ({where})>"

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, **dict.fromkeys(_RUN_STATE)}

    @property
    def performance_report(self) -> str:
        """The text of the performance report at ``performance_report_path`` ("" if none
        was asked for, or it cannot be read)."""
        if self.performance_report_path is None:
            return ""
        try:
            with open(self.performance_report_path, encoding="utf-8") as report:
                return report.read()
        except OSError as exc:
            logger.warning("Could not read the Dask performance report at %r: %s",
                           self.performance_report_path, exc)
            return ""

    @contextmanager
    def start(self) -> Iterator[None]:
        """Connect a client (creating the temporary cluster first) for one run."""
        from distributed import Client

        from prefectlite.executors.dask import batch

        with self._cluster() as target, Client(target, **self.client_kwargs) as client, \
                self._reporting():
            self.client, self._book, self._batch = client, RunBook(), batch.Batch()
            self._watch_workers(client)
            try:
                yield
            finally:
                self._stop_watching(client)
                self.__dict__.update(dict.fromkeys(_RUN_STATE))

    @contextmanager
    def limiter(self, limits: dict[str, int]) -> Iterator[Any]:
        """Tag limits as ``distributed.Semaphore`` leases on the cluster, one semaphore per
        tag and limit (``prefectlite-tag-database-2``): every run on this cluster with the
        same limit shares its slots."""
        from prefectlite.engine.limits import Limiter

        if self.client is None:
            raise not_started(self)
        client = self.client
        yield Limiter(limits, make=lambda tag, n: ClusterSemaphore(f"prefectlite-tag-{tag}-{n}", n,
                                                                   client))

    def _reporting(self) -> Any:
        """Dask's performance report around the run, when a path was given."""
        if self.performance_report_path is None:
            return nullcontext()
        import importlib.util

        from distributed import performance_report

        if importlib.util.find_spec("bokeh") is None:  # say so before anything runs
            raise ImportError("DaskExecutor(performance_report_path=...) needs bokeh, which "
                              "renders Dask's report: pip install bokeh.")

        return performance_report(filename=self.performance_report_path)

    def _watch_workers(self, client: Any) -> None:
        """Forward the workers' records here; log workers joining and leaving if asked."""
        from prefectlite.executors.dask import worker_logs

        in_process = self.address is None and (self.cluster_kwargs or {}).get(
            "processes") is False
        self._receiver = worker_logs.Receiver()
        self._forwarding = worker_logs.start_forwarding(client, in_process, self._receiver)
        if self._forwarding is not None:
            self._log_level = logging.getLogger("prefectlite").getEffectiveLevel()
        if self.watch_worker_status or (self.watch_worker_status is None
                                        and not self.adapt_kwargs):
            client.subscribe_topic("all", worker_logs.worker_status)
            self._watching = True

    def _stop_watching(self, client: Any) -> None:
        from prefectlite.executors.dask import worker_logs

        worker_logs.stop_forwarding(client, self._forwarding)
        if self._watching:
            try:
                client.unsubscribe_topic("all")
            except Exception as exc:  # the cluster may already be going away
                logger.debug("Could not stop watching the workers: %r", exc)

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

    def prepare_task(self, task: Any) -> Any:
        """The task pickled once: a data key on the cluster holds it for all its runs."""
        return _ship(task)

    def _prep_dask_kwargs(self, extra_context: Mapping[str, Any] | None) -> dict[str, Any]:
        """The Dask keywords for one submission: a ``key`` named after the task (and map
        index) and the worker ``resources`` its ``dask-resource:`` tags ask for."""
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
        """Queue ``fn(*args, **kwargs)`` and return its future; a submission that cannot be
        sent yields a future holding its ``Failed`` state."""
        from distributed import Future

        from prefectlite.executors.dask import batch

        client, book = self.client, self._book
        if client is None or book is None:
            raise not_started(self)
        ctx = extra_context or {}
        name = task_name(ctx, fn)
        if self._receiver is not None:  # its workers' records are for this driver
            self._receiver.runs.add(ctx.get("flow_run_id"))
        item = self._item(book, name, fn, args, kwargs, ctx)
        # The future exists before its key reaches the scheduler (with the next batch):
        # the caller holds it, and later submissions depend on it, right away.
        future: Any = Future(item.key, client)
        queued = self._batch.add(item)
        if queued == 1:  # the first of a round: make sure it is sent, whatever happens
            client.loop.add_callback(self._send_soon)
        elif queued >= batch.CHUNK:
            self._send()
        return book.track_later(future, name)

    def _item(self, book: RunBook, name: str, fn: Callable[..., Any], args: tuple,
              kwargs: dict[str, Any], ctx: Mapping[str, Any]) -> Any:
        from prefectlite.executors.dask import batch

        failed = _unshippable(args, name, batch.WHERE)
        try:
            dask_kwargs = self._prep_dask_kwargs(ctx)
        except ValueError as exc:
            failed = failed or Failed(message=f"Task {name!r} could not be submitted: {exc}")
            dask_kwargs = {"key": book.key(ctx)}
        if failed is not None:
            return batch.data_item(dask_kwargs["key"], failed)
        args = tuple(self._reference(book, a, ctx) if isinstance(a, ShippedTask) else a
                     for a in args)
        return batch.call_item(dask_kwargs["key"], name, fn, args, kwargs, self._log_level,
                               dask_kwargs.get("resources"))

    def _reference(self, book: RunBook, shipped: ShippedTask, ctx: Mapping[str, Any]) -> Any:
        """The future of the data key that holds ``shipped`` (queued with the first use)."""
        from distributed import Future

        from prefectlite.executors.dask import batch

        future = book.shipped.get(shipped)
        if future is None:
            key = f"{ctx.get('task_name') or 'task'}-object-{book.token}-{next(book.count)}"
            self._batch.add(batch.data_item(key, shipped))
            future = book.shipped[shipped] = Future(key, self.client)
        return future

    def _send_soon(self) -> None:
        """(client's event loop) Send the queued round once the caller has been quiet for a
        moment (the caller sends it itself when it waits); an error waits for the caller."""
        from prefectlite.executors.dask.batch import QUIET

        queue, client = self._batch, self.client
        if queue is None or client is None or not queue.items:
            return
        if queue.quiet_for() < QUIET:  # still submitting: look again in a moment
            client.loop.call_later(QUIET, self._send_soon)
            return
        try:
            queue.send(client)
        except Exception as exc:
            self._send_error = exc

    def _send(self) -> None:
        """Send the queued round now (before waiting on any of it)."""
        if self._batch is not None:
            self._batch.send(self.client)
        error, self._send_error = self._send_error, None
        if error is not None:
            raise error

    def wait_any(self, futures: Collection[Any], timeout: float | None = None) -> list[Any]:
        if self._book is None:
            raise not_started(self)
        self._send()
        self._book.watch(self.client)
        done = self._book.take(futures, timeout, self.linger)
        self._book.batch.extend(done)
        return done

    def result(self, future: Any) -> Any:
        """The state of a done future; its whole ``wait_any`` batch is fetched at once."""
        book = self._book
        if book is None:
            return future.result()
        if future not in book.fetched:
            self._send()
            self._fetch(book, future)
        book.names.pop(future, None)
        return book.fetched.pop(future)

    def _fetch(self, book: RunBook, future: Any) -> None:
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
                book.fetched[future] = lost(name, "its Dask future failed", exc)

    def add_done_callback(self, future: Any, fn: Callable[[Any], Any]) -> None:
        """``fn(future)`` at once if ``future`` is done, else in a thread of the client
        (where ``result(future)`` may be called). The queued round is sent first, as
        before any wait."""
        if future.done():
            fn(future)
            return
        self._send()
        future.add_done_callback(fn)

    def wait(self, futures: Any) -> Any:
        """Resolve (nested collections of) futures to their values in one gather."""
        if self.client is None:
            raise not_started(self)
        self._send()
        return self.client.gather(futures)

    def _is_future(self, obj: Any) -> bool:
        from distributed import Future

        return isinstance(obj, Future)

