"""Template tasks: ``StringFormatter`` (``str.format``) and ``JinjaTemplate`` (Jinja2).

``JinjaTemplate`` is available when Jinja2 is installed (the ``templates`` extra).
"""

import contextlib

from prefectlite.tasks.templates.strings import StringFormatter

# Jinja2 is optional; importing prefectlite.tasks.templates.jinja2 directly says how to get it.
with contextlib.suppress(ImportError):
    from prefectlite.tasks.templates.jinja2 import JinjaTemplate

__all__ = ["JinjaTemplate", "StringFormatter"]
