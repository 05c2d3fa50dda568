"""The same flow on your laptop and on a Dask cluster: only the executor changes.

Run with ``python examples/dask_cluster.py`` (needs ``pip install prefectlite[dask]``).

The flow squares a list of numbers in parallel and adds them up. It runs three times:
in-process with the default ``LocalExecutor``, on a local thread pool
(``LocalDaskExecutor``), and on a temporary ``distributed.LocalCluster`` of two worker
processes (``DaskExecutor``). On the cluster each task reports the process it ran in, and its
log lines come back to this process's log.

The ``if __name__ == "__main__":`` guard matters: Dask starts its worker processes with
``spawn``, which imports this file again in each of them. Without the guard every worker
would try to start a cluster of its own.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from prefectlite import Flow, context, task
from prefectlite.executors import LocalExecutor


@task
def square(x: int) -> tuple[int, int]:
    context.logger.info("squaring %d in process %d", x, os.getpid())
    return x * x, os.getpid()


@task
def add_up(results: list[tuple[int, int]]) -> int:
    return sum(value for value, _pid in results)


def build() -> tuple[Flow, object, object]:
    with Flow("squares") as flow:
        squares = square.map(list(range(10)))
        total = add_up(squares)
    return flow, squares, total


def main() -> None:
    if importlib.util.find_spec("distributed") is None:
        sys.exit("This example needs the dask extra (dask and distributed): "
                 'pip install ".[dask]" in prefectlite\'s source tree.')
    from prefectlite.executors import DaskExecutor, LocalDaskExecutor

    flow, squares, total = build()
    executors = [
        LocalExecutor(),
        LocalDaskExecutor(scheduler="threads", num_workers=4),
        # A temporary cluster: created when the run starts, closed when it ends. To use a
        # cluster that is already running, pass DaskExecutor(address="tcp://host:8786").
        DaskExecutor(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}),
    ]
    for executor in executors:
        state = flow.run(executor=executor)
        pids = sorted({pid for _value, pid in state.result[squares].result})
        print(f"{executor!r}: total={state.result[total].result}, processes used: {pids}")


if __name__ == "__main__":
    main()
