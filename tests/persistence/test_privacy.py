"""Private by default: file modes whatever the umask, no unpickling of files other users
can write, no unpickling at all when listing or showing runs, result locations that stay in
their directory, names the file system or SQLite cannot take as they are."""

from __future__ import annotations

import datetime
import json
import os
import pickle
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prefectlite import Flow, Parameter, task
from prefectlite.cli import cli
from prefectlite.engine.results import LocalResult
from prefectlite.engine.serializers import JSONSerializer
from prefectlite.persistence.journal import RunStore
from prefectlite.utilities.files import UnsafeFileError, check_private


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__FLOWS__CHECKPOINTING", None)
    return tmp_path / "home"


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    old = os.umask(0o022)

    def set_to(mask: int) -> None:
        os.umask(mask)

    yield set_to
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@task
def double(x: int) -> int:
    return x * 2


def small_flow() -> Flow:
    with Flow("private") as flow:
        double(Parameter("x", default=2))
    return flow


@pytest.mark.parametrize("mask", [0o000, 0o022])
def test_the_home_the_journal_and_results_are_private(home: Path, umask: Any,
                                                      mask: int) -> None:
    umask(mask)
    with RunStore() as store:  # open: its -wal and -shm files exist
        state = small_flow().run(journal=store, x=[1] * 20_000)  # too big to keep inline
        assert state.is_successful()
        assert mode(home) == 0o700
        for name in ("prefectlite.db", "prefectlite.db-wal", "prefectlite.db-shm"):
            assert mode(home / name) == 0o600, name
    files = [p for p in (home / "results").rglob("*") if p.is_file()]
    dirs = [home / "results", *(p for p in (home / "results").rglob("*") if p.is_dir())]
    assert files and {mode(p) for p in files} == {0o600}
    assert {mode(p) for p in dirs} == {0o700}


def test_an_existing_journal_is_made_private(home: Path) -> None:
    RunStore().close()
    os.chmod(home / "prefectlite.db", 0o644)
    RunStore().close()
    assert mode(home / "prefectlite.db") == 0o600


class TestUnpickling:
    def written(self, tmp_path: Path, serializer: Any = None) -> tuple[LocalResult, Path]:
        result = LocalResult(dir=tmp_path / "r", location="{k}/v.bin", serializer=serializer)
        written = result.write({"a": 1}, k="sub")
        return written, tmp_path / "r" / "sub" / "v.bin"

    def test_a_file_others_can_write_is_refused(self, tmp_path: Path) -> None:
        written, path = self.written(tmp_path)
        os.chmod(path, 0o664)
        with pytest.raises(UnsafeFileError, match=f"Refusing to unpickle {path}: {path} is "
                                                  "writable by other users \\(mode 664\\)"):
            written.read(written.location)
        os.chmod(path, 0o644)
        assert written.read(written.location).value == {"a": 1}

    def test_a_directory_others_can_write_is_refused(self, tmp_path: Path) -> None:
        written, path = self.written(tmp_path)
        os.chmod(tmp_path / "r", 0o777)
        with pytest.raises(UnsafeFileError, match="is writable by other users \\(mode 777\\)"):
            written.read(written.location)
        os.chmod(tmp_path / "r", 0o1777)  # sticky, like /tmp: others cannot replace our file
        assert written.read(written.location).value == {"a": 1}

    def test_json_is_read_whoever_can_write_it(self, tmp_path: Path) -> None:
        written, path = self.written(tmp_path, JSONSerializer())
        os.chmod(path, 0o666)
        assert written.read(written.location).value == {"a": 1}

    def test_check_private_names_the_place(self, tmp_path: Path) -> None:
        path = tmp_path / "f"
        path.write_bytes(b"x")
        os.chmod(path, 0o600)
        check_private(path)
        os.chmod(path, 0o606)
        with pytest.raises(UnsafeFileError, match="chmod go-w"):
            check_private(path)

    def test_a_journal_others_can_write_is_not_unpickled(self, home: Path) -> None:
        with RunStore() as store:
            store.start_run("r", "f", {"when": {1, 2}})
            store.finish_run("r", "Success", None)
        os.chmod(home / "prefectlite.db", 0o666)
        with RunStore() as store:
            os.chmod(home / "prefectlite.db", 0o666)  # opening made it private again
            assert store.get_run("r").parameters == {"when": "{1, 2}"}  # text: fine
            with pytest.raises(UnsafeFileError):
                store.run_parameters("r")


class Boom:
    """Unpickling it creates a directory: the proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return os.mkdir, (str(self.marker),)


def test_listing_and_showing_a_tampered_journal_unpickles_nothing(home: Path,
                                                                   tmp_path: Path) -> None:
    state = small_flow().run(journal=True)
    run_id = state.context["flow_run_id"]
    marker = tmp_path / "unpickled"
    bomb = pickle.dumps(Boom(marker))
    with RunStore() as store, store.writing() as conn:
        conn.execute("UPDATE flow_runs SET parameters_pickle = ?", (bomb,))
        conn.execute("UPDATE result_kinds SET recipe = ?", (bomb,))
        conn.execute("UPDATE task_runs SET result_inline = ?", (bomb,))
    runner = CliRunner()
    for args in (["runs", "list"], ["runs", "list", "--json"], ["runs", "show", run_id],
                 ["runs", "show", run_id, "--json"], ["runs", "show", "latest", "-a"],
                 ["runs", "logs", run_id]):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
    with RunStore() as store:
        store.list_runs()
        store.get_run(run_id)
        from prefectlite.ui.views import run_page, runs_page

        run_page(store, run_id, datetime.datetime.now(datetime.UTC))
        runs_page(store, None, None, 1, datetime.datetime.now(datetime.UTC))
    assert not marker.exists()


class TestLocations:
    @pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped-abs", "a/../../b"])
    def test_a_parameter_cannot_move_a_target_out(self, tmp_path: Path, name: str) -> None:
        where = tmp_path / "results"

        @task(target="{name}.pkl", result=LocalResult(dir=where))
        def save(name: str) -> str:
            return name

        with Flow("targets") as flow:
            saved = save(Parameter("name"))
        state = flow.run(name=name)
        assert state.is_failed()
        message = state.result[saved].message
        assert f"the value of 'name' ({name!r}) would put the file outside the result " \
               f"directory {where}" in message
        assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped-abs.pkl").exists()

    def test_an_absolute_directory_and_plain_values_are_fine(self, tmp_path: Path) -> None:
        result = LocalResult(dir=tmp_path / "abs", location="{day}/{name}..{n}.pkl")
        written = result.write(1, day="2024-01-01", name="x", n=1)
        assert written.location == "2024-01-01/x..1.pkl"
        assert written.read(written.location).value == 1

    def test_a_callable_location_must_stay_inside(self, tmp_path: Path) -> None:
        result = LocalResult(dir=tmp_path, location=lambda **kw: "../out.pkl")
        with pytest.raises(ValueError, match="is outside the result directory"):
            result.write(1)


def test_names_with_lone_surrogates_are_journaled(home: Path) -> None:
    odd = "bad\udcff name"

    @task(name=odd)
    def echo(x: int) -> int:
        return x

    with Flow(f"flow {odd}") as flow:
        echo(1)
    state = flow.run(journal=True)
    assert state.is_successful()
    resumed = flow.run(journal=True, resume=state.context["flow_run_id"])
    assert resumed.is_successful()
    with RunStore() as store:
        run, first = store.list_runs()
        assert run.state == "Success" and run.flow_name == "flow bad\\udcff name"
        (row,) = store.task_runs(run.id)
        assert row.task_name == "bad\\udcff name"
        assert row.copied_from == first.id  # the resume found it: it did not run again
    out = CliRunner().invoke(cli, ["runs", "show", run.id, "--json"], catch_exceptions=False)
    assert json.loads(out.output)["flow"] == "flow bad\\udcff name"


class TestSecrets:
    SECRET_VALUE = "hunter2-5f1c"

    def flow(self, calls: list[str]) -> tuple[Flow, Any]:
        from prefectlite.tasks.secrets import EnvVarSecret, PrefectSecret

        @task
        def connect(password: str, token: str, key: str) -> int:
            calls.append("connect")
            return len(password + token + key)

        @task
        def report(n: int) -> int:
            calls.append("report")
            if calls.count("report") == 1:
                raise RuntimeError("the report failed once")
            return n

        with Flow("secretive") as flow:
            done = report(connect(Parameter("password", secret=True), PrefectSecret("TOKEN"),
                                  EnvVarSecret("API_KEY")))
        return flow, done

    def test_secret_values_are_stored_and_shown_nowhere(self, home: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
        import prefectlite

        value = self.SECRET_VALUE
        monkeypatch.setenv("API_KEY", value + "-key")
        calls: list[str] = []
        flow, done = self.flow(calls)
        with RunStore() as store, prefectlite.context(secrets={"TOKEN": value + "-token"}):
            first = flow.run(journal=store, password=value)
            assert first.is_failed()
            run_id = first.context["flow_run_id"]
            for path in home.rglob("*"):  # the journal (and its WAL) and result files
                if path.is_file():
                    assert value.encode() not in path.read_bytes(), path
            runner = CliRunner()
            for args in (["runs", "show", run_id], ["runs", "show", run_id, "--json"],
                         ["runs", "list", "--json"], ["runs", "logs", run_id]):
                out = runner.invoke(cli, args, catch_exceptions=False).output
                assert value not in out, args
            assert json.loads(runner.invoke(cli, ["runs", "show", run_id, "--json"]).output
                              )["parameters"] == {"password": "********"}
            # resuming needs the value again; the secrets are read again, `connect` is kept
            resumed = flow.run(journal=store, resume=run_id, password=value)
        assert resumed.is_successful() and resumed.result[done].result == 3 * len(value) + 10
        assert calls == ["connect", "report", "report"]
