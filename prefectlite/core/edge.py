"""Edges of a flow's graph: which upstream task feeds which downstream task, and how.

An edge without a ``key`` is a state-only dependency ("run after"); an edge with a ``key``
also passes the upstream result as the downstream task's keyword argument ``key``. ``mapped``
edges feed one element of the upstream result to each mapped child; ``flattened`` edges
concatenate a list of lists first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefectlite.core.task import Task
from prefectlite.utilities.edges import EdgeAnnotation, unwrap

if TYPE_CHECKING:
    from prefectlite.core.flow import Flow


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
    flow
        Accepted for Prefect 1's signature; ``Flow.add_edge`` turns values into tasks.

    Either task may be wrapped in ``mapped``, ``unmapped`` or ``flatten``: the marker wins over
    the ``mapped`` / ``flattened`` arguments. A task cannot be connected to itself.

    Examples
    --------
    >>> from prefectlite.core.task import Task
    >>> a, b = Task(name="a"), Task(name="b")
    >>> Edge(a, b, key="x")
    <Edge (key=x): a to b>
    >>> Edge(a, b, key="x") == Edge(a, b, key="x")
    True
    >>> from prefectlite.utilities.edges import mapped
    >>> Edge(mapped(a), b, key="x").mapped
    True
    """

    __slots__ = ("upstream_task", "downstream_task", "key", "mapped", "flattened", "_hash")

    def __init__(
        self,
        upstream_task: Any,
        downstream_task: Any,
        key: str | None = None,
        mapped: bool | None = False,
        flattened: bool | None = False,
        flow: Flow | None = None,
    ) -> None:
        if upstream_task is downstream_task:
            raise ValueError(
                f"Edges can not connect a task to itself ({upstream_task!r}): a task cannot "
                "depend on its own result."
            )
        if key is not None and not (isinstance(key, str) and key.isidentifier()):
            raise ValueError(
                f'Key must be a valid identifier (received "{key}"): it names an argument of '
                f"the downstream task's run() (edge from {upstream_task!r} to "
                f"{downstream_task!r})."
            )
        if isinstance(upstream_task, EdgeAnnotation) or isinstance(downstream_task, EdgeAnnotation):
            upstream_task, downstream_task, mapped, flattened = _unmark(
                upstream_task, downstream_task, mapped, flattened
            )
        mapped, flattened = bool(mapped), bool(flattened)
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


def _unmark(
    upstream: Any, downstream: Any, mapped: bool | None, flattened: bool | None
) -> tuple[Any, Any, bool | None, bool | None]:
    """Take the edge markers off either end; their flags win over the arguments."""
    ends = []
    for value in (upstream, downstream):
        if isinstance(value, EdgeAnnotation):
            value, mapped, is_flat = unwrap(value, mapped=bool(mapped))
            flattened = flattened or is_flat
        ends.append(value)
    return ends[0], ends[1], mapped, flattened
