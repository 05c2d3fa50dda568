"""prefectlite.cache_policies on eager tasks: keys, persistence across runs and processes,
expiration, refresh, isolation."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import prefectlite
from prefectlite import flow, task
from prefectlite.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CompoundCachePolicy,
    Inputs,
)
from prefectlite.locking import MemoryLockManager
from prefectlite.transactions import IsolationLevel


def test_policies_combine_and_exclude() -> None:
    assert isinstance(INPUTS + TASK_SOURCE, CompoundCachePolicy)
    assert Inputs(exclude=["debug"]) == (INPUTS - "debug")
    assert DEFAULT.policies == [INPUTS, TASK_SOURCE, RUN_ID]
    assert (DEFAULT - "x").policies[0] == Inputs(exclude=["x"])
    with pytest.raises(TypeError, match="input's name"):
        INPUTS - 3  # type: ignore[operator]


def test_inputs_key_ignores_excluded_inputs() -> None:
    policy = INPUTS - "debug"
    assert policy.compute_key(None, {"x": 1, "debug": True}, {}) == policy.compute_key(
        None, {"x": 1, "debug": False}, {})
    assert INPUTS.compute_key(None, {"x": 1}, {}) != INPUTS.compute_key(None, {"x": 2}, {})
    assert NO_CACHE.compute_key(None, {"x": 1}, {}) is None


def test_cache_hit_returns_cached_state_without_running(tmp_path: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS, result_storage=str(tmp_path))
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    @flow
    def pipeline():
        return double(2, return_state=True), double(2, return_state=True), double(3)

    first, second, other = pipeline()
    assert (first.name, second.name, other) == ("Completed", "Cached", 6)
    assert second.result() == 4 and calls == [2, 3]
    assert pipeline()[0].name == "Cached"  # the records outlive the flow run


def test_run_id_scopes_the_cache_to_one_flow_run(tmp_path: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS + RUN_ID, result_storage=str(tmp_path))
    def inc(x: int) -> int:
        calls.append(x)
        return x + 1

    @flow
    def pipeline():
        return inc(1, return_state=True).name, inc(1, return_state=True).name

    assert pipeline() == ("Completed", "Cached")
    assert pipeline() == ("Completed", "Cached")
    assert calls == [1, 1]


def test_flow_parameters_and_cache_key_fn(tmp_path: Path) -> None:
    @task(cache_policy=FLOW_PARAMETERS, result_storage=str(tmp_path))
    def read(x: int) -> int:
        return x

    @task(cache_key_fn=lambda ctx, params: f"static-{params['x'] % 2}",
          result_storage=str(tmp_path))
    def parity(x: int) -> int:
        return x

    @flow
    def pipeline(p: int):
        return read(p), parity(p)

    assert pipeline(1) == (1, 1)
    assert pipeline(3) == (3, 1)  # parity's key is the same for odd numbers
    assert pipeline(1) == (1, 1)
    assert (tmp_path / "static-1").exists()


def test_cache_key_fn_receives_task_run_context(tmp_path: Path) -> None:
    seen = []

    def key(ctx, params):
        seen.append((ctx.task.name, ctx.task_run.name, ctx.flow_run.name is not None))
        return None  # no key: never cached

    @task(cache_key_fn=key, result_storage=str(tmp_path))
    def t():
        return 1

    @flow
    def pipeline():
        return t(return_state=True).name, t(return_state=True).name

    assert pipeline() == ("Completed", "Completed")
    assert seen == [("t", "t-0", True), ("t", "t-1", True)]


def test_expired_and_refreshed_records_run_again(tmp_path: Path) -> None:
    calls: list[str] = []

    @task(cache_policy=INPUTS, cache_expiration=datetime.timedelta(seconds=-1),
          result_storage=str(tmp_path))
    def stale(x):
        calls.append("stale")
        return x

    @task(cache_policy=INPUTS, refresh_cache=True, result_storage=str(tmp_path / "r"))
    def fresh(x):
        calls.append("fresh")
        return x

    @flow
    def pipeline():
        return [stale(1, return_state=True).name, stale(1, return_state=True).name,
                fresh(1, return_state=True).name, fresh(1, return_state=True).name]

    assert pipeline() == ["Completed"] * 4
    assert calls == ["stale", "stale", "fresh", "fresh"]


def test_persist_result_false_disables_the_cache(tmp_path: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS, persist_result=False, result_storage=str(tmp_path))
    def t(x):
        calls.append(x)
        return x

    @flow
    def pipeline():
        t(1)
        t(1)

    pipeline()
    assert calls == [1, 1] and not any(tmp_path.iterdir())


def test_unhashable_inputs_warn_and_run(tmp_path: Path) -> None:
    class Opaque:
        def __reduce__(self):
            raise TypeError("no pickling")

    @task(cache_policy=INPUTS, result_storage=str(tmp_path))
    def t(x):
        return 1

    @flow
    def pipeline():
        return t(Opaque(), return_state=True).name

    with pytest.warns(UserWarning, match="could not be hashed"):
        assert pipeline() == "Completed"


def test_cache_survives_across_processes(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        from prefectlite import flow, task
        from prefectlite.cache_policies import INPUTS, TASK_SOURCE

        @task(cache_policy=INPUTS + TASK_SOURCE, result_storage={str(tmp_path)!r})
        def slow(x):
            return x * 10

        @flow
        def pipeline():
            return slow(4, return_state=True).name

        print(pipeline())
    """)
    path = tmp_path / "script.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": str(Path(prefectlite.__file__).parents[1])}
    runs = [subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                           env=env, check=True).stdout.split() for _ in range(2)]
    assert runs == [["Completed"], ["Cached"]]


def test_serializable_isolation_computes_once(tmp_path: Path) -> None:
    policy = INPUTS.configure(isolation_level=IsolationLevel.SERIALIZABLE,
                              lock_manager=MemoryLockManager(), key_storage=str(tmp_path))
    calls: list[int] = []
    inside = threading.Event()
    release = threading.Event()

    @task(cache_policy=policy)
    def once(x):
        calls.append(x)
        inside.set()
        release.wait(10)
        return x

    @flow
    def pipeline():
        return once(5, return_state=True).name

    names: list[str] = []
    first = threading.Thread(target=lambda: names.append(pipeline()))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=lambda: names.append(pipeline()))
    second.start()
    release.set()
    first.join()
    second.join()
    assert sorted(names) == ["Cached", "Completed"] and calls == [5]


def test_cache_key_fn_policy_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="not callable"):
        CacheKeyFnPolicy(cache_key_fn="key")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cache_expiration"):
        task(cache_policy=INPUTS, cache_expiration=5)(lambda: 1)
