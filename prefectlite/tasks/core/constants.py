"""``Constant``: a task that returns a fixed value (Prefect 1's path; it lives in
:mod:`prefectlite.core.values`)."""

from prefectlite.core.values import Constant

__all__ = ["Constant"]
