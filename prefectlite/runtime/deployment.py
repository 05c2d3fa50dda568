"""The current deployment: prefectlite runs flows without deployments, so ``id``, ``name``,
``version``, ``flow_run_id`` are ``None`` and ``parameters`` is ``{}``."""

from __future__ import annotations

from typing import Any

_NAMES = ["flow_run_id", "id", "name", "parameters", "version"]


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"prefectlite.runtime.deployment has no attribute {name!r}; it "
                             f"has: {', '.join(_NAMES)}.")
    return {} if name == "parameters" else None
