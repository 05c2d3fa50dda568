"""Information about the run whose code is running, as module attributes (Prefect 3's
``prefect.runtime``): ``runtime.flow_run.name``, ``runtime.task_run.name``,
``runtime.flow_run.parameters``, ``runtime.deployment.name``, ...

Each attribute is read when accessed: inside an eager flow or task run it describes that run;
outside of any run it is ``None`` (``{}`` for parameters, ``[]`` for tags). prefectlite has no
deployments, so every ``runtime.deployment`` attribute is ``None`` (``{}`` for parameters).

Examples
--------
>>> from prefectlite import runtime
>>> runtime.flow_run.name is None, runtime.task_run.parameters
(True, {})
"""

from prefectlite.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
