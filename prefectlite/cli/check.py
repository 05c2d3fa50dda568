"""``prefectlite check``: a dry run that runs nothing and reports every problem at once.

It loads the flow and collects, without stopping at the first:

1. a flow file that does not load (syntax error, exception while building, a cycle);
2. a graph that does not validate (a cycle, reference tasks outside the flow);
3. parameters: unknown names, required ones with no value, values of the wrong shape
   (see :mod:`prefectlite.cli.params`);
4. when the chosen executor pickles work (``processes``, ``dask``, an address): every task,
   bound constant and Parameter default that cloudpickle cannot pickle, naming the task and
   the attribute, argument or global variable at fault;
5. a Dask scheduler address that does not answer.

Exit 0 when clean, 1 with the numbered list; bad command-line input (no such file, a
malformed ``-p``, an unknown executor) is still a one-line error and exit 2.
"""

from __future__ import annotations

import click

from prefectlite.cli import params as _params
from prefectlite.cli._errors import FLOW_FAILED, CliError
from prefectlite.cli.executors import (
    as_address,
    check_reachable,
    is_address,
    make_executor,
    pickling_reason,
)
from prefectlite.cli.loading import FlowCodeError, load_flow
from prefectlite.cli.run import executor_options, param_options
from prefectlite.cli.terminal import echo
from prefectlite.core.flow import Flow
from prefectlite.core.parameter import Parameter
from prefectlite.utilities.pickling import culprit, pickle_error


def pickle_problems(flow: Flow) -> list[str]:
    """Every task, constant and Parameter default of ``flow`` that does not pickle."""
    problems = []
    for task in flow.sorted_tasks():
        slug = flow.slugs[task]
        if isinstance(task, Parameter):
            if pickle_error(task) is not None:
                problems.append(f"parameter {task.name!r}: {culprit(task, 'parameter', 5)}")
            continue
        if pickle_error(task) is not None:
            problems.append(f"task {slug!r}: {culprit(task, 'task', 5)}")
        for key, value in flow.constants.get(task, {}).items():
            if pickle_error(value) is not None:
                problems.append(f"task {slug!r}, argument {key!r} (a constant): "
                                f"{culprit(value, key, 5)}")
    return problems


def find_problems(flow: Flow, given: dict[str, _params.Given], executor: str | None,
                  connect_timeout: float) -> tuple[list[str], str]:
    """Every problem of ``flow`` for this input and executor; and a note on pickling."""
    problems = []
    try:
        flow.validate()
    except ValueError as exc:
        problems.append(str(exc))
    problems += _params.resolve(flow, given)[1]
    if executor is not None and is_address(executor):
        try:
            check_reachable(as_address(executor), connect_timeout)
        except CliError as exc:
            problems.append(exc.message)
    chosen = make_executor(executor, flow, connect_timeout, check_address=False)
    reason = pickling_reason(chosen)
    if reason is None:
        note = (f"{type(chosen).__name__} does not pickle tasks; check with -e processes "
                "or -e dask to see what could not be sent to other processes.")
    else:
        note = f"{type(chosen).__name__} pickles tasks ({reason}): checked."
        problems += pickle_problems(flow)
    return problems, note


@click.command("check")
@click.argument("target", metavar="PATH_OR_MODULE[:FLOW_NAME]")
@param_options
@executor_options
def check_command(target: str, param: tuple[str, ...], params_file: str | None,
                  executor: str | None, connect_timeout: float) -> None:
    """Check a flow without running it, and list every problem found.

    Looks for cycles, unknown or missing parameters, parameter values of the wrong shape,
    and (for executors that send work to other processes) tasks, constants and defaults
    that cannot be pickled. Exit code: 0 no problem, 1 problems listed, 2 bad input.
    """
    given = _params.gather(param, params_file)
    try:
        loaded = load_flow(target)
    except FlowCodeError as exc:
        _report(target, [exc.message], "")
        return
    flow = loaded.graph_flow("check")
    problems, note = find_problems(flow, given, executor, connect_timeout)
    n_params = len(flow.parameters())  # counted apart from the tasks, as `inspect` does
    what = (f"flow {flow.name!r} ({_count(len(flow.tasks) - n_params, 'task')}, "
            f"{_count(n_params, 'parameter')})")
    _report(what, problems, note)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _report(what: str, problems: list[str], note: str) -> None:
    if not problems:
        echo(f"No problems found in {what}.")
        if note:
            echo(note)
        return
    plural = "problem" if len(problems) == 1 else "problems"
    echo(f"{len(problems)} {plural} found in {what}:")
    for i, problem in enumerate(problems, 1):
        echo(f"  {i}. {problem}")
    if note:
        echo(note)
    raise SystemExit(FLOW_FAILED)
