"""Fine for the local executor; three things that cannot be sent to another process."""

import threading

from prefectlite import Flow, Task, task

LOCK = threading.Lock()


class Holder(Task):
    def __init__(self, **kwargs):
        self.client = {"name": "db", "lock": threading.Lock()}
        super().__init__(**kwargs)

    def run(self):
        return self.client["name"]


@task
def uses_global():
    with LOCK:
        return 1


@task
def takes(value, lock):
    return value


with Flow("unpicklable") as flow:
    held = Holder(name="holder")()
    g = uses_global()
    takes(held, lock=threading.RLock())
    takes(g, lock=None)
