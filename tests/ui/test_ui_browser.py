"""The dashboard in a real browser: headless Chromium (selenium) against a real
``prefectlite ui`` process. Each test saves screenshots of the pages it visits (conftest)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from prefectlite import Flow, Parameter, context, task

XSS = "<script>alert(1)</script>"
WAIT = 30  # seconds a condition may take before the test fails (normally well under one)


def wait_for(browser: Any, condition: Any) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # a live page re-renders while it is read: an element found a moment ago may be gone
    return WebDriverWait(browser, WAIT, poll_frequency=0.1,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)


def by_css(browser: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, selector)


def node_state(browser: Any, slug: str) -> str:
    # read in one script call, so a re-render between finding and reading cannot intervene
    return str(browser.execute_script(
        "const n = document.querySelector(arguments[0]);"
        " return n ? n.getAttribute('data-state') : null;",
        f'#graph g.node[data-slug="{slug}"]'))


def text_of(browser: Any, selector: str) -> str:
    return str(browser.execute_script(
        "const n = document.querySelector(arguments[0]); return n ? n.textContent.trim() : null;",
        selector))


@task(name="fetch")
def fetch(n):
    context.logger.info("fetching %d rows", n)
    return list(range(n))


@task(name="square", log_stdout=True)
def square(x):
    print(f"squaring {x}")
    return x * x


@task(name="total")
def total(values):
    if sum(values) > 10:
        raise RuntimeError(f"total {sum(values)} is over the limit")
    return sum(values)


def squares_flow() -> Flow:
    with Flow("squares") as flow:
        total(square.map(fetch(Parameter("rows", default=4))))
    return flow


def test_runs_list_and_a_failed_task(server: Any, browser: Any, screenshot: Any) -> None:
    flow = squares_flow()
    fine = flow.run(journal=server.journal, parameters={"rows": 3})
    failed = flow.run(journal=server.journal)
    run_id = str(failed.context["flow_run_id"])
    again = flow.run(journal=server.journal, resume=run_id)
    assert fine.is_successful() and failed.is_failed() and again.is_failed()
    browser.get(server.url + "/")
    row = by_css(browser, f'tr[data-run="{run_id}"]')
    assert "squares" in row.text and "Failed" in row.text
    resumed = by_css(browser, f'tr[data-run="{again.context["flow_run_id"]}"]')
    assert run_id[:8] in resumed.text  # the resumed-from link
    assert "Success" in by_css(browser, f'tr[data-run="{fine.context["flow_run_id"]}"]').text
    screenshot("runs")

    by_css(browser, f'tr[data-run="{run_id}"] a.run-link').click()
    wait_for(browser, lambda b: b.current_url.endswith(f"/runs/{run_id}"))
    assert node_state(browser, "total-1") == "Failed"
    assert node_state(browser, "square-1") == "Mapped"
    mapped = by_css(browser, '#graph g.node[data-slug="square-1"] text.sub').text
    assert mapped == "4 Success"
    assert "--resume " + run_id in by_css(browser, "#resume").text
    screenshot("run-failed")

    by_css(browser, "#errors a").click()
    wait_for(browser, lambda b: "/tasks/total-1" in b.current_url)
    assert by_css(browser, "#task-name").text == "total"
    assert "RuntimeError: total 14 is over the limit" in by_css(browser, "#traceback").text
    logs = by_css(browser, "#logs").text
    assert "Error during execution of task" in logs and "Starting task run" in logs
    screenshot("task-failed")

    browser.get(server.url + f"/runs/{run_id}/tasks/square-1?index=3")
    assert "squaring 3" in by_css(browser, "#logs").text  # a print, with log_stdout
    assert by_css(browser, "#preview").text == "9"


def test_a_running_run_updates_live(server: Any, browser: Any, screenshot: Any) -> None:
    first_done, release = threading.Event(), threading.Event()

    @task(name="quick")
    def quick():
        return 1

    @task(name="slow")
    def slow(x):
        first_done.set()
        assert release.wait(WAIT), "the test never released the slow task"
        return x + 1

    with Flow("live") as flow:
        slow(quick())
    states: list[Any] = []
    runner = threading.Thread(target=lambda: states.append(
        flow.run(journal=server.journal)))
    runner.start()
    try:
        assert first_done.wait(WAIT)
        run_id = _running_run(server.journal, "live")
        browser.get(server.url + f"/runs/{run_id}")
        assert by_css(browser, "#run").get_attribute("data-running") == "yes"
        wait_for(browser, lambda b: node_state(b, "quick-1") == "Success")
        # it has logged "Starting task run..." but not finished: shown running
        wait_for(browser, lambda b: node_state(b, "slow-1") == "Running")
        assert text_of(browser, "#run-state .badge") == "Running"
        wait_for(browser, lambda b: b.find_elements(
            "css selector", '#timeline-svg g.bar[data-label="quick-1"]'))
        assert by_css(browser, "#timeline").is_displayed()
        wait_for(browser, lambda b: text_of(b, "#run-duration").endswith("(running)"))
        screenshot("run-live")
    finally:
        release.set()
        runner.join()
    assert states and states[0].is_successful()
    wait_for(browser, lambda b: text_of(b, "#run-state .badge") == "Success")
    wait_for(browser, lambda b: node_state(b, "slow-1") == "Success")
    assert by_css(browser, "#run").get_attribute("data-running") == "no"  # reloaded
    screenshot("run-finished")


def _running_run(journal: Path, flow_name: str) -> str:
    from prefectlite.persistence.journal import RunStore

    with RunStore(journal) as store:
        runs = [r for r in store.list_runs(flow_name=flow_name) if r.ended is None]
    assert len(runs) == 1
    return runs[0].id


def test_names_are_shown_as_text(server: Any, browser: Any, screenshot: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    @task(name=XSS)
    def evil():
        context.logger.warning("%s in a message", XSS)

    with Flow(XSS) as flow:
        evil()
    run_id = str(flow.run(journal=server.journal).context["flow_run_id"])
    browser.get(server.url + "/")
    assert XSS in by_css(browser, f'tr[data-run="{run_id}"]').text
    browser.get(server.url + f"/runs/{run_id}")
    assert XSS in by_css(browser, "h1").text
    by_css(browser, "#graph g.node rect").click()
    wait_for(browser, lambda b: "/tasks/" in b.current_url)
    assert by_css(browser, "#task-name").text == XSS
    assert f"{XSS} in a message" in by_css(browser, "#logs").text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert browser.execute_script("return document.querySelectorAll('main script').length") == 0
    screenshot("escaping")
