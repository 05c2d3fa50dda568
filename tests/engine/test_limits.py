"""Tag concurrency limits: parsing, merging, and slots held by threads."""

from __future__ import annotations

import threading

import pytest

from prefectlite import task
from prefectlite.engine.limits import ThreadLimiter, check_limits, merge_limits, parse_limit


class TestCheck:
    def test_none_is_no_limit(self) -> None:
        assert check_limits(None) == {}

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True, "two", None])
    def test_bad_counts_name_the_tag(self, bad: object) -> None:
        with pytest.raises(ValueError, match=r"^task_concurrency\['db'\] must be a whole number "
                                             r"of at least 1, got "):
            check_limits({"db": bad})

    def test_keys_are_tags(self) -> None:
        with pytest.raises(ValueError, match="keys are task tags"):
            check_limits({"": 1})

    def test_not_a_mapping(self) -> None:
        with pytest.raises(TypeError, match=r"must map tags to limits, e\.g\. \{'database': 2\}"):
            check_limits([("db", 1)])  # type: ignore[arg-type]


class TestParse:
    def test_tag_equals_n(self) -> None:
        assert parse_limit(" database = 2 ") == ("database", 2)

    @pytest.mark.parametrize("text", ["database", "=2", "database=", "database=x"])
    def test_malformed(self, text: str) -> None:
        with pytest.raises(ValueError):
            parse_limit(text)


def test_the_run_s_limits_win_tag_by_tag() -> None:
    assert merge_limits({"db": 4, "api": 1}, {"db": 2}) == {"db": 2, "api": 1}


class TestThreadLimiter:
    def test_never_more_than_the_limit_at_once(self) -> None:
        limiter = ThreadLimiter({"db": 2})
        inside = threading.Semaphore(0)
        let_go = threading.Event()
        peak = []

        def work() -> None:
            with limiter.slots(["db"]):
                peak.append(limiter.held("db"))
                inside.release()
                let_go.wait()

        threads = [threading.Thread(target=work) for _ in range(5)]
        for t in threads:
            t.start()
        inside.acquire()
        inside.acquire()  # two are in; the other three wait for a slot
        assert limiter.held("db") == 2
        let_go.set()
        for t in threads:
            t.join()
        assert max(peak) == 2 and len(peak) == 5 and limiter.held("db") == 0

    def test_unlimited_tags_hold_nothing(self) -> None:
        limiter = ThreadLimiter({"db": 1})
        with limiter.slots(["api"]), limiter.slots(["api"]):
            assert limiter.held("api") == 0

    def test_slots_are_released_when_the_block_raises(self) -> None:
        limiter = ThreadLimiter({"db": 1})
        with pytest.raises(RuntimeError), limiter.slots(["db"]):
            raise RuntimeError("task failed")
        with limiter.slots(["db"]):
            assert limiter.held("db") == 1


# -- limits held by flow runs on every executor --------------------------------------------
#
# Each task run appends "+" when it starts and "-" before it ends to a shared log, and stays
# until `limit` runs are inside at once (or every run has started). With the limit enforced
# the log never shows more than `limit` inside, and shows exactly `limit` at some point;
# without it, a pool with more workers than the limit lets more in.


def _marks(log: str) -> str:
    with open(log, encoding="ascii") as f:
        return f.read()


def _hold(log: str, limit: int, total: int) -> None:
    import time

    deadline = time.monotonic() + 120  # a safety net only: the run is stuck if it is reached
    while True:
        marks = _marks(log)
        started, inside = marks.count("+"), marks.count("+") - marks.count("-")
        if inside >= limit or started >= total:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {inside} of {limit} runs came in: {marks!r}")
        time.sleep(0.005)


def _mark(log: str, sign: str) -> None:
    import os

    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, sign.encode())
    finally:
        os.close(fd)


@task(tags=["database"])
def guarded(i: int, log: str, limit: int, total: int) -> int:
    _mark(log, "+")
    try:
        _hold(log, limit, total)
    finally:
        _mark(log, "-")
    return i


def _peak(marks: str) -> int:
    inside = peak = 0
    for sign in marks:
        inside += 1 if sign == "+" else -1
        peak = max(peak, inside)
    return peak


def _run(executor: object, limit: int, tmp_path, total: int = 8) -> tuple[object, int]:
    from prefectlite import Flow, unmapped

    log = tmp_path / "marks.log"
    log.write_text("")
    with Flow("limited") as flow:
        guarded.map(list(range(total)), log=unmapped(str(log)), limit=unmapped(limit),
                    total=unmapped(total))
    state = flow.run(executor=executor, task_concurrency={"database": limit})
    return state, _peak(log.read_text())


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_local_dask_pools_keep_the_limit(scheduler: str, tmp_path) -> None:
    pytest.importorskip("dask")
    from prefectlite.executors import LocalDaskExecutor

    state, peak = _run(LocalDaskExecutor(scheduler, num_workers=4), 2, tmp_path)
    assert state.is_successful() and peak == 2


def test_the_process_pool_keeps_the_limit(tmp_path) -> None:
    from prefectlite.executors import LocalProcessPoolExecutor

    state, peak = _run(LocalProcessPoolExecutor(max_workers=3), 2, tmp_path, total=6)
    assert state.is_successful() and peak == 2


def test_a_dask_cluster_keeps_the_limit(dask_address: str, tmp_path) -> None:
    from prefectlite.executors import DaskExecutor

    state, peak = _run(DaskExecutor(address=dask_address), 1, tmp_path, total=4)
    assert state.is_successful() and peak == 1


def test_without_a_limit_the_pool_lets_more_in(tmp_path) -> None:
    """The check above can fail: with no limit the same tasks run three at once."""
    pytest.importorskip("dask")
    from prefectlite import Flow, unmapped
    from prefectlite.executors import LocalDaskExecutor

    log = tmp_path / "marks.log"
    log.write_text("")
    with Flow("unlimited") as flow:
        guarded.map(list(range(6)), log=unmapped(str(log)), limit=unmapped(3),
                    total=unmapped(6))
    assert flow.run(executor=LocalDaskExecutor(num_workers=4)).is_successful()
    assert _peak(log.read_text()) >= 3  # above the 2 the limited runs never pass


def test_limits_come_from_the_configuration(tmp_path) -> None:
    pytest.importorskip("dask")
    from prefectlite import settings
    from prefectlite.executors import LocalDaskExecutor
    from prefectlite.utilities.configuration import set_temporary_config

    with set_temporary_config({"task_concurrency.database": 1}):
        assert settings.current_config()["task_concurrency"]["database"] == 1
        from prefectlite import Flow, unmapped

        log = tmp_path / "marks.log"
        log.write_text("")
        with Flow("configured") as flow:
            guarded.map(list(range(4)), log=unmapped(str(log)), limit=unmapped(1),
                        total=unmapped(4))
        assert flow.run(executor=LocalDaskExecutor(num_workers=4)).is_successful()
    assert _peak(log.read_text()) == 1


def test_a_bad_limit_is_an_early_error() -> None:
    from prefectlite import Flow

    with Flow("f") as flow:
        guarded(1, "unused", 1, 1)
    with pytest.raises(ValueError, match=r"task_concurrency\['database'\] must be a whole"):
        flow.run(task_concurrency={"database": 0})
