"""Concurrency in an eager flow: ``.submit()`` futures, ``.map()``, ``unmapped``, ``wait_for``.

    python examples/eager_submit_map.py

``task.submit(...)`` starts a run on the flow's task runner (a thread pool by default) and
returns a future at once; ``future.result()`` waits for the value. ``task.map(...)`` submits
one run per element (``unmapped(x)`` passes ``x`` whole to every run). A future passed to
another task is resolved to its value first; ``wait_for=[...]`` orders runs without passing
values. A failed upstream leaves its dependents ``NotReady`` instead of running them.

Run with ``journal=`` (a path here; ``True`` for the default journal), the flow run is
recorded like a ``flow.run`` one: each task run, its log lines, and the graph of the futures
passed between task runs (what ``prefectlite runs show/logs`` and ``prefectlite ui`` show).

Every ``assert`` below is part of the example.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from prefectlite import flow, task, unmapped
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.journal_logs import read_graph, read_logs
from prefectlite.task_runners import ThreadPoolTaskRunner

logging.getLogger("prefectlite.TaskRunner").setLevel(logging.CRITICAL)

events: list[str] = []
# All four downloads must be running at the same moment to get past this barrier: the proof
# that .map() ran them concurrently (run one after the other, the first would wait forever).
all_downloading = threading.Barrier(4, timeout=60)


@task
def download(page: int) -> list[int]:
    all_downloading.wait()
    time.sleep(0.2)  # I/O-bound work overlaps on the thread pool
    return [page * 10 + i for i in range(3)]


@task
def scale(values: list[int], factor: int) -> list[int]:
    return [v * factor for v in values]


@task
def create_table() -> None:
    events.append("table")


@task
def store(rows: list[list[int]]) -> int:
    events.append("store")
    return sum(len(r) for r in rows)


@task
def broken() -> None:
    raise ConnectionError("the API is down")


@flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
def pipeline(pages: int = 4) -> tuple[int, list[int], str]:
    downloads = download.map(range(pages))  # four runs at once
    scaled = scale.map(downloads, factor=unmapped(2))  # each waits for its download
    table = create_table.submit()
    count = store.submit(scaled, wait_for=[table])  # futures inside a list are resolved
    # (nothing above waited: every call returned a future at once)
    failed = broken.submit()
    after_failure = scale.submit(failed, 1)
    after_failure.wait()
    return count.result(), scaled[0].result(), after_failure.state.name


if __name__ == "__main__":
    started = time.monotonic()
    total, first, name = pipeline()
    assert (total, first, name) == (12, [0, 2, 4], "NotReady")
    assert events == ["table", "store"]
    # the four 0.2 s downloads overlapped: about 0.2 s, where one after the other takes 0.8 s
    print(f"eager_submit_map: ok ({time.monotonic() - started:.2f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.db"
        state = pipeline.with_options(journal=path)(return_state=True)
        run_id = str(state.state_details.flow_run_id)
        with RunStore(path) as store:
            rows = {r.task_slug: r for r in store.get_run(run_id).task_runs}
            graph = read_graph(store, run_id)
            logs = read_logs(store, run_id)  # the flow run's lines, and its task runs'
        assert rows["download-3"].state == "Success" and rows["broken-0"].state == "Failed"
        assert "the API is down" in (rows["broken-0"].message or "")
        assert graph is not None
        assert ["download-2", "scale-2", "values", False] in graph["edges"]
        assert ["create_table-0", "store-0", None, False] in graph["edges"]  # wait_for
        assert any("Finished in state Completed" in r.message for r in logs)
        print(f"eager_submit_map: journaled {len(rows)} task runs, "
              f"{len(graph['edges'])} edges")
