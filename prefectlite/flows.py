"""The eager ``@flow`` decorator of Prefect 2/3: a flow is a function that runs when called.

Prefect 3's import path; the implementation is :mod:`prefectlite.eager.flows`.
"""

from prefectlite.eager.flows import *  # noqa: F403
from prefectlite.eager.flows import __all__  # noqa: F401
