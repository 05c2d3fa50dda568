"""Finding the flow a command works on: ``PATH_OR_MODULE[:FLOW_NAME]``.

A target naming an existing file, ending in ``.py`` or containing a path separator is a
file; anything else is an importable module (the current directory is on the import path,
as with ``python -m``). A file is executed as a module named after it, with its directory
first on ``sys.path`` and ``__name__`` not ``"__main__"`` (so an
``if __name__ == "__main__": flow.run()`` block does not run), and it is registered with
cloudpickle to be pickled *by value*: worker processes and Dask workers do not need to be
able to import it.

Every ``Flow`` object and every eager ``@flow`` function among the module's globals is a
candidate. ``FLOW_NAME`` picks one by its ``name`` or by the variable that holds it; without
it, the module must hold exactly one. ``FLOW_NAME`` may also name a module-level function
that takes no arguments and returns a ``Flow`` (``examples/branching.py:build``): it is
called and its flow is used. When nothing is found, the error lists what the module does
define, so the fix is one edit of the command line away.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from prefectlite.cli._errors import CliError
from prefectlite.core.flow import Flow


class TargetNotFound(CliError):
    """The file or module named on the command line does not exist."""


class FlowCodeError(CliError):
    """The flow's file or module exists but does not load (syntax error, exception, ...)."""


@dataclasses.dataclass
class LoadedFlow:
    """A flow and where it came from (for messages).

    ``flow`` is a graph :class:`~prefectlite.core.flow.Flow` or an eager ``@flow`` function
    (:class:`~prefectlite.eager.flows.EagerFlow`); ``is_eager`` tells which.
    """

    flow: Any
    source: str
    variable: str
    module: ModuleType

    @property
    def is_eager(self) -> bool:
        return not isinstance(self.flow, Flow)

    def graph_flow(self, command: str) -> Flow:
        """The graph flow, or a one-line error saying why ``command`` needs one."""
        if self.is_eager:
            raise CliError(
                f"{self.source}: {self.variable} is an eager @flow function; its tasks are "
                f"known only while it runs, so `prefectlite {command}` has no graph to show. "
                f"Run it with `prefectlite run {self.source}:{self.variable}`.")
        flow: Flow = self.flow
        return flow


def split_target(target: str) -> tuple[str, str | None]:
    """Split ``PATH_OR_MODULE[:FLOW_NAME]``.

    Examples
    --------
    >>> split_target("flows/etl.py:nightly")
    ('flows/etl.py', 'nightly')
    >>> split_target("pkg.flows")
    ('pkg.flows', None)
    >>> split_target(r"C:\\flows\\etl.py")
    ('C:\\\\flows\\\\etl.py', None)
    """
    source, sep, name = target.rpartition(":")
    if sep and source and name and not re.search(r"[/\\]", name):
        return source, name
    return target, None


def is_path(source: str) -> bool:
    """Whether ``source`` names a file rather than a module.

    Examples
    --------
    >>> is_path("examples/first_steps.py"), is_path("first_steps.py"), is_path("pkg.flows")
    (True, True, False)
    """
    return source.endswith(".py") or "/" in source or os.sep in source or Path(source).is_file()


def load_module(source: str) -> ModuleType:
    """Import the file or module ``source`` (see the module docstring)."""
    return _load_file(Path(source)) if is_path(source) else _import_module(source)


def load_flow(target: str) -> LoadedFlow:
    """The flow ``target`` names. Raises :class:`CliError` subclasses with one-line messages."""
    source, name = split_target(target)
    module = load_module(source)
    flows = find_flows(module)
    if not flows or (name is not None and not _named(flows, name)):
        built = _built_flow(module, name, source)
        if built is not None:
            return LoadedFlow(built, source, f"{name}()", module)
    variable, flow = select_flow(flows, name, source, module)
    return LoadedFlow(flow, source, variable, module)


def is_flow(value: Any) -> bool:
    """Whether ``value`` is a graph ``Flow`` or an eager ``@flow`` function."""
    if isinstance(value, Flow):
        return True
    eager = sys.modules.get("prefectlite.eager.flows")
    return eager is not None and isinstance(value, eager.EagerFlow)


def find_flows(module: ModuleType) -> list[tuple[str, Any]]:
    """``(variable, flow)`` for each distinct flow (graph or eager) among ``module``'s globals."""
    seen: set[int] = set()
    found = []
    for variable, value in vars(module).items():
        if is_flow(value) and id(value) not in seen:
            seen.add(id(value))
            found.append((variable, value))
    return found


def _named(flows: list[tuple[str, Any]], name: str) -> list[tuple[str, Any]]:
    return [(v, f) for v, f in flows if f.name == name] or [(v, f) for v, f in flows if v == name]


def _builders(module: ModuleType) -> list[str]:
    """Functions defined in ``module`` that can be called without arguments."""
    names = []
    for variable, value in vars(module).items():
        if (inspect.isfunction(value) and value.__module__ == module.__name__
                and not variable.startswith("_") and _no_arguments(value)):
            names.append(variable)
    return names


def _no_arguments(fn: Any) -> bool:
    try:
        inspect.signature(fn).bind()
    except (TypeError, ValueError):
        return False
    return True


def _built_flow(module: ModuleType, name: str | None, source: str) -> Flow | None:
    """The Flow returned by the module's function ``name`` (``None``: no such function)."""
    fn = vars(module).get(name) if name else None
    if not inspect.isfunction(fn):
        return None
    if not _no_arguments(fn):
        raise CliError(f"{source}:{name} is a function that needs arguments; name a function "
                       "that takes none and returns a Flow, or a flow.")
    returns = inspect.signature(fn).return_annotation
    if returns in (None, "None", type(None)):  # annotated as returning nothing: don't run it
        raise CliError(f"{source}:{name}() is annotated to return None, not a Flow; name a "
                       "function that returns the Flow it builds, or a flow.")
    try:
        value = fn()
    except BaseException as exc:
        _raise_load_error(exc, f"{source}:{name}", str(Path(source).resolve()))
    if not isinstance(value, Flow):
        raise CliError(f"{source}:{name}() returned {type(value).__name__}, not a Flow; name a "
                       "function that returns the Flow it builds, or a flow.")
    return value


def select_flow(
    flows: list[tuple[str, Any]], name: str | None, source: str,
    module: ModuleType | None = None,
) -> tuple[str, Any]:
    """The one flow named ``name`` (by ``flow.name`` or variable), or the only flow."""
    listing = ", ".join(f"{f.name!r} (variable {v})" for v, f in flows)
    if not flows:
        raise CliError(_nothing_found(source, name, module))
    if name is None:
        if len(flows) > 1:
            raise CliError(f"{source} defines {len(flows)} flows: {listing}; pick one with "
                           f"{source}:FLOW_NAME.")
        return flows[0]
    matches = _named(flows, name)
    if not matches:
        raise CliError(f"{source} has no flow named {name!r}; its flows are: {listing}.")
    if len(matches) > 1:
        raise CliError(f"{source} has {len(matches)} flows named {name!r} ({listing}); "
                       "pick one by its variable name.")
    return matches[0]


def _nothing_found(source: str, name: str | None, module: ModuleType | None) -> str:
    """The error for a module without flows: what it does define, and the fix."""
    head = (f"{source} has nothing named {name!r}" if name else
            f"{source} defines no flow at module level (no Flow object, no @flow function)")
    builders = _builders(module) if module is not None else []
    if builders:
        shown = ", ".join(f"{b}()" for b in builders[:6])
        return (f"{head}; it defines the functions {shown}: if one of them returns a Flow, "
                f"name it, e.g. {source}:{builders[0]}.")
    return (f"{head}; build one at the top level with `with Flow(\"name\") as flow:`, or "
            "decorate a function with @flow.")


def _module_name(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem) or "flow"
    if stem[0].isdigit():
        stem = f"_{stem}"
    name, n = stem, 1
    while name in sys.modules and getattr(sys.modules[name], "__file__", None) != str(path):
        n += 1
        name = f"{stem}_{n}"
    return name


def _load_file(path: Path) -> ModuleType:
    if not path.exists():
        raise TargetNotFound(f"file not found: {path}")
    if not path.is_file():
        raise TargetNotFound(f"not a file: {path}")
    path = path.resolve()
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetNotFound(f"cannot load {path} as Python code (expected a .py file).")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        _raise_load_error(exc, str(path), str(path))
    import cloudpickle

    cloudpickle.register_pickle_by_value(module)
    return module


def _import_module(source: str) -> ModuleType:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as exc:
        if exc.name and (source == exc.name or source.startswith(exc.name + ".")):
            raise TargetNotFound(
                f"cannot import module {source!r}: {exc} (give a file path ending in .py, "
                "or a module importable from the current directory)"
            ) from None
        _raise_load_error(exc, source)
    except BaseException as exc:
        _raise_load_error(exc, source)
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_load_error(exc: BaseException, source: str, file: str | None = None) -> None:
    """Re-raise ``exc`` from loading ``source`` as a :class:`FlowCodeError`.

    The line shown is the last one of ``file`` (the flow's file) in the traceback, else the
    last one outside prefectlite and the import machinery.
    """
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if isinstance(exc, SyntaxError):
        where = exc.filename or file or source
        where = where if exc.lineno is None else f"{where}, line {exc.lineno}"
        code = (exc.text or "").rstrip("\n")
        detail = f"\n    {code.strip()}" if code.strip() else ""
        raise FlowCodeError(f"{where}: {type(exc).__name__}: {exc.msg}{detail}") from None
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if f.filename == file] or [
        f for f in frames if not _is_ours(f.filename)
    ]
    where = f"{inside[-1].filename}, line {inside[-1].lineno}" if inside else source
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, SystemExit):
        what = f"the code called sys.exit({exc.code!r}) while being loaded"
    if inside and inside[-1].filename == file:
        raise FlowCodeError(f"{where}: {what}") from None
    raise FlowCodeError(f"loading {source} failed at {where}: {what}") from None


_PACKAGE = str(Path(__file__).resolve().parent.parent) + os.sep


def _is_ours(filename: str) -> bool:
    """Frames of importlib itself or of prefectlite (not where the user's mistake is)."""
    return filename.startswith("<frozen importlib") or filename.startswith(_PACKAGE)
