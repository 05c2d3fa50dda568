"""``JinjaTemplate``: a Jinja2 template rendered with task inputs and the context.

Needs the ``templates`` extra (``pip install 'prefectlite[templates]'``, i.e. Jinja2).
"""

from __future__ import annotations

from typing import Any

try:
    from jinja2 import Template
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "Using `prefectlite.tasks.templates.jinja2` requires Jinja2: install prefectlite with "
        "the 'templates' extra (pip install 'prefectlite[templates]')."
    ) from exc

from prefectlite.core.task import Task
from prefectlite.utilities.context import context
from prefectlite.utilities.tasks import defaults_from_attrs

__all__ = ["JinjaTemplate"]


class JinjaTemplate(Task):
    """Render a Jinja2 template with the call's keyword arguments and the context.

    Variables are the keyword arguments given when the task is called (upstream results
    included) and every key of :data:`prefectlite.context`; keyword arguments win. An
    undefined variable renders as an empty string, as Jinja2 does by default.

    Parameters
    ----------
    template
        The default template; a ``template=`` given at call time replaces it.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument.

    Examples
    --------
    >>> from prefectlite import Flow
    >>> report = JinjaTemplate(template="{% for n in rows %}{{ n }};{% endfor %}")
    >>> with Flow("report") as flow:
    ...     text = report(rows=[1, 2, 3])
    >>> flow.run().result[text].result
    '1;2;3;'
    """

    def __init__(self, template: str | None = None, **kwargs: Any) -> None:
        self.template = template or ""
        super().__init__(**kwargs)

    @defaults_from_attrs("template")
    def run(self, template: str | None = None, **format_kwargs: Any) -> str:
        """Return ``template`` (default ``self.template``) rendered with the values."""
        if template is None:
            raise TypeError(f"{type(self).__name__} {self.name!r} has no template: give "
                            "template= to the task or to run().")
        compiled = Template(template)
        with context(**format_kwargs) as data:
            rendered: str = compiled.render(**data)
            return rendered
