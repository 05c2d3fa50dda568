"""Recording each task run's inputs in the run journal, for ``prefectlite runs replay``.

A journaled run (:func:`prefectlite.persistence.runs.journaled_run`) puts an
:class:`InputRecorder` in the run context as ``_record_inputs``. After each attempt of a
task, the task runner (:func:`prefectlite.engine.checkpointing.persist`) calls it with the
keyword arguments the task's function was called with (a mapped child's with its own
element) and keeps the bytes it returns in the state's ``context["_inputs"]``; the
:class:`~prefectlite.persistence.recorder.JournalRecorder` moves them into the task run's row
(:func:`take_inputs`). The encoding happens where the task ran (a worker process, a Dask
worker), so only bytes travel back, and a plain ``flow.run()`` never gets here.

What is stored is a pickle (``cloudpickle``, which pickles functions and classes of a
script by value) of a dict of the arguments. An argument is replaced by a
:class:`NotRecorded` marker, saying which and why, when

* it comes from a secret: a ``Parameter(secret=True)`` or a secret task (``PrefectSecret``,
  ``EnvVarSecret``, any ``SecretBase``): its value is written nowhere;
* it cannot be pickled (a lock, an open connection, ...);
* it would take the task run's inputs over the cap: ``[journal] max_input_bytes`` in the
  configuration (``PREFECTLITE__JOURNAL__MAX_INPUT_BYTES``), default 1 MiB per task run;
  ``0`` records no inputs at all.

Plain scalar arguments (numbers, strings, bytes, ``None``) are pickled with the standard
``pickle`` (the same bytes, several times faster); everything else with ``cloudpickle``.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cloudpickle

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine.results.secret_result import SecretResult

__all__ = ["DEFAULT_MAX_INPUT_BYTES", "InputRecorder", "NotRecorded", "decode_inputs",
           "max_input_bytes", "secret_inputs", "take_inputs"]

DEFAULT_MAX_INPUT_BYTES = 1024 * 1024
#: the context key of the bytes a task run's state carries to the journal
STATE_KEY = "_inputs"
_PLAIN = frozenset({int, float, str, bytes, bool, type(None)})
SECRET, TOO_BIG, NOT_PICKLABLE = "secret", "too big", "not picklable"


@dataclass(frozen=True)
class NotRecorded:
    """Stands in the journal for an argument whose value was not stored.

    ``reason`` is ``"secret"``, ``"too big"`` or ``"not picklable"``; ``detail`` says more
    (the size and the cap, the pickling error).
    """

    name: str
    reason: str
    detail: str = ""

    def explain(self) -> str:
        """One sentence: which argument, why, and what to do about it."""
        if self.reason == SECRET:
            return (f"argument {self.name!r} comes from a secret, whose value is never "
                    "recorded; give it yourself (replay(..., inputs={...}), or "
                    f"`-i {self.name}=VALUE` on the command line)")
        if self.reason == TOO_BIG:
            return (f"argument {self.name!r} was not recorded: {self.detail}; raise "
                    "[journal] max_input_bytes in the configuration (or "
                    "PREFECTLITE__JOURNAL__MAX_INPUT_BYTES) and run the flow again, or give "
                    "it yourself")
        return (f"argument {self.name!r} was not recorded: it cannot be pickled "
                f"({self.detail}); give it yourself")


def max_input_bytes() -> int:
    """``[journal] max_input_bytes`` from the configuration in effect (bytes; 0: off)."""
    from prefectlite.settings import current_config

    value = (current_config().get("journal") or {}).get("max_input_bytes",
                                                         DEFAULT_MAX_INPUT_BYTES)
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"The configuration value journal.max_input_bytes={value!r} is not "
                         "a number of bytes (e.g. 1048576; 0 records no inputs).") from None
    if size < 0:
        raise ValueError(f"journal.max_input_bytes={size} is negative; use 0 to record no "
                         "inputs.")
    return size


def _is_secret(task: Task) -> bool:
    return bool(getattr(task, "secret", False)) or isinstance(task.result, SecretResult)


def secret_inputs(flow: Flow) -> dict[str, frozenset[str]]:
    """The arguments, by task slug, whose values come straight from a secret."""
    found: dict[str, set[str]] = {}
    slugs = flow.slugs
    for edge in flow.edges:
        if edge.key is not None and _is_secret(edge.upstream_task):
            found.setdefault(slugs[edge.downstream_task], set()).add(edge.key)
    return {slug: frozenset(keys) for slug, keys in found.items()}


class InputRecorder:
    """Encodes a task run's inputs for the journal (see the module docstring).

    ``secret`` maps task slugs to the arguments never to record (:func:`secret_inputs`).
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
                 secret: Mapping[str, frozenset[str]] | None = None) -> None:
        self.max_bytes = max_bytes
        self.secret = dict(secret or {})

    def __repr__(self) -> str:
        return f"<InputRecorder: at most {self.max_bytes} bytes per task run>"

    def __call__(self, inputs: dict[str, Any], ctx: Mapping[str, Any]) -> bytes:
        """The bytes to store for ``inputs``, the arguments of the task run ``ctx`` is of."""
        secret = self.secret.get(str(ctx.get("task_slug"))) if self.secret else None
        if not secret:
            blob = _dumps(inputs)
            if blob is not None and len(blob) <= self.max_bytes:
                return blob
        try:
            return self._one_by_one(inputs, secret or frozenset())
        except Exception as exc:  # each pickled alone, not together (a recursion, ...)
            why = f"{type(exc).__name__}: {exc}"
            return cloudpickle.dumps(  # type: ignore[no-any-return]
                {name: NotRecorded(name, SECRET if name in (secret or ()) else NOT_PICKLABLE,
                                   why) for name in inputs})

    def _one_by_one(self, inputs: dict[str, Any], secret: frozenset[str]) -> bytes:
        """Each argument on its own: the ones that fit, markers for the others."""
        kept: dict[str, Any] = {}
        room = self.max_bytes - 64  # the dict around them
        for name, value in inputs.items():
            if name in secret:
                kept[name] = NotRecorded(name, SECRET)
                continue
            try:
                size = len(cloudpickle.dumps(value))
            except Exception as exc:  # any error of a __reduce__ means "cannot pickle"
                kept[name] = NotRecorded(name, NOT_PICKLABLE, f"{type(exc).__name__}: {exc}")
                continue
            if size > room:
                kept[name] = NotRecorded(name, TOO_BIG, f"{_size(size)} pickled, over the "
                                         f"{_size(self.max_bytes)} cap of a task run's inputs")
                continue
            room -= size
            kept[name] = value
        return cloudpickle.dumps(kept)  # type: ignore[no-any-return]


def _dumps(inputs: dict[str, Any]) -> bytes | None:
    try:
        for value in inputs.values():
            if not _plain(value):
                return cloudpickle.dumps(inputs)  # type: ignore[no-any-return]
        return pickle.dumps(inputs, 5)
    except Exception:
        return None


def _plain(value: Any) -> bool:
    """Whether ``value`` pickles the same with ``pickle`` as with ``cloudpickle``: a scalar,
    or a list, tuple or dict of scalars (nothing a script defines, which only cloudpickle
    pickles by value)."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _PLAIN for item in value)
    if kind is dict:
        return all(type(k) in _PLAIN and type(v) in _PLAIN for k, v in value.items())
    return False


def _size(n: int) -> str:
    """``n`` bytes, readably.

    Examples
    --------
    >>> _size(512), _size(2048), _size(3 * 1024 * 1024)
    ('512 bytes', '2.0 KiB', '3.0 MiB')
    """
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


def take_inputs(context: dict[str, Any]) -> bytes | None:
    """The recorded inputs a state carries, taken out of its ``context`` (they go into the
    journal's row; the state need not keep them in memory)."""
    return context.pop(STATE_KEY, None) if STATE_KEY in context else None


def decode_inputs(blob: bytes, loads: Any = cloudpickle.loads) -> dict[str, Any]:
    """The arguments stored by :class:`InputRecorder` (with :class:`NotRecorded` markers)."""
    value = loads(blob)
    if not isinstance(value, dict):
        raise ValueError(f"recorded inputs are a {type(value).__name__}, not a dict")
    return value
