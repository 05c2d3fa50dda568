"""prefectlite: Prefect Core's graph API on a small, fast engine.

Build a flow inside ``with Flow("name") as flow:`` by calling tasks on each other (nothing
runs yet), then ``flow.run()`` walks the graph and returns a flow ``State`` whose ``.result``
maps every task to its own ``State``.

The eager style of Prefect 2/3 runs on the same engine: ``from prefectlite import flow, task``
gives the ``@flow`` decorator (a decorated function runs as a flow when called) and the same
``@task``, which inside a running ``@flow`` runs at once (see :mod:`prefectlite.flows`).

``prefectlite.config`` is the configuration (see :mod:`prefectlite.configuration`). As in
Prefect 1, the subpackages are reachable as attributes after a bare ``import prefectlite``
(``prefectlite.executors.LocalDaskExecutor()``, ``prefectlite.schedules``,
``prefectlite.engine.state``...); those that import more than the graph model are loaded on first
use, so ``import prefectlite`` itself stays light.
"""

from typing import Any as _Any

# imported for its effect: the run journal registers itself with the engine's run setup
import prefectlite.persistence as _persistence  # noqa: F401
from prefectlite import context
from prefectlite.configuration import config
from prefectlite.core import Edge, Flow, Parameter, Task
from prefectlite.core.decorator import task
from prefectlite.eager.annotations import allow_failure, quote
from prefectlite.eager.flows import flow
from prefectlite.eager.loggers import get_run_logger
from prefectlite.tasks.control_flow import case
from prefectlite.tasks.core.resource_manager import resource_manager
from prefectlite.utilities.edges import flatten, mapped, unmapped
from prefectlite.utilities.tasks import apply_map, tags
from prefectlite.version import __version__

__all__ = [
    "config",
    "Edge", "Flow", "Parameter", "Task", "apply_map", "case", "context", "flatten", "mapped",
    "resource_manager", "tags", "task", "unmapped", "__version__",
    # the eager (Prefect 2/3) style
    "allow_failure", "flow", "get_run_logger", "quote",
]

def __getattr__(name: str) -> _Any:
    # a subpackage or module not imported yet is imported when first reached as an attribute
    from prefectlite.utilities.lazy import import_submodule

    return import_submodule(__name__, name)
