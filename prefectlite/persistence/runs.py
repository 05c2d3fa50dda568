"""Journaled runs: preparing one (``flow.run(journal=True)``) and reading one back.

:func:`journaled_run` is the setup the engine calls (through
:mod:`prefectlite.engine.hooks`, where this package registers it) for a run with
``journal=`` or ``resume=``: it opens the run journal, fills the journal's keys of the run
context (:func:`prefectlite.engine.checkpointing.run_context`, plus the journal's path,
its default ``JournalResult``, the persisted cache,
:class:`~prefectlite.persistence.cache.JournalCache`, and the
:class:`~prefectlite.persistence.inputs.InputRecorder` that records each task run's
inputs), adds the
:class:`~prefectlite.persistence.recorder.JournalRecorder` that writes the run to the
observers, and, when resuming, the restored ``task_states``
(:mod:`prefectlite.persistence.resume`).

:func:`run_states` reads back the states a journaled run recorded, by task.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Collection
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import state as _states
from prefectlite.engine.checkpointing import run_context
from prefectlite.engine.results.journal_result import JournalResult
from prefectlite.engine.state import Mapped, Pending, State
from prefectlite.persistence.cache import JournalCache
from prefectlite.persistence.inputs import InputRecorder, max_input_bytes, secret_inputs
from prefectlite.persistence.journal import RunStore
from prefectlite.persistence.recorder import JournalRecorder
from prefectlite.persistence.records import TaskRunRecord, clean_text
from prefectlite.persistence.resume import claimed_restore, find_run, rerun_tasks

__all__ = ["flow_source", "journaled_run", "run_states"]

logger = logging.getLogger("prefectlite.FlowRunner")


def journaled_run(flow: Flow, run_kwargs: dict[str, Any], journal: Any,
                  resume: str | None, wait: bool | float = False,
                  flow_file: str | None = None, rerun: Collection[str] = ()) -> dict[str, Any]:
    """The ``FlowRunner.run`` arguments of a journaled (and maybe resumed) run.

    ``journal`` is ``True`` (the default journal), a path, or an open ``RunStore`` (which
    the run leaves open); ``resume`` a run id or ``"latest"``. Resuming claims the run
    first (:func:`~prefectlite.persistence.resume.claimed_restore`; ``wait`` says whether to
    wait for a run in progress); ``flow_file`` is recorded for the resume command (default:
    :func:`flow_source`); ``rerun`` names tasks the resumed run runs again, with
    everything downstream of them.
    """
    own = not isinstance(journal, RunStore)
    store = RunStore(journal if isinstance(journal, str | os.PathLike) else None) if own \
        else journal
    ctx = _journal_context(flow, run_kwargs.get("context"), store)
    parameters = dict(run_kwargs.get("parameters") or {})
    task_states = dict(run_kwargs.get("task_states") or {})
    options: dict[str, Any] = {"close_store": own, "flow_file": flow_file or flow_source(flow)}
    recorder = JournalRecorder(store, **options)
    if resume is not None:
        rerun_tasks(flow, rerun)  # an unknown name is an error before the run is claimed
        run_id = ctx.setdefault("flow_run_id", str(uuid.uuid4()))  # the claim names it
        try:
            restored = claimed_restore(store, flow, resume, run_id, parameters, wait, rerun)
        except BaseException:
            if own:
                store.close()
            raise
        parameters = restored.parameters
        task_states = {**restored.task_states, **task_states}
        recorder = JournalRecorder(store, resumed_from=restored.run.id, copied=restored.kept,
                                   **options)
        logger.info("Resuming flow run %s: %d task runs restored.", restored.run.id,
                    len(restored.kept))
    observers = [*run_kwargs.get("observers", ()), recorder]
    return {**run_kwargs, "parameters": parameters, "task_states": task_states,
            "context": ctx, "observers": observers}


def _journal_context(flow: Flow, context: dict[str, Any] | None,
                     store: RunStore) -> dict[str, Any]:
    ctx = run_context(flow, context, journaled=True) or {}
    if ctx.get("default_result") is None:
        ctx["default_result"] = JournalResult(dir=store.results_dir)
    ctx["journal"] = str(store.path)
    ctx["_journal_cache"] = JournalCache(str(store.path))
    cap = max_input_bytes()
    if cap > 0:  # each task run's inputs, for `prefectlite runs replay`
        ctx["_record_inputs"] = InputRecorder(cap, secret_inputs(flow))
    return ctx


def flow_source(flow: Flow) -> str | None:
    """Where ``flow`` comes from, as ``prefectlite run`` takes it (``path/to/flow.py:NAME``):
    the file defining its first task written in Python (``None`` when unknown)."""
    for task in flow.sorted_tasks():
        code = getattr(getattr(task, "run", None), "__code__", None)
        module = getattr(getattr(task, "run", None), "__module__", "") or ""
        if code is None or module.startswith("prefectlite.") or module == "prefectlite":
            continue
        path = code.co_filename
        if path.endswith(".py") and os.path.isfile(path):
            return f"{os.path.abspath(path)}:{flow.name}"
    return None


def run_states(flow: Flow, run_id: str, store: RunStore | None = None,
               results: bool = False) -> dict[Task, State]:
    """The states the journal recorded for run ``run_id`` of ``flow``, by task.

    Task runs the journal does not have are ``Pending``; with ``results``, stored results
    are read back (unreadable ones are left out).
    """
    if store is None:  # our own connection: close it when done
        with RunStore() as own:
            return run_states(flow, run_id, own, results)
    run = find_run(store, flow, run_id)
    rows = store.task_runs(run.id)
    by_slug: dict[str, dict[int | None, TaskRunRecord]] = {}
    for row in rows:
        by_slug.setdefault(row.task_slug, {})[row.map_index] = row
    states: dict[Task, State] = {}
    for task in flow.sorted_tasks():
        found = by_slug.get(clean_text(flow.slugs[task]), {})
        kids = sorted(i for i in found if i is not None)
        if kids:
            width = (found[None].n_map_states if None in found else None) or kids[-1] + 1
            kids_states = [_state_of(found[i], store, results) if i in found else Pending()
                           for i in range(width)]
            states[task] = Mapped(message=found[None].message if None in found else None,
                                  map_states=kids_states,
                                  result=[child.result for child in kids_states])
        elif None in found:
            states[task] = _state_of(found[None], store, results)
        else:
            states[task] = Pending(message="Task run did not start.")
    return states


def _state_of(row: TaskRunRecord, store: RunStore, results: bool) -> State:
    """The state a row records (its result read back when ``results``, if it can be)."""
    cls = getattr(_states, row.state, None)
    if not (isinstance(cls, type) and issubclass(cls, State)):
        cls = State
    value = None
    if results and row.result_location is not None:
        try:
            value = store.load_result(row)
        except Exception:
            value = None
    return cls(message=row.message) if value is None else cls(message=row.message,
                                                              result=value)
