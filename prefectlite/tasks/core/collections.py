"""Tasks that assemble their inputs into a list, tuple, set or dict.

When a task argument is a collection that contains tasks (``add(x=[a, b])``), the functional
API builds one of these so that the downstream task receives the collection of results.
"""

from __future__ import annotations

from typing import Any

from prefectlite.core.task import Task


class _Sequence(Task):
    """Binds positional inputs as ``arg_0, arg_1, ...`` and returns them in order."""

    def bind(self, *args: Any, **kwargs: Any) -> Task:
        options = {k: kwargs.pop(k) for k in ("mapped", "upstream_tasks", "flow") if k in kwargs}
        return super().bind(**{f"arg_{i}": a for i, a in enumerate(args)}, **options)

    @staticmethod
    def _ordered(task_results: dict[str, Any]) -> list[Any]:
        return [task_results[f"arg_{i}"] for i in range(len(task_results))]


class List(_Sequence):
    """Collect the inputs into a ``list``."""

    def run(self, **task_results: Any) -> list[Any]:
        return self._ordered(task_results)


class Tuple(_Sequence):
    """Collect the inputs into a ``tuple``."""

    def run(self, **task_results: Any) -> tuple[Any, ...]:
        return tuple(self._ordered(task_results))


class Set(_Sequence):
    """Collect the inputs into a ``set``."""

    def run(self, **task_results: Any) -> set[Any]:
        return set(self._ordered(task_results))


class Dict(Task):
    """Build a ``dict`` from inputs bound as ``key_0, value_0, key_1, value_1, ...``."""

    def bind(self, *args: Any, **kwargs: Any) -> Task:
        options = {k: kwargs.pop(k) for k in ("mapped", "upstream_tasks", "flow") if k in kwargs}
        if args:
            raise TypeError(f"{self!r}: bind a mapping as keyword arguments, e.g. bind(**d).")
        items: dict[str, Any] = {}
        for i, (key, value) in enumerate(kwargs.items()):
            items[f"key_{i}"], items[f"value_{i}"] = key, value
        return super().bind(**items, **options)

    def bind_pairs(self, pairs: list[tuple[Any, Any]], **options: Any) -> Task:
        """Bind ``(key, value)`` pairs whose keys may themselves be tasks."""
        items: dict[str, Any] = {}
        for i, (key, value) in enumerate(pairs):
            items[f"key_{i}"], items[f"value_{i}"] = key, value
        return Task.bind(self, **items, **options)

    def run(self, **task_results: Any) -> dict[Any, Any]:
        n = len(task_results) // 2
        return {task_results[f"key_{i}"]: task_results[f"value_{i}"] for i in range(n)}
