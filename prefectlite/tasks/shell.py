"""``ShellTask``: run a shell command as a task (Prefect 1's ``prefect.tasks.shell``).

The command (after an optional ``helper_script``) is written to a temporary script file and
run by ``shell`` (``bash`` by default) in a subprocess. Standard error is merged into
standard output, read line by line, so ``stream_output`` can log each line as it arrives.
The task returns the last line of output (or every line with ``return_all=True``; ``None``
when there was none). A non-zero exit code fails the task with a ``FAIL`` signal whose
result is that same output.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from typing import Any

from prefectlite.core.task import Task
from prefectlite.engine import signals
from prefectlite.utilities.tasks import defaults_from_attrs

__all__ = ["ShellTask"]


def _log_level(stream_output: bool | int | str) -> int | bool:
    """``True`` -> INFO, a level name -> its number, an int or ``False`` as given."""
    if stream_output is True:
        return logging.INFO
    if isinstance(stream_output, str):
        level = logging.getLevelName(stream_output.upper())
        if not isinstance(level, int):
            raise TypeError(
                f"'stream_output': {stream_output} is not a valid log level; use True, a "
                "logging level such as logging.DEBUG, or a name such as 'DEBUG'."
            )
        return level
    return stream_output


class ShellTask(Task):
    """A task that runs a shell command and returns its output.

    Parameters
    ----------
    command
        The command to run; may instead be given when the task is called in a flow.
    env
        Environment variables for the command, added to the current environment.
    helper_script
        Shell code run before ``command`` in the same shell (``cd`` somewhere, define
        functions, ``set -e``...).
    shell
        The shell that runs the script (default ``"bash"``).
    return_all
        Return every line of output as a list instead of only the last line.
    log_stderr
        On failure, log the output (the last line, or all of it with ``return_all``) at
        ERROR level. Ignored with ``stream_output``, which already logged it.
    stream_output
        Log each line of output as it arrives: ``True`` at INFO, or at the level given
        (``logging.DEBUG``, ``"DEBUG"``).
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument (``name``, ``max_retries``...).

    Examples
    --------
    >>> from prefectlite import Flow
    >>> with Flow("shell") as flow:
    ...     greeting = ShellTask(shell="sh")(command="echo hello; echo world")
    >>> flow.run().result[greeting].result
    'world'
    """

    def __init__(
        self,
        command: str | None = None,
        env: dict[str, str] | None = None,
        helper_script: str | None = None,
        shell: str = "bash",
        return_all: bool = False,
        log_stderr: bool = False,
        stream_output: bool | int | str = False,
        **kwargs: Any,
    ) -> None:
        self.command = command
        self.env = env
        self.helper_script = helper_script
        self.shell = shell
        self.return_all = return_all
        self.log_stderr = log_stderr
        self.stream_output = _log_level(stream_output)
        super().__init__(**kwargs)

    @defaults_from_attrs("command", "env", "helper_script")
    def run(
        self, command: str | None = None, env: dict[str, str] | None = None,
        helper_script: str | None = None,
    ) -> str | list[str] | None:
        """Run ``command`` (default: the one given at initialization) and return its output.

        Raises
        ------
        TypeError
            When there is no command at all.
        prefectlite.engine.signals.FAIL
            When the command exits with a non-zero code.
        """
        if command is None:
            raise TypeError("run() missing required argument: 'command'")
        script = f"{helper_script}{os.linesep}{command}" if helper_script else command
        fd, path = tempfile.mkstemp(prefix="prefectlite-", suffix=".sh")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(script.encode())
            lines, returncode = self._execute(path, {**os.environ, **(env or {})})
        finally:
            os.unlink(path)
        output = lines if self.return_all else (lines[-1] if lines else None)
        if returncode:
            message = f"Command failed with exit code {returncode}"
            self.logger.error(message)
            if self.log_stderr and not self.stream_output:
                self.logger.error("\n".join(lines) if self.return_all else output)
            raise signals.FAIL(message, result=output)
        return output

    def _execute(self, path: str, env: dict[str, str]) -> tuple[list[str], int]:
        """Run the script at ``path``; its output lines (stderr merged) and the exit code.

        Without ``return_all`` only the last line is kept, so a chatty command costs no memory.
        """
        try:
            process = subprocess.Popen(
                [self.shell, path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                shell=sys.platform == "win32",  # Windows looks up the shell on PATH only so
            )
        except FileNotFoundError:
            raise FileNotFoundError(
                f"ShellTask {self.name!r}: the shell {self.shell!r} was not found; install it "
                "or pass another one, e.g. ShellTask(shell='sh')."
            ) from None
        lines: list[str] = []
        with process:
            assert process.stdout is not None
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip()
                if self.return_all or not lines:
                    lines.append(line)
                else:
                    lines[0] = line
                if self.stream_output:
                    self.logger.log(self.stream_output, line)
        return lines, process.returncode
