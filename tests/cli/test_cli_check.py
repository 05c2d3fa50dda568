"""``prefectlite check``: every problem at once, exit 0 when clean and 1 with the list."""

from __future__ import annotations

import threading

import pytest

from prefectlite.cli.check import pickle_problems
from prefectlite.cli.loading import load_flow


def test_clean_flow(invoke, flow_file) -> None:
    result = invoke("check", flow_file("simple"))
    assert result.exit_code == 0
    assert result.stdout.startswith("No problems found in flow 'simple' (3 tasks, 2 parameters).")
    assert "LocalExecutor does not pickle tasks" in result.stdout


def test_every_problem_at_once(invoke, flow_file) -> None:
    result = invoke("check", flow_file("unpicklable"), "-e", "processes", "-p", "extra=1")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "4 problems found in flow 'unpicklable' (4 tasks, 0 parameters):"
    assert lines[1] == ("  1. flow 'unpicklable' has no parameter 'extra'; its parameters "
                        "are: (none)")
    assert lines[2].startswith("  2. task 'holder-1': task.client['lock'], of type lock, "
                               "cannot be pickled (TypeError")
    assert lines[3].startswith("  3. task 'uses_global-1': task.run (global LOCK), of type "
                               "lock, cannot be pickled")
    assert lines[4].startswith("  4. task 'takes-1', argument 'lock' (a constant): lock, of "
                               "type RLock, cannot be pickled")
    assert lines[5] == ("LocalDaskExecutor pickles tasks (it runs tasks in other processes): "
                        "checked.")


def test_local_executor_does_not_pickle(invoke, flow_file) -> None:
    assert invoke("check", flow_file("unpicklable")).exit_code == 0


def test_missing_and_wrong_shape(invoke, flow_file) -> None:
    result = invoke("check", flow_file("needs_param"), "-p", "times=two")
    assert result.exit_code == 1
    assert "required parameter 'word'" in result.stdout
    assert "parameter 'times' takes a number (like its default 2), got a string" in result.stdout


def test_flow_code_error_is_a_problem(invoke, write_flow) -> None:
    code = ("from prefectlite import Flow, Task\nflow = Flow('c')\na, b = Task(name='a'), "
            "Task(name='b')\nflow.add_edge(a, b)\nflow.add_edge(b, a, validate=True)\n")
    result = invoke("check", write_flow(code, "cyc.py"))
    assert result.exit_code == 1
    assert "1 problem found in" in result.stdout and "Cycle found; flows must be acyclic! The " \
        "cycle: b-1 -> a-1 -> b-1" in result.stdout


def test_cycle_found_by_validate(invoke, write_flow) -> None:
    """An edge added without checks (the default, as in Prefect 1) is caught by validate."""
    code = ("from prefectlite import Flow, Task\nflow = Flow('c')\na, b = Task(name='a'), "
            "Task(name='b')\nflow.add_edge(a, b)\nflow.add_edge(b, a)\n")
    result = invoke("check", write_flow(code, "cyc2.py"))
    assert result.exit_code == 1 and "Cycle found; flows must be acyclic!" in result.stdout


def test_unreachable_address_is_a_problem(invoke, flow_file) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke("check", flow_file("simple"), "-e", f"tcp://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler" in result.stdout


@pytest.mark.parametrize(("args", "match"), [
    (["-p", "oops"], "malformed --param"), (["-e", "nowhere"], "unknown executor"),
])
def test_bad_input_is_exit_2(invoke, flow_file, args, match) -> None:
    result = invoke("check", flow_file("simple"), *args)
    assert result.exit_code == 2 and match in result.stderr


def test_missing_file_is_exit_2(invoke, tmp_path) -> None:
    assert invoke("check", tmp_path / "nope.py").exit_code == 2


def test_culprit_descends() -> None:
    class Outer:
        def __init__(self) -> None:
            self.inner = {"items": [1, threading.Lock()]}

    from prefectlite.utilities.pickling import culprit

    assert culprit(Outer(), "x").startswith("x.inner['items'][1], of type lock, cannot be "
                                            "pickled (TypeError")


def test_pickle_problems_of_a_clean_flow(flow_file) -> None:
    assert pickle_problems(load_flow(str(flow_file("simple"))).flow) == []
