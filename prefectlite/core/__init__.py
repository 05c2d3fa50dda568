"""The graph model: tasks, edges, parameters and flows. Never imports the engine's runners."""

from prefectlite.core.edge import Edge
from prefectlite.core.flow import Flow
from prefectlite.core.parameter import DateTimeParameter, Parameter
from prefectlite.core.task import Task

__all__ = ["Edge", "Flow", "Parameter", "DateTimeParameter", "Task"]
