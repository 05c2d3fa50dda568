"""The dashboard's pages, read over HTTP from a real ``prefectlite ui`` process (see conftest)."""

from __future__ import annotations

import datetime
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from prefectlite import Flow, Parameter, context, task
from prefectlite.persistence.journal import RunStore

XSS = "<script>alert(1)</script>"


@task
def double(x):
    context.logger.info("doubling %s", x)
    return 2 * x


@task(name="check")
def check(values, token):
    raise ValueError(f"values {values} look wrong")


def failing_run(journal: Path) -> str:
    with Flow("numbers") as flow:
        token = Parameter("api_token", default="s3cr3t-value")
        n = Parameter("n", default=3)
        check(double.map([1, 2, n]), token, upstream_tasks=[Parameter("scale", default=10)])
    state = flow.run(journal=journal, parameters={"api_token": "s3cr3t-value", "n": 3})
    return str(state.context["flow_run_id"])


def run_named(journal: Path, name: str) -> str:
    @task(name=name)
    def say():
        context.logger.info("I am %s", name)
        return name

    with Flow(name) as flow:
        say()
    return str(flow.run(journal=journal).context["flow_run_id"])


@pytest.fixture(scope="module")
def failed(server) -> str:
    return failing_run(server.journal)


def test_the_runs_page_lists_runs(server, failed: str) -> None:
    page = server.get("/")
    assert page.status == 200
    assert f'href="/runs/{failed}"' in page.text
    assert 'data-state="Failed"' in page.text and ">numbers<" in page.text


def test_the_runs_page_filters_by_flow_and_state(server, failed: str) -> None:
    other = run_named(server.journal, "other flow")
    by_flow = server.get("/?flow=other+flow").text
    assert f"/runs/{other}" in by_flow and f"/runs/{failed}" not in by_flow
    by_state = server.get("/?state=Failed").text
    assert f"/runs/{failed}" in by_state and f"/runs/{other}" not in by_state
    assert "No runs recorded that match" in server.get("/?state=Cancelled").text


def test_the_runs_page_is_paginated(server, home: Path) -> None:
    with RunStore(server.journal) as store:
        for i in range(120):
            store.start_run(f"paged-{i:03d}", "paged", {})
    first = server.get("/?flow=paged").text
    assert "page 1 of 3" in first and first.count('data-run="paged-') == 50
    assert "/runs/paged-119" in first  # newest first
    last = server.get("/?flow=paged&page=3").text
    assert last.count('data-run="paged-') == 20 and "/runs/paged-000" in last
    assert "page 3 of 3" in server.get("/?flow=paged&page=99").text


def test_the_run_page(server, failed: str) -> None:
    page = server.get(f"/runs/{failed}")
    assert page.status == 200
    text = page.text
    nodes = dict(re.findall(r'<g class="node" data-slug="([^"]+)" data-state="([^"]+)"', text))
    assert nodes["double-1"] == "Mapped" and nodes["check-1"] == "Failed"
    assert nodes["n"] == nodes["api_token"] == "Success"
    assert "3 Success" in text  # the mapped node's children
    assert f"--resume {failed}" in text
    assert 'id="timeline"' in text and 'data-label="double-1[2]"' in text


def test_secret_parameters_are_masked(server, failed: str) -> None:
    text = server.get(f"/runs/{failed}").text
    assert "s3cr3t-value" not in text and "********" in text
    assert "<th>n</th><td><code>3</code>" in text
    assert "<th>scale</th><td><code>10</code>" in text  # a default, from its task's result


def test_the_status_endpoint(server, failed: str) -> None:
    page = server.get(f"/api/runs/{failed}/status")
    data = json.loads(page.text)
    assert data["run"]["state"] == "Failed" and data["run"]["running"] is False
    assert data["nodes"]["double-1"]["children"] == [
        {"state": "Success", "count": 3, "color": "#28a745"}]
    assert page.headers["Cache-Control"] == "no-store"
    assert server.get("/api/runs/nope/status").status == 404


def test_a_failed_task_page_shows_traceback_and_logs(server, failed: str) -> None:
    slug = next(t.task_slug for t in RunStore(server.journal).task_runs(failed)
                if t.task_name == "check")
    text = server.get(f"/runs/{failed}/tasks/{slug}").text
    assert 'id="traceback"' in text and "ValueError: values [2, 4, 6] look wrong" in text
    assert "Error during execution of task" in text
    child = server.get(f"/runs/{failed}/tasks/double-1?index=2").text
    assert "doubling 3" in child and 'id="preview"' in child and ">6</pre>" in child


def test_names_and_messages_are_escaped(server) -> None:
    run_id = run_named(server.journal, XSS)
    slug = RunStore(server.journal).task_runs(run_id)[0].task_slug
    for path in ("/", f"/runs/{run_id}", f"/runs/{run_id}/tasks/{quote(slug)}"):
        text = server.get(path).text
        assert XSS not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_json_is_served_as_json(server) -> None:
    run_id = run_named(server.journal, XSS)
    page = server.get(f"/api/runs/{run_id}/status")
    assert page.headers["Content-Type"] == "application/json"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(page.text)["run"]["flow"] == XSS  # the page sets it as text


def test_unknown_runs_are_404(server) -> None:
    page = server.get("/runs/no-such-run")
    assert page.status == 404 and "No flow run &#39;no-such-run&#39;" in page.text


def test_it_is_read_only(server, failed: str) -> None:
    request = urllib.request.Request(server.url + f"/runs/{failed}", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 405
    info.value.close()
    page = server.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_it_serves_its_own_static_files(server) -> None:
    assert server.get("/static/run.js").status == 200
    assert server.get("/static/style.css").status == 200
    assert "https://" not in server.get("/").text.split("<main>")[0]  # no CDN


def test_the_server_says_where_it_serves(server, home: Path, config_env) -> None:
    from prefectlite.cli.ui import dashboard_url

    marker = json.loads((home / "ui.json").read_text())
    assert marker["url"] == server.url and marker["pid"] == server.process.pid
    config_env("PREFECTLITE_HOME", str(home))
    assert dashboard_url("abc", server.journal) == f"{server.url}/runs/abc"
    assert dashboard_url("abc", home / "another.db") is None


def test_retries_show_on_the_timeline_and_the_task_page(server) -> None:
    attempts = []

    @task(name="flaky", max_retries=2, retry_delay=datetime.timedelta(0))
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)} failed")
        return "third time lucky"

    with Flow("retrying") as flow:
        flaky()
    run_id = str(flow.run(journal=server.journal).context["flow_run_id"])
    assert "↻2" in server.get(f"/runs/{run_id}").text
    text = server.get(f"/runs/{run_id}/tasks/flaky-1").text
    assert "3 (2 retries)" in text
    assert text.count("final state: &#39;Retrying&#39;") == 2  # each attempt's lines
    assert "&#39;third time lucky&#39;" in text  # the stored result's preview
