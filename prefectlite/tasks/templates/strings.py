"""``StringFormatter``: a ``str.format`` template rendered with task inputs and the context."""

from __future__ import annotations

from typing import Any

from prefectlite.core.task import Task
from prefectlite.utilities.context import context

__all__ = ["StringFormatter"]


class StringFormatter(Task):
    """Render a ``str.format`` template with the call's keyword arguments and the context.

    The fields may name any keyword argument given when the task is called (upstream results
    included) or any key of :data:`prefectlite.context` (``today``, ``flow_name``,
    ``parameters``...); keyword arguments win over context keys of the same name.

    Parameters
    ----------
    template
        The default template; a ``template=`` given at call time replaces it.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument.

    Examples
    --------
    >>> from prefectlite import Flow
    >>> greet = StringFormatter(template="Hi {name}, this is {flow_name}.")
    >>> with Flow("greetings") as flow:
    ...     text = greet(name="Marvin")
    >>> flow.run().result[text].result
    'Hi Marvin, this is greetings.'
    """

    def __init__(self, template: str | None = None, **kwargs: Any) -> None:
        self.template = template or ""
        super().__init__(**kwargs)

    def run(self, template: str | None = None, **format_kwargs: Any) -> str:
        """Return ``template`` (default ``self.template``) formatted with the values."""
        if template is None:
            template = self.template
        with context(**format_kwargs) as data:
            try:
                return template.format(**data)
            except KeyError as exc:
                raise KeyError(
                    f"Template field {exc.args[0]!r} of task {self.name!r} is neither a keyword "
                    f"argument of the call nor a context key; pass {exc.args[0]}=... when "
                    "calling the task."
                ) from None
