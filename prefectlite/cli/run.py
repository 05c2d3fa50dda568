"""``prefectlite run``: load a flow, check its parameters, run it, show progress and a summary.

Everything the command line says is checked before anything runs (parameters, executor,
schedule options, the scheduler's address); a mistake is one ``Error:`` line and exit 2.
The run itself is the library's (:func:`prefectlite.engine.run_setup.run_with`, what
``flow.run()`` does, journal and resume included) with one more observer: a progress
display (live on a terminal, plain lines otherwise, see :mod:`prefectlite.cli.progress`)
that records each task's state, duration and retries; the summary table is made from it.
Scheduled runs go through the library's schedule loop
(:mod:`prefectlite.engine.scheduling`); only the Ctrl-C handling is the command line's
(:mod:`prefectlite.cli.scheduling`). Exit 0 when the
flow succeeded, 1 when not (for ``--schedule``: when any run did not succeed).
"""

from __future__ import annotations

import datetime
import json
import sys
from dataclasses import dataclass
from typing import Any

import click

from prefectlite.cli import params as _params
from prefectlite.cli import scheduling as _scheduling
from prefectlite.cli._errors import FLOW_FAILED, CliError, CommandFailed
from prefectlite.cli._logging import LEVELS, cli_logging
from prefectlite.cli.executors import DEFAULT_CONNECT_TIMEOUT, make_executor
from prefectlite.cli.loading import load_flow
from prefectlite.cli.progress import (
    LiveProgress,
    RunRecorder,
    format_duration,
    make_progress,
    rich_available,
)
from prefectlite.cli.summary import plain_table, rich_table, rows_json
from prefectlite.cli.terminal import echo
from prefectlite.core.flow import Flow
from prefectlite.engine import scheduling
from prefectlite.engine.run_setup import run_with
from prefectlite.engine.state import Cancelled, State
from prefectlite.executors.base import Executor
from prefectlite.utilities.configuration import set_temporary_config


@dataclass
class Display:
    """How a run is shown (``-q``, ``--no-progress``, ``--json``) and whether it is journaled."""

    quiet: bool = False
    progress: bool = True
    as_json: bool = False
    journal: bool = True
    source: str = ""
    wait: bool = False  # --wait: wait for another process resuming the same run
    flow_file: str | None = None  # recorded in the journal for the resume command
    limits: dict[str, int] | None = None  # --limit TAG=N: tag concurrency limits of the run
    rerun: tuple[str, ...] = ()  # --rerun TASK: with --resume, run these (and downstream) again

    @property
    def live(self) -> bool | None:
        return False if self.as_json else None


def param_options(fn: Any) -> Any:
    """``-p/--param`` and ``--params-file`` (shared by ``run`` and ``check``)."""
    fn = click.option("--params-file", type=click.Path(dir_okay=False),
                      help="A JSON file holding an object of parameter values.")(fn)
    return click.option(
        "-p", "--param", "param", multiple=True, metavar="NAME=VALUE",
        help="A parameter value, read as JSON when it parses, else as a string "
             "(repeatable; wins over --params-file).")(fn)


def executor_options(fn: Any) -> Any:
    """``-e/--executor`` and ``--connect-timeout`` (shared by ``run`` and ``check``)."""
    fn = click.option("--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT,
                      show_default=True, metavar="SECONDS",
                      help="How long to wait for a Dask scheduler to answer.")(fn)
    return click.option(
        "-e", "--executor", metavar="local|threads|processes|dask|ADDRESS",
        help="Where tasks run: in this process (local), a local thread or process pool, a "
             "temporary Dask cluster, or the Dask scheduler at ADDRESS (tcp://host:port). "
             "Default: the flow's executor, else local.")(fn)


@click.command("run")
@click.argument("target", metavar="PATH_OR_MODULE[:FLOW_NAME]")
@param_options
@executor_options
@click.option("--journal/--no-journal", default=True, show_default=True,
              help="Record the run in the run journal ($PREFECTLITE_HOME/prefectlite.db), "
                   "so that it can be resumed and listed with `prefectlite runs`.")
@click.option("--resume", metavar="RUN_ID|latest",
              help="Run again only what that journaled run of this flow did not finish "
                   "(`latest`: its newest run that did not succeed and was not resumed to "
                   "success). Parameters default to that run's. A run another process is "
                   "running or resuming is refused (see --wait).")
@click.option("--rerun", "rerun", multiple=True, metavar="TASK",
              help="With --resume: run this task (name or slug) again, and everything "
                   "downstream of it (repeatable).")
@click.option("--limit", "limit", multiple=True, metavar="TAG=N",
              help="At most N runs of tasks tagged TAG at once (repeatable; wins over the "
                   "configuration's [task_concurrency] table).")
@click.option("--wait", "wait", is_flag=True,
              help="With --resume: if another process is running or resuming that run, wait "
                   "for it to end, then resume what is left (instead of an error).")
@click.option("-q", "--quiet", is_flag=True,
              help="Only warnings and errors: no progress, no summary table.")
@click.option("--log-level", type=click.Choice(LEVELS, case_sensitive=False),
              help="Level of the prefectlite log lines (default INFO; per-task lines are "
                   "shown only with --no-progress or an explicit level).")
@click.option("--no-progress", is_flag=True, help="No progress display; per-task log lines.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as one line of JSON on stdout, per run (progress goes "
                   "to stderr).")
@click.option("--schedule", is_flag=True,
              help="Run on the flow's schedule (or --cron/--interval) until Ctrl-C.")
@click.option("--cron", metavar="EXPR", help="Run on this cron schedule (implies --schedule).")
@click.option("--interval", type=float, metavar="SECONDS",
              help="Run every SECONDS seconds, the first run at once (implies --schedule).")
@click.option("--timezone", metavar="TZ",
              help="Time zone of --cron (default: this machine's).")
@click.option("--max-runs", type=click.IntRange(min=1), metavar="N",
              help="With a schedule: stop after N runs.")
def run_command(target: str, param: tuple[str, ...], params_file: str | None,
                executor: str | None, connect_timeout: float, journal: bool,
                resume: str | None, rerun: tuple[str, ...], limit: tuple[str, ...],
                wait: bool, quiet: bool,
                log_level: str | None, no_progress: bool, as_json: bool, schedule: bool,
                cron: str | None, interval: float | None, timezone: str | None,
                max_runs: int | None) -> None:
    """Run a flow from a Python file or module.

    PATH_OR_MODULE is a .py file or an importable module; FLOW_NAME picks one of its flows
    (by name or variable) when it has several, or names a function that returns a Flow.
    Eager @flow functions run too (their parameters from -p). Exit code: 0 the flow
    succeeded, 1 it did not, 2 bad input.

    \b
    Examples:
      prefectlite run examples/cli_etl.py
      prefectlite run flows.py:etl -p day=2024-01-31 -p 'ids=[1, 2, 3]' -e threads
      prefectlite run flows.py:etl --cron '0 9 * * 1-5' --timezone Europe/Paris
      prefectlite run flows.py:etl --resume latest
    """
    given = _params.gather(param, params_file)
    custom = _scheduling.build_schedule(cron, interval, timezone)
    loaded = load_flow(target)
    if loaded.is_eager:  # an @flow function runs its own body: see cli/eager_run.py
        _run_eager(loaded, given, journal, quiet, as_json, log_level, _limits(limit),
                   executor=executor, resume=resume or rerun,
                   schedule=schedule or custom is not None)
        return
    flow = loaded.flow
    on_schedule = schedule or custom is not None
    sched = _chosen_schedule(flow, custom, on_schedule, max_runs)
    supplied = _scheduling.clock_parameters(sched) if sched is not None else set()
    _check_resume_options(resume, rerun, wait)
    if resume is not None:
        supplied |= set(_resumed_parameters(flow, resume, journal, on_schedule))
        _check_rerun(flow, rerun)
    values, problems = _params.resolve(flow, given, supplied)
    if problems:
        raise CliError("; ".join(problems) + ".")
    chosen = make_executor(executor, flow, connect_timeout)
    display = Display(quiet=quiet, progress=not no_progress, as_json=as_json, journal=journal,
                      source=target, wait=wait, flow_file=flow_file_of(loaded, target),
                      limits=_limits(limit), rerun=rerun)
    with cli_logging(log_level, quiet, display.progress and not quiet):
        if sched is None:
            ok = run_once(flow, values, chosen, display, resume=resume).is_successful()
        else:
            ok = _run_scheduled(flow, sched, values, chosen, display, max_runs)
    if not ok:
        sys.exit(FLOW_FAILED)


def _chosen_schedule(flow: Flow, custom: Any, on_schedule: bool, max_runs: int | None
                     ) -> Any:
    """The schedule the run follows (``None``: one run); a usage error for a misfit."""
    sched = custom or (flow.schedule if on_schedule else None)
    if on_schedule and sched is None:
        raise CliError(f"flow {flow.name!r} has no schedule; give --cron EXPR or "
                       "--interval SECONDS with --schedule.")
    if max_runs is not None and not on_schedule:
        raise CliError("--max-runs applies to scheduled runs (--schedule, --cron, --interval).")
    return sched


def _check_resume_options(resume: str | None, rerun: tuple[str, ...], wait: bool) -> None:
    """``--rerun`` and ``--wait`` mean something only with ``--resume``."""
    if rerun and resume is None:
        raise CliError("--rerun applies to --resume (it names tasks the resumed run runs "
                       "again).")
    if wait and resume is None:
        raise CliError("--wait applies to --resume (it waits for a run another process is "
                       "resuming).")


def _run_eager(loaded: Any, given: dict[str, Any], journal: bool, quiet: bool,
               as_json: bool, log_level: str | None, limits: dict[str, int],
               **graph_options: Any) -> None:
    from prefectlite.cli import eager_run

    eager_run.refuse_graph_options(loaded.variable, **graph_options)
    values = eager_run.arguments(loaded.flow, given)
    chosen = log_level or ("WARNING" if quiet else None)
    # an eager flow reads the logger's level and the tag limits from the configuration
    settings = eager_run.run_settings(chosen, limits)
    with cli_logging(log_level, quiet, False), set_temporary_config(settings):
        ok = eager_run.run_eager(loaded.flow, values, journal, quiet, as_json)
    if not ok:
        sys.exit(FLOW_FAILED)


def _check_rerun(flow: Flow, rerun: tuple[str, ...]) -> None:
    from prefectlite.persistence.resume import rerun_tasks

    try:
        rerun_tasks(flow, rerun)
    except ValueError as exc:
        raise CliError(f"--rerun: {exc}") from None


def _resumed_parameters(flow: Flow, resume: str, journal: bool, scheduled: bool) -> dict:
    """The parameters of the run to resume (they are the defaults of the new run)."""
    if not journal:
        raise CliError("--resume reads the run journal; drop --no-journal.")
    if scheduled:
        raise CliError("--resume runs the flow once; it cannot be combined with a schedule.")
    from prefectlite.cli.runs import open_store
    from prefectlite.persistence.journal import JournalError
    from prefectlite.persistence.resume import find_run

    try:
        with open_store() as store:
            return dict(store.run_parameters(find_run(store, flow, resume).id))
    except (JournalError, click.ClickException) as exc:
        raise CliError(f"cannot resume {resume!r}: "
                       f"{exc.message if isinstance(exc, click.ClickException) else exc}"
                       ) from None


def _run_scheduled(flow: Flow, schedule: Any, values: dict[str, Any], executor: Executor,
                   display: Display, max_runs: int | None) -> bool:
    """Run on ``schedule`` with the library's loop; Ctrl-C is handled by the Stopper."""
    def say(text: str) -> None:
        if not display.quiet:
            echo(text, err=True)

    def one(event: Any) -> State:
        context = {"scheduled_start_time": event.start_time}
        return run_once(flow, {**(event.parameter_defaults or {}), **values}, executor,
                        display, context)

    def announce(event: Any) -> None:
        when = event.start_time
        say(f"Next run at {when.to_datetime_string()} {when.tzname()}.")

    after = datetime.datetime.now(datetime.UTC) - datetime.timedelta(microseconds=1)
    with _scheduling.Stopper(say) as stopper:
        done = scheduling.run_on_schedule(
            schedule, stopper.around_run(one), max_runs=max_runs,
            stop=lambda: stopper.stop, announce=announce, after=after)
    if done.exhausted:
        say("The schedule has no more runs.")
    if stopper.stop:
        say(f"Stopped after {done.runs} run(s).")
    return done.failed == 0


def _limits(texts: tuple[str, ...]) -> dict[str, int]:
    """``--limit TAG=N`` options as ``{tag: n}`` (a malformed one is bad input)."""
    from prefectlite.engine.limits import parse_limit

    limits = {}
    for text in texts:
        try:
            tag, n = parse_limit(text)
        except ValueError as exc:
            raise CliError(f"--limit: {exc}") from None
        limits[tag] = n
    return limits


def run_once(flow: Flow, values: dict[str, Any], executor: Executor, display: Display,
             context: dict[str, Any] | None = None, resume: str | None = None) -> State:
    """Run ``flow`` once with a progress observer and print the summary; its state."""
    from prefectlite.persistence.journal import JournalError

    sequential = getattr(executor, "max_in_flight", None) == 1
    recorder = make_progress(display.progress and not display.quiet, display.live, sequential)
    try:
        state = run_with(flow, values, executor=executor, context=context,
                         journal=display.journal, resume=resume, resume_wait=display.wait,
                         flow_file=display.flow_file, observers=[recorder],
                         run_on_schedule=False, task_concurrency=display.limits,
                         rerun=display.rerun)
    except KeyboardInterrupt:  # outside the walk (the runner handles it inside)
        state = Cancelled(message="Flow run was interrupted (KeyboardInterrupt).")
    except JournalError as exc:
        raise CommandFailed(str(exc)) from None
    finally:
        if isinstance(recorder, LiveProgress):
            recorder.close()
    if not display.quiet:
        show_summary(flow, state, recorder, display)
    return state


def flow_file_of(loaded: Any, target: str) -> str:
    """``target`` as a later ``prefectlite run`` in another directory takes it: a file's path
    made absolute, ``:NAME`` kept."""
    import os

    from prefectlite.cli.loading import is_path, split_target

    source, name = split_target(target)
    if is_path(source):
        source = os.path.abspath(source)
    return source if name is None else f"{source}:{name}"


def show_summary(flow: Flow, state: State, recorder: RunRecorder, display: Display) -> None:
    """The summary table on stdout: rich on a terminal, plain text otherwise, or JSON."""
    rows = recorder.rows()
    elapsed = (recorder.ended or recorder.started) - recorder.started
    run_id = state.context.get("flow_run_id")
    if display.as_json:
        echo(json.dumps({
            "flow": flow.name, "flow_run_id": run_id, "state": type(state).__name__,
            "message": state.message, "duration": elapsed,
            "tasks": json.loads(rows_json(rows)),
        }, default=str))
        return
    short = f" (run {run_id[:8]})" if display.journal and run_id else ""
    title = (f"Flow run {flow.name!r}{short}: {type(state).__name__} in "
             f"{format_duration(elapsed)} - {state.message}")
    if sys.stdout.isatty() and rich_available():
        from rich.console import Console

        Console().print(rich_table(rows, title=title))
    else:
        echo(title)
        echo(plain_table(rows))
    if display.journal and run_id and not state.is_successful():
        from prefectlite.persistence.records import resume_command

        echo(f"Resume it with: {resume_command(display.flow_file, run_id[:8])}")
        from prefectlite import settings
        from prefectlite.cli.ui import dashboard_url

        url = dashboard_url(run_id, settings.journal_path())
        if url:
            echo(f"See it in the dashboard: {url}")
