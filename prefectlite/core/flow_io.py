"""What a flow does besides being a graph: files, pictures, and the run entry.

:class:`FlowIO` is a base class of :class:`~prefectlite.core.flow.Flow`. ``run()`` hands the
flow to the engine (:mod:`prefectlite.engine.run_setup`), imported only then: building a
flow never loads the runners. That call is the one import from core/ into the engine's
runners (the layering test names it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from prefectlite.configuration import config as _config

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow
    from prefectlite.core.parameter import Parameter
    from prefectlite.core.task import Task
    from prefectlite.engine.state import State


def _saved_flow_path(name: str) -> Path:
    """Where ``save()`` puts a flow by default: ``{home_dir}/flows/{slugified name}.prefect``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Path(os.path.expanduser(str(_config.home_dir))) / "flows" / f"{slug}.prefect"


class FlowIO:
    """Saving and loading, pictures, and ``run()``."""

    if TYPE_CHECKING:
        name: str
        _tokens: list[Any]

        def parameters(self) -> set[Parameter]: ...

    def save(self, fpath: str | os.PathLike[str] | None = None) -> str:
        """Write the flow (cloudpickled) to ``fpath``; return the path written.

        The default is ``{home_dir}/flows/{slugified name}.prefect`` under the configuration's
        ``home_dir``. ``Flow.load`` reads it back.
        """
        import cloudpickle

        path = _saved_flow_path(self.name) if fpath is None else Path(fpath)
        if fpath is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cloudpickle.dumps(self))
        return str(path)

    @classmethod
    def load(cls, fpath: str | os.PathLike[str]) -> Flow:
        """Read a flow written by ``save()``: from an absolute path, or by the flow's name (or
        its slugified name) from the default place under ``home_dir``."""
        import cloudpickle

        path = Path(fpath)
        if not path.is_absolute():
            path = _saved_flow_path(str(fpath))
        from prefectlite.core.flow import Flow

        flow = cloudpickle.loads(path.read_bytes())
        if not isinstance(flow, Flow):
            raise TypeError(f"{str(path)!r} holds {type(flow).__name__}, not a Flow.")
        return flow

    # -- pictures ----------------------------------------------------------------------

    def to_dot(self, flow_state: State | None = None) -> str:
        """The flow as Graphviz DOT text (no Graphviz needed); colours from ``flow_state``."""
        from prefectlite.utilities.visualization import to_dot

        return to_dot(cast("Flow", self), flow_state)

    def to_mermaid(self, flow_state: State | None = None) -> str:
        """The flow as a Mermaid ``flowchart`` (renders in Markdown viewers, no binary needed)."""
        from prefectlite.utilities.visualization import to_mermaid

        return to_mermaid(cast("Flow", self), flow_state)

    def visualize(
        self, flow_state: State | None = None, filename: str | None = None,
        format: str | None = None,
    ) -> Any:
        """A ``graphviz.Digraph`` of the flow; with ``filename``, also rendered to a file.

        Needs the ``viz`` extra (``pip install "prefectlite[viz]"``) and, to render, the
        Graphviz ``dot`` program. ``to_dot()`` and ``to_mermaid()`` need neither.
        """
        from prefectlite.utilities.visualization import visualize

        return visualize(cast("Flow", self), flow_state, filename, format)

    # -- running -----------------------------------------------------------------------

    def run(
        self,
        parameters: dict[str, Any] | None = None,
        run_on_schedule: bool | None = None,
        executor: Any = None,
        task_states: dict[Task, State] | None = None,
        context: dict[str, Any] | None = None,
        journal: Any = None,
        resume: str | None = None,
        **kwargs: Any,
    ) -> State:
        """Run the flow and return its final state (see :mod:`prefectlite.engine.run_setup`).

        A keyword argument named after one of the flow's Parameters is its value:
        ``flow.run(name="Marvin")`` is ``flow.run(parameters={"name": "Marvin"})``; any other
        keyword that is no option of ``run`` is a ``TypeError`` (as in Prefect 1, where it
        went on to ``FlowRunner.run``).

        ``journal=True`` (or a path, or a ``RunStore``) records the run in the run journal,
        ``$PREFECTLITE_HOME/prefectlite.db``; the run's id is
        ``state.context["flow_run_id"]``. ``resume=RUN_ID`` (or ``"latest"``) runs again
        only what that journaled run did not finish, with its parameters unless given anew
        (see :mod:`prefectlite.persistence.resume`).
        """
        from prefectlite.engine.run_setup import run_flow

        context = self._check_run_arguments(kwargs, context)
        return run_flow(
            cast("Flow", self), parameters=parameters, run_on_schedule=run_on_schedule,
            executor=executor, task_states=task_states, context=context, journal=journal,
            resume=resume, **kwargs,
        )

    def _check_run_arguments(
        self, kwargs: dict[str, Any], context: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Refuse what ``run()`` cannot take; return the run's context (``flow_run_name``
        moves into it from ``kwargs``)."""
        from prefectlite.engine.run_setup import RUN_OPTIONS

        if self._tokens:
            raise RuntimeError(
                f"Don't call `flow.run()` from within a `Flow` context manager (flow "
                f"{self.name!r}): build the flow inside `with Flow(...) as flow:` and call "
                "`flow.run()` after the block."
            )
        if "return_tasks" in kwargs:
            raise ValueError(
                "The `return_tasks` keyword cannot be provided to `flow.run()`; all task "
                "states are always returned (flow_state.result maps each task to its state)."
            )
        if "flow_run_name" in kwargs:  # Prefect 1: a keyword of run() that names the run
            context = {**(context or {}), "flow_run_name": kwargs.pop("flow_run_name")}
        if kwargs:
            names = {p.name for p in self.parameters()}
            unknown = sorted(k for k in kwargs if k not in names and k not in RUN_OPTIONS)
            if unknown:
                raise TypeError(
                    f"Flow.run() got unexpected keyword argument(s) {', '.join(unknown)}: "
                    f"neither Parameters of flow {self.name!r} (its Parameters: "
                    f"{', '.join(sorted(names)) or 'none'}) nor options of run(). Pass values "
                    "of Parameters by name or as flow.run(parameters={...})."
                )
        return context
