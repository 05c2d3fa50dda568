"""Finding flows: files and modules, flow selection, and load errors as one-line messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cloudpickle
import pytest

from prefectlite.cli._errors import CliError
from prefectlite.cli.loading import (
    FlowCodeError,
    TargetNotFound,
    load_flow,
    split_target,
)

SIMPLE = (Path(__file__).parent / "flows" / "simple.py").read_text()


class TestSplitTarget:
    def test_path_and_name(self) -> None:
        assert split_target("a/b.py:etl") == ("a/b.py", "etl")
        assert split_target("a/b.py:My first flow!") == ("a/b.py", "My first flow!")

    def test_no_name(self) -> None:
        assert split_target("a/b.py") == ("a/b.py", None)
        assert split_target("pkg.mod") == ("pkg.mod", None)

    def test_windows_drive_is_not_a_name(self) -> None:
        assert split_target("C:\\flows\\etl.py") == ("C:\\flows\\etl.py", None)


class TestLoadFile:
    def test_single_flow(self, write_flow) -> None:
        loaded = load_flow(str(write_flow(SIMPLE)))
        assert loaded.flow.name == "simple" and loaded.variable == "flow"

    def test_main_block_does_not_run(self, write_flow) -> None:
        path = write_flow(SIMPLE + "\nif __name__ == '__main__':\n    raise SystemExit(3)\n")
        assert load_flow(str(path)).flow.name == "simple"

    def test_pick_by_name_or_variable(self, flow_file) -> None:
        path = flow_file("two_flows")
        assert load_flow(f"{path}:second").flow.name == "second"
        assert load_flow(f"{path}:second_flow").flow.name == "second"
        assert load_flow(f"{path}:first").variable == "first_flow"

    def test_several_flows_need_a_name(self, flow_file) -> None:
        path = flow_file("two_flows")
        with pytest.raises(CliError, match=r"defines 2 flows: 'first' \(variable first_flow\), "
                                           r"'second' \(variable second_flow\); pick one"):
            load_flow(str(path))

    def test_unknown_name_lists_flows(self, flow_file) -> None:
        with pytest.raises(CliError, match="has no flow named 'third'; its flows are: 'first'"):
            load_flow(f"{flow_file('two_flows')}:third")

    def test_no_flow(self, write_flow) -> None:
        with pytest.raises(CliError, match=r"defines no flow at module level \(no Flow object, "
                           r"no @flow function\); build one at the top level with "):
            load_flow(str(write_flow("x = 1\n")))

    def test_no_flow_names_the_functions_that_could_build_one(self, write_flow) -> None:
        code = """
            def helper(x):
                return x

            def build():
                pass

            def _private():
                pass
        """
        path = write_flow(code)
        with pytest.raises(CliError) as info:
            load_flow(str(path))
        assert info.value.message == (
            f"{path} defines no flow at module level (no Flow object, no @flow function); it "
            f"defines the functions build(): if one of them returns a Flow, name it, e.g. "
            f"{path}:build.")


BUILDERS = """
    from prefectlite import Flow, task

    calls = []

    @task
    def one():
        return 1

    def build() -> Flow:
        calls.append("build")
        with Flow("built") as flow:
            one()
        return flow

    def needs(x):
        return Flow("never")

    def main() -> None:
        calls.append("main")

    def not_a_flow():
        return 42
"""


class TestFlowFromAFunction:
    def test_named_function_returning_a_flow(self, write_flow) -> None:
        loaded = load_flow(f"{write_flow(BUILDERS)}:build")
        assert loaded.flow.name == "built" and loaded.variable == "build()"
        assert not loaded.is_eager and loaded.module.calls == ["build"]

    def test_function_needing_arguments(self, write_flow) -> None:
        with pytest.raises(CliError, match=r":needs is a function that needs arguments"):
            load_flow(f"{write_flow(BUILDERS)}:needs")

    def test_function_annotated_none_is_not_called(self, write_flow) -> None:
        path = write_flow(BUILDERS)
        with pytest.raises(CliError, match=r":main\(\) is annotated to return None, not a Flow"):
            load_flow(f"{path}:main")

    def test_function_returning_something_else(self, write_flow) -> None:
        with pytest.raises(CliError, match=r":not_a_flow\(\) returned int, not a Flow"):
            load_flow(f"{write_flow(BUILDERS)}:not_a_flow")

    def test_function_raising_is_a_load_error(self, write_flow) -> None:
        code = "def build():\n    raise ValueError('no data')\n"
        with pytest.raises(FlowCodeError, match=r"line 2: ValueError: no data$"):
            load_flow(f"{write_flow(code)}:build")


EAGER = """
    from prefectlite import flow, task

    @task
    def double(x):
        return 2 * x

    @flow(name="doubler")
    def doubler(x: int = 2):
        return double(x)
"""


class TestEagerFlows:
    def test_single_eager_flow_is_found(self, write_flow) -> None:
        loaded = load_flow(str(write_flow(EAGER)))
        assert loaded.is_eager and loaded.variable == "doubler" and loaded.flow.name == "doubler"

    def test_graph_commands_refuse_an_eager_flow(self, write_flow) -> None:
        path = write_flow(EAGER)
        with pytest.raises(CliError, match=(
            rf"^{path}: doubler is an eager @flow function; its tasks are known only while it "
            rf"runs, so `prefectlite inspect` has no graph to show\. Run it with "
            rf"`prefectlite run {path}:doubler`\.$")):
            load_flow(str(path)).graph_flow("inspect")

    def test_graph_and_eager_flows_side_by_side_need_a_name(self, write_flow) -> None:
        path = write_flow(EAGER + "\n    from prefectlite import Flow\n    graph = Flow('g')\n")
        with pytest.raises(CliError, match="defines 2 flows: 'doubler' .*'g' .*pick one"):
            load_flow(str(path))
        assert load_flow(f"{path}:g").flow.name == "g"

    def test_file_not_found(self, tmp_path: Path) -> None:
        with pytest.raises(TargetNotFound, match="file not found: .*nope.py"):
            load_flow(str(tmp_path / "nope.py"))

    def test_syntax_error_shows_file_and_line(self, write_flow) -> None:
        path = write_flow("from prefectlite import Flow\n\nx = (1,\ny = 2 +\n", "broken.py")
        with pytest.raises(FlowCodeError) as info:
            load_flow(str(path))
        first, *rest = info.value.message.splitlines()
        assert first.startswith(f"{path}, line 3: SyntaxError: ")
        assert rest == ["    x = (1,"]

    def test_exception_while_building_names_the_line(self, write_flow) -> None:
        code = "from prefectlite import Flow\nimport not_a_module_at_all\n"
        path = write_flow(code, "imports.py")
        with pytest.raises(FlowCodeError, match=(
            rf"^{path}, line 2: ModuleNotFoundError: "
            "No module named 'not_a_module_at_all'$"
        )):
            load_flow(str(path))

    def test_cycle_while_building(self, write_flow) -> None:
        code = '''
            from prefectlite import Flow, Task
            flow = Flow("cyclic")
            a, b = Task(name="a"), Task(name="b")
            flow.add_edge(a, b)
            flow.add_edge(b, a, validate=True)
        '''
        with pytest.raises(FlowCodeError,
                           match=r"cyclic.py, line 6: CycleError: .*b-1 -> a-1 -> b-1"):
            load_flow(str(write_flow(code, "cyclic.py")))

    def test_file_tasks_pickle_by_value(self, write_flow, tmp_path: Path) -> None:
        """Worker processes unpickle the tasks without being able to import the file."""
        loaded = load_flow(str(write_flow(SIMPLE, "byvalue.py")))
        task = next(t for t in loaded.flow.tasks if t.name == "add")
        data = tmp_path / "task.pkl"
        data.write_bytes(cloudpickle.dumps(task))
        code = ("import pickle, sys; t = pickle.load(open(sys.argv[1], 'rb')); "
                "print(t.run(1, y=2))")
        done = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True,
                              text=True, timeout=60, cwd=Path(__file__).parents[2])
        assert done.stdout.strip() == "3", done.stderr


class TestLoadModule:
    def test_importable_module(self, tmp_path: Path, monkeypatch, write_flow) -> None:
        write_flow(SIMPLE, "my_flows_mod.py")
        monkeypatch.chdir(tmp_path)
        assert load_flow("my_flows_mod:simple").flow.name == "simple"

    def test_missing_module(self, tmp_path: Path, monkeypatch) -> None:
        monkeypatch.chdir(tmp_path)
        with pytest.raises(TargetNotFound, match="cannot import module 'no_such_mod_xyz': "
                                                 "No module named 'no_such_mod_xyz'"):
            load_flow("no_such_mod_xyz")

    def test_module_whose_import_fails(self, tmp_path: Path, monkeypatch, write_flow) -> None:
        write_flow("import missing_dependency_xyz\n", "bad_import_mod.py")
        monkeypatch.chdir(tmp_path)
        with pytest.raises(FlowCodeError, match=r"bad_import_mod.py, line 1: "
                                                "ModuleNotFoundError: .*missing_dependency_xyz"):
            load_flow("bad_import_mod")
