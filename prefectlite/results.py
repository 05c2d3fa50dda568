"""Stored results of eager tasks and flows (Prefect 3's ``prefect.results``).

A :class:`ResultStore` keeps one *record* per key in a storage (a
:class:`~prefectlite.filesystems.LocalFileSystem`; default ``storage/`` under the prefectlite
home directory). A record is a JSON file holding the serialised value and its metadata
(storage key, expiration, serializer), the same layout Prefect 3 writes, so
``ResultStore(...).read(key).result`` reads what a task stored with
``@task(persist_result=True, result_storage_key=...)`` or a cache policy.

Examples
--------
>>> import tempfile
>>> from prefectlite.filesystems import LocalFileSystem
>>> store = ResultStore(result_storage=LocalFileSystem(tempfile.mkdtemp()))
>>> _ = store.write(key="answer", obj={"answer": 42})
>>> store.read("answer").result, store.exists("answer"), store.exists("other")
({'answer': 42}, True, False)
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import types
from typing import Any

from prefectlite.filesystems import LocalFileSystem

__all__ = ["ResultRecord", "ResultRecordMetadata", "ResultStore", "get_default_result_storage"]


def get_default_result_storage() -> LocalFileSystem:
    """``storage/`` under the prefectlite home directory (``$PREFECTLITE_HOME`` or the
    configuration's ``home_dir``)."""
    from prefectlite.settings import home

    return LocalFileSystem(str(home() / "storage"))


def _storage(value: Any) -> LocalFileSystem:
    if value is None:
        return get_default_result_storage()
    if isinstance(value, LocalFileSystem):
        return value
    if isinstance(value, str | os.PathLike):
        text = str(value)
        if text.startswith("local-file-system/"):
            LocalFileSystem.load(text.split("/", 1)[1])  # raises: blocks need a server
        return LocalFileSystem(text)
    raise TypeError(f"result_storage={value!r} is not a storage: give a directory path or a "
                    "prefectlite.filesystems.LocalFileSystem.")


class ResultRecordMetadata(types.SimpleNamespace):
    """``storage_key``, ``expiration`` (a datetime or ``None``), ``serializer`` (its ``type``
    is ``"pickle"`` or ``"json"``), ``prefect_version``."""


class ResultRecord:
    """A stored value (``.result``) and its :class:`ResultRecordMetadata` (``.metadata``)."""

    def __init__(self, result: Any, metadata: ResultRecordMetadata) -> None:
        self.result = result
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"ResultRecord(metadata={self.metadata!r})"

    def expired(self) -> bool:
        """Whether the record's expiration has passed."""
        exp = self.metadata.expiration
        return exp is not None and exp <= datetime.datetime.now(datetime.UTC)

    def serialize(self) -> bytes:
        """The record as the JSON bytes stored in a file."""
        meta = self.metadata
        kind = meta.serializer.type
        if kind == "json":
            payload = json.dumps(self.result)
        else:
            import cloudpickle

            payload = base64.b64encode(cloudpickle.dumps(self.result)).decode()
        from prefectlite.version import __version__

        exp = meta.expiration.isoformat() if meta.expiration is not None else None
        return json.dumps({"metadata": {
            "storage_key": meta.storage_key, "expiration": exp,
            "serializer": {"type": kind}, "prefect_version": __version__,
            "storage_block_id": None}, "result": payload}).encode()

    @classmethod
    def deserialize(cls, data: bytes) -> ResultRecord:
        """The record stored as ``data`` (what :meth:`serialize` made)."""
        raw = json.loads(data)
        meta = raw["metadata"]
        kind = meta["serializer"]["type"]
        if kind == "json":
            value = json.loads(raw["result"])
        else:
            import cloudpickle

            value = cloudpickle.loads(base64.b64decode(raw["result"]))
        exp = meta.get("expiration")
        return cls(value, ResultRecordMetadata(
            storage_key=meta["storage_key"], prefect_version=meta.get("prefect_version"),
            expiration=datetime.datetime.fromisoformat(exp) if exp else None,
            serializer=types.SimpleNamespace(type=kind)))


class ResultStore:
    """Records by key in ``result_storage``; ``cache_result_in_memory`` keeps the records
    this store wrote or read in memory too; ``lock_manager`` (see :mod:`prefectlite.locking`)
    serialises the runs that share a key when the isolation level asks for it."""

    def __init__(self, result_storage: Any = None, serializer: str = "pickle",
                 lock_manager: Any = None, cache_result_in_memory: bool = True,
                 metadata_storage: Any = None) -> None:
        if serializer not in ("pickle", "json", "cloudpickle"):
            raise ValueError(f"serializer={serializer!r}: use 'pickle' or 'json'.")
        self.result_storage = _storage(result_storage)
        self.serializer = "json" if serializer == "json" else "pickle"
        self.lock_manager = lock_manager
        self.cache_result_in_memory = cache_result_in_memory
        self.metadata_storage = metadata_storage
        self._memory: dict[str, ResultRecord] = {}

    def __repr__(self) -> str:
        return f"ResultStore(result_storage={self.result_storage!r})"

    def exists(self, key: str) -> bool:
        """Whether an unexpired record is stored under ``key``."""
        try:
            return not self.read(key).expired()
        except (ValueError, KeyError, OSError):
            return False

    def read(self, key: str) -> ResultRecord:
        """The record under ``key``.

        Raises
        ------
        ValueError
            If nothing is stored under ``key``.
        """
        record = self._memory.get(key)
        if record is None:
            record = ResultRecord.deserialize(self.result_storage.read_path(key))
            if self.cache_result_in_memory:
                self._memory[key] = record
        return record

    def create_result_record(self, obj: Any, key: str,
                             expiration: datetime.datetime | None = None) -> ResultRecord:
        """A record of ``obj`` under ``key`` (not written yet)."""
        return ResultRecord(obj, ResultRecordMetadata(
            storage_key=key, expiration=expiration, prefect_version=None,
            serializer=types.SimpleNamespace(type=self.serializer)))

    def write(self, key: str, obj: Any, expiration: datetime.datetime | None = None
              ) -> ResultRecord:
        """Store ``obj`` under ``key``; return its record."""
        record = self.create_result_record(obj, key, expiration)
        self.persist_result_record(record)
        return record

    def persist_result_record(self, record: ResultRecord) -> None:
        """Write ``record`` under its storage key (atomically)."""
        self.result_storage.write_path(record.metadata.storage_key, record.serialize())
        if self.cache_result_in_memory:
            self._memory[record.metadata.storage_key] = record
