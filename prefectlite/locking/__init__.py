"""Lock managers for cache records and transactions (Prefect 3's ``prefect.locking``).

A lock manager holds one lock per key. With ``IsolationLevel.SERIALIZABLE`` a transaction or
a cached task run takes its key's lock while it looks its record up, runs and writes it, so
two runs with one key never both compute it: the second waits and reads the first's record.

``memory.MemoryLockManager``          locks within one process (threads)
``filesystem.FileSystemLockManager``  lock files in a directory, shared by processes
"""

from prefectlite.locking.filesystem import FileSystemLockManager
from prefectlite.locking.memory import LockManager, MemoryLockManager

__all__ = ["FileSystemLockManager", "LockManager", "MemoryLockManager"]
