"""What the flow runner and task runner adapters share: state handlers around each step.

Prefect 1 runs a flow (or a task) as a pipeline of checks, each a method taking the current
``State`` and returning the next one. This module holds the two pieces every such step
needs:

- :class:`Runner`, whose :meth:`~Runner.handle_state_change` calls the target's own state
  handlers (the flow's or the task's) and then the runner's, each as
  ``handler(obj, old_state, new_state)`` returning a new state or ``None`` (keep);
- :func:`call_state_handlers`, the decorator that turns a step's result into a state
  change: a step may return a new state, raise :class:`ENDRUN` to stop the run with a state,
  raise a Prefect signal (its state is used), or fail (``Failed``, "Unexpected error: ...").
  Handlers run only when the state actually changed (``new is not old``).

Inside :func:`prefectlite.utilities.debug.raise_on_exception` errors propagate instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from prefectlite.engine import signals
from prefectlite.engine.signals import ENDRUN
from prefectlite.engine.state import Failed, Pending, State
from prefectlite.utilities import context as _context

__all__ = ["ENDRUN", "Runner", "call_state_handlers"]

_Step = TypeVar("_Step", bound=Callable[..., State])


def _raising() -> bool:
    return bool(_context.context.get("raise_on_exception", False))


def call_state_handlers(method: _Step) -> _Step:
    """Decorate a step ``method(self, state, ...) -> State`` as described in the module."""

    @functools.wraps(method)
    def step(self: Runner, state: State, *args: Any, **kwargs: Any) -> State:
        ended = False
        try:
            new = method(self, state, *args, **kwargs)
        except ENDRUN as end:
            ended, new = True, end.state
        except signals.PrefectStateSignal as sig:
            self.logger.info("%s signal raised: %r", type(sig).__name__, sig)
            if _raising():
                raise
            new = sig.state
        except Exception as exc:
            self.logger.exception("Unexpected error: %r", exc)
            if _raising():
                raise
            new = Failed(f"Unexpected error: {exc!r}", result=exc)
        if new is not state:
            new = self.handle_state_change(state, new)
        if ended:
            raise ENDRUN(new)
        return new

    return step  # type: ignore[return-value]


class Runner:
    """Base of :class:`~prefectlite.engine.flow_runner.FlowRunner` and
    :class:`~prefectlite.engine.task_runner.TaskRunner`: runner state handlers and a logger
    named after the class (``prefectlite.FlowRunner``, ...)."""

    def __init__(self, state_handlers: Iterable[Callable[..., Any]] | None = None):
        if state_handlers is not None and not isinstance(state_handlers, Sequence):
            raise TypeError("state_handlers should be iterable.")
        self.state_handlers = list(state_handlers or [])
        self.logger = logging.getLogger(f"prefectlite.{type(self).__name__}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def initialize_run(
        self, state: State | None, context: dict[str, Any]
    ) -> tuple[State, dict[str, Any]]:
        """Unwrap meta states (``Submitted(Queued(...))``); no state means ``Pending()``."""
        while isinstance(state, State) and state.is_meta_state():
            state = state.state  # type: ignore[attr-defined]
        return state or Pending(), context

    def call_runner_target_handlers(self, old_state: State, new_state: State) -> State:
        """Call the handlers of what this runner runs (a flow's, a task's); none here."""
        return new_state

    def handle_state_change(self, old_state: State, new_state: State) -> State:
        """Call the target's and then the runner's state handlers for ``old -> new``.

        A handler that raises a Prefect signal changes the state to the signal's; any other
        error ends the run (``ENDRUN``) with ``Failed("Unexpected error while calling state
        handlers: ...")``; ``PAUSE`` and ``ENDRUN`` themselves propagate.
        """
        try:
            new_state = self.call_runner_target_handlers(old_state, new_state)
            for handler in self.state_handlers:
                new_state = handler(self, old_state, new_state) or new_state
        except (signals.PAUSE, ENDRUN):
            raise
        except signals.PrefectStateSignal as sig:
            if _raising():
                raise
            return sig.state
        except Exception as exc:
            if _raising():
                raise
            message = f"Unexpected error while calling state handlers: {exc!r}"
            self.logger.exception(message)
            raise ENDRUN(Failed(message, result=exc)) from exc
        return new_state
