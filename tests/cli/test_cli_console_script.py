"""The real ``prefectlite`` console script (and ``python -m prefectlite``) in a subprocess.

These cover what CliRunner cannot: the installed entry point, exit codes as the shell sees
them, stderr one-liners, a bounded wait on a silent scheduler address, and Ctrl-C (SIGINT)
during a scheduled run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLOWS = Path(__file__).resolve().parent / "flows"


def command() -> list[str]:
    """The console script next to this interpreter, else ``python -m prefectlite``."""
    script = Path(sys.executable).with_name("prefectlite")
    found = str(script) if script.exists() else shutil.which("prefectlite")
    return [found] if found else [sys.executable, "-m", "prefectlite"]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("PREFECTLITE_")}
    path = os.pathsep.join(p for p in (str(REPO), values.get("PYTHONPATH")) if p)
    return {**values, "PYTHONPATH": path, "PREFECTLITE_HOME": str(tmp_path / "home"),
            "NO_COLOR": "1", **extra}


def cli(tmp_path: Path, *args: str, timeout: float = 60, **extra: str):
    return subprocess.run([*command(), *args], capture_output=True, text=True,
                          timeout=timeout, env=env(tmp_path, **extra), cwd=tmp_path)


def test_success_exit_0(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", str(FLOWS / "simple.py"), "-p", "n=1")
    assert done.returncode == 0, done.stderr
    assert re.match(r"Flow run 'simple' \(run \w{8}\): Success", done.stdout)


def test_failure_exit_1(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", str(FLOWS / "failing.py"))
    assert done.returncode == 1
    assert re.match(r"Flow run 'failing' \(run \w{8}\): Failed", done.stdout)


def test_usage_error_exit_2_one_line(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", str(FLOWS / "simple.py"), "-p", "nope=1")
    assert done.returncode == 2
    assert done.stderr == ("Error: flow 'simple' has no parameter 'nope'; its parameters "
                           "are: n, word.\n")
    assert done.stdout == ""


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from prefectlite import Flow\n\nwith Flow('x') as flow\n    pass\n")
    done = cli(tmp_path, "run", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: {bad}, line 3: SyntaxError: expected ':'")
    assert "Traceback" not in done.stderr


def test_silent_address_fails_within_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        start = time.monotonic()
        done = cli(tmp_path, "run", str(FLOWS / "simple.py"), "-e", f"tcp://127.0.0.1:{port}",
                   "--connect-timeout", "1", timeout=30)
        took = time.monotonic() - start
    assert done.returncode == 2
    assert "cannot reach the Dask scheduler" in done.stderr and took < 15


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "prefectlite", "version"], capture_output=True,
                          text=True, timeout=60, env=env(tmp_path))
    assert done.returncode == 0 and done.stdout.startswith("prefectlite ")


def test_env_var_option(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", str(FLOWS / "simple.py"), PREFECTLITE_RUN_EXECUTOR="nowhere")
    assert done.returncode == 2 and "unknown executor 'nowhere'" in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_ctrl_c_stops_after_the_current_run(tmp_path: Path) -> None:
    """Ctrl-C during a scheduled run: that run finishes (Success), then the loop stops."""
    proc = subprocess.Popen(
        [*command(), "run", str(FLOWS / "sleepy.py"), "--interval", "0.1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=env(tmp_path, SLEEPY_SECONDS="2"),
    )
    try:
        for line in iter(proc.stderr.readline, ""):  # wait for the first run to start
            if "Beginning Flow run" in line:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopping after the current run finishes" in err
    assert "Stopped after 1 run(s)." in err
    assert out.count('"state": "Success"') == 2  # the flow's and the task's
    assert "nap finished" in out


def test_the_cli_example(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", str(REPO / "examples" / "cli_etl.py"), "--json")
    assert done.returncode == 0, done.stderr
    rows = {t["task"]: t for t in json.loads(done.stdout)["tasks"]}
    assert rows["measure"]["retries"] == 1 and rows["report"]["state"] == "Success"
