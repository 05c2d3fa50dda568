"""States of the eager ``@flow`` / ``@task`` API, named and shaped as in Prefect 3.

Prefect 3's import path; the implementation is :mod:`prefectlite.eager.states`.
"""

from prefectlite.eager.states import *  # noqa: F403
from prefectlite.eager.states import __all__  # noqa: F401
