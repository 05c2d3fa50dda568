"""One place for the modules of Prefect 3 features that need a Prefect server.

``prefectlite.blocks``, ``prefectlite.events``, ``prefectlite.variables`` and
``prefectlite.deployments`` import, so a ported module loads, but any name taken from them
raises :class:`~prefectlite.exceptions.ServerOnlyError` with one line saying what to use
instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["module_getattr"]


def module_getattr(module: str, feature: str, instead: str) -> Any:
    """A module ``__getattr__`` raising ``ServerOnlyError`` for every public name."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from prefectlite.exceptions import ServerOnlyError

        raise ServerOnlyError(f"{module}.{name}: {feature} are kept by a Prefect server, and "
                              f"prefectlite runs without one; {instead} instead.")

    return __getattr__
