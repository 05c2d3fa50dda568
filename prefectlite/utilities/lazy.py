"""Subpackages and modules reached as attributes of their package, imported on first use.

Prefect 1 imported nearly everything in ``prefect/__init__.py``, so ``prefect.executors`` or
``prefect.utilities.configuration`` worked after ``import prefect``. prefectlite's packages
give the same access through a module ``__getattr__`` that calls :func:`import_submodule`,
so ``import prefectlite`` itself stays light (no runners, executors or dask).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any


def import_submodule(package: str, name: str) -> Any:
    """The module ``package.name``, imported now if it exists; else ``AttributeError``.

    Examples
    --------
    >>> import_submodule("prefectlite.utilities", "edges").__name__
    'prefectlite.utilities.edges'
    """
    if not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
        return importlib.import_module(f"{package}.{name}")
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
