"""Prefect 3's ``prefect.utilities.annotations``: ``allow_failure``, ``opaque``, ``quote`` and
``unmapped`` (the one :mod:`prefectlite.utilities.edges` defines; both styles understand it)."""

from prefectlite.eager.annotations import allow_failure, opaque, quote
from prefectlite.utilities.edges import unmapped

__all__ = ["allow_failure", "opaque", "quote", "unmapped"]
