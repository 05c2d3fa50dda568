"""Task runners: where the task runs that an eager flow *submits* (``task.submit``, ``.map``).

Prefect 3's import path; the implementation is :mod:`prefectlite.eager.task_runners`.
"""

from prefectlite.eager.task_runners import *  # noqa: F403
from prefectlite.eager.task_runners import __all__  # noqa: F401
