"""Persistence: the run journal, its rows and log records, journaled runs, resuming and the
persisted cache.

This package sits above the engine: it imports the engine (states, results, the walk, the
:class:`~prefectlite.engine.observers.RunObserver` it implements), never the other way.
The engine reaches it in two ways only: a run with ``journal=``/``resume=`` is prepared by
:func:`prefectlite.persistence.runs.journaled_run`, which this package registers with
:mod:`prefectlite.engine.hooks` when imported (``import prefectlite`` imports it), and the
task runner asks the run context's ``_journal_cache`` (a
:class:`~prefectlite.persistence.cache.JournalCache`) for persisted cache entries. Nothing
here is loaded by a plain ``flow.run()``: importing this package imports only the hook.

:func:`replay` calls one recorded task run's function again with its recorded inputs
(:mod:`prefectlite.persistence.replaying`).
"""

from typing import Any

from prefectlite.engine.hooks import register_journal_setup


def _journaled_run(flow: Any, run_kwargs: dict[str, Any], journal: Any,
                   resume: str | None, **options: Any) -> dict[str, Any]:
    from prefectlite.persistence.runs import journaled_run  # the journal, loaded when used

    return journaled_run(flow, run_kwargs, journal, resume, **options)


def replay(run_id: str, task: str, map_index: int | None = None, **options: Any) -> Any:
    """Call the function of task ``task`` (a slug or a name, ``"name[3]"`` for a mapped
    child) of journaled run ``run_id`` again, here, with its recorded inputs; return its
    result or raise its exception. Options: ``flow``, ``inputs``, ``journal``, ``debug``;
    see :func:`prefectlite.persistence.replaying.replay`."""
    from prefectlite.persistence.replaying import replay as replay_task

    return replay_task(run_id, task, map_index, **options)


register_journal_setup(_journaled_run)
