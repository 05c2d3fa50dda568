"""``ifelse``, ``switch``, ``merge`` and the ``CompareValue`` task they build on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefectlite import triggers
from prefectlite.core.task import Task
from prefectlite.engine import signals
from prefectlite.utilities.tasks import as_task, tags

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow


class CompareValue(Task):
    """Succeed when its input equals ``value``; otherwise raise ``SKIP``.

    Examples
    --------
    >>> CompareValue("a").run("a") is None
    True
    """

    #: inside ``apply_map``, a condition on unmapped inputs only is not mapped (runs once)
    _unmapped_condition = True

    def __init__(self, value: Any, **kwargs: Any) -> None:
        self.value = value
        kwargs.setdefault("name", f"CompareValue: {value!r}")
        super().__init__(**kwargs)

    def run(self, value: Any) -> None:
        if value != self.value:
            raise signals.SKIP(f"Provided value {value!r} did not match {self.value!r}.")


def switch(condition: Any, cases: dict[Any, Any], mapped: bool = False,
           flow: Flow | None = None) -> None:
    """Run the task of ``cases`` whose key equals the result of ``condition``; skip the rest.

    Each task in ``cases`` gets a ``CompareValue`` upstream; the tasks downstream of a
    skipped branch are skipped too unless they set ``skip_on_upstream_skip=False``.
    """
    with tags("switch"):
        for value, branch in cases.items():
            branch = as_task(branch, flow=flow)
            match = CompareValue(value).bind(value=condition, mapped=mapped, flow=flow)
            branch.set_dependencies(flow=flow, upstream_tasks=[match], mapped=mapped)


class _AsBool(Task):
    _unmapped_condition = True  # see CompareValue

    def run(self, x: Any) -> bool:
        return bool(x)


def ifelse(condition: Any, true_task: Any, false_task: Any, mapped: bool = False,
           flow: Flow | None = None) -> None:
    """Run ``true_task`` when ``condition``'s result is truthy, else ``false_task``."""
    branches = {v: t for v, t in ((True, true_task), (False, false_task)) if t is not None}
    if branches:
        condition = _AsBool(name="as_bool").bind(x=condition, mapped=mapped, flow=flow)
        switch(condition, branches, mapped=mapped, flow=flow)


class Merge(Task):
    """Return the first input that is not ``None`` (the result of the branch that ran).

    A skipped branch passes ``None``, or the ``SKIP`` signal when the branch raised it
    itself; both are passed over.
    """

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.setdefault("skip_on_upstream_skip", False):
            raise ValueError(
                "Merge tasks must have `skip_on_upstream_skip=False`: a merge runs precisely "
                "when some of its branches were skipped."
            )
        kwargs.setdefault("trigger", triggers.not_all_skipped)
        super().__init__(**kwargs)

    def run(self, **task_results: Any) -> Any:
        ordered = sorted(task_results.items(), key=lambda kv: int(kv[0].split("_")[1]))
        return next((v for _, v in ordered
                     if v is not None and not isinstance(v, signals.SKIP)), None)


def merge(*tasks: Any, flow: Flow | None = None, mapped: bool = False, **kwargs: Any) -> Task:
    """A task whose result is that of the first of ``tasks`` that ran (was not skipped).

    It is skipped itself when every branch was skipped. ``kwargs`` go to the ``Merge`` task's
    constructor (``name``, ``checkpoint``, ``tags`` ...).
    """
    if not tasks:
        raise ValueError("merge() needs at least one task, e.g. merge(branch_a, branch_b).")
    return Merge(**kwargs).bind(**{f"task_{i}": t for i, t in enumerate(tasks, 1)}, flow=flow,
                        mapped=mapped)
