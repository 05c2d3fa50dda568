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

``config`` is always there: the configuration (:mod:`prefectlite.configuration`) the run uses,
and the keys of the configuration's ``[context]`` section (e.g. ``secrets``) are copied in when
the context is created. ``with context(config={"section": {"key": value}}):`` merges into the
configuration for the block instead of replacing it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar, Token
from typing import Any

from prefectlite.configuration import Config, config
from prefectlite.utilities.collections import merge_dicts


def _initial_values(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A new context's values: the config's ``[context]`` keys, then the given ones, and the
    configuration (``config`` given here is merged into it, not put in its place)."""
    values: dict[str, Any] = dict(config.get("context") or {})
    values.update(dict(*args, **kwargs))
    given = values.get("config")
    values["config"] = config if not given else merge_dicts(config, given)
    return values


# The default dictionary is never changed in place (every change installs a new one). The
# shared context leaves "config" out of its dictionaries: while no block sets one, reading it
# gives prefectlite.config, and nothing is copied or pickled with each task's context.
_DEFAULT = {k: v for k, v in _initial_values().items() if k != "config"}
_current: ContextVar[dict[str, Any]] = ContextVar("prefectlite_context", default=_DEFAULT)
#: The variable holding the current context's dictionary, for code on a hot path that reads
#: it (``current_values.get()``); never change the dictionary in place.
current_values = _current


class Context(MutableMapping[str, Any]):
    """A mapping of the current context values, with attribute access.

    ``prefectlite.context`` is the one the engine fills; ``Context(...)`` makes a separate one
    (starting from the configuration's ``[context]`` keys and the given values). Changes are
    never made in place: each one installs a new dictionary for the current thread or asyncio
    task, and ``with context(...):`` puts the previous one back on exit.

    Examples
    --------
    >>> from prefectlite import context
    >>> with context(answer=42):
    ...     context.answer, context.get("answer"), "answer" in context
    (42, 42, True)
    >>> context.get("answer") is None
    True
    """

    __slots__ = ("_var",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = _initial_values(*args, **kwargs)
        object.__setattr__(self, "_var", ContextVar("prefectlite_context", default=initial))

    @classmethod
    def _over(cls, var: ContextVar[dict[str, Any]]) -> Context:
        self = cls.__new__(cls)
        object.__setattr__(self, "_var", var)
        return self

    def __getitem__(self, key: str) -> Any:
        values = self._var.get()
        if key in values:
            return values[key]
        if key == "config":
            return config
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        values = dict(self._var.get())
        del values[key]
        self._var.set(values)

    def __iter__(self) -> Iterator[str]:
        values = self._var.get()
        return iter(values if "config" in values else [*values, "config"])

    def __len__(self) -> int:
        values = self._var.get()
        return len(values) + ("config" not in values)

    def __contains__(self, key: object) -> bool:
        return key == "config" or key in self._var.get()

    def get(self, key: str, default: Any = None) -> Any:
        values = self._var.get()
        if key in values:
            return values[key]
        return config if key == "config" else default

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"context has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(f"context has no key {key!r}") from None

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add or change keys for the rest of the current thread's (or asyncio task's) run."""
        self._var.set({**self._var.get(), **self._merged(dict(*args, **kwargs))})

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``; when missing, set it to ``default`` first (as ``dict`` does)."""
        values = self._var.get()
        if key not in values:
            self._var.set({**values, key: default})
            return default
        return values[key]

    def clear(self) -> None:
        """Remove every key (for the rest of the current block)."""
        self._var.set({})

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
        """A shallow copy of the current values (``config`` included)."""
        return {"config": config, **self._var.get()}

    def _merged(self, new: dict[str, Any]) -> dict[str, Any]:
        """``new`` with a ``config`` mapping merged over the current configuration."""
        given = new.get("config")
        if isinstance(given, Mapping) and given is not config:
            base = self.get("config")
            new["config"] = merge_dicts(base, given) if isinstance(base, Config) else Config(given)
        return new

    @contextlib.contextmanager
    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Context]:
        """Within the block, the context also holds the given keys."""
        token = self._var.set({**self._var.get(), **self._merged(dict(*args, **kwargs))})
        try:
            yield self
        finally:
            self._var.reset(token)

    def __reduce__(self) -> Any:
        if self._var is _current:
            return (_the_context, ())  # the shared context travels as a reference to itself
        raise TypeError(
            "Pickling context objects is not supported: read the values through "
            "prefectlite.context inside the task (each process has its own).")

    def __repr__(self) -> str:
        return f"<Context: {sorted(self._var.get())}>"


context = Context._over(_current)


def _the_context() -> Context:
    return context


def install(values: dict[str, Any]) -> Token[dict[str, Any]]:
    """Make ``values`` the whole context (engine use); undo with :func:`restore`."""
    return _current.set(values)


def restore(token: Token[dict[str, Any]]) -> None:
    """Put back the context that was current before :func:`install` returned ``token``."""
    _current.reset(token)


def snapshot() -> dict[str, Any]:
    """The current context dictionary itself (it is never mutated, so sharing it is safe)."""
    return _current.get()
