"""``Parameter``: a root task whose value is supplied when the flow runs.

A Parameter's slug is its name, so one flow cannot hold two Parameters of the same name.
Its value comes from ``flow.run(parameters={...})`` (or ``flow.run(name=value)``), found in
``context.parameters`` while the flow runs; otherwise its default is used.

A prefectlite addition: ``Parameter("n", default=1, type=int)`` converts every value a run
is given (``flow.run``, ``prefectlite run -p``/``--params-file``, a schedule's clocks, a
resumed run's parameters) to ``type`` before anything runs, with the rules of
:mod:`prefectlite.utilities.coercion` (pydantic's lax mode for builtins, any type pydantic
can validate when it is installed). A value that does not fit stops the run before its first
task, naming the parameter, the value and the type (see :func:`coerce_parameters`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prefectlite.core.task import Task
from prefectlite.engine.signals import FAIL
from prefectlite.exceptions import ParameterError
from prefectlite.utilities.coercion import Invalid, coerce, type_name
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
    tags
        Tags of the Parameter task.
    type
        A type (``int``, ``list[str]``, ``datetime.date``, a pydantic model, ...) every value
        given to a run is converted to before the run starts; ``None`` (the default) takes
        values as given. A default other than ``None`` must fit it too. A prefectlite
        addition (Prefect 1's Parameter has no type).
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
    >>> Parameter("n", default=1, type=int).coerce("42")
    42
    """

    _root_only = True  # never joins an open case / resource block

    def __init__(
        self,
        name: str,
        default: Any = no_default,
        required: bool | None = None,
        tags: Iterable[str] | None = None,
        type: Any = None,  # noqa: A002 - the keyword users write
        secret: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"A Parameter needs a non-empty string name, got {name!r}.")
        if required is None:
            required = default is no_default
        self.required = required
        self.type = type
        self.default = None
        self.secret = bool(secret)
        extra = {"checkpoint": False} if secret else {}  # its value is written nowhere
        super().__init__(name=name, slug=name, tags=tags, **extra)
        if type is not None and default is not no_default and default is not None:
            try:
                default = coerce(default, type)
            except Invalid as exc:
                raise ValueError(
                    f"Parameter {name!r}: its default does not fit type={type_name(type)} "
                    f"({exc}); give a default of that type, or change type=."
                ) from None
        self.default = None if default is no_default else default

    def coerce(self, value: Any) -> Any:
        """``value`` converted to this Parameter's ``type`` (unchanged without one, and for
        its default); raises :class:`~prefectlite.exceptions.ParameterError` naming the
        parameter, the value and the type when it does not fit."""
        if self.type is None or value is self.default:
            return value
        try:
            return coerce(value, self.type)
        except Invalid as exc:
            raise ParameterError(
                f"parameter {self.name!r} expects {type_name(self.type)}: {exc}"
            ) from None

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


def coerce_parameters(parameters: Iterable[Parameter], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each typed Parameter's value converted to its type.

    Raises one :class:`~prefectlite.exceptions.ParameterError` listing every value that does
    not fit (a value for an unknown name is left alone: the run's other checks report it).

    Examples
    --------
    >>> n, day = Parameter("n", type=int), Parameter("day", default="x")
    >>> coerce_parameters([n, day], {"n": "3", "day": "monday"})
    {'n': 3, 'day': 'monday'}
    >>> try:
    ...     coerce_parameters([n], {"n": "three"})
    ... except ValueError as exc:
    ...     print(exc)
    Flow run received invalid parameters:
     - parameter 'n' expects int: Input should be a valid integer, got 'three'
    """
    out = dict(values)
    problems = []
    for param in sorted(parameters, key=lambda p: p.name):  # a stable order for the message
        if param.type is not None and param.name in out:
            try:
                out[param.name] = param.coerce(out[param.name])
            except ParameterError as exc:
                problems.append(str(exc))
    if problems:
        raise ParameterError("Flow run received invalid parameters:\n" +
                             "\n".join(f" - {p}" for p in problems))
    return out
