"""The ``Result`` base class and the ``NoResult`` sentinel (Prefect 1's ``prefect.engine.result``).

Concrete persistence classes (``LocalResult``, ``PrefectResult``) live in
:mod:`prefectlite.engine.results`.
"""

from prefectlite.engine.result.base import (
    NoResult,
    NoResultType,
    Result,
    ResultNotImplementedError,
)

__all__ = ["NoResult", "NoResultType", "Result", "ResultNotImplementedError"]
