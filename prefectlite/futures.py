"""Futures of the eager API: what ``task.submit(...)`` and ``task.map(...)`` return.

Prefect 3's import path; the implementation is :mod:`prefectlite.eager.futures`.
"""

from prefectlite.eager.futures import *  # noqa: F403
from prefectlite.eager.futures import __all__  # noqa: F401
