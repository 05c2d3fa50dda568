"""``prefectlite.context``: values visible to the code of a running task or flow.

The context is one dictionary held in a :class:`contextvars.ContextVar`. It is never changed
in place: ``with context(key=value):`` installs a new dictionary (the old one plus the
changes) and puts the old one back on exit, so threads and asyncio tasks each see their own
values, and the engine can hand a plain ``dict`` to a worker thread or process and install it
there in one step. Nothing is deep-copied per task (Prefect 1's per-task config copies were
its main cost).

Keys set by the engine while a task runs include ``flow_name``, ``flow_run_id``,
``task_name``, ``task_slug``, ``task_full_name``, ``map_index``, ``parameters``, ``logger``,
``today``, ``yesterday``, ``tomorrow``, ``date``, ``scheduled_start_time``,
``task_run_count``, ``task_loop_count`` and ``task_loop_result``. While a flow is being built,
``flow`` is the active flow and ``tags`` the tags of enclosing ``tags()`` blocks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from typing import Any

_EMPTY: dict[str, Any] = {}
_current: ContextVar[dict[str, Any]] = ContextVar("prefectlite_context", default=_EMPTY)


class Context(Mapping[str, Any]):
    """A read-mostly mapping view of the current context, with attribute access.

    Examples
    --------
    >>> from prefectlite import context
    >>> with context(answer=42):
    ...     context.answer, context.get("answer"), "answer" in context
    (42, 42, True)
    >>> context.get("answer") is None
    True
    """

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        return _current.get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_current.get())

    def __len__(self) -> int:
        return len(_current.get())

    def __contains__(self, key: object) -> bool:
        return key in _current.get()

    def get(self, key: str, default: Any = None) -> Any:
        return _current.get().get(key, default)

    def __getattr__(self, key: str) -> Any:
        try:
            return _current.get()[key]
        except KeyError:
            raise AttributeError(f"context has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delattr__(self, key: str) -> None:
        values = dict(_current.get())
        del values[key]
        _current.set(values)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add or change keys for the rest of the current thread's (or asyncio task's) run."""
        _current.set({**_current.get(), **dict(*args, **kwargs)})

    def pop(self, key: str, default: Any = None) -> Any:
        """Remove ``key`` for the rest of the current run and return its value (or ``default``)."""
        values = _current.get()
        if key not in values:
            return default
        values = dict(values)
        value = values.pop(key)
        _current.set(values)
        return value

    def to_dict(self) -> dict[str, Any]:
        """A shallow copy of the current values."""
        return dict(_current.get())

    @contextlib.contextmanager
    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Context]:
        """Within the block, the context also holds the given keys."""
        token = _current.set({**_current.get(), **dict(*args, **kwargs)})
        try:
            yield self
        finally:
            _current.reset(token)

    def __repr__(self) -> str:
        return f"<Context: {sorted(_current.get())}>"


context = Context()


def install(values: dict[str, Any]) -> Token[dict[str, Any]]:
    """Make ``values`` the whole context (engine use); undo with :func:`restore`."""
    return _current.set(values)


def restore(token: Token[dict[str, Any]]) -> None:
    """Put back the context that was current before :func:`install` returned ``token``."""
    _current.reset(token)


def snapshot() -> dict[str, Any]:
    """The current context dictionary itself (it is never mutated, so sharing it is safe)."""
    return _current.get()
