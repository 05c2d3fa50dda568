"""Concurrency and rate limits in one process (Prefect 3's ``prefect.concurrency``).

Prefect 3 keeps global limits on its server; prefectlite keeps them in the configuration and
enforces them among the threads and async tasks of this process:

.. code-block:: toml

    [concurrency.limits]
    database = 2            # at most 2 slots of "database" held at once

    [concurrency.rate_limits]
    rate-limited-api = 5    # at most 5 acquisitions per second

``with concurrency("database", occupy=1):`` (``prefectlite.concurrency.sync``) holds the
slots for the block; ``async with`` the one of ``prefectlite.concurrency.asyncio``.
``rate_limit(names, occupy=1)`` waits for its turn. A name with no configured limit is
skipped with a warning, as Prefect 3 does for a limit that does not exist, unless
``strict=True`` asks for an error.
"""

from prefectlite.concurrency.limits import ConcurrencySlotAcquisitionError

__all__ = ["ConcurrencySlotAcquisitionError"]
