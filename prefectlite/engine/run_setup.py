"""Setting up a flow run: what ``flow.run()`` and ``prefectlite run`` call.

:func:`run_flow` is ``Flow.run``: it sorts its keyword arguments into parameter values and
run options (a Parameter's name wins over an option of the same name, as in Prefect 1),
checks the parameters, configures logging and calls :func:`run_with`, which the command
line calls directly with its own observers (it checks parameters and sets up logging
itself). :func:`run_with`

* starts from a ``Scheduled`` state for now and puts ``scheduled_start_time`` in the
  context,
* fills the result keys of the context (:func:`prefectlite.engine.checkpointing.run_context`),
  or, with ``journal=``/``resume=``, lets the run journal prepare the run (its recorder
  joins the ``observers``; see :mod:`prefectlite.engine.hooks`),
* runs once with :class:`~prefectlite.engine.flow_runner.FlowRunner`, retries waited for
  within the run and every task's state in the result, or, for a flow with a ``schedule``
  (unless ``run_on_schedule=False``, a resumed run, or the configuration's
  ``flows.run_on_schedule`` says no), at each scheduled time through the schedule loop of
  :mod:`prefectlite.engine.scheduling`, returning the last run's state.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.parameter import coerce_parameters
from prefectlite.core.task import Task
from prefectlite.engine.checkpointing import run_context
from prefectlite.engine.flow_runner import FlowRunner, not_evaluated
from prefectlite.engine.hooks import prepare_journaled_run
from prefectlite.engine.limits import merge_limits
from prefectlite.engine.observers import RunObserver
from prefectlite.engine.scheduling import run_on_schedule
from prefectlite.engine.state import Cancelled, Scheduled, State
from prefectlite.exceptions import ParameterError
from prefectlite.executors.base import Executor
from prefectlite.utilities.logging import configure_logging

__all__ = ["RUN_OPTIONS", "check_parameters", "run_flow", "run_with"]

logger = logging.getLogger("prefectlite.FlowRunner")

#: the keyword arguments of ``flow.run()`` that are options, not parameter values
RUN_OPTIONS = ("parameters", "run_on_schedule", "executor", "task_states", "context",
               "journal", "resume", "resume_wait", "task_contexts",
               "task_runner_state_handlers", "state", "observers", "task_concurrency",
               "rerun")


def run_flow(flow: Flow, **kwargs: Any) -> State:
    """What ``Flow.run`` does: once, or on the flow's schedule until it runs out or Ctrl-C.

    Unlike a bare ``FlowRunner.run``, retries are waited for within the run and every
    task's state is returned. ``journal`` (``True``, a path, or a ``RunStore``) records the
    run in the run journal; ``resume`` (a run id, or ``"latest"``) reruns what a journaled
    run did not finish, once (see :mod:`prefectlite.persistence.resume`); a run another
    process is resuming is refused, or waited for with ``resume_wait=True`` (or seconds);
    ``rerun`` (task names or slugs, with ``resume``) runs those tasks again and everything
    downstream of them; ``task_concurrency`` caps runs per tag (:mod:`prefectlite.engine.limits`);
    ``observers`` (:class:`~prefectlite.engine.observers.RunObserver`) are told of each
    run's progress.
    """
    names = {p.name for p in flow.parameters()}  # a Parameter's name wins over an option
    options = {k: kwargs.pop(k) for k in RUN_OPTIONS
               if k in kwargs and (k == "parameters" or k not in names)}
    parameters = {**(options.pop("parameters", None) or {}), **kwargs}
    check_parameters(flow, parameters)
    parameters = coerce_parameters(flow.parameters(), parameters)  # a misfit raises here
    configure_logging()
    return run_with(flow, parameters, **options)


def run_with(
    flow: Flow, parameters: dict[str, Any] | None = None, *,
    executor: Executor | None = None, context: dict[str, Any] | None = None,
    task_states: dict[Task, State] | None = None,
    task_contexts: dict[Task, dict[str, Any]] | None = None,
    task_runner_state_handlers: Iterable[Callable[..., Any]] | None = None,
    state: State | None = None, journal: Any = None, resume: str | None = None,
    resume_wait: bool | float = False, flow_file: str | None = None,
    observers: Iterable[RunObserver] = (), run_on_schedule: bool | None = None,
    task_concurrency: Mapping[str, int] | None = None, rerun: Iterable[str] = (),
) -> State:
    """Run ``flow`` as :func:`run_flow` does, with the options given by name (see the
    module docstring); ``parameters`` are not checked here. ``flow_file`` is what the
    journal records as the flow's source, for the resume command."""
    if rerun and resume is None:
        raise ValueError("rerun= names tasks to run again in a resumed run: give resume= "
                         "(a journaled run's id, or 'latest') too.")
    limits = _limits(task_concurrency)
    if limits:
        context = {**(context or {}), "task_concurrency": limits}
    state = state or Scheduled(message="Flow run scheduled.",
                               start_time=datetime.datetime.now(datetime.UTC))
    start = getattr(state, "start_time", None) or datetime.datetime.now(datetime.UTC)
    run_kwargs: dict[str, Any] = dict(
        parameters=dict(parameters or {}), executor=executor, task_states=task_states,
        context={**(context or {}), "scheduled_start_time": start},
        task_contexts=task_contexts, task_runner_state_handlers=task_runner_state_handlers,
        state=state, return_tasks=flow.tasks, wait_for_retries=True,
        observers=list(observers))
    if journal or resume is not None:
        run_kwargs = prepare_journaled_run(flow, run_kwargs, journal, resume,
                                           wait=resume_wait or False, flow_file=flow_file,
                                           rerun=list(rerun))
    else:
        run_kwargs["context"] = run_context(flow, run_kwargs["context"])
    runner = FlowRunner(flow)
    if not _on_schedule(flow, run_on_schedule, resume):
        return with_all_tasks(flow, runner.run(**run_kwargs))
    return _run_scheduled(flow, runner, run_kwargs)


def _limits(given: Mapping[str, int] | None) -> dict[str, int]:
    """The run's tag concurrency limits: the configuration's ``[task_concurrency]`` table
    overridden tag by tag by ``task_concurrency=`` (a bad entry is a ``ValueError`` now)."""
    from prefectlite import settings

    configured = settings.current_config().get("task_concurrency") or {}
    return merge_limits(configured, given)


def _on_schedule(flow: Flow, asked: bool | None, resume: str | None) -> bool:
    if flow.schedule is None or asked is False or resume is not None:
        return False  # a resumed run finishes one run; it does not start a schedule
    if asked is None:
        from prefectlite import settings

        return bool(settings.current_config().get("flows", {}).get("run_on_schedule", True))
    return True


def _run_scheduled(flow: Flow, runner: FlowRunner, run_kwargs: dict[str, Any]) -> State:
    """Run at each time of ``flow.schedule``: each run's parameters are the given ones
    overlaid with the clock's ``parameter_defaults`` (Prefect 1's order)."""
    def run(event: Any) -> State:
        params = {**run_kwargs["parameters"], **(event.parameter_defaults or {})}
        ctx = {**(run_kwargs["context"] or {}), "scheduled_start_time": event.start_time}
        return runner.run(**{**run_kwargs, "parameters": params, "context": ctx})

    def announce(event: Any) -> None:
        logger.info("Waiting for scheduled run of %r at %s", flow.name, event.start_time)

    done = run_on_schedule(flow.schedule, run, announce=announce)
    if done.last is None:
        if done.exhausted:
            raise ValueError(f"Flow {flow.name!r} has no more scheduled runs.")
        return Cancelled(message="Stopped before the first scheduled run.")
    return with_all_tasks(flow, done.last)


def with_all_tasks(flow: Flow, state: State) -> State:
    """``flow.run()`` always returns a state whose result maps every task to a state."""
    if not isinstance(state.result, dict):
        state.result = {}
    result = state.result
    for task in flow.tasks:
        if task not in result:
            result[task] = not_evaluated()
    return state


def check_parameters(flow: Flow, parameters: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` for unknown names or missing required Parameters."""
    known = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"Flow.run received the following unexpected parameters: {', '.join(unknown)}. "
            f"Flow {flow.name!r} has no parameter(s) {', '.join(map(repr, unknown))}; its "
            f"parameters are: {', '.join(sorted(known)) or '(none)'}."
        )
    missing = sorted(n for n, p in known.items() if p.required and n not in parameters)
    if missing:
        raise ParameterError(
            "Flow.run did not receive the following required parameters: "
            f"{', '.join(missing)}. Flow {flow.name!r} needs a value for the required parameter(s) "
            f"{', '.join(map(repr, missing))}: pass them to flow.run(name=value) or "
            "flow.run(parameters={...})."
        )
