"""Plain values in the graph: ``Constant``, the collection tasks, and ``as_task``.

Plain values bound to task arguments are normally kept on ``flow.constants`` and need no
task. A graph node is made only where one is needed: a ``Constant`` when mapping over a list
literal (``inc.map([1, 2, 3])``), and when a task argument is a collection that contains tasks
(``add(x=[a, b])``), a collection task, so that the downstream task receives the collection
of results, as in Prefect 1: ``List``, ``Tuple`` and ``Set`` bind their positional inputs as
``arg_1``, ``arg_2``, ...; ``Dict`` takes a list of ``keys`` and a list of ``values``.

Prefect 1's paths ``prefectlite.tasks.core.constants``, ``prefectlite.tasks.core.collections``
and ``prefectlite.utilities.tasks.as_task`` name the same objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prefectlite.core.task import Task
from prefectlite.utilities.edges import EdgeAnnotation, unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow


class Constant(Task):
    """A task whose result is ``value``.

    Examples
    --------
    >>> Constant([1, 2]).run()
    [1, 2]
    """

    _root_only = True  # never joins an open case / resource block

    def __init__(self, value: Any, name: str | None = None, **kwargs: Any) -> None:
        self.value = value
        if name is None:
            text = repr(value)
            name = text if len(text) <= 40 else f"Constant[{type(value).__name__}]"
        super().__init__(name=name, **kwargs)

    def run(self) -> Any:
        return self.value


class VarArgsTask(Task):
    """Binds positional inputs as ``arg_1, arg_2, ...`` (``run()`` gets them by keyword)."""

    def bind(  # type: ignore[override]  # (no keyword arguments: they are numbered)
        self, *args: Any, upstream_tasks: Iterable[Any] | None = None, mapped: bool = False,
        flow: Any = None,
    ) -> Task:
        return super().bind(upstream_tasks=upstream_tasks, mapped=mapped, flow=flow,
                            **{f"arg_{i}": a for i, a in enumerate(args, 1)})

    @staticmethod
    def _ordered(task_results: dict[str, Any]) -> list[Any]:
        """The inputs in argument order (``arg_10`` after ``arg_9``)."""
        return [v for _, v in sorted(task_results.items(), key=lambda kv: int(kv[0][4:]))]


class List(VarArgsTask):
    """Collect the inputs into a ``list``.

    Examples
    --------
    >>> List().run(arg_2="b", arg_1="a")
    ['a', 'b']
    """

    def run(self, **task_results: Any) -> list[Any]:
        return self._ordered(task_results)


class Tuple(VarArgsTask):
    """Collect the inputs into a ``tuple``."""

    def run(self, **task_results: Any) -> tuple[Any, ...]:
        return tuple(self._ordered(task_results))


class Set(VarArgsTask):
    """Collect the inputs into a ``set``."""

    def run(self, **task_results: Any) -> set[Any]:
        return set(task_results.values())


class Dict(Task):
    """Build a ``dict`` from a list of ``keys`` and a list of ``values`` (either may hold tasks:
    binding a list that holds tasks builds a ``List`` task for it).

    Examples
    --------
    >>> Dict().run(keys=["a", None], values=[1, 2])
    {'a': 1, None: 2}
    """

    def run(self, keys: Iterable[Any], values: Iterable[Any]) -> dict[Any, Any]:
        keys, values = list(keys), list(values)
        if len(keys) != len(values):
            raise ValueError(
                f"A different number of keys and values were provided! ({len(keys)} keys: "
                f"{keys!r}; {len(values)} values)"
            )
        return dict(zip(keys, values, strict=True))


def contains_task(value: Any) -> bool:
    if isinstance(value, Task | EdgeAnnotation):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_task(v) for v in value)
    if isinstance(value, dict):
        return any(contains_task(k) or contains_task(v) for k, v in value.items())
    return False


def as_task(x: Any, flow: Flow | Any = None) -> Task:
    """Return ``x`` as a task: tasks as they are, collections holding tasks as collection
    tasks bound in ``flow``, and any other value (collections of plain values included) as a
    ``Constant``. Tasks made here are marked ``auto_generated``.

    Examples
    --------
    >>> as_task(3)
    <Task: 3>
    >>> as_task(3).auto_generated
    True
    """
    x = unwrap(x)[0]
    if isinstance(x, Task):
        return x
    made: Task
    if not contains_task(x):
        made = Constant(x)
    elif isinstance(x, dict):
        made = Dict().bind(keys=list(x), values=list(x.values()), flow=flow)
    else:
        sequences: dict[type, type[VarArgsTask]] = {
            list: List, tuple: Tuple}
        made = sequences.get(type(x), Set)().bind(*x, flow=flow)
    made.auto_generated = True
    return made
