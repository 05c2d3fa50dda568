"""Tests for prefectlite.configuration and set_temporary_config."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import prefectlite
from prefectlite import Flow, Task, configuration, context
from prefectlite.configuration import Config, ConfigurationError, load_configuration
from prefectlite.engine.results import LocalResult
from prefectlite.utilities.configuration import set_temporary_config

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def base(tmp_path: Path) -> str:
    return write(tmp_path / "base.toml", """
        name = "base"
        [paths]
        root = "/srv"
        data = "${paths.root}/data"
        depth = "${numbers.three}"
        [numbers]
        three = 3
        text = "4"
    """)


class TestLoading:
    def test_nested_sections_have_attribute_access(self, base: str) -> None:
        config = load_configuration(base)
        assert isinstance(config, Config) and isinstance(config.paths, Config)
        assert config.name == "base" and config["paths"]["root"] == "/srv"

    def test_references_to_other_keys(self, base: str) -> None:
        config = load_configuration(base)
        assert config.paths.data == "/srv/data"
        assert config.paths.depth == 3  # a whole-value reference keeps the type

    def test_string_values_are_cast(self, base: str) -> None:
        assert load_configuration(base).numbers.text == 4

    def test_user_file_wins_and_references_see_its_values(self, base: str,
                                                          tmp_path: Path) -> None:
        user = write(tmp_path / "user.toml", '[paths]\nroot = "/home/me"\n[extra]\nk = 1\n')
        config = load_configuration(base, user_config_path=user)
        assert config.paths.data == "/home/me/data" and config.extra.k == 1
        assert config.numbers.three == 3

    def test_a_missing_user_file_is_skipped(self, base: str, tmp_path: Path) -> None:
        config = load_configuration(base, user_config_path=str(tmp_path / "nope.toml"))
        assert config.name == "base"

    def test_environment_overrides_and_creates_keys(
            self, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MYAPP__PATHS__ROOT", "/opt")
        monkeypatch.setenv("MYAPP__NUMBERS__THREE", "30")
        monkeypatch.setenv("MYAPP__NEW__DEEP__FLAG", "TRUE")
        monkeypatch.setenv("MYAPP__CONTEXT__SECRETS__MixedCase", "s3cret")
        config = load_configuration(base, env_var_prefix="MYAPP")
        assert config.paths.data == "/opt/data" and config.numbers.three == 30
        assert config.new.deep.flag is True
        assert config.context.secrets.MixedCase == "s3cret"

    def test_environment_variables_inside_values(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PL_TEST_DIR", "/data")
        path = write(tmp_path / "c.toml", 'a = "$PL_TEST_DIR/x"\nb = "no$PL_TEST_DIRx"\n')
        config = load_configuration(path)
        assert config.a == "/data/x" and config.b == "no$PL_TEST_DIRx"


class TestBadInput:
    def test_invalid_toml_names_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path / "broken.toml", "[flows\ncheckpointing = true\n")
        with pytest.raises(ConfigurationError, match=r"broken\.toml is not valid TOML"):
            load_configuration(path)

    def test_a_reference_loop_is_named(self, tmp_path: Path) -> None:
        path = write(tmp_path / "loop.toml", 'a = "${b}"\nb = "x${c}"\nc = "${a}"\n')
        with pytest.raises(ConfigurationError, match=r"loop: a -> b -> c -> a"):
            load_configuration(path)

    def test_a_key_shadowing_a_method(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", "[outer.items]\nx = 1\n")
        with pytest.raises(ValueError, match="'outer.items'"):
            load_configuration(path)

    def test_an_environment_key_below_a_plain_value(
            self, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MYAPP__NAME__SUB", "x")
        with pytest.raises(ConfigurationError, match="MYAPP__NAME__SUB sets a key below name"):
            load_configuration(base, env_var_prefix="MYAPP")

    def test_an_environment_name_without_a_key(
            self, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MYAPP__PATHS__", "x")
        with pytest.raises(ConfigurationError, match="MYAPP__PATHS__ does not name"):
            load_configuration(base, env_var_prefix="MYAPP")

    def test_a_broken_user_file_fails_the_import_with_one_clear_line(self,
                                                                    tmp_path: Path) -> None:
        user = write(tmp_path / "config.toml", "checkpointing = \n")
        env = {"PYTHONPATH": str(REPO), "PREFECTLITE__USER_CONFIG_PATH": user,
               "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-c", "import prefectlite"], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode != 0
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("prefectlite.configuration.ConfigurationError: The configuration"
                               f" file {user} is not valid TOML")


class TestHelpers:
    def test_string_to_type(self) -> None:
        cast = configuration.string_to_type
        assert (cast("fAlSe"), cast("12"), cast("-0.5"), cast("None")) == (False, 12, -0.5, None)
        assert cast("{'a': 1}") == {"a": 1} and cast("two words") == "two words"

    def test_to_environment_variables_round_trips(
            self, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
        config = load_configuration(base)
        env = configuration.to_environment_variables(config, include={"numbers.three"},
                                                     prefix="RT")
        assert env == {"RT__NUMBERS__THREE": "3"}
        monkeypatch.setenv("RT__NUMBERS__THREE", "33")
        assert load_configuration(base, env_var_prefix="RT").numbers.three == 33

    def test_copy_is_deep_for_sections_only(self) -> None:
        config = Config(a={"b": [1]})
        copied = config.copy()
        copied.a.c = 2
        copied.a.b.append(2)
        assert "c" not in config.a and config.a.b == [1, 2]

    def test_create_user_config_never_overwrites(self, tmp_path: Path) -> None:
        dest = tmp_path / "sub" / "config.toml"
        configuration.create_user_config(str(dest))
        assert "checkpointing" in dest.read_text()
        with pytest.raises(ValueError, match="File already exists"):
            configuration.create_user_config(str(dest))

    def test_task_defaults(self) -> None:
        config = configuration.process_task_defaults(
            Config(tasks={"defaults": {"max_retries": False, "retry_delay": 5}}))
        defaults = config.tasks.defaults
        assert defaults.max_retries == 0 and defaults.timeout is None
        assert defaults.retry_delay == datetime.timedelta(seconds=5)


class TestTheDefaultConfig:
    def test_is_the_package_attribute(self) -> None:
        assert prefectlite.config is configuration.config
        assert context.config is prefectlite.config
        assert prefectlite.config.tasks.defaults.max_retries == 0

    def test_environment_variables(self, config_env: Callable[..., None], tmp_path: Path
                                   ) -> None:
        config_env("PREFECTLITE__LOGGING__LEVEL", "DEBUG")
        config_env("PREFECTLITE_HOME", str(tmp_path))
        assert prefectlite.config.logging.level == "DEBUG"
        assert prefectlite.config.home_dir == str(tmp_path)

    def test_home_dir_env_name_beats_prefectlite_home(
            self, config_env: Callable[..., None], tmp_path: Path) -> None:
        config_env("PREFECTLITE_HOME", str(tmp_path / "a"))
        config_env("PREFECTLITE__HOME_DIR", str(tmp_path / "b"))
        assert prefectlite.config.home_dir == str(tmp_path / "b")

    def test_user_file_in_the_home(self, config_env: Callable[..., None], tmp_path: Path
                                   ) -> None:
        write(tmp_path / "config.toml", "[flows]\ncheckpointing = true\n[mine]\nx = 1\n")
        config_env("PREFECTLITE_HOME", str(tmp_path))
        assert prefectlite.config.flows.checkpointing is True and prefectlite.config.mine.x == 1
        assert prefectlite.config.home_dir == str(tmp_path)  # the variable beats the file

    def test_context_section_is_copied_into_new_contexts(
            self, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__CONTEXT__SECRETS__API_KEY", "abc")
        fresh = prefectlite.utilities.context.Context()
        assert fresh.secrets == {"API_KEY": "abc"}


class TestSetTemporaryConfig:
    def test_sets_and_restores_nested_keys(self) -> None:
        before = prefectlite.config.to_dict()
        with set_temporary_config({"flows.checkpointing": True, "a.b.c": 1}) as config:
            assert config is prefectlite.config and context.config is config
            assert config.flows.checkpointing is True and config.a.b.c == 1
        assert prefectlite.config.to_dict() == before

    def test_restores_after_an_error(self) -> None:
        before = prefectlite.config.logging.level
        with pytest.raises(RuntimeError), set_temporary_config({"logging.level": "NOPE"}):
            raise RuntimeError("boom")
        assert prefectlite.config.logging.level == before

    def test_a_key_below_a_value_is_a_clear_error(self) -> None:
        before = prefectlite.config.to_dict()
        with (pytest.raises(ValueError, match="'logging.level.x' goes below 'level'"),
              set_temporary_config({"logging.level.x": 1})):
            pass
        assert prefectlite.config.to_dict() == before

    def test_changes_what_the_engine_reads(self, tmp_path: Path) -> None:
        class One(Task):
            def run(self) -> int:
                return 1

        with Flow("f", result=LocalResult(dir=tmp_path)) as flow:
            One()()
        flow.run()
        assert list(tmp_path.iterdir()) == []
        with set_temporary_config({"flows.checkpointing": True}):
            flow.run()
        assert len(list(tmp_path.iterdir())) == 1

    def test_home_dir_moves_the_journal(self, tmp_path: Path) -> None:
        with Flow("f") as flow:
            Task()()
        with set_temporary_config({"home_dir": str(tmp_path)}):
            flow.run(journal=True)
        assert (tmp_path / "prefectlite.db").exists()


class TestTaskDefaults:
    def test_tasks_take_unset_values_from_the_configuration(self) -> None:
        values = {"tasks.defaults.max_retries": 2, "tasks.defaults.retry_delay": 4,
                  "tasks.defaults.timeout": 9}
        with set_temporary_config(values):
            task = Task()
            explicit = Task(max_retries=0, timeout=1)
        assert (task.max_retries, task.retry_delay, task.timeout) == (
            2, datetime.timedelta(seconds=4), 9)
        assert (explicit.max_retries, explicit.retry_delay, explicit.timeout) == (0, None, 1)
        plain = Task()
        assert (plain.max_retries, plain.retry_delay, plain.timeout) == (0, None, None)

    def test_a_default_retry_count_without_delay_is_the_usual_error(self) -> None:
        with (set_temporary_config({"tasks.defaults.max_retries": 1}),
              pytest.raises(ValueError, match="max_retries=1 needs a retry_delay")):
            Task()


class TestEnvironmentKeysOfTheDefaultConfig:
    def test_a_misspelt_key_in_a_known_section_is_named(
            self, config_env: Callable[..., None]) -> None:
        with pytest.raises(ConfigurationError, match=(
                r"PREFECTLITE__FLOWS__CHECKPOINTNG sets flows.checkpointng, which is not a "
                r"configuration key \(flows.checkpointing, .*flows.run_on_schedule are\)")):
            config_env("PREFECTLITE__FLOWS__CHECKPOINTNG", "true")

    def test_own_sections_context_keys_and_top_level_keys_are_free(
            self, config_env: Callable[..., None]) -> None:
        config_env("PREFECTLITE__MYAPP__REGION", "eu")
        config_env("PREFECTLITE__CONTEXT__TEAM", "data")
        config_env("PREFECTLITE__SOMETHING", "1")
        assert prefectlite.config.myapp.region == "eu"
        assert prefectlite.config.context.team == "data" and prefectlite.config.something == 1

    def test_a_key_added_by_the_user_file_may_be_set(
            self, config_env: Callable[..., None], tmp_path: Path) -> None:
        write(tmp_path / "config.toml", "[logging]\nmy_flag = false\n")
        config_env("PREFECTLITE_HOME", str(tmp_path))
        config_env("PREFECTLITE__LOGGING__MY_FLAG", "true")
        assert prefectlite.config.logging.my_flag is True
