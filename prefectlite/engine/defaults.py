"""The default executor, flow runner and task runner classes, as named in the configuration.

``engine.executor.default_class``, ``engine.flow_runner.default_class`` and
``engine.task_runner.default_class`` hold either a class or its dotted import path. A path
that cannot be imported gives a ``UserWarning`` and the built-in class.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from prefectlite import settings


def _configured(section: str, fallback: str) -> type:
    value = ((settings.current_config().get("engine") or {}).get(section) or {}).get(
        "default_class") or fallback
    if not isinstance(value, str):
        return value  # type: ignore[no-any-return]
    try:
        found: type = _import_path(value)
    except (ImportError, AttributeError, ValueError) as exc:
        warnings.warn(f"Could not import {value} (engine.{section}.default_class: {exc}); "
                      f"using {fallback} instead.", UserWarning, stacklevel=3)
        found = _import_path(fallback)
    return found


def _import_path(path: str) -> Any:
    module, _, name = path.strip().rpartition(".")
    if not module or not name.isidentifier():
        raise ValueError(f"{path!r} is not a dotted path such as 'package.module.Class'")
    return getattr(importlib.import_module(module), name)


def get_default_executor_class() -> type:
    """The executor class ``flow.run()`` uses when given none (``LocalExecutor`` by default).

    Examples
    --------
    >>> get_default_executor_class().__name__
    'LocalExecutor'
    """
    return _configured("executor", "prefectlite.executors.LocalExecutor")


def get_default_flow_runner_class() -> type:
    """The configured flow runner class (``FlowRunner`` by default)."""
    return _configured("flow_runner", "prefectlite.engine.flow_runner.FlowRunner")


def get_default_task_runner_class() -> type:
    """The configured task runner class (``TaskRunner`` by default)."""
    return _configured("task_runner", "prefectlite.engine.task_runner.TaskRunner")
