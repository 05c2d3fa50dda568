"""Executors on Dask: ``LocalDaskExecutor`` (a local pool) and ``DaskExecutor`` (a cluster).

Both follow :mod:`prefectlite.executors.base` and decide nothing about states. ``dask`` and
``distributed`` are imported when a run starts, so ``import prefectlite`` stays light.

The package, by concern:

:mod:`.naming`
    keys that group a task's runs on the dashboard; ``dask-resource:`` tags as resources.
:mod:`prefectlite.executors.shipping` (shared with the process pool)
    pickling tasks once, saying which object does not pickle, and the worker-side call.
:mod:`.book`
    one run's bookkeeping: which futures finished, their task names, fetched states.
:mod:`.local`
    ``LocalDaskExecutor``: a thread or process pool, or inline.
:mod:`.cluster`
    ``DaskExecutor``: a ``distributed`` client, for an existing or a temporary cluster.
:mod:`.batch`
    a round of submissions sent to the scheduler as one graph update.
:mod:`.limits`
    tag concurrency limits as semaphores on the cluster.
:mod:`.worker_logs`
    worker log records forwarded to the driver with their task run.
"""

from __future__ import annotations

from prefectlite.executors.dask.cluster import DaskExecutor
from prefectlite.executors.dask.local import LocalDaskExecutor
from prefectlite.executors.dask.naming import dask_resources, task_key
from prefectlite.executors.shipping import ShippedTask, run_shipped

__all__ = ["DaskExecutor", "LocalDaskExecutor", "ShippedTask", "dask_resources", "run_shipped",
           "task_key"]
