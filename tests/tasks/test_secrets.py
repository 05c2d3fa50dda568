"""Secret tasks: where values come from, errors naming the secret, and nothing stored."""

from __future__ import annotations

import pytest

from prefectlite import Flow, context, task
from prefectlite.engine.results import LocalResult, SecretResult
from prefectlite.tasks.secrets import EnvVarSecret, PrefectSecret, SecretBase, get_secret


@task
def use(value: object) -> str:
    return f"used {value}"


@task
def length(value: str) -> int:
    return len(value)


class TestPrefectSecret:
    def test_value_comes_from_the_context_at_run_time(self) -> None:
        with Flow("secrets") as flow:
            out = use(PrefectSecret("TOKEN"))
        with context(secrets={"TOKEN": "t0k3n"}):
            state = flow.run()
        assert state.result[out].result == "used t0k3n"

    def test_value_comes_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PREFECTLITE__CONTEXT__SECRETS__MixedCase", "[1, 2]")
        assert PrefectSecret("MixedCase").run() == [1, 2]

    def test_the_context_wins_over_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PREFECTLITE__CONTEXT__SECRETS__KEY", "env")
        with context(secrets={"KEY": "ctx"}):
            assert PrefectSecret("KEY").run() == "ctx"

    def test_json_documents_are_decoded_and_other_values_kept(self) -> None:
        with context(secrets={"J": '{"user": "ann"}', "S": "plain{", "O": 5}):
            assert get_secret("J") == {"user": "ann"}
            assert get_secret("S") == "plain{"
            assert get_secret("O") == 5

    def test_a_missing_secret_fails_the_task_naming_it(self) -> None:
        with Flow("missing") as flow:
            secret = PrefectSecret("NOPE")()
        state = flow.run().result[secret]
        assert state.is_failed()
        assert 'Local Secret "NOPE" was not found' in str(state.result)
        assert "PREFECTLITE__CONTEXT__SECRETS__NOPE" in str(state.result)

    def test_the_name_may_be_given_at_call_time(self) -> None:
        with Flow("late name") as flow:
            secret = PrefectSecret()(name="LATE")
        with context(secrets={"LATE": "x"}):
            assert flow.run().result[secret].result == "x"
        with pytest.raises(ValueError, match="A secret name must be provided"):
            PrefectSecret().run()

    def test_secrets_are_not_read_while_building_a_flow(self) -> None:
        with Flow("building"), pytest.raises(ValueError, match="not while building a Flow"):
            get_secret("ANY")


class TestSecretResults:
    def test_secret_tasks_never_checkpoint_and_refuse_other_results(self, tmp_path) -> None:
        secret = PrefectSecret("A")
        assert secret.checkpoint is False
        assert isinstance(secret.result, SecretResult)
        assert secret.result.location == "A"
        with pytest.raises(ValueError, match="not configurable"):
            PrefectSecret("A", result=LocalResult(dir=tmp_path))

    def test_reading_the_result_fetches_the_secret_again(self) -> None:
        result = PrefectSecret("A").result
        with context(secrets={"A": "first", "B": "second"}):
            assert result.read("B").value == "second"
            assert result.exists("A") and not result.exists("C")
        with pytest.raises(ValueError, match="cannot be written"):
            result.write("x")
        with pytest.raises(ValueError, match="Can't pass a serializer"):
            SecretResult(PrefectSecret("A"), serializer=None)

    def test_a_journaled_run_stores_no_secret(self, tmp_path, config_env) -> None:
        config_env("PREFECTLITE_HOME", str(tmp_path))
        with Flow("journaled") as flow:
            out = length(PrefectSecret("PASSWORD"))
        with context(secrets={"PASSWORD": "hunter2-very-secret"}):
            state = flow.run(journal=True)
        assert state.result[out].result == 19
        stored = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert stored, "the journaled run wrote nothing at all"
        for path in stored:
            assert b"hunter2" not in path.read_bytes(), path


class TestEnvVarSecret:
    def test_a_name_is_needed_at_creation_or_call_time(self) -> None:
        with pytest.raises(ValueError, match="A secret name must be provided"):
            EnvVarSecret().run()

    def test_reads_casts_and_defaults_to_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PORT_FOR_TEST", "8080")
        monkeypatch.delenv("UNSET_FOR_TEST", raising=False)
        assert EnvVarSecret("PORT_FOR_TEST").run() == "8080"
        assert EnvVarSecret("PORT_FOR_TEST", cast=int).run() == 8080
        assert EnvVarSecret("UNSET_FOR_TEST", cast=int).run() is None

    def test_raise_if_missing_names_the_variable(self, monkeypatch) -> None:
        monkeypatch.delenv("UNSET_FOR_TEST", raising=False)
        with pytest.raises(ValueError, match="Environment variable not set: UNSET_FOR_TEST"):
            EnvVarSecret("UNSET_FOR_TEST", raise_if_missing=True).run()

    def test_in_a_flow(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REGION_FOR_TEST", "eu")
        with Flow("env") as flow:
            out = use(EnvVarSecret("REGION_FOR_TEST"))
        assert flow.run().result[out].result == "used eu"
        assert isinstance(EnvVarSecret("X"), SecretBase)
