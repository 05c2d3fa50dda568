"""Parameter values from the command line: ``-p NAME=VALUE`` and ``--params-file FILE.json``.

A ``-p`` value is read as JSON when it parses (``-p n=3`` is the number 3, ``-p 'xs=[1, 2]'``
a list) and as a plain string otherwise (``-p name=Marvin``). A params file must hold one
JSON object; ``-p`` values win over the file's.

Parameters are untyped in Prefect 1, so the *shape* a value must have comes from the
Parameter itself (:func:`shape_problem`):

* ``null`` is accepted for every Parameter, and so is any value for a Parameter whose
  default is ``None`` (or that has no default);
* otherwise the value must be of the same JSON kind as the default: boolean, number (int
  and float alike), string, list or object. A string default takes the ``-p`` text as it is
  (``-p name=123`` gives the string ``"123"``);
* a ``DateTimeParameter`` needs a string that pendulum can parse.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefectlite.cli._errors import CliError
from prefectlite.core.flow import Flow
from prefectlite.core.parameter import DateTimeParameter, Parameter
from prefectlite.exceptions import ParameterError


@dataclass(frozen=True)
class Given:
    """A parameter value from the command line; ``raw`` is the ``-p`` text (None: a file)."""

    value: Any
    raw: str | None = None


def parse_param(text: str) -> tuple[str, Given]:
    """Parse one ``-p NAME=VALUE``.

    Examples
    --------
    >>> parse_param("n=3"), parse_param("name=Marvin")[1].value, parse_param("xs=[1, 2]")[1].value
    (('n', Given(value=3, raw='3')), 'Marvin', [1, 2])
    >>> parse_param("path=a=b")[1].value
    'a=b'
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CliError(f"malformed --param {text!r}: expected NAME=VALUE, e.g. -p n=3, "
                       "-p name=Marvin or -p 'xs=[1, 2]' (VALUE is JSON, else a string).")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, Given(value, raw)


def read_params_file(path: str) -> dict[str, Given]:
    """The JSON object in ``path``, as given values."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read --params-file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise CliError(f"--params-file {path} is not UTF-8 text (byte 0x{byte:02x} at offset "
                       f"{exc.start}); save it as UTF-8 JSON.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"--params-file {path} is not valid JSON: {exc.msg} at line "
                       f"{exc.lineno}, column {exc.colno}.") from None
    except RecursionError:
        raise CliError(f"--params-file {path} is nested too deeply to read as JSON.") from None
    if not isinstance(data, dict):
        raise CliError(f"--params-file {path} must hold a JSON object "
                       f'({{"name": value, ...}}), not {_kind_name(data)}.')
    return {str(k): Given(v) for k, v in data.items()}


def gather(params: Iterable[str], params_file: str | None) -> dict[str, Given]:
    """The values of ``--params-file`` overlaid with the ``-p`` ones."""
    given = read_params_file(params_file) if params_file else {}
    for text in params:
        name, value = parse_param(text)
        given[name] = value
    return given


_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
    ((list, tuple), "a list"), (dict, "an object"),
)


def _kind_name(value: Any) -> str | None:
    """The JSON kind of ``value`` ("a number", ...), or None for anything else.

    Examples
    --------
    >>> _kind_name(True), _kind_name(1.5), _kind_name((1,)), _kind_name(None)
    ('a boolean', 'a number', 'a list', None)
    """
    for types, name in _KINDS:
        if isinstance(value, types):
            return name
    return None


def shape_problem(param: Parameter, given: Given) -> tuple[Any, str | None]:
    """The value to use for ``param`` and, if it has the wrong shape, why (see above)."""
    value = given.value
    if param.type is not None:
        return _typed(param, given)
    if value is None:
        return value, None
    if isinstance(param, DateTimeParameter):
        return value, _datetime_problem(param, value)
    wanted = _kind_name(param.default)
    if wanted is None:
        return value, None
    if wanted == "a string" and given.raw is not None and not isinstance(value, str):
        return given.raw, None
    got = _kind_name(value)
    if got == wanted:
        return value, None
    return value, (f"parameter {param.name!r} takes {wanted} (like its default "
                   f"{json.dumps(param.default, default=repr)}), got {got or 'a value'}: "
                   f"{json.dumps(value, default=repr)}")


def _typed(param: Parameter, given: Given) -> tuple[Any, str | None]:
    """A typed Parameter's value converted; a JSON-looking text for a ``str`` stays text."""
    try:
        return param.coerce(given.value), None
    except ParameterError as exc:
        if given.raw is not None and given.raw != given.value:
            with contextlib.suppress(ParameterError):  # e.g. -p zip=01234 for a str
                return param.coerce(given.raw), None
        return given.value, str(exc)


def _datetime_problem(param: Parameter, value: Any) -> str | None:
    import pendulum

    if isinstance(value, str):
        try:
            pendulum.parse(value)
            return None
        except Exception:  # pendulum raises its own ParserError (a ValueError) and others
            pass
    return (f"parameter {param.name!r} takes a date-time string such as "
            f"2024-01-31T09:00:00+00:00, got {json.dumps(value, default=repr)}")


def resolve(
    flow: Flow, given: dict[str, Given], supplied: Iterable[str] = ()
) -> tuple[dict[str, Any], list[str]]:
    """The parameter values to run ``flow`` with, and every problem with ``given``.

    ``supplied`` names parameters that get a value elsewhere (a schedule's clocks).
    """
    known = {p.name: p for p in flow.parameters()}
    supplied = set(supplied)
    problems = []
    unknown = sorted(set(given) - set(known))
    if unknown:
        problems.append(f"flow {flow.name!r} has no parameter {_names(unknown)}; its "
                        f"parameters are: {', '.join(sorted(known)) or '(none)'}")
    missing = sorted(n for n, p in known.items()
                     if p.required and n not in given and n not in supplied)
    if missing:
        hint = " ".join(f"-p {n}=VALUE" for n in missing)
        problems.append(f"flow {flow.name!r} needs a value for the required parameter "
                        f"{_names(missing)}: pass {hint}")
    values = {}
    for name in sorted(set(given) & set(known)):
        values[name], problem = shape_problem(known[name], given[name])
        if problem:
            problems.append(problem)
    return values, problems


def _names(names: list[str]) -> str:
    return ", ".join(map(repr, names)) if len(names) > 1 else repr(names[0])
