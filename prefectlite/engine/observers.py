"""What a flow run tells the code watching it: :class:`RunObserver`.

The flow runner calls its observers on the driver, in the order the events happen; the run
journal (:mod:`prefectlite.persistence.recorder`) and the CLI's progress display
(:mod:`prefectlite.cli.progress`) are observers. This module sits at the bottom of the
engine so that the layers above it (persistence, cli) can implement an observer without
importing the flow runner, and the flow runner can call one without knowing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.core.task import Task
    from prefectlite.engine.state import State

__all__ = ["RunObserver"]


class RunObserver:
    """Receives the events of a flow run on the driver (the run journal is one).

    Every method does nothing here; override what you need. ``task_run_finished`` is called
    for every state a run ends in, ``Retrying`` included, with ``map_index=None`` for a whole
    task (a mapped task's ``Mapped`` state comes right after its last child's). An exception
    raised by an observer stops the run: an observer that records the run must not lose it
    silently.
    """

    def flow_run_started(self, flow: Flow, context: dict[str, Any]) -> None:
        """The run begins; ``context`` has ``flow_run_id``, ``parameters``, ..."""

    def task_states_given(self, task_states: dict[Task, State]) -> None:
        """Right after ``flow_run_started``: the states the run starts from
        (``task_states=``, or what a resumed run restored; often none); finished ones are
        not run."""

    def task_run_finished(self, task: Task, map_index: int | None, state: State) -> None:
        """A run of ``task`` (child ``map_index`` of a mapped task) ended in ``state``."""

    def flow_run_finished(self, flow: Flow, state: State) -> None:
        """The run ended in ``state`` (its ``result`` maps tasks to states)."""
