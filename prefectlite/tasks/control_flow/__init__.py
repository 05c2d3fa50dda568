"""Control flow as graph nodes: ``case`` blocks, ``ifelse``, ``switch`` and ``merge``.

Branches are decided at run time by ``CompareValue`` tasks that raise ``SKIP`` when their
value does not match; the tasks of a branch are downstream of it and so are skipped with it
(``skip_on_upstream_skip``). ``merge`` collects the branch that ran; ``FilterTask`` keeps the
good results of a mapped task.
"""

from prefectlite.tasks.control_flow.case import case
from prefectlite.tasks.control_flow.conditional import CompareValue, ifelse, merge, switch
from prefectlite.tasks.control_flow.filter import FilterTask

__all__ = ["case", "CompareValue", "FilterTask", "ifelse", "merge", "switch"]
