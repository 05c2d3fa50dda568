"""One task that sleeps SLEEPY_SECONDS (default 1.5 s) and writes a line when it ends."""

import os
import time

from prefectlite import Flow, task


@task
def nap():
    time.sleep(float(os.environ.get("SLEEPY_SECONDS", "1.5")))
    print("nap finished", flush=True)
    return "rested"


with Flow("sleepy") as flow:
    nap()
