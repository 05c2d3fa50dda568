"""Template tasks: ``StringFormatter`` (``str.format``) and ``JinjaTemplate`` (Jinja2).

``JinjaTemplate`` is available when Jinja2 is installed (the ``templates`` extra).
"""

from prefectlite.tasks.templates.strings import StringFormatter

try:
    from prefectlite.tasks.templates.jinja2 import JinjaTemplate
except ImportError:  # Jinja2 is optional; importing .jinja2 directly says how to install it
    pass

__all__ = ["JinjaTemplate", "StringFormatter"]
