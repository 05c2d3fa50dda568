"""Tests for prefectlite.engine.results: LocalResult, PrefectResult, JournalResult."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from prefectlite import Flow, task
from prefectlite.engine.results import (
    ConstantResult,
    JournalResult,
    LocalResult,
    PrefectResult,
    ResultCorruptError,
)
from prefectlite.engine.results.journal_result import journal_location
from prefectlite.engine.results.local_result import checksum, write_atomic
from prefectlite.engine.serializers import (
    DateTimeSerializer,
    JSONSerializer,
    PickleSerializer,
    Serializer,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, config_env: Callable[..., None]) -> Path:
    config_env("PREFECTLITE_HOME", str(tmp_path / "home"))
    config_env("PREFECTLITE__FLOWS__CHECKPOINTING", None)
    return tmp_path / "home"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*.tmp"))


class TestLocalResultConfiguration:
    def test_default_dir_follows_prefectlite_home_and_creates_nothing(self, home: Path) -> None:
        result = LocalResult()
        assert result.dir == str(home / "results")
        assert not home.exists()

    def test_dir_is_made_absolute(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        assert LocalResult(dir="out").dir == str(tmp_path / "out")
        assert LocalResult(dir="out", validate_dir=False).dir == "out"

    def test_default_serializer_is_pickle(self) -> None:
        assert LocalResult().serializer == PickleSerializer()

    def test_a_result_pickles_with_its_configuration(self, tmp_path: Path) -> None:
        result = LocalResult(dir=tmp_path, location="{x}.json", serializer=JSONSerializer())
        again = cloudpickle.loads(cloudpickle.dumps(result))
        assert (again.dir, again.location, again.serializer) == (
            str(tmp_path), "{x}.json", JSONSerializer())
        assert pickle.loads(pickle.dumps(result)).dir == str(tmp_path)


class TestLocalResultWriteRead:
    def test_write_formats_the_template_and_read_gives_the_value_back(self, tmp_path: Path
                                                                     ) -> None:
        result = LocalResult(dir=tmp_path, location="{flow_name}/{task_name}-{map_index}.pkl")
        written = result.write({"rows": 3}, flow_name="etl", task_name="load", map_index=2)
        assert written.location == "etl/load-2.pkl"
        assert written.value == {"rows": 3}
        assert (tmp_path / "etl" / "load-2.pkl").read_bytes() == \
            PickleSerializer().serialize({"rows": 3})
        assert result.exists("etl/load-2.pkl")
        assert result.exists("{flow_name}/load-2.pkl", flow_name="etl")
        assert not result.exists("etl/other.pkl")
        assert LocalResult(dir=tmp_path).read("etl/load-2.pkl").value == {"rows": 3}
        assert result.location == "{flow_name}/{task_name}-{map_index}.pkl"  # unchanged

    def test_a_callable_location_gets_the_format_arguments(self, tmp_path: Path) -> None:
        def where(task_name: str, **kwargs: Any) -> str:
            return f"by-callable/{task_name.upper()}"

        written = LocalResult(dir=tmp_path, location=where).write(1, task_name="load")
        assert written.location == "by-callable/LOAD"
        assert (tmp_path / "by-callable" / "LOAD").exists()

    def test_without_a_template_each_write_gets_a_fresh_location(self, tmp_path: Path) -> None:
        result = LocalResult(dir=tmp_path)
        first, second = result.write(1), result.write(2)
        assert first.location != second.location
        assert first.location.endswith(".prefect_result")
        assert result.read(first.location).value == 1

    def test_a_missing_template_key_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(KeyError, match="task_name"):
            LocalResult(dir=tmp_path, location="{task_name}").write(1)

    def test_reading_nothing_is_file_not_found(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError):
            LocalResult(dir=tmp_path).read("nope.pkl")

    def test_json_serializer_writes_a_plain_json_file(self, tmp_path: Path) -> None:
        LocalResult(dir=tmp_path, location="v.json", serializer=JSONSerializer()).write([1, 2])
        assert (tmp_path / "v.json").read_text() == "[1, 2]"

    def test_the_written_result_records_the_checksum_of_its_bytes(self, tmp_path: Path) -> None:
        written = LocalResult(dir=tmp_path, location="a").write("abc")
        assert written.checksum == checksum((tmp_path / "a").read_bytes())
        assert LocalResult(dir=tmp_path).read("a").checksum == written.checksum


class TestAtomicWrites:
    def test_no_temporary_file_stays_behind(self, tmp_path: Path) -> None:
        for i in range(5):
            LocalResult(dir=tmp_path, location="same.pkl").write(i)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["same.pkl"]

    def test_file_and_directory_are_fsynced(self, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        synced: list[int] = []
        real = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
        LocalResult(dir=tmp_path, location="a").write(1)
        assert len(synced) == 2  # the file, then its directory
        synced.clear()
        LocalResult(dir=tmp_path, location="b", fsync=False).write(1)
        assert synced == []

    def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary_one(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        result = LocalResult(dir=tmp_path, location="v.pkl")
        result.write("old")

        def broken_replace(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", broken_replace)
        with pytest.raises(OSError, match="No space left"):
            result.write("new")
        monkeypatch.undo()
        assert result.read("v.pkl").value == "old"
        assert leftovers(tmp_path) == []

    def test_a_serializer_error_writes_nothing(self, tmp_path: Path) -> None:
        class Broken(Serializer):
            def serialize(self, value: Any) -> bytes:
                raise TypeError("cannot serialize")

        with pytest.raises(TypeError, match="cannot serialize"):
            LocalResult(dir=tmp_path, location="v", serializer=Broken()).write(1)
        assert list(tmp_path.iterdir()) == []

    def test_a_process_killed_while_writing_never_leaves_a_partial_file(self, tmp_path: Path
                                                                        ) -> None:
        # A writer overwrites one location with two large values in turn; kill -9 it at
        # random moments: every time, the file holds one of the two values, complete. The
        # delays only vary where the kill lands; no assertion depends on them.
        script = textwrap.dedent(f"""
            import sys
            from prefectlite.engine.results.local_result import write_atomic
            big = [bytes([65]) * 4_000_000, bytes([66]) * 4_000_000]
            write_atomic({str(tmp_path / "value.bin")!r}, big[0], fsync=False)
            i = 1
            print("ready", flush=True)  # the file exists from here on, whatever the load
            while True:
                write_atomic({str(tmp_path / "value.bin")!r}, big[i % 2], fsync=False)
                i += 1
            """)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for delay in (0.05, 0.13, 0.21, 0.34):
            proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                                    stdout=subprocess.PIPE)
            assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
            data = (tmp_path / "value.bin").read_bytes()
            assert len(data) == 4_000_000 and data in (b"A" * 4_000_000, b"B" * 4_000_000)

    def test_write_atomic_creates_parent_directories(self, tmp_path: Path) -> None:
        write_atomic(str(tmp_path / "a" / "b" / "c.bin"), b"x")
        assert (tmp_path / "a" / "b" / "c.bin").read_bytes() == b"x"


class TestCorruption:
    def write(self, tmp_path: Path) -> LocalResult:
        return LocalResult(dir=tmp_path, location="v.pkl").write(list(range(100)))

    def test_a_changed_byte_is_detected_by_the_writer_s_checksum(self, tmp_path: Path) -> None:
        written = self.write(tmp_path)
        data = bytearray((tmp_path / "v.pkl").read_bytes())
        data[-5] ^= 0xFF  # still a loadable pickle: only the checksum can tell
        (tmp_path / "v.pkl").write_bytes(bytes(data))
        with pytest.raises(ResultCorruptError, match="v.pkl is damaged: its checksum"):
            written.read("v.pkl")

    def test_a_truncated_file_cannot_be_read(self, tmp_path: Path) -> None:
        written = self.write(tmp_path)
        path = tmp_path / "v.pkl"
        path.write_bytes(path.read_bytes()[:20])
        with pytest.raises(ResultCorruptError, match="damaged"):
            written.read("v.pkl")
        with pytest.raises(ResultCorruptError, match="cannot be read back with the pickle"):
            LocalResult(dir=tmp_path).read("v.pkl")  # no checksum known: the pickle fails

    def test_the_checksum_is_only_checked_for_the_location_it_describes(self, tmp_path: Path
                                                                        ) -> None:
        written = self.write(tmp_path)
        LocalResult(dir=tmp_path, location="other.pkl").write("other")
        assert written.read("other.pkl").value == "other"


class TestPrefectResult:
    def test_the_location_is_the_json_value(self) -> None:
        written = PrefectResult().write({"a": [1, 2]}, task_name="ignored")
        assert written.location == '{"a": [1, 2]}'
        assert written.value == {"a": [1, 2]}
        assert PrefectResult().read(written.location).value == {"a": [1, 2]}

    def test_exists_means_readable(self) -> None:
        assert PrefectResult().exists("[1]")
        assert not PrefectResult().exists("{not json")

    def test_format_has_no_template_to_render(self) -> None:
        result = PrefectResult(location="3")
        assert result.format(task_name="x").location == "3"

    def test_a_non_text_serializer_is_a_clear_error(self) -> None:
        with pytest.raises(TypeError, match="only supports JSONSerializer or DateTimeSerializer"):
            PrefectResult(serializer=PickleSerializer())
        result = PrefectResult()
        with pytest.raises(TypeError, match="Use LocalResult"):
            result.serializer = PickleSerializer()
        assert isinstance(result.serializer, JSONSerializer)

    def test_datetimes_with_the_datetime_serializer(self) -> None:
        import pendulum

        result = PrefectResult(serializer=DateTimeSerializer())
        when = pendulum.datetime(2021, 7, 4, 9, tz="UTC")
        written = result.write(when)
        assert written.location == "2021-07-04T09:00:00Z"
        assert result.read(written.location).value == when

    def test_non_json_values_fail(self) -> None:
        with pytest.raises(TypeError):
            PrefectResult().write({1, 2})


class TestJournalResult:
    def test_small_values_stay_inline_and_touch_no_file(self, tmp_path: Path) -> None:
        written = JournalResult(dir=tmp_path).write([1, 2], flow_run_id="r", task_slug="t-1")
        assert written.location == "r/t-1.result"
        assert written.inline == PickleSerializer().serialize([1, 2])
        assert written.checksum == checksum(written.inline)
        assert not (tmp_path / "r").exists()
        assert written.read("r/t-1.result").value == [1, 2]
        assert written.exists("r/t-1.result")

    def test_large_values_go_to_a_file(self, tmp_path: Path) -> None:
        result = JournalResult(dir=tmp_path, inline_limit=100)
        written = result.write("x" * 1000, flow_run_id="r", task_slug="t-1", map_index=4)
        assert written.inline is None
        assert (tmp_path / "r" / "t-1" / "4.result").exists()
        assert JournalResult(dir=tmp_path).read(written.location).value == "x" * 1000

    def test_damaged_inline_bytes_are_detected(self, tmp_path: Path) -> None:
        written = JournalResult(dir=tmp_path).write(7, flow_run_id="r", task_slug="t")
        written.inline = PickleSerializer().serialize(8)
        with pytest.raises(ResultCorruptError, match="damaged"):
            written.read(written.location)

    @pytest.mark.parametrize("slug", ["a/b-1", "../up-1", "[1, 2, 3]-1", "", "é-1"])
    def test_locations_are_safe_file_names(self, slug: str) -> None:
        location = journal_location("run", slug, 3)
        parts = location.split("/")
        assert parts[0] == "run" and parts[-1] == "3.result" and len(parts) == 3
        assert all(c.isalnum() or c in "._-" for c in parts[1])
        assert parts[1] not in ("", ".", "..")

    def test_different_slugs_never_share_a_location(self) -> None:
        slugs = ["a/b-1", "a_b-1", "a b-1", "a:b-1"]
        assert len({journal_location("r", s) for s in slugs}) == len(slugs)


class TestStatesRememberTheirLocation:
    def test_a_checkpointed_task_state_holds_the_written_result(self, tmp_path: Path) -> None:
        result = LocalResult(dir=tmp_path, location="{task_name}-{x}.pkl")

        @task(checkpoint=True, result=result)
        def double(x: int) -> int:
            return 2 * x

        with Flow("remember") as flow:
            out = double(21)
        state = flow.run().result[out]
        assert state.result == 42
        assert isinstance(state._result, LocalResult)
        assert state._result.location == "double-21.pkl"
        assert result.read(state._result.location).value == 42


class TestConstantResult:
    def test_reading_gives_back_the_same_result_whatever_the_location(self) -> None:
        result = ConstantResult(value={"k": [1]})
        assert result.read("ignored") is result and result.value == {"k": [1]}
        assert ConstantResult().read("").value is None

    def test_it_always_exists(self) -> None:
        assert ConstantResult(value=0).exists("nowhere") is True

    def test_writing_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="Cannot write values to `ConstantResult`"):
            ConstantResult(value=1).write(1)

    def test_a_serializer_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Can't pass a serializer"):
            ConstantResult(value=1, serializer=JSONSerializer())
        with pytest.raises(TypeError, match="unexpected keyword arguments"):
            ConstantResult(value=1, dir="x")  # type: ignore[call-arg]


def test_local_result_in_the_home_directory_goes_to_its_results_folder(tmp_path, config_env):
    config_env("PREFECTLITE_HOME", str(tmp_path))
    assert LocalResult(dir=tmp_path).dir == str(tmp_path / "results")
    assert LocalResult().dir == str(tmp_path / "results")
    assert LocalResult(dir=tmp_path / "elsewhere").dir == str(tmp_path / "elsewhere")
