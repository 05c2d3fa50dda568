"""Recording task runs' inputs in the journal, and replaying one task run from them
(prefectlite.persistence.replay)."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudpickle
import pytest

from prefectlite import Flow, Parameter, task
from prefectlite.persistence import replay
from prefectlite.persistence.inputs import InputRecorder, NotRecorded, max_input_bytes
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.records import MIGRATIONS, SCHEMA_VERSION
from prefectlite.persistence.replaying import ReplayError, prepare_replay

FLOW = """
import threading
import prefectlite
from prefectlite import Flow, Parameter, task
from prefectlite.tasks.secrets import PrefectSecret

@task
def numbers(n):
    return list(range(n))

@task
def check(x, limit=2):
    if x > limit:
        raise ValueError(f"{x} is over {limit}")
    return x * 10

@task
def where(x):
    ctx = prefectlite.context
    return (ctx.flow_name, ctx.task_name, ctx.get("map_index"), ctx.parameters["n"],
            ctx.flow_run_id, x)

@task
def login(user, password, token):
    return f"{user}:{len(password)}:{len(token)}"

@task
def locked(lock, n):
    return n

with Flow("replayed") as flow:
    n = Parameter("n", default=4)
    password = Parameter("password", default="hunter2", secret=True)
    checked = check.map(numbers(n))
    where.map(numbers(n))
    login("ann", password, PrefectSecret("TOKEN"))
    locked(threading.Lock(), n)
"""


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", None)
    return tmp_path / "home"


def load(path: Path) -> ModuleType:
    name = f"replay_test_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def flow_module(tmp_path: Path) -> Callable[..., ModuleType]:
    """Write ``code`` to a file, load it (a module of its own) and return the module."""

    def write(code: str = FLOW, name: str = "replayed_flow") -> ModuleType:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(code), encoding="utf-8")
        return load(path)

    yield write
    for name in [m for m in sys.modules if m.startswith(("replay_test_", "_prefectlite_replay_"))]:
        del sys.modules[name]


def run_journaled(module: ModuleType, **kwargs: Any) -> str:
    from prefectlite import context

    with context(secrets={"TOKEN": "s3cr3t-token"}):
        state = module.flow.run(journal=True, **kwargs)
    assert state is not None
    with RunStore() as store:
        return store.list_runs(limit=1)[0].id


def stored(home: Path) -> dict[tuple[str, int], Any]:
    with sqlite3.connect(home / "prefectlite.db") as conn:
        rows = conn.execute("SELECT task_slug, map_index, inputs FROM task_runs").fetchall()
    return {(slug, i): blob and cloudpickle.loads(blob) for slug, i, blob in rows}


# -- recording -----------------------------------------------------------------------------


def test_inputs_are_recorded_per_task_run_and_mapped_child(flow_module, home) -> None:
    run_journaled(flow_module())
    rows = stored(home)
    assert rows[("numbers-1", -1)] == {"n": 4}
    assert [rows[("check-1", i)] for i in range(4)] == [{"x": i} for i in range(4)]
    assert rows[("check-1", -1)] is None  # the Mapped parent itself was not called


def test_secrets_are_never_written(flow_module, home) -> None:
    run_journaled(flow_module())
    login = stored(home)[("login-1", -1)]
    assert login["user"] == "ann"
    assert login["password"] == NotRecorded("password", "secret")
    assert login["token"] == NotRecorded("token", "secret")
    raw = (home / "prefectlite.db").read_bytes()
    wal = home / "prefectlite.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert b"hunter2" not in raw and b"s3cr3t-token" not in raw


def test_unpicklable_and_too_big_arguments_become_markers(flow_module, home,
                                                          config_env) -> None:
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", "2000")
    module = flow_module("""
        from prefectlite import Flow, task

        @task
        def take(big, small):
            return len(big) + small

        with Flow("big") as flow:
            take("x" * 5000, 3)
    """, name="big_flow")
    run_journaled(module)
    row = stored(home)[("take-1", -1)]
    assert row["small"] == 3
    assert row["big"].reason == "too big" and "over the 2.0 KiB cap" in row["big"].detail
    with pytest.raises(ReplayError, match=r"argument 'big' was not recorded: .* raise "
                       r"\[journal\] max_input_bytes"):
        replay("latest", "take")
    assert replay("latest", "take", inputs={"big": "ab"}) == 5
    run_journaled(flow_module())
    locked = stored(home)[("locked-1", -1)]
    assert locked["lock"].reason == "not picklable" and "lock" in locked["lock"].detail
    with pytest.raises(ReplayError, match="argument 'lock' .* cannot be pickled"):
        replay("latest", "locked")


def test_no_inputs_recorded_when_the_cap_is_zero(flow_module, home, config_env) -> None:
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", "0")
    run_journaled(flow_module())
    assert set(stored(home).values()) == {None}
    with pytest.raises(ReplayError, match="No inputs were recorded for task run 'numbers-1'"):
        replay("latest", "numbers-1")


def test_a_bad_cap_is_a_clear_error(config_env) -> None:
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", "lots")
    with pytest.raises(ValueError, match="journal.max_input_bytes='lots' is not a number"):
        max_input_bytes()
    config_env("PREFECTLITE__JOURNAL__MAX_INPUT_BYTES", "-1")
    with pytest.raises(ValueError, match="negative"):
        max_input_bytes()


def test_plain_runs_record_nothing_and_states_do_not_keep_the_bytes(flow_module) -> None:
    module = flow_module()
    plain = module.flow.run()
    assert all("_inputs" not in s.context for s in plain.result.values())
    from prefectlite import context

    with context(secrets={"TOKEN": "t"}):
        journaled = module.flow.run(journal=True)
    states = list(journaled.result.values())
    states += [c for s in states for c in getattr(s, "map_states", [])]
    assert states and all("_inputs" not in s.context for s in states)


def test_recorder_pickles_with_its_secrets() -> None:
    recorder = InputRecorder(100, {"t-1": frozenset({"pw"})})
    copy = cloudpickle.loads(cloudpickle.dumps(recorder))
    blob = copy({"pw": "x", "n": 1}, {"task_slug": "t-1"})
    assert cloudpickle.loads(blob) == {"pw": NotRecorded("pw", "secret"), "n": 1}


def test_old_journals_open_and_say_they_have_no_inputs(tmp_path, home, flow_module) -> None:
    path = home / "prefectlite.db"
    home.mkdir(mode=0o700, parents=True)
    conn = sqlite3.connect(path)
    for version in range(1, 4):
        for statement in MIGRATIONS[version]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, 0)", (version,))
    conn.execute("PRAGMA application_id = 1346784340")
    conn.execute("INSERT INTO flow_runs (id, flow_name, state, started, python, "
                 "prefectlite_version) VALUES ('old-run', 'replayed', 'Failed', 1, '3.11', "
                 "'0.9')")
    conn.execute("INSERT INTO task_runs (flow_run_id, task_slug, map_index, task_name, state, "
                 "ended) VALUES ('old-run', 'numbers-1', -1, 'numbers', 'Failed', 2)")
    conn.commit()
    conn.close()
    path.chmod(0o600)
    with RunStore(path) as store:
        version = store._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    assert version == SCHEMA_VERSION == 4
    with pytest.raises(ReplayError, match=r"No inputs were recorded .* prefectlite 0.9"):
        replay("old-run", "numbers", flow=flow_module().flow)


# -- replaying -----------------------------------------------------------------------------


def test_replay_returns_the_result_or_raises_the_error(flow_module) -> None:
    run_id = run_journaled(flow_module())
    assert replay(run_id, "check[1]") == 10
    assert replay(run_id[:8], "check-1", map_index=2) == 20
    with pytest.raises(ValueError, match="3 is over 2"):
        replay("latest", "check[3]")
    assert replay("latest", "check[3]", inputs={"limit": 5}) == 30


def test_replay_runs_in_a_context_like_the_original(flow_module) -> None:
    run_id = run_journaled(flow_module(), parameters={"n": 3})
    assert replay(run_id, "where[2]") == ("replayed", "where", 2, 3, run_id, 2)


def test_secret_arguments_must_be_given(flow_module) -> None:
    run_journaled(flow_module())
    with pytest.raises(ReplayError, match="argument 'password' comes from a secret.*"
                       "argument 'token' comes from a secret"):
        replay("latest", "login")
    assert replay("latest", "login", inputs={"password": "pw", "token": "abc"}) == "ann:2:3"


def test_resumed_runs_keep_the_inputs_of_the_task_runs_they_took_over(flow_module) -> None:
    module = flow_module()
    first = run_journaled(module)
    second = run_journaled(module, resume=first)
    assert second != first
    assert replay(second, "check[0]") == 0


def test_debug_runs_the_function_under_pdb(flow_module, home) -> None:
    """In a fresh interpreter, pdb reading its commands from a pipe (nothing a test before
    this one left behind, such as a signal handler, can interrupt the session)."""
    import subprocess

    run_journaled(flow_module())

    def debug(task: str, commands: str) -> subprocess.CompletedProcess[str]:
        code = ("from prefectlite.persistence import replay\n"
                f"print('returned', replay('latest', {task!r}, debug=True))\n")
        return subprocess.run([sys.executable, "-c", code], input=commands, text=True,
                              capture_output=True, timeout=60,
                              env={**os.environ, "PREFECTLITE_HOME": str(home)})

    failing = debug("check[3]", "p x * 7\ncontinue\np limit + 100\nquit\n")
    assert failing.returncode == 1
    assert "-> if x > limit:" in failing.stdout and "21" in failing.stdout  # the first line
    assert "102" in failing.stdout  # then a post-mortem session where it raised
    assert "ValueError: 3 is over 2" in failing.stderr
    passing = debug("check[1]", "continue\n")
    assert passing.returncode == 0 and "returned 10" in passing.stdout
    quitting = debug("check[1]", "quit\n")
    assert quitting.returncode == 1 and "BdbQuit" in quitting.stderr


@pytest.mark.parametrize(("run", "task", "message"), [
    ("nope", "check[0]", "No flow run 'nope' in the run journal"),
    ("latest", "missing", r"has no task run 'missing'; its tasks: .*check-1"),
    ("latest", "check", r"is mapped over 4 children \(not successful: 3\); give one: "
                        r"check-1\[INDEX\]"),
    ("latest", "check[9]", r"has no child \[9\] recorded \(children 0 to 3\)"),
    ("latest", "where[1]x", "has no task run"),
])
def test_unknown_runs_and_tasks(flow_module, run, task, message) -> None:
    run_journaled(flow_module())
    with pytest.raises(ReplayError, match=message):
        replay(run, task)


def test_several_tasks_of_one_name_and_conflicting_indexes(flow_module) -> None:
    module = flow_module("""
        from prefectlite import Flow, task

        @task
        def inc(x):
            return x + 1

        with Flow("twice") as flow:
            inc(inc(1))
    """, name="twice")
    run_journaled(module)
    with pytest.raises(ReplayError, match="Several tasks .* named 'inc': inc-1, inc-2"):
        replay("latest", "inc")
    assert replay("latest", "inc-2") == 3
    with pytest.raises(ReplayError, match="names map index 1 but map_index=2"):
        replay("latest", "inc[1]", map_index=2)


def test_no_journal_yet(tmp_path) -> None:
    with pytest.raises(ReplayError, match="No run journal at"):
        replay("latest", "x", journal=tmp_path / "none.db")


def test_a_task_whose_function_never_ran(flow_module) -> None:
    module = flow_module("""
        from prefectlite import Flow, task

        @task
        def fail():
            raise RuntimeError("no")

        @task
        def after(x):
            return x

        with Flow("stops") as flow:
            after(fail())
    """, name="stops")
    run_journaled(module)
    with pytest.raises(ReplayError, match="ended TriggerFailed: its trigger failed"):
        replay("latest", "after")
    with pytest.raises(RuntimeError, match="no"):
        replay("latest", "fail")


def test_flow_file_gone_changed_or_given(flow_module, tmp_path) -> None:
    module = flow_module()
    run_journaled(module)
    path = Path(module.__file__)
    path.write_text(path.read_text() + "\n# edited\n")
    with pytest.warns(UserWarning, match="replayed_flow.py changed since run"):
        assert replay("latest", "check[0]") == 0
    path.write_text(path.read_text().replace("where.map(numbers(n))", ""))
    with pytest.raises(ReplayError, match="has no task 'where-1' named 'where' any more"):
        replay("latest", "where[0]")
    path.unlink()
    with pytest.raises(ReplayError, match=r"The flow file of run .*, .*replayed_flow.py, is "
                       r"gone; pass the flow: replay\(\.\.\., flow=flow\)"):
        replay("latest", "check[0]")
    assert replay("latest", "check[1]", flow=module.flow) == 10


def test_a_flow_built_by_a_function(flow_module) -> None:
    module = flow_module("""
        from prefectlite import Flow, task

        @task
        def double(x):
            return 2 * x

        def build():
            with Flow("built") as flow:
                double(21)
            return flow
    """, name="built")
    module.build().run(journal=True)
    assert prepare_replay("latest", "double", flow=module.build()).inputs == {"x": 21}
    with pytest.raises(ReplayError, match="has no flow named 'built' at module level"):
        replay("latest", "double")  # recorded as file:built; no flow, no function `built`


def test_replay_with_tasks_defined_in_a_test(tmp_path) -> None:
    @task
    def add(x, y):
        return x + y

    with Flow("inline") as flow:
        add(1, Parameter("y", default=2))
    flow.run(journal=True)
    assert replay("latest", "add", flow=flow) == 3


def test_inputs_are_encoded_on_dask_workers(flow_module, home, dask_address) -> None:
    from prefectlite.executors import DaskExecutor

    module = flow_module("""
        from prefectlite import Flow, Parameter, task, unmapped

        class Point:  # defined by the flow's file: pickled by value, read back here
            def __init__(self, x):
                self.x = x

        @task
        def make(x):
            return Point(x)

        @task
        def norm(point, key):
            return point.x * point.x

        with Flow("on dask") as flow:
            key = Parameter("key", default="k3y-value", secret=True)
            norm.map(make.map([1, 2, 3]), key=unmapped(key))
    """, name="on_dask")
    import cloudpickle as cp

    cp.register_pickle_by_value(module)  # what `prefectlite run` does with a flow's file
    state = module.flow.run(journal=True, executor=DaskExecutor(address=dask_address))
    assert state.is_successful()
    row = stored(home)[("norm-1", 2)]
    assert row["point"].x == 3 and row["key"] == NotRecorded("key", "secret")
    assert replay("latest", "norm[2]", inputs={"key": "k"}) == 9
