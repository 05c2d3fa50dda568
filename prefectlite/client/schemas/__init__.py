"""Prefect 3's ``prefect.client.schemas``: the run objects state-change hooks receive."""

from prefectlite.client.schemas import objects

__all__ = ["objects"]
