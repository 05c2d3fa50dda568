"""Executors run the tasks of a flow: in-process, on a local thread or process pool, on a local
Dask pool, or on a Dask cluster.

``LocalDaskExecutor`` and ``DaskExecutor`` import dask only when used.
"""

from __future__ import annotations

from typing import Any

from prefectlite.executors.base import Executor
from prefectlite.executors.local import (
    LocalExecutor,
    LocalProcessPoolExecutor,
    LocalThreadPoolExecutor,
)

__all__ = ["Executor", "LocalExecutor", "LocalProcessPoolExecutor", "LocalThreadPoolExecutor",
           "LocalDaskExecutor", "DaskExecutor"]


def __getattr__(name: str) -> Any:
    if name in ("LocalDaskExecutor", "DaskExecutor"):
        from prefectlite.executors import dask

        return getattr(dask, name)
    raise AttributeError(f"module 'prefectlite.executors' has no attribute {name!r}")
