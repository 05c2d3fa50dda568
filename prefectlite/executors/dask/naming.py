"""Naming work on Dask: keys that group a task's runs on the dashboard, and the worker
resources a task's ``dask-resource:NAME=AMOUNT`` tags ask for."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["dask_resources", "require_dask", "task_key"]


def map_index(ctx: Mapping[str, Any]) -> Any:
    """The map index in an extra context: ``map_index``, or Prefect 1's ``task_index``."""
    index = ctx.get("map_index")
    return ctx.get("task_index") if index is None else index


def task_key(extra_context: Mapping[str, Any] | None) -> str:
    """A unique Dask key for one submission: task name, map index, random suffix.

    The dashboard groups keys by the part before the suffix, so all children of a map
    share one colour.

    Examples
    --------
    >>> task_key({"task_name": "inc", "map_index": 3}).startswith("inc-3-")
    True
    >>> len(task_key(None).split("-")[-1])
    32
    """
    ctx = extra_context or {}
    name = str(ctx.get("task_name") or ctx.get("task_full_name") or "prefectlite")
    index = map_index(ctx)
    prefix = name if index is None else f"{name}-{index}"
    return f"{prefix}-{uuid.uuid4().hex}"


def dask_resources(tags: Iterable[str]) -> dict[str, float]:
    """Dask worker resources from task tags of the form ``dask-resource:NAME=AMOUNT``.

    Raises
    ------
    ValueError
        For a tag that starts with ``dask-resource`` but does not have that form.

    Examples
    --------
    >>> dask_resources(["dask-resource:GPU=1", "io", "Dask-Resource:memory=2e9"])
    {'GPU': 1.0, 'memory': 2000000000.0}
    """
    resources = {}
    for tag in tags:
        if not tag.lower().startswith("dask-resource"):
            continue
        prefix, _, amount = tag.partition("=")
        name = prefix.partition(":")[2].strip()
        try:
            value = float(amount)
        except ValueError:
            name = ""
        if not name:
            raise ValueError(f"Malformed Dask resource tag {tag!r}: expected the form "
                             "'dask-resource:NAME=AMOUNT', e.g. 'dask-resource:GPU=1'.")
        resources[name] = value
    return resources


def require_dask(executor: str, modules: Iterable[str] = ("dask", "distributed")) -> None:
    """An ``ImportError`` naming the extra when ``executor``'s modules are not installed."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"{executor} needs the dask extra ({' and '.join(modules)}); "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed "
            "here: pip install \".[dask]\" in prefectlite's source tree, or pip install dask "
            "distributed."
        )


def import_object(path: str) -> Any:
    """``"distributed.LocalCluster"`` -> the class it names."""
    import importlib

    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"cluster_class {path!r} must be a dotted path such as "
                         "'distributed.LocalCluster'.")
    return getattr(importlib.import_module(module), name)
