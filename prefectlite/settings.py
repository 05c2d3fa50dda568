"""The few configuration values the engine reads, taken from :mod:`prefectlite.configuration`.

This module holds no settings of its own: each function reads the configuration in effect
(``prefectlite.context.config``, which is ``prefectlite.config`` unless a block changed it), so
``set_temporary_config`` and ``with prefectlite.context(config=...)`` both apply.

``home_dir`` (``PREFECTLITE_HOME`` or ``PREFECTLITE__HOME_DIR``)
    Where prefectlite keeps its files: the run journal ``prefectlite.db`` and the default
    ``results/`` directory. Default ``~/.prefectlite``. Nothing is created until a journaled
    run (or a result write) needs it.
``flows.checkpointing`` (``PREFECTLITE__FLOWS__CHECKPOINTING``)
    ``true`` or ``false``: whether every task's result is written with its ``Result``. The
    default, ``"journal"``, writes results in journaled runs (``flow.run(journal=True)``) and
    not in plain runs. A task's own ``target=``, or ``checkpoint=True`` with a ``result=``, is
    honoured whatever this says; ``checkpoint=False`` on a task always wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefectlite import configuration
from prefectlite.utilities.context import snapshot

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def current_config() -> configuration.Config:
    """The configuration in effect here: the context's, else ``prefectlite.config``."""
    found = snapshot().get("config")
    return found if isinstance(found, configuration.Config) else configuration.config


def home() -> Path:
    """The prefectlite home directory (config ``home_dir``, default ``~/.prefectlite``)."""
    value = current_config().get("home_dir")
    return Path(str(value)).expanduser().absolute() if value else Path.home() / ".prefectlite"


def journal_path() -> Path:
    """Where the run journal lives: ``<home>/prefectlite.db``."""
    return home() / "prefectlite.db"


def results_dir() -> Path:
    """Where results go by default: ``<home>/results``."""
    return home() / "results"


def parse_bool(name: str, value: Any) -> bool | None:
    """Read an on/off value (a bool, 0/1, or text such as ``true``/``off``); ``None`` when
    unset or empty.

    Examples
    --------
    >>> parse_bool("X", "True"), parse_bool("X", 0), parse_bool("X", None)
    (True, False, None)
    >>> parse_bool("X", "maybe")
    Traceback (most recent call last):
    ...
    ValueError: X='maybe' is not a boolean; use true or false.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean; use true or false.")


def checkpointing() -> bool | None:
    """``flows.checkpointing`` as a bool, or ``None`` for the default (``"journal"``: only in
    journaled runs)."""
    value = current_config().get("flows", {}).get("checkpointing")
    if value == "journal":
        return None
    env = "PREFECTLITE__FLOWS__CHECKPOINTING"
    try:
        return parse_bool("flows.checkpointing", value)
    except ValueError:
        if str(os.environ.get(env, "")).strip() == str(value):
            raise ValueError(f"{env}={os.environ[env]!r} is not a boolean; use true, false or "
                             "journal.") from None
        raise ValueError(f"The configuration value flows.checkpointing={value!r} is not a "
                         "boolean; use true, false or \"journal\".") from None


class Setting:
    """A setting read each time it is asked for (Prefect 3's ``PREFECT_HOME.value()``)."""

    def __init__(self, name: str, read: Any) -> None:
        self.name, self._read = name, read

    def __repr__(self) -> str:
        return f"<Setting: {self.name}>"

    def value(self) -> Any:
        """The value in effect now."""
        return self._read()


#: prefectlite's home directory as Prefect 3 code asks for it (``PREFECT_HOME.value()``)
PREFECT_HOME = Setting("PREFECT_HOME", home)
PREFECTLITE_HOME = PREFECT_HOME
