"""Where a layer above the engine plugs into run setup: the run journal.

The engine runs flows without knowing the run journal, which lives above it in
:mod:`prefectlite.persistence` (that package imports the engine, never the other way). A
run that asks for the journal (``flow.run(journal=True)``, ``resume=``) is prepared by the
function registered here: ``prefectlite.persistence`` registers it when it is imported,
and ``import prefectlite`` imports it, so it is in place before any run.

The task runner's journal step, the persisted cache, is reached the other way, through the
run's context (see :func:`prefectlite.engine.checkpointing.journal_cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["JournalSetup", "prepare_journaled_run", "register_journal_setup"]

#: ``setup(flow, run_kwargs, journal, resume, **options) -> run_kwargs``: the
#: ``FlowRunner.run`` arguments of a journaled (and maybe resumed) run, with the journal's
#: observer added (options: ``wait``, ``flow_file``; see
#: :func:`prefectlite.persistence.runs.journaled_run`)
JournalSetup = Callable[..., dict[str, Any]]

_setup: list[JournalSetup] = []


def register_journal_setup(setup: JournalSetup) -> None:
    """Make ``setup`` the preparation of journaled runs (replacing any earlier one)."""
    _setup[:] = [setup]


def prepare_journaled_run(flow: Any, run_kwargs: dict[str, Any], journal: Any,
                          resume: str | None, **options: Any) -> dict[str, Any]:
    """``run_kwargs`` for a run with ``journal=``/``resume=``, by the registered setup."""
    if not _setup:
        raise RuntimeError(
            "journal= and resume= need the run journal (prefectlite.persistence), which "
            "registers itself when imported; `import prefectlite.persistence` first."
        )
    return _setup[0](flow, run_kwargs, journal, resume, **options)
