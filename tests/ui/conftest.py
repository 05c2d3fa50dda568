"""Fixtures for the dashboard's tests: a journal, a real ``prefectlite ui`` process over it,
and a headless Chromium driven by selenium.

The server is the command users run (``python -m prefectlite ui --port 0``), one per test
module, over that module's journal; tests add runs to the journal and read the pages over
HTTP. The browser is Debian's ``chromium`` with ``chromedriver`` (``.ci/run`` installs them);
without a Chromium the browser tests skip and say so. Screenshots of the pages go to
``test-results/ui/`` (or ``$PREFECTLITE_UI_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the dashboard needs the ui extra")
pytest.importorskip("uvicorn", reason="the dashboard needs the ui extra")

REPO = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("PREFECTLITE_UI_SCREENSHOTS", REPO / "test-results" / "ui"))
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: without the background-networking flags, a closed network refuses Chromium's connections
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900")


@pytest.fixture(scope="module", autouse=True)
def _engine_lines(engine_info_lines: None) -> None:
    """Every dashboard test reads the engine's INFO lines back (see the root conftest)."""


@dataclass
class Page:
    status: int
    text: str
    headers: Any


@dataclass
class Server:
    """A running ``prefectlite ui`` process."""

    url: str
    journal: Path
    process: subprocess.Popen[str]

    def get(self, path: str) -> Page:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as answer:
                return Page(answer.status, answer.read().decode(), answer.headers)
        except urllib.error.HTTPError as exc:
            with exc:
                return Page(exc.code, exc.read().decode(), exc.headers)


def start_server(journal: Path, home: Path, *args: str) -> Server:
    """``prefectlite ui --port 0 --journal JOURNAL``; returns once it serves."""
    # HOME is home's parent, so the pages show the journal as ~/.prefectlite/prefectlite.db
    env = {**os.environ, "PREFECTLITE_HOME": str(home), "HOME": str(home.parent),
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "prefectlite", "ui", "--port", "0", "--journal", str(journal),
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()  # "prefectlite dashboard on http://...:PORT (journal ..."
    if "dashboard on " not in line:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"prefectlite ui did not start: {line}{err}")
    url = line.split("dashboard on ", 1)[1].split()[0]
    return Server(url, journal, process)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.communicate()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's PREFECTLITE_HOME: ``<tmp>/.prefectlite``."""
    path = tmp_path_factory.mktemp("user") / ".prefectlite"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def journal(home: Path) -> Path:
    from prefectlite.persistence.journal import RunStore

    path = home / "prefectlite.db"
    RunStore(path).close()  # the server shows an existing journal
    return path


@pytest.fixture(scope="module")
def server(journal: Path, home: Path) -> Iterator[Server]:
    running = start_server(journal, home)
    yield running
    stop_server(running)


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) for the session.

    Skips when no Chromium is installed; with Chromium but no chromedriver it fails (the
    browser tests would otherwise be skipped on a machine that is meant to run them).
    """
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium on PATH: install Debian's chromium and chromium-driver "
                    "packages (.ci/run does) to run the browser tests")
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        pytest.fail(f"{binary} is installed but chromedriver is not: install Debian's "
                    "chromium-driver package (.ci/run does) for the browser tests")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="prefectlite-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser: Any) -> Any:
    """``screenshot(name)`` saves the browser's page as ``SHOTS/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SHOTS / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take
