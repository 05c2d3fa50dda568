"""Signals: exceptions that a task (or trigger) raises to choose its own final state.

Each signal builds the state it stands for when it is created and keeps it in ``.state``:

==================  ====================  ===============================================
signal              state                 typical use
==================  ====================  ===============================================
``SUCCESS``         ``Success``           end the run early, successfully
``FAIL``            ``Failed``            fail with a message instead of an exception
``TRIGGERFAIL``     ``TriggerFailed``     raised by triggers (:mod:`prefectlite.triggers`)
``VALIDATIONFAIL``  ``ValidationFailed``  a result did not validate
``SKIP``            ``Skipped``           nothing to do; downstream tasks treat it as success
``RETRY``           ``Retrying``          ask for a retry (``start_time=``, ``run_count=``)
``PAUSE``           ``Paused``            wait for someone to resume the run
``LOOP``            ``Looped``            run again with ``result=`` as the loop value
==================  ====================  ===============================================

As in Prefect 1.4, signals derive from :class:`~prefectlite.exceptions.PrefectSignal`, a
``BaseException`` (also importable from here): an
``except Exception:`` block in user code does not swallow a ``raise SKIP(...)``. The task
runner catches :class:`PrefectStateSignal` explicitly.

Arguments after ``message`` go to the state's constructor. Unless ``result`` is given, the
state's result is the signal itself (so a ``Failed`` state from ``FAIL`` holds the exception,
as one from a ``ValueError`` does); ``LOOP`` uses the signal's ``repr`` instead.

Signals pickle (with ``pickle`` and ``cloudpickle``) together with their state, so they can
cross process boundaries. ``ENDRUN`` carries a final state out of the runner; it exists for
Prefect 1 compatibility (prefectlite's own runner does not use it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from prefectlite.engine import state as _state
from prefectlite.exceptions import PrefectSignal

__all__ = [
    "ENDRUN", "FAIL", "LOOP", "PAUSE", "RETRY", "SKIP", "SUCCESS", "TRIGGERFAIL",
    "VALIDATIONFAIL", "PrefectSignal", "PrefectStateSignal", "signal_from_state",
]


class ENDRUN(PrefectSignal):
    """Stop all processing: the run's final state is ``state``.

    Examples
    --------
    >>> str(ENDRUN(_state.Failed("no disk")))
    '<Failed: "no disk">'
    """

    def __init__(self, state: _state.State) -> None:
        super().__init__(state)  # in ``args``, so that pickling can rebuild the exception
        self.state = state


class PrefectStateSignal(PrefectSignal):
    """A signal that stands for a state of class ``_state_cls``.

    Parameters
    ----------
    message
        The state's message (and the exception's text).
    *args, **kwargs
        More arguments for the state's constructor, after ``message`` (``result``,
        ``start_time``, ...). Without them, ``result`` is the signal itself.

    Examples
    --------
    >>> signal = FAIL("bad input", result=-1)
    >>> signal.state, signal.state.result
    (<Failed: "bad input">, -1)
    >>> FAIL("bad input").state.result is not None
    True
    """

    _state_cls: ClassVar[type[_state.State]] = _state.State
    state: _state.State

    def __init__(self, message: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(message)
        if not args:
            kwargs.setdefault("result", self)
        self.state = self._state_cls(message, *args, **kwargs)


class FAIL(PrefectStateSignal):
    """The task failed."""

    _state_cls = _state.Failed
    state: _state.Failed


class TRIGGERFAIL(FAIL):
    """The task's trigger rejected its upstream states."""

    _state_cls = _state.TriggerFailed
    state: _state.TriggerFailed


class VALIDATIONFAIL(FAIL):
    """The task's result did not pass validation."""

    _state_cls = _state.ValidationFailed
    state: _state.ValidationFailed


class SUCCESS(PrefectStateSignal):
    """The task succeeded."""

    _state_cls = _state.Success
    state: _state.Success


class RETRY(PrefectStateSignal):
    """The task should be retried (``start_time=`` and ``run_count=`` go to ``Retrying``)."""

    _state_cls = _state.Retrying
    state: _state.Retrying


class SKIP(PrefectStateSignal):
    """The task was skipped; downstream tasks act as if it succeeded."""

    _state_cls = _state.Skipped
    state: _state.Skipped


class PAUSE(PrefectStateSignal):
    """The task should wait until someone resumes it."""

    _state_cls = _state.Paused
    state: _state.Paused


class LOOP(PrefectStateSignal):
    """The task should run again; ``result=`` is the value the next iteration sees.

    Without ``result``, the result is the signal's ``repr`` (a plain string, as in Prefect
    1.4, so that it can always be persisted).

    Examples
    --------
    >>> LOOP(result=5).state.result, LOOP("again").state.result
    (5, "LOOP('again')")
    """

    _state_cls = _state.Looped
    state: _state.Looped

    def __init__(self, message: Any = None, *args: Any, **kwargs: Any) -> None:
        if not args:
            kwargs.setdefault("result", repr(self))
        super().__init__(message, *args, **kwargs)


def _state_signals() -> dict[type[_state.State], type[PrefectStateSignal]]:
    """Map each state class to the signal that raises it (user-defined signals included)."""
    found: dict[type[_state.State], type[PrefectStateSignal]] = {}
    pending = list(PrefectStateSignal.__subclasses__())
    while pending:
        signal = pending.pop(0)
        found.setdefault(signal._state_cls, signal)
        pending.extend(signal.__subclasses__())
    return found


def signal_from_state(state: _state.State) -> type[PrefectStateSignal]:
    """Return the signal class whose state has exactly the type of ``state``.

    Raises
    ------
    ValueError
        If no signal stands for that exact state class (subclasses do not count).

    Examples
    --------
    >>> signal_from_state(_state.TriggerFailed()).__name__
    'TRIGGERFAIL'
    """
    signals = _state_signals()
    try:
        return signals[type(state)]
    except KeyError:
        names = ", ".join(sorted(cls.__name__ for cls in signals))
        raise ValueError(
            f"No signal matches the provided state: {state} (signals exist for the state "
            f"classes {names})"
        ) from None
