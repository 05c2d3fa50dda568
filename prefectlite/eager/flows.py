"""The eager ``@flow`` decorator of Prefect 2/3: a flow is a function that runs when called.

``from prefectlite import flow`` gives this decorator; the class it makes is
:class:`EagerFlow` (``prefectlite.Flow`` stays Prefect 1's graph class). Calling an eager flow
creates a flow run (logged as ``Created flow run 'olive-poodle' for flow 'etl'``), runs the
function's body at once, with every task it calls running at once too, and returns the
body's return value; ``return_state=True`` returns the final
:class:`~prefectlite.states.State` instead. How a run goes is in
:mod:`prefectlite.eager.flow_engine`.

This module only describes flows; nothing of the engine is imported until a flow is called.

Examples
--------
>>> from prefectlite import flow, task
>>> @task
... def add(x, y):
...     return x + y
>>> @flow(name="adder", log_prints=True)
... def adder(a: int, b: int = 1):
...     return add(a, b)
>>> adder
<EagerFlow: name='adder'>
>>> adder("2"), adder(2, return_state=True).result()  # "2" is converted to 2
(3, 3)
"""

from __future__ import annotations

import copy
import functools
import inspect
import types
from collections.abc import Callable
from typing import Any, overload

from prefectlite.eager.task_options import hook_list
from prefectlite.eager.task_runners import TaskRunner, ThreadPoolTaskRunner

__all__ = ["EagerFlow", "ParameterSchema", "flow"]

def _number(value: Any, option: str, owner: str, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (
            not allow_zero and value == 0):
        kind = "a number >= 0" if allow_zero else "a positive number"
        raise ValueError(f"{owner}: {option}={value!r} must be {kind} of seconds.")
    return value


FLOW_HOOKS = ("on_completion", "on_failure", "on_cancellation", "on_crashed", "on_running")
_OPTIONS: dict[str, Any] = {
    "name": None, "version": None, "flow_run_name": None, "retries": None,
    "retry_delay_seconds": None, "task_runner": None, "description": None,
    "timeout_seconds": None, "validate_parameters": True, "log_prints": None,
    "journal": None, "persist_result": None, "result_storage": None,
    "result_serializer": None, "cache_result_in_memory": True,
    **dict.fromkeys(FLOW_HOOKS),
}


def _task_runner(task_runner: Any, owner: str) -> TaskRunner:
    if isinstance(task_runner, type):
        task_runner = task_runner()
    if task_runner is not None and not isinstance(task_runner, TaskRunner):
        raise TypeError(f"{owner}: task_runner={task_runner!r} is not a task runner; use "
                        "e.g. prefectlite.task_runners.ThreadPoolTaskRunner(max_workers=4).")
    return task_runner or ThreadPoolTaskRunner()


def _server_only(what: str, instead: str) -> Exception:
    from prefectlite.exceptions import ServerOnlyError

    return ServerOnlyError(f"{what} needs a Prefect server, and prefectlite runs without one; "
                           f"{instead} instead.")


class ParameterSchema:
    """The parameters of a flow described as JSON schema (what ``flow.parameters`` holds)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.title: str = schema["title"]
        self.type: str = schema["type"]
        self.properties: dict[str, Any] = schema["properties"]
        self.required: list[str] = schema["required"]
        self.definitions: dict[str, Any] = schema["definitions"]

    def __repr__(self) -> str:
        return f"ParameterSchema(properties={self.properties!r}, required={self.required!r})"

    def model_dump(self) -> dict[str, Any]:
        """The schema of the parameters: ``{"title": "Parameters", "properties": ...}``."""
        return {"title": self.title, "type": self.type, "properties": self.properties,
                "required": self.required, "definitions": self.definitions}

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """The JSON schema of a ``ParameterSchema`` itself (as Prefect 3's pydantic model)."""
        return {
            "description": cls.__doc__, "title": cls.__name__, "type": "object",
            "properties": {
                "title": {"const": "Parameters", "default": "Parameters", "title": "Title",
                          "type": "string"},
                "type": {"const": "object", "default": "object", "title": "Type",
                         "type": "string"},
                "properties": {"type": "object", "additionalProperties": True,
                               "title": "Properties"},
                "required": {"items": {"type": "string"}, "title": "Required",
                             "type": "array"},
                "definitions": {"additionalProperties": True, "title": "Definitions",
                                "type": "object"},
            },
        }


class EagerFlow:
    """A function that runs as a flow each time it is called (made by :func:`flow`).

    Parameters are those of :func:`flow`. ``fn`` is the undecorated function; ``isasync``
    and ``isgenerator`` tell what kind of function it is.
    """

    def __init__(self, fn: Callable[..., Any], **options: Any) -> None:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise TypeError(f"@flow got unknown option(s) {', '.join(unknown)}; the options "
                            f"of a flow are: {', '.join(_OPTIONS)}.")
        self._binding: type | None = None
        if isinstance(fn, classmethod | staticmethod):  # @flow over @classmethod
            self._binding, fn = type(fn), fn.__func__
        if not callable(fn):
            raise TypeError(f"@flow needs a function, got {fn!r}.")
        self.fn = fn
        functools.update_wrapper(self, fn)
        self._options = {**_OPTIONS, **options}
        self._apply(self._options)
        self.isasync = inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
        self.isgenerator = inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)
        self._signature = inspect.signature(fn)
        self._hints: dict[str, Any] | None = None

    def _apply(self, o: dict[str, Any]) -> None:
        """Check the options and set them as attributes."""
        fn = self.fn
        self.name = o["name"] or getattr(fn, "__name__", "flow").replace("_", "-")
        owner = f"Flow {self.name!r}"
        self.version, self.flow_run_name = o["version"], o["flow_run_name"]
        self.description = o["description"] if o["description"] is not None else (
            inspect.getdoc(fn))
        retries = o["retries"]
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                    or retries < 0):
            raise ValueError(f"{owner}: retries={retries!r} must be an int >= 0.")
        self.retries = retries or 0
        self.retry_delay_seconds = 0.0 if o["retry_delay_seconds"] is None else _number(
            o["retry_delay_seconds"], "retry_delay_seconds", owner)
        self.timeout_seconds = None if o["timeout_seconds"] is None else _number(
            o["timeout_seconds"], "timeout_seconds", owner, allow_zero=False)
        self.task_runner = _task_runner(o["task_runner"], owner)
        self.should_validate_parameters = bool(o["validate_parameters"])
        self.log_prints, self.journal = o["log_prints"], o["journal"]
        self.persist_result, self.result_storage = o["persist_result"], o["result_storage"]
        self.result_serializer = o["result_serializer"]
        self.cache_result_in_memory = o["cache_result_in_memory"]
        self.hooks = {name: hook_list(o[name], name, owner) for name in FLOW_HOOKS}

    def __repr__(self) -> str:
        return f"<EagerFlow: name={self.name!r}>"

    def __get__(self, instance: Any, owner: type | None = None) -> EagerFlow:
        """Bind the flow to ``instance`` when it is defined as a method of a class (to the
        class for a ``classmethod``; a ``staticmethod`` stays unbound)."""
        if self._binding is staticmethod:
            return self
        target = owner if self._binding is classmethod else instance
        if target is None:
            return self
        bound = copy.copy(self)
        bound.fn = types.MethodType(self.fn, target)
        bound._signature = inspect.signature(bound.fn)
        bound._binding = None
        return bound

    def with_options(self, **options: Any) -> EagerFlow:
        """A copy of this flow with some options changed (``name``, ``retries``, ...)."""
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise TypeError(f"with_options() got unknown option(s) {', '.join(unknown)}; the "
                            f"options of a flow are: {', '.join(self._options)}.")
        fn = self._binding(self.fn) if self._binding is not None else self.fn
        hooks = {k: list(v) for k, v in self.hooks.items()}
        return EagerFlow(fn, **{**self._options, **hooks, **options})

    def serve(self, *args: Any, **kwargs: Any) -> Any:
        """Serving a flow needs a Prefect server; prefectlite has none."""
        raise _server_only(f"{self.name}.serve()", "call the flow, or run it on a schedule "
                           "with `prefectlite run`")

    def deploy(self, *args: Any, **kwargs: Any) -> Any:
        """Deploying a flow needs a Prefect server; prefectlite has none."""
        raise _server_only(f"{self.name}.deploy()", "call the flow where it should run")

    @classmethod
    def from_source(cls, *args: Any, **kwargs: Any) -> Any:
        """Loading a flow from remote storage is a deployment feature; not in prefectlite."""
        raise _server_only("Flow.from_source()", "import the flow's module and call it")

    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(flow, flow_run, state)`` when a run completes."""
        self.hooks["on_completion"].append(fn)
        return fn

    def on_failure(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(flow, flow_run, state)`` when a run fails."""
        self.hooks["on_failure"].append(fn)
        return fn

    def on_running(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(flow, flow_run, state)`` when a run starts."""
        self.hooks["on_running"].append(fn)
        return fn

    def on_crashed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(flow, flow_run, state)`` when a run crashes."""
        self.hooks["on_crashed"].append(fn)
        return fn

    def on_cancellation(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: run ``fn(flow, flow_run, state)`` when a run is cancelled."""
        self.hooks["on_cancellation"].append(fn)
        return fn

    # -- parameters ----------------------------------------------------------------------

    def hints(self) -> dict[str, Any]:
        """The type hints of the flow function's arguments (resolved once)."""
        if self._hints is None:
            from prefectlite.eager.validation import type_hints

            self._hints = type_hints(self.fn)
        return self._hints

    @property
    def parameters(self) -> ParameterSchema:
        """The flow's parameters as JSON schema (names, types, defaults, required)."""
        from prefectlite.eager.validation import parameter_schema

        return ParameterSchema(parameter_schema(self._signature, self.hints()))

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by parameter name, defaults included.

        Raises
        ------
        TypeError
            If the arguments do not fit the function's signature.
        """
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"Flow {self.name!r}: {exc} (signature: {self._signature})"
                            ) from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """``parameters`` converted to the hinted types; raises ``ParameterTypeError``."""
        from prefectlite.eager.validation import validate

        return validate(self._signature, self.hints(), parameters)

    def call_with(self, parameters: dict[str, Any]) -> Any:
        """Call the function with ``parameters`` (by name, as :meth:`bind` made them)."""
        bound = inspect.BoundArguments(self._signature, parameters)  # type: ignore[arg-type,unused-ignore]
        return self.fn(*bound.args, **bound.kwargs)

    def run_name(self, parameters: dict[str, Any]) -> str | None:
        """The run name from ``flow_run_name`` (a template over the parameters, or a
        callable), or ``None`` for a generated one."""
        template = self.flow_run_name
        if template is None:
            return None
        try:
            name = template() if callable(template) else template.format(**parameters)
        except Exception as exc:
            raise ValueError(f"Flow {self.name!r}: flow_run_name {template!r} could not be "
                             f"made ({exc!r}); a template may use the flow's parameters, a "
                             "callable takes no arguments.") from exc
        return str(name)

    # -- running -------------------------------------------------------------------------

    def __call__(self, *args: Any, return_state: bool = False, wait_for: Any = None,
                 **kwargs: Any) -> Any:
        """Run the flow; return its result (or its final state with ``return_state=True``).

        An async flow returns a coroutine (run it with ``await`` or ``asyncio.run``), unless
        it is called from a running synchronous flow, which runs it to completion.
        """
        from prefectlite.eager.flow_engine import call_flow

        return call_flow(self, args, kwargs, return_state, wait_for)


@overload
def flow(__fn: Callable[..., Any]) -> EagerFlow: ...
@overload
def flow(*, name: str | None = None, **options: Any) -> Callable[[Callable[..., Any]],
                                                                 EagerFlow]: ...


def flow(__fn: Callable[..., Any] | None = None, **options: Any
         ) -> EagerFlow | Callable[[Callable[..., Any]], EagerFlow]:
    """Make a function an eager flow; usable as ``@flow`` or ``@flow(name=..., ...)``.

    Parameters
    ----------
    name
        The flow's name (default: the function's name with ``_`` replaced by ``-``).
    description, version
        Free text (the description defaults to the docstring).
    flow_run_name
        Name of each run: a ``str.format`` template over the parameters, or a callable
        without arguments (default: a generated two-word name).
    retries, retry_delay_seconds
        Run the whole body again this many times when the run fails, after this delay.
    timeout_seconds
        Fail the run (``Failed(name="TimedOut")``) when the body takes longer.
    task_runner
        Where ``task.submit``/``task.map`` run: a :class:`~prefectlite.task_runners.TaskRunner`
        (default ``ThreadPoolTaskRunner()``); each run uses a fresh copy.
    validate_parameters
        Convert the parameters to their type hints before the body runs (default ``True``).
    log_prints
        Send ``print`` output of the body and its tasks to the run's logger (default: the
        parent flow's setting, else ``False``).
    journal
        Record the run and its task runs in the run journal: ``True`` (the default journal
        file), a path, or a ``RunStore`` (default: the parent flow's journal, else none). A
        prefectlite extension; see :mod:`prefectlite.eager.journal`.
    """
    if __fn is None:
        return lambda fn: EagerFlow(fn, **options)
    return EagerFlow(__fn, **options)
