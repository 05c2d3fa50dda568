"""ShellTask: commands, output, environment, helper scripts, failures and logging."""

from __future__ import annotations

import logging
import shutil

import pytest

from prefectlite import Flow
from prefectlite.engine import signals
from prefectlite.tasks.shell import ShellTask

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def run_in_flow(task: ShellTask, **kwargs: object):
    with Flow("shell") as flow:
        out = task(**kwargs)
    state = flow.run()
    return state, state.result[out]


def test_returns_the_last_line_of_stdout_and_stderr_merged() -> None:
    assert ShellTask().run(command="echo one; echo two >&2") == "two"


def test_return_all_gives_every_line() -> None:
    assert ShellTask(return_all=True).run(command="printf 'a\\nb\\n'; echo c >&2") == [
        "a", "b", "c",
    ]


def test_no_output_is_none_or_an_empty_list() -> None:
    assert ShellTask().run(command="true") is None
    assert ShellTask(return_all=True).run(command="true") == []


def test_the_command_may_come_from_init_or_from_the_call() -> None:
    _, state = run_in_flow(ShellTask(command="echo from-init"))
    assert state.result == "from-init"
    _, state = run_in_flow(ShellTask(command="echo from-init"), command="echo from-call")
    assert state.result == "from-call"


def test_a_missing_command_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="missing required argument: 'command'"):
        ShellTask().run()


def test_env_is_added_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELL_TASK_OUTER", "outer")
    task = ShellTask(env={"SHELL_TASK_INNER": "inner"})
    assert task.run(command="echo $SHELL_TASK_OUTER-$SHELL_TASK_INNER") == "outer-inner"
    assert task.run(command="echo $SHELL_TASK_INNER", env={"SHELL_TASK_INNER": "call"}) == "call"


def test_the_helper_script_runs_first_in_the_same_shell(tmp_path) -> None:
    task = ShellTask(helper_script=f"cd {tmp_path}\nshout() {{ echo \"$1!\"; }}")
    assert task.run(command="shout $(basename $(pwd))") == f"{tmp_path.name}!"


def test_a_non_zero_exit_fails_with_the_output_as_result() -> None:
    flow_state, state = run_in_flow(ShellTask(), command="echo partial; exit 3")
    assert flow_state.is_failed() and state.is_failed()
    assert state.message == "Command failed with exit code 3"
    assert state.result == "partial"
    with pytest.raises(signals.FAIL) as info:
        ShellTask(return_all=True).run(command="echo a; echo b; exit 1")
    assert info.value.state.result == ["a", "b"]


def test_log_stderr_logs_the_output_on_failure(caplog: pytest.LogCaptureFixture) -> None:
    task = ShellTask(name="noisy", log_stderr=True)
    with caplog.at_level(logging.ERROR), pytest.raises(signals.FAIL):
        task.run(command="echo 'it broke' >&2; exit 2")
    messages = [r.getMessage() for r in caplog.records if r.name == "prefectlite.Task: noisy"]
    assert messages == ["Command failed with exit code 2", "it broke"]


def test_stream_output_logs_each_line_at_the_level_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    task = ShellTask(name="streamer", stream_output="debug", log_stderr=True)
    with caplog.at_level(logging.DEBUG, logger="prefectlite"):
        assert task.run(command="echo first; echo second") == "second"
    lines = [(r.levelno, r.getMessage()) for r in caplog.records
             if r.name == "prefectlite.Task: streamer"]
    assert lines == [(logging.DEBUG, "first"), (logging.DEBUG, "second")]
    assert ShellTask(stream_output=True).stream_output == logging.INFO


def test_a_bad_stream_output_level_is_refused() -> None:
    with pytest.raises(TypeError, match="'stream_output': LOUD is not a valid log level"):
        ShellTask(stream_output="LOUD")


def test_a_missing_shell_is_named() -> None:
    with pytest.raises(FileNotFoundError, match="the shell 'no-such-shell' was not found"):
        ShellTask(shell="no-such-shell").run(command="echo hi")
