"""Result classes that persist task outputs (Prefect 1's ``prefect.engine.results``).

``LocalResult`` writes files (atomically) under a directory, ``PrefectResult`` keeps a
JSON-serialized value in the result's ``location`` itself, ``ConstantResult`` holds a value
that is never written, ``SecretResult`` (of secret tasks) fetches its secret again instead of
storing it, and ``JournalResult`` (the default of journaled runs) is a ``LocalResult`` that
keeps small values in the run journal. The
``Result`` base class and ``NoResult`` live in :mod:`prefectlite.engine.result`; the results
documentation page says when the engine writes results.
"""

from prefectlite.engine.result.base import NoResult, NoResultType, Result
from prefectlite.engine.results.constant_result import ConstantResult
from prefectlite.engine.results.journal_result import JournalResult
from prefectlite.engine.results.local_result import LocalResult, ResultCorruptError
from prefectlite.engine.results.prefect_result import PrefectResult
from prefectlite.engine.results.secret_result import SecretResult

__all__ = [
    "ConstantResult", "JournalResult", "LocalResult", "NoResult", "NoResultType",
    "PrefectResult", "Result", "ResultCorruptError", "SecretResult",
]
