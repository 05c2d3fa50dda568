"""Logging for prefectlite: stdlib ``logging`` under the ``prefectlite`` logger, nothing else.

prefectlite never touches the root logger and never calls ``logging.basicConfig``. When a
flow runs and neither the ``prefectlite`` logger nor the root logger has a handler (a plain
script), one stream handler is added to the ``prefectlite`` logger so the Prefect-style lines
are shown::

    [2026-11-22 10:00:00+0000] INFO - prefectlite.TaskRunner | Task 'add': Finished task run ...

If the application configured logging itself (the root logger has handlers), records simply
propagate there. The level, line format and date format come from the configuration's
``logging.level`` (``PREFECTLITE__LOGGING__LEVEL``, default ``INFO``), ``logging.format`` and
``logging.datefmt``.
For large flows, quiet the per-task lines with
``logging.getLogger("prefectlite.TaskRunner").setLevel("WARNING")`` (or set
``PREFECTLITE__LOGGING__LEVEL=WARNING`` for everything).

Every log record made while prefectlite is imported carries the context's ``flow_name``,
``flow_run_id``, ``task_name``, ``task_slug`` and ``task_run_id`` as attributes when they are
set (so a format can use ``%(task_name)s``), plus the context keys named in the
configuration's ``logging.log_attributes``. ``logging.extra_loggers`` names other loggers
(e.g. a library's) that get the same handler and level as the ``prefectlite`` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefectlite import configuration, settings
from prefectlite.utilities.context import _current

FORMAT = "[%(asctime)s] %(levelname)s - %(name)s | %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S%z"
_HANDLER_NAME = "prefectlite-default"

#: The context keys copied onto every log record (when set).
PREFECT_LOG_RECORD_ATTRIBUTES = ("flow_name", "flow_run_id", "task_name", "task_slug",
                                 "task_run_id")

_original_log_record_factory = logging.getLogRecordFactory()
_applied_levels: dict[str, Any] = {}  # logger name -> the configured level last applied


def _log_attributes(values: dict[str, Any]) -> Any:
    """The configuration's ``logging.log_attributes`` (the context's configuration first)."""
    config = values.get("config") or configuration.config
    section = config.get("logging")
    return section.get("log_attributes") if section else None


def context_record_keys() -> set[str]:
    """The attributes the record factory sets from the current context: a logging ``extra``
    must leave these out (``logging`` refuses to overwrite an attribute)."""
    values = _current.get()
    keys = {attr for attr in PREFECT_LOG_RECORD_ATTRIBUTES if values.get(attr)}
    extra = _log_attributes(values)
    return keys.union(extra) if extra else keys


def _log_record_context_injector(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """The log record factory: the original one's record, plus context values as attributes.

    Keys of ``logging.log_attributes`` are always set (``None`` when missing from the
    context), so a format naming them never fails.
    """
    record = _original_log_record_factory(*args, **kwargs)
    values = _current.get()
    attributes = record.__dict__
    for attr in PREFECT_LOG_RECORD_ATTRIBUTES:
        value = values.get(attr)
        if value:
            attributes[attr] = value if value.__class__ is str else _plain(value)
    extra = _log_attributes(values)
    if extra:
        for attr in extra:
            setattr(record, attr, _plain(values.get(attr)))
    return record


def _plain(value: Any) -> Any:
    """A value fit for any handler (e.g. Dask forwards records with msgpack): scalars as they
    are, anything else (a UUID, ...) as its text."""
    return value if value is None or isinstance(value, str | int | float) else str(value)


class LineFormatter(logging.Formatter):
    """The standard formatter (same lines), which makes each second's timestamp text once:
    the time of day is formatted again only when a record falls in another second (or the
    converter changes).

    Examples
    --------
    >>> f = LineFormatter("%(asctime)s %(message)s", "%Y")
    >>> record = logging.makeLogRecord({"msg": "hi", "created": 0.0})
    >>> f.format(record) == logging.Formatter("%(asctime)s %(message)s", "%Y").format(record)
    True
    """

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._uses_time = super().usesTime()
        self._stamp: tuple[Any, ...] = (None, None, None, "")

    def usesTime(self) -> bool:
        return self._uses_time

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is None:  # the default format shows milliseconds, of each record
            return super().formatTime(record, datefmt)
        second, fmt, converter, text = self._stamp
        now = int(record.created)
        if now != second or fmt is not datefmt or converter is not self.converter:
            text = super().formatTime(record, datefmt)
            self._stamp = (now, datefmt, self.converter, text)
        return text  # type: ignore[no-any-return]


logging.setLogRecordFactory(_log_record_context_injector)


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``prefectlite`` logger, or its child ``prefectlite.{name}``.

    Examples
    --------
    >>> get_logger("FlowRunner").name
    'prefectlite.FlowRunner'
    """
    root = logging.getLogger("prefectlite")
    return root.getChild(name) if name else root


def _options() -> Any:
    return settings.current_config().get("logging") or {}


def _apply_level(log: logging.Logger, level: str | int | None) -> None:
    """Set the configured level when it differs from the one applied last (so a level the
    application set on the logger itself stays until the configuration changes)."""
    if level is None:
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
        return
    level = level.upper() if isinstance(level, str) else level
    if _applied_levels.get(log.name) != level or log.level == logging.NOTSET:
        try:
            log.setLevel(level)
        except (ValueError, TypeError):
            raise ValueError(f"The configuration value logging.level={level!r} is not a "
                             "logging level; use DEBUG, INFO, WARNING, ERROR or CRITICAL."
                             ) from None
        _applied_levels[log.name] = level


def _install_handler(log: logging.Logger, options: Any) -> None:
    """Give ``log`` prefectlite's stream handler (replacing an earlier one of ours)."""
    for old in [h for h in log.handlers if h.get_name() == _HANDLER_NAME]:
        log.removeHandler(old)
    handler = logging.StreamHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(LineFormatter(options.get("format") or FORMAT,
                                       options.get("datefmt") or DATEFMT))
    log.addHandler(handler)


def configure_logging(testing: bool = False, level: str | int | None = None) -> logging.Logger:
    """Set the ``prefectlite`` logger's level from the configuration (``logging.level``) and
    give it a handler if nothing would show its records.

    Idempotent; returns the logger. ``testing=True`` configures a separate
    ``prefectlite-test-logger`` instead, always with its own handler, as Prefect 1's did.
    ``level`` overrides the configured level.
    """
    options = _options()
    if testing:
        log = logging.getLogger("prefectlite-test-logger")
        _apply_level(log, level or options.get("level"))
        _install_handler(log, options)
        return log
    log = get_logger()
    _apply_level(log, level or options.get("level"))
    if not log.handlers and not logging.getLogger().handlers:
        _install_handler(log, options)
    if options.get("extra_loggers"):
        configure_extra_loggers()
    return log


def configure_extra_loggers() -> None:
    """Give each logger named in ``logging.extra_loggers`` prefectlite's handler and level."""
    options = _options()
    for name in options.get("extra_loggers") or ():
        log = logging.getLogger(name)
        _apply_level(log, options.get("level"))
        _install_handler(log, options)


def create_diagnostic_logger(name: str) -> logging.Logger:
    """A logger ``name`` with prefectlite's handler, format and level (for debugging)."""
    options = _options()
    log = logging.getLogger(name)
    _apply_level(log, options.get("level"))
    _install_handler(log, options)
    return log


@contextmanager
def temporary_logger_config(level: str | int | None = None, stream_fmt: str | None = None,
                            stream_datefmt: str | None = None) -> Iterator[logging.Logger]:
    """Within the block, the ``prefectlite`` logger has the given level, and prefectlite's
    stream handler the given format and date format; everything is put back afterwards.

    Examples
    --------
    >>> with temporary_logger_config(level="ERROR") as log:
    ...     log.getEffectiveLevel() == logging.ERROR
    True
    """
    from prefectlite.utilities.configuration import set_temporary_config

    log = get_logger()
    saved_level, saved_handlers = log.level, list(log.handlers)
    saved_applied = _applied_levels.get(log.name)
    overrides = {key: value for key, value in (
        ("logging.level", level), ("logging.format", stream_fmt),
        ("logging.datefmt", stream_datefmt)) if value}
    try:
        with set_temporary_config(overrides):
            if level:
                _apply_level(log, level)
            if stream_fmt or stream_datefmt or not log.handlers:
                _install_handler(log, _options())
            yield log
    finally:
        log.handlers[:] = saved_handlers
        log.setLevel(saved_level)
        if saved_applied is None:
            _applied_levels.pop(log.name, None)
        else:
            _applied_levels[log.name] = saved_applied


class RedirectToLog:
    """A file-like object that logs each non-blank write at INFO (``sys.stdout`` stand-in).

    Parameters
    ----------
    logger
        Where the lines go (default: the ``prefectlite.stdout`` logger).
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.stdout_logger = logger or get_logger("stdout")

    def write(self, s: str) -> None:
        if not isinstance(s, str):
            raise TypeError(f"string argument expected, got {type(s)}")
        if s.strip():
            self.stdout_logger.info(s)

    def flush(self) -> None:
        for handler in self.stdout_logger.handlers:
            handler.flush()
