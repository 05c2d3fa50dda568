"""Pool workers exit when their driver dies (``kill -9``), instead of living on orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.dask

DRIVER = textwrap.dedent("""
    import os, sys, threading
    from pathlib import Path
    from prefectlite import Flow, task
    from prefectlite.executors import LocalDaskExecutor

    out = Path(sys.argv[1])

    @task
    def hang(i):
        (out / f"{os.getpid()}.pid").touch()
        threading.Event().wait()  # until the process ends

    if __name__ == "__main__":
        with Flow("orphans") as flow:
            hang.map([0, 1])
        flow.run(executor=LocalDaskExecutor("processes", num_workers=2))
""")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def _wait_for(condition, what: str, deadline: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.1)  # polling a condition; nothing depends on how long this takes


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_pool_workers_exit_after_kill_9_of_the_driver(tmp_path: Path) -> None:
    pytest.importorskip("dask")
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        _wait_for(lambda: len(list(tmp_path.glob("*.pid"))) == 2, "both workers to start")
        pids = [int(p.stem) for p in tmp_path.glob("*.pid")]
        assert driver.pid not in pids and all(map(_alive, pids))
        driver.kill()  # SIGKILL: the driver cannot shut its pool down
        driver.wait()
        _wait_for(lambda: not any(map(_alive, pids)), "the orphaned workers to exit")
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
