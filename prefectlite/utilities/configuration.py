"""Change ``prefectlite.config`` for a block of code (mostly for tests).

Example::

    from prefectlite.utilities.configuration import set_temporary_config

    with set_temporary_config({"flows.checkpointing": True, "logging.level": "DEBUG"}):
        flow.run()   # writes every task's result
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prefectlite.configuration import Config
from prefectlite.configuration import config as _config
from prefectlite.utilities.context import context


@contextmanager
def set_temporary_config(temp_config: Mapping[str, Any]) -> Iterator[Config]:
    """Within the block, ``prefectlite.config`` (and ``prefectlite.context.config``) hold the
    given values; afterwards the configuration is exactly what it was.

    Keys are dotted paths (``"flows.checkpointing"``); missing sections are created. The
    configuration object itself is changed in place, so code holding a reference to
    ``prefectlite.config`` sees the change; it is process-wide, not per thread.

    Examples
    --------
    >>> import prefectlite
    >>> with set_temporary_config({"logging.level": "DEBUG", "my.new.key": 1}):
    ...     prefectlite.config.logging.level, prefectlite.context.config.my.new.key
    ('DEBUG', 1)
    >>> prefectlite.config.logging.level, "my" in prefectlite.config
    ('INFO', False)
    """
    old = _config.copy()
    try:
        for dotted, value in temp_config.items():
            section = _config
            *path, last = dotted.split(".")
            for part in path:
                below = section.get(part)
                if not isinstance(below, Config):
                    if below is not None:
                        raise ValueError(
                            f"set_temporary_config: {dotted!r} goes below {part!r}, which is "
                            f"the value {below!r}, not a section.")
                    below = section[part] = Config()
                section = below
            section[last] = value
        with context(config=_config):
            yield _config
    finally:
        _config.clear()
        _config.update(old)
