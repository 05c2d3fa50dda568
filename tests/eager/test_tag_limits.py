"""Tag concurrency limits in eager ``@flow`` runs, on every task runner.

As in tests/engine/test_limits.py, each task run appends "+" to a shared file when it starts
and "-" before it ends, and stays until ``limit`` runs are inside at once (or every run has
started). With the limit held the file never shows more than ``limit`` inside, and shows
exactly ``limit`` at some point; without it a pool with more workers lets more in.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefectlite import context, flow, task, unmapped
from prefectlite.task_runners import (
    DaskTaskRunner,
    ProcessPoolTaskRunner,
    SequentialTaskRunner,
    ThreadPoolTaskRunner,
)
from prefectlite.utilities.configuration import set_temporary_config

# -- module level: pool processes import these by reference --------------------------------


def _mark(log: str, sign: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, sign.encode())
    finally:
        os.close(fd)


def _inside(log: str, limit: int, total: int) -> bool:
    """Whether ``limit`` runs are inside at once, or every run has started."""
    with open(log, encoding="ascii") as f:
        marks = f.read()
    return marks.count("+") - marks.count("-") >= limit or marks.count("+") >= total


def _hold(log: str, limit: int, total: int) -> None:
    deadline = time.monotonic() + 120  # a safety net only: the run is stuck if it is reached
    while not _inside(log, limit, total):
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {limit} runs came in")
        time.sleep(0.005)  # polling the file; nothing depends on how long this takes


@task(tags=["database"])
def guarded(i: int, log: str, limit: int, total: int) -> int:
    _mark(log, "+")
    try:
        _hold(log, limit, total)
    finally:
        _mark(log, "-")
    return i


@task(tags=["database"])
async def guarded_async(i: int, log: str, limit: int, total: int) -> int:
    _mark(log, "+")
    try:
        deadline = time.monotonic() + 120
        while not _inside(log, limit, total):
            assert time.monotonic() < deadline, f"fewer than {limit} runs came in"
            await asyncio.sleep(0.005)
    finally:
        _mark(log, "-")
    return i


@task(tags=["database"])
def plus_one(x: int) -> int:
    return x + 1


@task(tags=["database"])
def slots_held() -> tuple[int, int]:
    limiter = context.get("_task_limiter")
    return id(limiter), limiter.held("database")


def peak(log: Path) -> int:
    inside = top = 0
    for sign in log.read_text():
        inside += 1 if sign == "+" else -1
        top = max(top, inside)
    return top


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "marks.log"
    path.write_text("")
    yield path


def run_mapped(runner: Any, log: Path, limit: int, total: int = 6) -> list[int]:
    @flow(task_runner=runner)
    def limited() -> list[int]:
        return guarded.map(range(total), log=unmapped(str(log)), limit=unmapped(limit),
                           total=unmapped(total)).result()

    return limited()


# -- the limit holds on every task runner ----------------------------------------------------


def make_runner(kind: str) -> Any:
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=4)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=3)
    pytest.importorskip("dask")
    from prefectlite.executors import LocalDaskExecutor

    return DaskTaskRunner(executor=LocalDaskExecutor("threads", num_workers=4))


@pytest.mark.parametrize("kind", ["threads", "processes", "local-dask"])
def test_the_configured_limit_holds(kind: str, log: Path) -> None:
    runner = make_runner(kind)
    with set_temporary_config({"task_concurrency.database": 2}):
        assert run_mapped(runner, log, 2) == list(range(6))
    assert peak(log) == 2


@pytest.mark.dask
def test_the_limit_holds_on_a_dask_cluster(dask_address: str, log: Path) -> None:
    with set_temporary_config({"task_concurrency.database": 1}):
        assert run_mapped(DaskTaskRunner(address=dask_address), log, 1, total=3) == [0, 1, 2]
    assert peak(log) == 1


@pytest.mark.dask
def test_direct_calls_take_cluster_slots_from_the_driver(dask_address: str) -> None:
    """A direct call runs in this process, where the executor's client is not the default
    one: its slots come through that client, run after run."""
    @flow(task_runner=DaskTaskRunner(address=dask_address))
    def mixed() -> tuple[int, int]:
        return plus_one(1), plus_one.submit(2).result()

    with set_temporary_config({"task_concurrency.database": 1}):
        assert mixed() == (2, 3)
        assert mixed() == (2, 3)  # a new client: the driver's semaphore is made again


def test_without_a_limit_the_pool_lets_more_in(log: Path) -> None:
    """The checks above can fail: with no limit the same tasks run three at once."""
    assert run_mapped(ThreadPoolTaskRunner(max_workers=4), log, 3) == list(range(6))
    assert peak(log) >= 3


def test_async_tasks_wait_for_slots_without_blocking_the_loop(log: Path) -> None:
    @flow
    async def gathered() -> list[int]:
        calls = [guarded_async(i, str(log), 2, 5) for i in range(5)]
        return list(await asyncio.gather(*calls))

    with set_temporary_config({"task_concurrency.database": 2}):
        assert asyncio.run(gathered()) == list(range(5))
    assert peak(log) == 2


def test_direct_calls_and_subflows_share_the_run_s_slots() -> None:
    @flow(task_runner=SequentialTaskRunner())
    def child() -> tuple[int, int]:
        return slots_held()

    @flow
    def parent() -> list[tuple[int, int]]:
        return [slots_held(), slots_held.submit().result(), child()]

    with set_temporary_config({"task_concurrency.database": 1}):
        direct, submitted, in_child = parent()
    assert direct[0] == submitted[0] == in_child[0]  # one limiter for the whole run
    assert direct[1] == submitted[1] == in_child[1] == 1  # each held the one slot


def test_a_bad_configured_limit_is_an_early_error_naming_the_tag() -> None:
    ran = []

    @flow
    def never() -> None:
        ran.append(1)

    with set_temporary_config({"task_concurrency.database": 0}), pytest.raises(
            ValueError, match=r"^task_concurrency\['database'\] must be a whole number of at "
                              r"least 1, got 0\.$"):
        never()
    assert not ran
