"""Settings read from the environment, each once per use (nothing is cached at import).

``PREFECTLITE_HOME``
    Where prefectlite keeps its files: the run journal ``prefectlite.db`` and the default
    ``results/`` directory. Default ``~/.prefectlite``. Nothing is created until a journaled
    run (or a result write) needs it.
``PREFECTLITE__FLOWS__CHECKPOINTING``
    ``true`` or ``false``: whether every task's result is written with its ``Result``. When
    unset, results are written in journaled runs (``flow.run(journal=True)``) and not in plain
    runs. A task's own ``target=``, or ``checkpoint=True`` with a ``result=``, is honoured
    whatever this says; ``checkpoint=False`` on a task always wins.
"""

from __future__ import annotations

import os
from pathlib import Path

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def home() -> Path:
    """The prefectlite home directory (``$PREFECTLITE_HOME``, default ``~/.prefectlite``)."""
    value = os.environ.get("PREFECTLITE_HOME")
    return Path(value).expanduser().absolute() if value else Path.home() / ".prefectlite"


def journal_path() -> Path:
    """Where the run journal lives: ``<home>/prefectlite.db``."""
    return home() / "prefectlite.db"


def results_dir() -> Path:
    """Where results go by default: ``<home>/results``."""
    return home() / "results"


def parse_bool(name: str, value: str | None) -> bool | None:
    """Read an on/off environment value; ``None`` when unset or empty.

    Examples
    --------
    >>> parse_bool("X", "True"), parse_bool("X", "0"), parse_bool("X", None)
    (True, False, None)
    >>> parse_bool("X", "maybe")
    Traceback (most recent call last):
    ...
    ValueError: X='maybe' is not a boolean; use true or false.
    """
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean; use true or false.")


def checkpointing() -> bool | None:
    """``PREFECTLITE__FLOWS__CHECKPOINTING`` as a bool, or ``None`` when unset."""
    name = "PREFECTLITE__FLOWS__CHECKPOINTING"
    return parse_bool(name, os.environ.get(name))
