"""The README's tour runs as written (its Python blocks, in order, in one namespace)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    log = logging.getLogger("prefectlite")
    level = log.level
    log.setLevel(logging.WARNING)
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    finally:
        log.setLevel(level)
    assert "Hello, Marvin!" in capsys.readouterr().out
    assert namespace["flow"].name == "fan-out"


def test_readme_starts_with_two_setup_commands() -> None:
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    commands = [line for line in first_block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "examples/" in commands[0] and "pytest" in commands[1]
