"""prefectlite.client.Secret: Prefect 1's Secret(name).get() for local secrets."""

from __future__ import annotations

import pytest

from prefectlite import Flow, context, task
from prefectlite.client import Secret


def test_get_inside_a_task_reads_the_context() -> None:
    @task
    def connect() -> str:
        return Secret("DSN").get()

    with Flow("client secret") as flow:
        dsn = connect()
    with context(secrets={"DSN": "postgres://db"}):
        assert flow.run().result[dsn].result == "postgres://db"


def test_exists_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Secret("FROM_ENV").exists()
    monkeypatch.setenv("PREFECTLITE__CONTEXT__SECRETS__FROM_ENV", '{"a": 1}')
    assert Secret("FROM_ENV").exists() and Secret("FROM_ENV").get() == {"a": 1}


def test_a_missing_secret_is_named() -> None:
    with pytest.raises(ValueError, match='Local Secret "ABSENT" was not found'):
        Secret("ABSENT").get()
    assert repr(Secret("ABSENT")) == "<Secret: ABSENT>"


def test_there_is_no_backend_client() -> None:
    import prefectlite.client

    assert not hasattr(prefectlite.client, "Client")
