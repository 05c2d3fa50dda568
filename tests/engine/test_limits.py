"""Tag concurrency limits: parsing, merging, and slots held by threads."""

from __future__ import annotations

import threading

import pytest

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
