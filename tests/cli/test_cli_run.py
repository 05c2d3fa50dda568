"""``prefectlite run`` through click's CliRunner: exit codes, the summary, bad input."""

from __future__ import annotations

import json
import re
import socket

import pytest


def one_error_line(result) -> str:
    """The single ``Error: ...`` line a usage error prints (and nothing else)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


class TestSuccess:
    def test_exit_0_and_summary(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "-p", "n=5")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert re.match(r"Flow run 'simple' \(run \w{8}\): Success in \S+ - All reference "
                        r"tasks succeeded\.$", lines[0])
        assert lines[1].split() == ["task", "state", "duration", "retries", "message"]
        rows = {line.split()[0]: line.split() for line in lines[2:]}
        assert set(rows) == {"n", "add-1", "add-2", "word", "shout"}
        assert rows["add-2"][1:2] == ["Success"] and rows["add-2"][3] == "0"

    def test_json_summary(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--json", "-p", "word=yo")
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert data["state"] == "Success" and data["flow"] == "simple"
        assert {t["task"]: t["state"] for t in data["tasks"]}["shout"] == "Success"
        assert all(isinstance(t["duration"], float) for t in data["tasks"])

    def test_plain_progress_lines_on_stderr(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"))
        assert re.search(r"^\[\d\d:\d\d:\d\d\] add-2: Success \(\d/5 tasks done\)$",
                         result.stderr, flags=re.M)
        assert "Starting task run" not in result.stderr  # per-task log lines replaced

    def test_no_progress_shows_task_log_lines(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--no-progress")
        assert "prefectlite.TaskRunner | Task 'shout': Starting task run..." in result.stderr
        assert "tasks done" not in result.stderr

    def test_quiet(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "-q")
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""

    def test_log_level(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--log-level", "warning")
        assert "INFO" not in result.stderr and result.exit_code == 0

    def test_threads_executor(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("retrying"), "-e", "threads")
        assert result.exit_code == 0, result.stdout + result.stderr

    def test_retries_counted(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("retrying"), "--json")
        rows = {t["task"]: t for t in json.loads(result.stdout)["tasks"]}
        assert rows["flaky"]["retries"] == 1 and rows["flaky"]["state"] == "Mapped"
        assert rows["flaky"]["message"] == "3 mapped runs: 3 Success"
        assert "flaky[0]: Retrying (attempt 2 at" in result.stderr

    def test_pick_flow_by_name(self, invoke, flow_file) -> None:
        result = invoke("run", f"{flow_file('two_flows')}:second", "--json")
        assert json.loads(result.stdout)["flow"] == "second"

    def test_params_file(self, invoke, flow_file, tmp_path) -> None:
        path = tmp_path / "p.json"
        path.write_text('{"word": "hello", "times": 3}')
        result = invoke("run", flow_file("needs_param"), "--params-file", path, "--json")
        assert result.exit_code == 0, result.stderr


class TestFailure:
    def test_exit_1_and_message(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("failing"))
        assert result.exit_code == 1
        assert re.match(r"Flow run 'failing' \(run \w{8}\): Failed", result.stdout)
        boom = next(line for line in result.stdout.splitlines() if line.startswith("boom"))
        assert "Failed" in boom and "RuntimeError('kaboom 1')" in boom


class TestBadInput:
    def test_malformed_param(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "-p", "n")
        assert result.exit_code == 2
        assert "malformed --param 'n': expected NAME=VALUE" in one_error_line(result)

    def test_unknown_param(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "-p", "nope=1")
        assert result.exit_code == 2
        assert one_error_line(result) == (
            "Error: flow 'simple' has no parameter 'nope'; its parameters are: n, word.")

    def test_missing_required_param(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("needs_param"))
        assert result.exit_code == 2
        assert "required parameter 'word': pass -p word=VALUE" in one_error_line(result)

    def test_json_of_the_wrong_shape(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("needs_param"), "-p", "word=a", "-p", "times=[2]")
        assert result.exit_code == 2
        assert one_error_line(result) == ("Error: parameter 'times' takes a number (like its "
                                          "default 2), got a list: [2].")

    def test_params_file_not_an_object(self, invoke, flow_file, tmp_path) -> None:
        path = tmp_path / "p.json"
        path.write_text('["word", "x"]')
        result = invoke("run", flow_file("needs_param"), "--params-file", path)
        assert result.exit_code == 2
        assert "must hold a JSON object" in one_error_line(result)

    def test_file_not_found(self, invoke, tmp_path) -> None:
        result = invoke("run", tmp_path / "missing.py")
        assert result.exit_code == 2
        assert one_error_line(result) == f"Error: file not found: {tmp_path / 'missing.py'}"

    def test_module_not_importable(self, invoke) -> None:
        result = invoke("run", "no_such_module_here:flow")
        assert result.exit_code == 2
        assert "cannot import module 'no_such_module_here'" in one_error_line(result)

    def test_syntax_error(self, invoke, write_flow) -> None:
        path = write_flow("from prefectlite import Flow\ndef broken(:\n    pass\n", "syn.py")
        result = invoke("run", path)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"Error: {path}, line 2: SyntaxError: ")
        assert "Traceback" not in result.stderr

    def test_bad_executor(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "-e", "gpu-farm")
        assert result.exit_code == 2
        assert "unknown executor 'gpu-farm'" in one_error_line(result)

    def test_unreachable_dask_address(self, invoke, flow_file) -> None:
        with socket.socket() as s:  # a free port: nobody listens there afterwards
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result = invoke("run", flow_file("simple"), "-e", f"tcp://127.0.0.1:{port}")
        assert result.exit_code == 2
        assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in one_error_line(
            result)

    def test_silent_listener_is_not_a_scheduler(self, invoke, flow_file) -> None:
        """Something accepts TCP but never speaks: an error after the timeout, no hang."""
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            port = server.getsockname()[1]
            result = invoke("run", flow_file("simple"), "-e", f"127.0.0.1:{port}",
                            "--connect-timeout", "0.5")
        assert result.exit_code == 2
        assert "no answer (after 0.5 s; --connect-timeout is 0.5 s)" in one_error_line(result)

    def test_invalid_cron(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--cron", "61 * * * *")
        assert result.exit_code == 2
        assert one_error_line(result).startswith("Error: invalid --cron: Invalid cron string "
                                                 "'61 * * * *'")

    @pytest.mark.parametrize("seconds", ["0", "-5"])
    def test_interval_not_positive(self, invoke, flow_file, seconds: str) -> None:
        result = invoke("run", flow_file("simple"), f"--interval={seconds}")
        assert result.exit_code == 2
        assert "--interval must be a positive number of seconds" in one_error_line(result)

    def test_unknown_timezone(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--cron", "0 9 * * *",
                        "--timezone", "Mars/Base")
        assert result.exit_code == 2
        assert "unknown time zone 'Mars/Base'" in one_error_line(result)

    def test_schedule_without_one(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--schedule")
        assert result.exit_code == 2
        assert "has no schedule; give --cron EXPR or --interval SECONDS" in one_error_line(result)

    def test_max_runs_needs_a_schedule(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--max-runs", "2")
        assert result.exit_code == 2
        assert "--max-runs applies to scheduled runs" in one_error_line(result)


class TestSchedule:
    def test_interval_runs_until_max_runs(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--interval", "0.2", "--max-runs", "3",
                        "--json")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count("Next run at ") == 3
        assert result.stdout.count('"flow": "simple"') == 3

    def test_flow_schedule_and_clock_defaults(self, invoke, flow_file) -> None:
        """The clock gives the required `label`; a value typed on the command line wins."""
        result = invoke("run", flow_file("scheduled"), "--schedule", "--max-runs", "2", "-q")
        assert result.exit_code == 0, result.stderr
        result = invoke("run", flow_file("scheduled"), "--schedule", "--max-runs", "1",
                        "-p", "label=fail", "--no-progress", "--log-level", "DEBUG")
        assert result.exit_code == 1
        assert "asked to fail" in result.stdout

    def test_cron_with_timezone_is_accepted(self, invoke, flow_file, monkeypatch) -> None:
        """Invalid input is caught first; a valid cron waits for its time (one run here)."""
        from prefectlite.engine import scheduling

        calls = []

        def fake_loop(schedule, run, **options):
            calls.append([str(t) for t in schedule.next(2)])
            return scheduling.ScheduleRuns(runs=1)

        monkeypatch.setattr(scheduling, "run_on_schedule", fake_loop)
        result = invoke("run", flow_file("simple"), "--cron", "30 9 * * *",
                        "--timezone", "Asia/Kolkata")
        assert result.exit_code == 0
        assert all(t.endswith("09:30:00+05:30") for t in calls[0])


def test_the_flows_own_executor_address_is_checked(invoke, write_flow) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "from prefectlite import Flow, Task\n"
        "from prefectlite.executors import DaskExecutor\n"
        f"flow = Flow('remote', executor=DaskExecutor(address='tcp://127.0.0.1:{port}'))\n"
        "flow.add_task(Task(name='t'))\n"
    )
    result = invoke("run", write_flow(code, "remote.py"))
    assert result.exit_code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in one_error_line(result)


class TestTypedParameters:
    def test_values_are_converted_before_the_run(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("typed"), "-p", "start=2024-02-28", "-p", "n=2",
                        "--no-journal", "--json")
        assert result.exit_code == 0
        (task,) = [t for t in json.loads(result.stdout)["tasks"] if t["task"] == "days_after"]
        assert task["state"] == "Success"

    def test_a_misfit_is_bad_input(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("typed"), "-p", "start=someday", "--no-journal")
        assert result.exit_code == 2
        assert one_error_line(result) == ("Error: parameter 'start' expects date: Input should "
                                          "be a valid date, got 'someday'.")


class TestLimits:
    @staticmethod
    def peak(marks: str) -> int:
        inside = peak = 0
        for sign in marks:
            inside += 1 if sign == "+" else -1
            peak = max(peak, inside)
        return peak

    def test_limit_holds_on_a_thread_pool(self, invoke, flow_file, tmp_path) -> None:
        log = tmp_path / "marks.log"
        log.write_text("")
        result = invoke("run", flow_file("limited"), "-p", f"log={log}", "-p", "limit=2",
                        "-e", "threads", "--limit", "database=2", "--no-journal", "-q")
        assert result.exit_code == 0, result.stderr
        assert self.peak(log.read_text()) == 2

    def test_limit_holds_for_an_eager_flow(self, invoke, flow_file, tmp_path) -> None:
        log = tmp_path / "marks.log"
        log.write_text("")
        result = invoke("run", flow_file("eager_limited"), "-p", f"log={log}", "-p", "limit=2",
                        "--limit", "database=2", "--no-journal", "-q")
        assert result.exit_code == 0, result.stderr
        assert self.peak(log.read_text()) == 2

    def test_an_eager_run_s_limits_win_over_the_configuration_tag_by_tag(self) -> None:
        from prefectlite.cli.eager_run import run_settings
        from prefectlite.utilities.configuration import set_temporary_config

        with set_temporary_config({"task_concurrency.database": 4, "task_concurrency.api": 1}):
            got = run_settings("info", {"database": 2, "my.tag": 3})
        assert got == {"logging.level": "INFO",
                       "task_concurrency": {"database": 2, "api": 1, "my.tag": 3}}
        assert run_settings(None, {}) == {}

    def test_malformed_limit_is_bad_input(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("limited"), "-p", "log=x", "--limit", "database",
                        "--no-journal")
        assert result.exit_code == 2
        assert one_error_line(result) == ("Error: --limit: malformed limit 'database': expected "
                                          "TAG=N, e.g. database=2.")


class TestRerun:
    def test_rerun_reruns_the_named_task_of_a_resumed_run(self, invoke, flow_file) -> None:
        first = invoke("run", flow_file("simple"), "--json")
        run_id = json.loads(first.stdout)["flow_run_id"]
        again = invoke("run", flow_file("simple"), "--resume", run_id, "--rerun", "add",
                       "--json")
        assert again.exit_code == 0, again.stderr
        states = {t["task"]: t["state"] for t in json.loads(again.stdout)["tasks"]}
        assert states and all(s == "Success" for s in states.values())

    def test_rerun_needs_resume(self, invoke, flow_file) -> None:
        result = invoke("run", flow_file("simple"), "--rerun", "add")
        assert result.exit_code == 2
        assert one_error_line(result) == ("Error: --rerun applies to --resume (it names tasks "
                                          "the resumed run runs again).")

    def test_unknown_task(self, invoke, flow_file) -> None:
        first = invoke("run", flow_file("simple"), "--json")
        run_id = json.loads(first.stdout)["flow_run_id"]
        result = invoke("run", flow_file("simple"), "--resume", run_id, "--rerun", "nope")
        assert result.exit_code == 2
        assert one_error_line(result).startswith("Error: --rerun: rerun= names no task of flow")
