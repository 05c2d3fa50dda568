"""Building-block tasks: constants, function tasks, collections, operators and control flow."""

from prefectlite.core.task import Task
from prefectlite.tasks import control_flow, core  # noqa: F401 - reachable as attributes

__all__ = ["Task"]
