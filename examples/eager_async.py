"""An async eager flow: ``await`` tasks, run async subflows concurrently, mix in sync tasks.

    python examples/eager_async.py

``async def`` tasks are awaited inside an ``async def`` flow; a flow called with
``asyncio.run(flow(...))`` runs on that event loop. ``asyncio.gather`` over async subflows
runs them concurrently (three 0.3 s subflows take about 0.3 s, not 0.9 s). A sync task called
in an async flow simply runs.

Every ``assert`` below is part of the example.
"""

from __future__ import annotations

import asyncio
import logging
import time

from prefectlite import flow, task

logging.getLogger("prefectlite.TaskRunner").setLevel(logging.WARNING)


# All three fetches must be in flight at the same moment to get past this barrier: the proof
# that gather() ran the subflows concurrently (run in turn, the first would wait forever).
all_fetching = asyncio.Barrier(3)


@task
async def fetch(item: str) -> str:
    await asyncio.wait_for(all_fetching.wait(), timeout=60)
    await asyncio.sleep(0.3)  # stands in for an HTTP call
    return item.upper()


@task
def count_letters(word: str) -> int:  # a sync task, called from async code
    return len(word)


@flow
async def fetch_one(item: str) -> tuple[str, int]:
    word = await fetch(item)
    return word, count_letters(word)


@flow
async def fetch_all(items: list[str]) -> list[tuple[str, int]]:
    return await asyncio.gather(*(fetch_one(i) for i in items))


if __name__ == "__main__":
    started = time.monotonic()
    result = asyncio.run(fetch_all(["ant", "bee", "cicada"]))
    elapsed = time.monotonic() - started
    assert result == [("ANT", 3), ("BEE", 3), ("CICADA", 6)]
    # the three subflows overlapped: about 0.3 s, where one after the other takes 0.9 s
    print(f"eager_async: ok ({elapsed:.2f} s)")
