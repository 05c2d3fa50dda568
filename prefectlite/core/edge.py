"""Edges of a flow's graph: which upstream task feeds which downstream task, and how.

An edge without a ``key`` is a state-only dependency ("run after"); an edge with a ``key``
also passes the upstream result as the downstream task's keyword argument ``key``. ``mapped``
edges feed one element of the upstream result to each mapped child; ``flattened`` edges
concatenate a list of lists first.
"""

from __future__ import annotations

from prefectlite.core.task import Task  # importable from here too, as in Prefect 1.4

__all__ = ["Edge"]


class Edge:
    """One dependency between two tasks.

    Parameters
    ----------
    upstream_task, downstream_task
        The tasks the edge connects.
    key
        The downstream ``run()`` argument that receives the upstream result, or ``None`` for a
        state-only dependency. Must be a valid Python identifier.
    mapped
        Whether each mapped child of the downstream task receives one element of the result.
    flattened
        Whether the upstream result (a list of lists) is concatenated before it is used.

    Examples
    --------
    >>> from prefectlite.core.task import Task
    >>> a, b = Task(name="a"), Task(name="b")
    >>> Edge(a, b, key="x")
    <Edge (key=x): a to b>
    >>> Edge(a, b, key="x") == Edge(a, b, key="x")
    True
    """

    __slots__ = ("upstream_task", "downstream_task", "key", "mapped", "flattened", "_hash")

    def __init__(
        self,
        upstream_task: Task,
        downstream_task: Task,
        key: str | None = None,
        mapped: bool = False,
        flattened: bool = False,
    ) -> None:
        if key is not None and not (isinstance(key, str) and key.isidentifier()):
            raise ValueError(
                f"Edge key {key!r} (from {upstream_task!r} to {downstream_task!r}) must be a "
                "valid Python identifier: it names an argument of the downstream task's run()."
            )
        self.upstream_task = upstream_task
        self.downstream_task = downstream_task
        self.key = key
        self.mapped = mapped
        self.flattened = flattened
        # edges key dicts on the engine's per-task path (the tuple of _key(), written out)
        self._hash = hash((upstream_task, downstream_task, key, mapped, flattened))

    @property
    def tasks(self) -> set[Task]:
        """The upstream and downstream task of this edge."""
        return {self.upstream_task, self.downstream_task}

    def _key(self) -> tuple:
        return (self.upstream_task, self.downstream_task, self.key, self.mapped, self.flattened)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Edge) or type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        up = getattr(self.upstream_task, "name", self.upstream_task)
        down = getattr(self.downstream_task, "name", self.downstream_task)
        flags = "".join(
            f", {flag}" for flag in ("mapped", "flattened") if getattr(self, flag)
        )
        key = f" (key={self.key}{flags})" if self.key or flags else ""
        return f"<Edge{key}: {up} to {down}>"

    def __getstate__(self) -> tuple:
        return self._key()

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state, strict=False):
            object.__setattr__(self, name, value)
        self._hash = hash(self._key())
