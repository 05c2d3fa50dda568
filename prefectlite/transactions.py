"""Transactions: a group of task runs whose side effects commit or roll back together
(Prefect 3's ``prefect.transactions``).

``with transaction():`` in an eager flow opens one; each task run inside it gets its own
transaction nested in it. A task run that completes *stages* its result and its hooks; when
the block ends normally the transaction commits: children first, each task's
``on_commit`` hooks run (``hook(txn)``) and records with a key are written to the store. When
the block raises, it rolls back instead: each staged task's ``on_rollback`` hooks run (in
reverse order) and nothing is written. A task run outside any ``with transaction():`` commits
at once.

``transaction(key=...)`` is idempotent: when a record for ``key`` is already in the store,
``txn.is_committed()`` is true from the start, so the block can skip its work.
``isolation_level=IsolationLevel.SERIALIZABLE`` (with a lock manager from
:mod:`prefectlite.locking`, on the store or on the cache policy) holds the key's lock from
start to commit, so concurrent runs with one key do the work once.

Examples
--------
>>> with transaction() as txn:
...     txn.set("filename", "out.txt")
...     txn.get("filename"), get_transaction() is txn
('out.txt', True)
>>> txn.is_committed()
True
"""

from __future__ import annotations

import contextvars
import enum
import logging
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["CommitMode", "IsolationLevel", "Transaction", "TransactionState",
           "get_transaction", "transaction"]

logger = logging.getLogger("prefectlite.transactions")
_ACTIVE: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "prefectlite_transaction", default=None)
_NO_VALUE = object()


class IsolationLevel(enum.Enum):
    READ_COMMITTED = "READ_COMMITTED"
    SERIALIZABLE = "SERIALIZABLE"


class CommitMode(enum.Enum):
    EAGER = "EAGER"
    LAZY = "LAZY"
    OFF = "OFF"


class TransactionState(enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    STAGED = "STAGED"
    COMMITTED = "COMMITTED"
    ROLLED_BACK = "ROLLED_BACK"


class Transaction:
    """One transaction (made by :func:`transaction`; see the module docstring)."""

    def __init__(self, key: str | None = None, store: Any = None,
                 commit_mode: CommitMode | None = None,
                 isolation_level: IsolationLevel | None = None, overwrite: bool = False,
                 write_on_commit: bool = True, lock_manager: Any = None) -> None:
        self.key, self.store = key, store
        self.commit_mode, self.isolation_level = commit_mode, isolation_level
        self.overwrite, self.write_on_commit = overwrite, write_on_commit
        self.lock_manager = lock_manager or getattr(store, "lock_manager", None)
        self.state = TransactionState.PENDING
        self.children: list[Transaction] = []
        self.parent: Transaction | None = None
        self.on_commit_hooks: list[Callable[[Transaction], Any]] = []
        self.on_rollback_hooks: list[Callable[[Transaction], Any]] = []
        self._values: dict[str, Any] = {}
        self._staged: Any = _NO_VALUE
        self.expiration: Any = None  # of the record written at commit
        self._holder = f"{uuid.uuid4()}"
        self._token: contextvars.Token[Transaction | None] | None = None

    def __repr__(self) -> str:
        return f"Transaction(key={self.key!r}, state={self.state.value})"

    # -- values shared by the runs in the transaction ------------------------------------

    def set(self, name: str, value: Any) -> None:
        """Keep ``value`` under ``name`` for the hooks and nested runs."""
        self._values[name] = value

    def get(self, name: str, default: Any = _NO_VALUE) -> Any:
        """The value set under ``name`` here or in an enclosing transaction."""
        txn: Transaction | None = self
        while txn is not None:
            if name in txn._values:
                return txn._values[name]
            txn = txn.parent
        if default is _NO_VALUE:
            raise ValueError(f"Could not retrieve value for unknown key: {name!r}; set it "
                             "first with txn.set(name, value).")
        return default

    def is_committed(self) -> bool:
        return self.state is TransactionState.COMMITTED

    def is_rolled_back(self) -> bool:
        return self.state is TransactionState.ROLLED_BACK

    def is_staged(self) -> bool:
        return self.state is TransactionState.STAGED

    def is_active(self) -> bool:
        return self.state is TransactionState.ACTIVE

    def is_pending(self) -> bool:
        return self.state is TransactionState.PENDING

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Transaction:
        self.parent = _ACTIVE.get()
        if self.parent is not None:
            self.commit_mode = self.commit_mode or self.parent.commit_mode
            self.isolation_level = self.isolation_level or self.parent.isolation_level
        if self.key is not None and self.lock_manager is not None and self._serializable():
            self.lock_manager.acquire_lock(self.key, self._holder)
        if self.key is not None and self.store is not None and not self.overwrite and (
                self.store.exists(self.key)):
            self.state = TransactionState.COMMITTED
        else:
            self.state = TransactionState.ACTIVE
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        try:
            if exc is not None:
                self.rollback()
            elif self.state is TransactionState.ACTIVE:
                self._finish()
        finally:
            self._release()

    def _serializable(self) -> bool:
        return (self.isolation_level is IsolationLevel.SERIALIZABLE
                and self.lock_manager is not None)

    def _release(self) -> None:
        if self.key is not None and self.lock_manager is not None and self._serializable() and (
                self.lock_manager.is_lock_holder(self.key, self._holder)):
            self.lock_manager.release_lock(self.key, self._holder)

    def _finish(self) -> None:
        """Commit now, or stage in the parent (which commits or rolls back this one)."""
        mode = self.commit_mode or CommitMode.LAZY
        if self.parent is not None and mode is not CommitMode.EAGER:
            self.state = TransactionState.STAGED
            self.parent.children.append(self)
        elif mode is not CommitMode.OFF:
            self.commit()

    def stage(self, value: Any, on_commit_hooks: list[Callable[..., Any]] | None = None,
              on_rollback_hooks: list[Callable[..., Any]] | None = None) -> None:
        """Remember ``value`` (written under the key at commit) and hooks to run."""
        self._staged = value
        self.on_commit_hooks.extend(on_commit_hooks or ())
        self.on_rollback_hooks.extend(on_rollback_hooks or ())

    def commit(self) -> bool:
        """Commit the children, run the commit hooks, write the staged value; ``False`` if
        this transaction was already committed or rolled back."""
        if self.state in (TransactionState.COMMITTED, TransactionState.ROLLED_BACK):
            return False
        for child in self.children:
            child.commit()
        for hook in self.on_commit_hooks:
            hook(self)
        if self.key is not None and self.store is not None and self.write_on_commit:
            value = None if self._staged is _NO_VALUE else self._staged
            self.store.write(key=self.key, obj=value, expiration=self.expiration)
        self.state = TransactionState.COMMITTED
        return True

    def rollback(self) -> bool:
        """Run the rollback hooks (this one's, then the children's, newest first)."""
        if self.state in (TransactionState.COMMITTED, TransactionState.ROLLED_BACK):
            return False
        for hook in reversed(self.on_rollback_hooks):
            try:
                hook(self)
            except Exception:
                logger.exception("An error was encountered while running rollback hook %r",
                                 getattr(hook, "__name__", hook))
        for child in reversed(self.children):
            child.rollback()
        self.state = TransactionState.ROLLED_BACK
        return True

    @classmethod
    def get_active(cls) -> Transaction | None:
        """The innermost open transaction, or ``None``."""
        return _ACTIVE.get()


def get_transaction() -> Transaction | None:
    """The innermost open transaction of this thread, or ``None``."""
    return _ACTIVE.get()


def transaction(key: str | None = None, store: Any = None,
                commit_mode: CommitMode | None = None,
                isolation_level: IsolationLevel | None = None, overwrite: bool = False,
                write_on_commit: bool = True, logger: Any = None) -> Transaction:
    """A new transaction, to use as ``with transaction(...) as txn:``.

    ``key`` names its record in ``store`` (a :class:`~prefectlite.results.ResultStore`; the
    default store when omitted), ``overwrite`` ignores an existing record,
    ``isolation_level`` see the module docstring.
    """
    if store is None and key is not None:
        from prefectlite.results import ResultStore

        store = ResultStore()
    return Transaction(key=key, store=store, commit_mode=commit_mode,
                       isolation_level=isolation_level, overwrite=overwrite,
                       write_on_commit=write_on_commit)
