"""``Parameter``: a root task whose value is supplied when the flow runs.

A Parameter's slug is its name, so one flow cannot hold two Parameters of the same name.
Its value comes from ``flow.run(parameters={...})`` (or ``flow.run(name=value)``), found in
``context.parameters`` while the flow runs; otherwise its default is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prefectlite.core.task import Task
from prefectlite.engine.signals import FAIL
from prefectlite.utilities.context import context

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow


class _NoDefault:
    def __repr__(self) -> str:
        return "no_default"


no_default: Any = _NoDefault()


class Parameter(Task):
    """A value supplied at run time.

    Parameters
    ----------
    name
        The parameter's name (also its slug); must be unique within a flow.
    default
        Value used when the run does not supply one.
    required
        Whether a run must supply a value (default: ``True`` exactly when no default is given).
    secret
        The value is a secret (a password, a token): it is never stored (not in the run
        journal, not as a result file) nor shown (``prefectlite runs``, the dashboard). A
        prefectlite addition (Prefect 1 has no such flag). Resuming a run needs the value
        again (``flow.run(resume=..., name=value)``), as its default when it has one.

    Examples
    --------
    >>> Parameter("x", default=1)
    <Parameter: x>
    >>> Parameter("x", default=1).required, Parameter("y").required
    (False, True)
    """

    _root_only = True  # never joins an open case / resource block

    def __init__(
        self,
        name: str,
        default: Any = no_default,
        required: bool | None = None,
        tags: Iterable[str] | None = None,
        secret: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"A Parameter needs a non-empty string name, got {name!r}.")
        if required is None:
            required = default is no_default
        self.required = required
        self.default = None if default is no_default else default
        self.secret = bool(secret)
        extra = {"checkpoint": False} if secret else {}  # its value is written nowhere
        super().__init__(name=name, slug=name, tags=tags, **extra)

    def __repr__(self) -> str:
        return f"<Parameter: {self.name}>"

    def copy(self, name: str, **task_args: Any) -> Task:  # type: ignore[override]
        """A copy under a new ``name`` (Parameter names must be unique within a flow)."""
        new = super().copy(**task_args)
        new.name = new.slug = name
        return new

    def __call__(self, flow: Flow | None = None) -> Parameter:  # type: ignore[override]
        """Add this Parameter to the active (or given) flow and return it."""
        self._resolve_flow(flow, "add").add_task(self)
        return self

    def bind(self, *args: Any, **kwargs: Any) -> Task:
        if args or set(kwargs) - {"flow", "mapped", "upstream_tasks"}:
            raise TypeError(f"{self!r} takes no inputs: its value comes from the flow run.")
        return super().bind(**kwargs)

    def run(self) -> Any:
        values = context.get("parameters") or {}
        if self.name in values:
            return values[self.name]
        if self.required:  # Prefect 1: the run of this Parameter fails, with this message
            raise FAIL(f'Parameter "{self.name}" was required but not provided.')
        return self.default


class DateTimeParameter(Parameter):
    """A Parameter whose value is a ``pendulum.DateTime``: a string is parsed (ISO 8601), a
    ``datetime`` converted; ``None`` stays ``None``. Required by default (as in Prefect 1):
    pass ``required=False`` to allow a run without a value (then it is ``None``)."""

    def __init__(
        self, name: str, default: Any = no_default, required: bool = True,
        tags: Iterable[str] | None = None,
    ) -> None:
        super().__init__(name=name, default=default, required=required, tags=tags)

    def run(self) -> Any:
        value = super().run()
        if value is None:
            return None
        import datetime

        import pendulum

        if isinstance(value, str):
            return pendulum.parse(value)
        if isinstance(value, datetime.datetime) and not isinstance(value, pendulum.DateTime):
            return pendulum.instance(value)
        return value
