"""Tests for prefectlite.utilities.logging: configured levels and formats, record attributes."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator

import pytest

from prefectlite import Flow, context, task
from prefectlite.utilities import logging as pl_logging
from prefectlite.utilities.configuration import set_temporary_config


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collect() -> Iterator[Collect]:
    handler = Collect()
    log = logging.getLogger("pl-test-records")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    yield handler
    log.removeHandler(handler)


@pytest.fixture
def restore_prefectlite_logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("prefectlite")
    saved = (log.level, list(log.handlers), dict(pl_logging._applied_levels))
    yield log
    log.setLevel(saved[0])
    log.handlers[:] = saved[1]
    pl_logging._applied_levels.clear()
    pl_logging._applied_levels.update(saved[2])


def test_testing_logger_follows_the_configuration() -> None:
    with set_temporary_config({"logging.level": "ERROR", "logging.format": "F %(message)s",
                               "logging.datefmt": "%Y"}):
        log = pl_logging.configure_logging(testing=True)
    assert log.name == "prefectlite-test-logger" and log.level == logging.ERROR
    ours = [h for h in log.handlers if h.get_name() == "prefectlite-default"]
    assert len(ours) == 1 and ours[0].formatter is not None
    assert ours[0].formatter._fmt == "F %(message)s" and ours[0].formatter.datefmt == "%Y"
    pl_logging.configure_logging(testing=True)
    assert len([h for h in log.handlers if h.get_name() == "prefectlite-default"]) == 1


def test_a_level_set_by_the_application_stays_until_the_config_changes(
        restore_prefectlite_logger: logging.Logger) -> None:
    log = restore_prefectlite_logger
    pl_logging.configure_logging()
    log.setLevel(logging.ERROR)
    pl_logging.configure_logging()
    assert log.level == logging.ERROR
    with set_temporary_config({"logging.level": "DEBUG"}):
        pl_logging.configure_logging()
        assert log.level == logging.DEBUG


def test_a_bad_level_names_the_key(restore_prefectlite_logger: logging.Logger) -> None:
    with (set_temporary_config({"logging.level": "LOUD"}),
          pytest.raises(ValueError, match="logging.level='LOUD' is not a logging level")):
        pl_logging.configure_logging()


def test_records_carry_context_values(collect: Collect) -> None:
    log = logging.getLogger("pl-test-records")
    with context(flow_name="f", task_name="t", task_slug="t-1"):
        log.info("inside")
    log.info("outside")
    inside, outside = collect.records
    assert (inside.flow_name, inside.task_name, inside.task_slug) == ("f", "t", "t-1")
    assert not hasattr(inside, "flow_run_id") and not hasattr(outside, "task_name")


def test_configured_log_attributes(collect: Collect) -> None:
    log = logging.getLogger("pl-test-records")
    with set_temporary_config({"logging.log_attributes": ["trace_id", "missing"]}), \
            context(trace_id="abc"):
        log.info("x")
    record = collect.records[0]
    assert record.trace_id == "abc" and record.missing is None


def test_non_scalar_context_values_become_text(collect: Collect) -> None:
    with context(flow_run_id=object()):
        logging.getLogger("pl-test-records").info("x")
    assert isinstance(collect.records[0].flow_run_id, str)


def test_task_logs_inside_a_flow_name_the_task(caplog: pytest.LogCaptureFixture) -> None:
    @task
    def shout() -> None:
        context.logger.warning("hello")

    with Flow("named") as flow:
        shout()
    with caplog.at_level(logging.INFO):
        flow.run()
    [record] = [r for r in caplog.records if r.getMessage() == "hello"]
    assert (record.flow_name, record.task_name) == ("named", "shout")


def test_extra_loggers_get_the_handler(restore_prefectlite_logger: logging.Logger) -> None:
    name = "pl-test-extra-library"
    with set_temporary_config({"logging.extra_loggers": [name], "logging.level": "WARNING"}):
        pl_logging.configure_logging()
    extra = logging.getLogger(name)
    try:
        assert extra.level == logging.WARNING
        assert [h.get_name() for h in extra.handlers] == ["prefectlite-default"]
    finally:
        extra.handlers.clear()


def test_temporary_logger_config_puts_everything_back(
        restore_prefectlite_logger: logging.Logger) -> None:
    log = restore_prefectlite_logger
    log.setLevel(logging.INFO)
    before = list(log.handlers)
    with pl_logging.temporary_logger_config(level=logging.CRITICAL, stream_fmt="%(message)s",
                                            stream_datefmt="%H"):
        assert log.level == logging.CRITICAL
        ours = [h for h in log.handlers if h.get_name() == "prefectlite-default"]
        assert ours and ours[0].formatter is not None
        assert ours[0].formatter._fmt == "%(message)s"
    assert log.level == logging.INFO and log.handlers == before
    with pytest.raises(KeyError), pl_logging.temporary_logger_config(level="ERROR"):
        raise KeyError("boom")
    assert log.level == logging.INFO


def test_redirect_to_log(caplog: pytest.LogCaptureFixture) -> None:
    out = pl_logging.RedirectToLog()
    with caplog.at_level(logging.INFO), contextlib.redirect_stdout(out):  # type: ignore[type-var]
        print("first")
        print()
        print("second", end="")
    assert [r.getMessage() for r in caplog.records if r.name == "prefectlite.stdout"] == [
        "first", "second"]
    with pytest.raises(TypeError, match="string argument expected"):
        out.write(b"bytes")  # type: ignore[arg-type]


def test_redirect_to_a_given_logger() -> None:
    stream = io.StringIO()
    log = logging.getLogger("pl-test-redirect")
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        pl_logging.RedirectToLog(log).write("line")
        assert stream.getvalue() == "line\n"
    finally:
        log.removeHandler(handler)


def test_line_formatter_writes_the_standard_lines() -> None:
    fmt = pl_logging.FORMAT + " %(task_name)s"
    ours = pl_logging.LineFormatter(fmt, pl_logging.DATEFMT)
    standard = logging.Formatter(fmt, pl_logging.DATEFMT)
    # the same second twice, the next second, then back: each record gets its own time
    for created in (1_700_000_000.1, 1_700_000_000.9, 1_700_000_001.0, 1_700_000_000.5,
                    1_800_000_000.0):
        record = logging.makeLogRecord({"msg": "Task %r: done", "args": ("a",),
                                        "created": created, "task_name": "a"})
        assert ours.format(record) == standard.format(record)
    record = logging.makeLogRecord({"msg": "x", "created": 1_700_000_000.0, "task_name": "a"})
    ours.converter = standard.converter = time.gmtime  # a converter set later is followed
    assert ours.format(record) == standard.format(record)
    default = pl_logging.LineFormatter()  # no date format: milliseconds of each record
    record.asctime = None
    assert default.format(record) == logging.Formatter().format(record)


def test_the_default_handler_uses_the_line_formatter(
        restore_prefectlite_logger: logging.Logger) -> None:
    log = restore_prefectlite_logger
    log.handlers[:] = []
    root = logging.getLogger()
    saved, root.handlers[:] = list(root.handlers), []
    try:
        pl_logging.configure_logging()
        (handler,) = [h for h in log.handlers if h.get_name() == "prefectlite-default"]
        assert isinstance(handler.formatter, pl_logging.LineFormatter)
        assert handler.formatter._fmt == pl_logging.FORMAT
    finally:
        root.handlers[:] = saved
