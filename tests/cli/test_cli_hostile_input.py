"""Bad input files get one line and exit 2; control characters never reach the terminal raw."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prefectlite.cli.terminal import escape

EVIL_FLOW = '''
from prefectlite import Flow, Parameter, task

@task(name="evil\\x1b[31mRED\\x1b]0;title\\x07\\u202e\\r")
def say(x):
    raise ValueError("bad \\x1b[2J clear")

with Flow("flow\\x1b[1m\\x9b") as flow:
    say(Parameter("x", default="a"))
'''
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def one_error_line(result: object, *fragments: str, code_line: bool = False) -> None:
    """Exit 2 and one ``Error:`` line (a syntax error may show its line of code under it)."""
    assert result.exit_code == 2, result.stdout + result.stderr  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("Error: "), lines
    assert len(lines) == 1 or (code_line and len(lines) == 2 and lines[1].startswith("    "))
    for fragment in fragments:
        assert fragment in lines[0]


class TestBadFiles:
    def test_a_params_file_that_is_not_utf8(self, invoke, flow_file, tmp_path: Path) -> None:
        path = tmp_path / "p.json"
        path.write_bytes(b'{"word": "\xff"}')
        result = invoke("run", flow_file("needs_param"), "--params-file", path)
        one_error_line(result, "is not UTF-8 text (byte 0xff at offset 10)")

    def test_a_params_file_nested_too_deeply(self, invoke, flow_file, tmp_path: Path) -> None:
        path = tmp_path / "p.json"
        path.write_text("[" * 100_000 + "]" * 100_000)
        result = invoke("run", flow_file("needs_param"), "--params-file", path)
        one_error_line(result, "nested too deeply")

    @pytest.mark.parametrize("content", [b'x = "\xff"\n', b"\xff\xfe\x00x", b"x = 1\x00\n"])
    @pytest.mark.parametrize("command", ["run", "inspect", "check"])
    def test_a_flow_file_that_is_not_python_text(self, invoke, tmp_path: Path, command: str,
                                                  content: bytes) -> None:
        path = tmp_path / "flow.py"
        path.write_bytes(content)
        result = invoke(command, path)
        if command != "check":
            one_error_line(result, str(path), "SyntaxError", code_line=True)
            return
        assert result.exit_code == 1  # check reports it as the problem it found
        assert f"1. {path}" in result.stdout and "SyntaxError" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr


class TestControlCharacters:
    def test_escape_keeps_text_and_shows_controls(self) -> None:
        assert escape("a\tb\nc") == "a\tb\nc"
        assert escape("\x1b[31m\r\x9b\u202e\ud800") == "\\u001b[31m\\u000d\\u009b\\u202e\\ud800"
        assert json.loads(f'"{escape(chr(27))}"') == chr(27)  # reads back in JSON

    def test_no_command_prints_them_raw(self, invoke, write_flow) -> None:
        path = write_flow(EVIL_FLOW)
        outputs = []
        run = invoke("run", path)
        assert run.exit_code == 1
        outputs.append(run)
        run_id = re.search(r"\(run (\w{8})\)", run.stdout).group(1)
        for args in (["runs", "list"], ["runs", "show", run_id], ["runs", "logs", run_id],
                     ["inspect", path], ["check", path], ["run", path, "--json"],
                     ["runs", "list", "--json"], ["runs", "show", run_id, "--json"]):
            outputs.append(invoke(*args))
        for result in outputs:
            text = result.stdout + result.stderr
            assert not RAW.search(text), (result, text)
        summary = outputs[0].stdout
        assert "evil\\u001b[31mRED\\u001b]0;title\\u0007\\u202e\\u000d" in summary
        assert "evil\\u001b[31mRED" in outputs[2].stdout  # runs show
