"""`prefectlite run` on eager @flow functions and on functions that build a Flow."""

from __future__ import annotations

import json


def test_an_eager_flow_runs_with_its_parameters(invoke, flow_file) -> None:
    result = invoke("run", f"{flow_file('eager')}:doubler", "-p", "x=21", "-p", "label=007")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Flow run 'doubler' (run ") and lines[0].endswith(": Completed")
    assert lines[1].split() == ["task", "state", "duration", "retries", "message"]
    assert lines[2].split()[:2] == ["double-0", "Success"]


def test_json_summary_reads_the_journal(invoke, flow_file) -> None:
    result = invoke("run", f"{flow_file('eager')}:doubler", "-p", "x=2", "--json")
    summary = json.loads(result.stdout)
    assert summary["state"] == "Completed" and summary["flow"] == "doubler"
    assert [t["task"] for t in summary["tasks"]] == ["double-0"]
    listed = invoke("runs", "list", "--json")
    assert summary["flow_run_id"] in listed.stdout


def test_a_failed_eager_run_exits_1(invoke, flow_file) -> None:
    result = invoke("run", f"{flow_file('eager')}:failing", "--no-journal")
    assert result.exit_code == 1
    assert result.stdout.startswith("Flow run 'failing': Failed - ")


def test_parameter_mistakes_are_bad_input(invoke, flow_file) -> None:
    target = f"{flow_file('eager')}:doubler"
    unknown = invoke("run", target, "-p", "x=1", "-p", "y=2")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == (
        "Error: flow 'doubler' has no parameter 'y'; its parameters are: x, label.")
    missing = invoke("run", target)
    assert missing.exit_code == 2 and "needs a value for 'x': pass -p x=VALUE" in missing.stderr
    wrong = invoke("run", target, "-p", "x=many", "--no-journal")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip() == "Error: x: Input should be a valid integer, got 'many'."


def test_graph_options_are_refused(invoke, flow_file) -> None:
    result = invoke("run", f"{flow_file('eager')}:doubler", "-p", "x=1", "-e", "threads")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: -e does not apply to doubler, an eager "
                                            "@flow function: where its tasks run is the flow's")


def test_a_function_returning_a_flow(invoke, write_flow) -> None:
    code = """
        from prefectlite import Flow, task

        @task
        def one():
            return 1

        def build():
            with Flow("built") as flow:
                one()
            return flow
    """
    result = invoke("run", f"{write_flow(code)}:build", "--no-journal", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["flow"] == "built"
