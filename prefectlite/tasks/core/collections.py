"""Tasks that assemble their inputs into a list, tuple, set or dict.

When a task argument is a collection that contains tasks (``add(x=[a, b])``), the functional
API builds one of these so that the downstream task receives the collection of results, as
Prefect 1 does: ``List``, ``Tuple`` and ``Set`` bind their positional inputs as ``arg_1``,
``arg_2``, ...; ``Dict`` takes a list of ``keys`` and a list of ``values``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prefectlite.core.task import Task


class VarArgsTask(Task):
    """Binds positional inputs as ``arg_1, arg_2, ...`` (``run()`` gets them by keyword)."""

    def bind(self, *args: Any, mapped: bool = False,
             upstream_tasks: Iterable[Any] | None = None, flow: Any = None,
             **kwargs: Any) -> Task:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.bind() got an unexpected keyword argument "
                            f"{min(kwargs)!r} (its inputs are positional).")
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
