"""prefectlite's configuration: ``prefectlite.config``, loaded once when prefectlite is imported.

Three layers, later ones winning:

1. the defaults shipped with prefectlite (``prefectlite/config.toml``);
2. the user's TOML file, ``$PREFECTLITE__USER_CONFIG_PATH`` (default
   ``$PREFECTLITE_HOME/config.toml``, i.e. ``~/.prefectlite/config.toml``), when it exists;
3. environment variables ``PREFECTLITE__SECTION__KEY=value`` (key names are lower-cased except
   below ``context.secrets``; values are cast: ``true``/``false`` to bools, Python literals
   such as ``10`` or ``[1, 2]`` to their value, anything else stays a string).
   ``PREFECTLITE_HOME`` sets ``home_dir``.

String values may name environment variables (``$HOME``, ``~``) and other keys
(``"${section.key}"``, nestable: ``"${a.${b}}"``); both are expanded after the layers are
merged. The result is a :class:`Config`: a nested mapping with attribute access
(``prefectlite.config.logging.level``). Change it for a block of code with
:func:`prefectlite.utilities.configuration.set_temporary_config`.
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from ast import literal_eval
from collections.abc import Iterable, Mapping
from typing import Any

from prefectlite.utilities.collections import (
    CompoundKey,
    DotDict,
    dict_to_flatdict,
    flatdict_to_dict,
    merge_dicts,
)

DEFAULT_CONFIG = os.path.join(os.path.dirname(__file__), "config.toml")
ENV_VAR_PREFIX = "PREFECTLITE"


def user_config_path() -> str:
    """``$PREFECTLITE__USER_CONFIG_PATH``, else ``config.toml`` in ``$PREFECTLITE_HOME`` (default
    ``~/.prefectlite``)."""
    return os.getenv("PREFECTLITE__USER_CONFIG_PATH") or os.path.join(
        os.getenv("PREFECTLITE_HOME") or "~/.prefectlite", "config.toml")


USER_CONFIG = user_config_path()
INTERPOLATION_REGEX = re.compile(r"\${(.[^${}]*)}")
_MAX_EXPANSIONS = 100


class ConfigurationError(ValueError):
    """A configuration file, environment variable or reference that cannot be used."""


class Config(DotDict):
    """The configuration: a :class:`~prefectlite.utilities.collections.DotDict` whose nested
    mappings are ``Config`` objects too, so every level has attribute access.

    ``Config(default_box=True)`` (a name kept from Prefect 1's Box-based ``Config``) creates a
    missing section when it is read as an attribute, so ``c.a.b.c = 1`` works on an empty one.

    Examples
    --------
    >>> c = Config(logging={"level": "INFO"})
    >>> c.logging.level
    'INFO'
    >>> c.flows = {"checkpointing": True}
    >>> type(c.flows).__name__
    'Config'
    >>> d = Config(default_box=True)
    >>> d.tasks.defaults.max_retries = 2
    >>> d.to_dict()
    {'tasks': {'defaults': {'max_retries': 2}}}
    """

    __slots__ = ("_default_box",)
    _default_box: bool

    def __init__(self, init_dict: Mapping[Any, Any] | None = None, default_box: bool = False,
                 **kwargs: Any) -> None:
        object.__setattr__(self, "_default_box", default_box)
        super().__init__(init_dict, **kwargs)

    def __getattr__(self, key: str) -> Any:
        # only called for a missing attribute: a section is made on demand with default_box
        if key.startswith("__") or key == "_default_box" or not self._default_box:
            raise AttributeError(f"'Config' object has no attribute {key!r}")
        section = self.__dict__[key] = Config(default_box=True)
        return section

    def __reduce__(self) -> Any:
        return (_rebuild_config, (self.__dict__, self._default_box))

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, Mapping) and not isinstance(value, Config):
            value = Config(value, default_box=self._default_box)
        self.__dict__[key] = value

    def copy(self) -> Config:
        """A copy in which every level is a new ``Config`` (values themselves are shared)."""
        new = Config(default_box=self._default_box)
        for key, value in self.__dict__.items():
            new[key] = value.copy() if isinstance(value, Config) else value
        return new


def _rebuild_config(values: dict[Any, Any], default_box: bool) -> Config:
    config = Config(default_box=default_box)
    config.__dict__.update(values)
    return config


def string_to_type(val: str) -> Any:
    """Cast an environment variable's text: ``true``/``false`` (any case) to a bool, a Python
    literal (``10``, ``-1.5``, ``[1, 2]``, ``{"a": 1}``, ``None``) to its value, else the text.

    Examples
    --------
    >>> string_to_type("TRUE"), string_to_type("-7.5"), string_to_type("[1, 2]")
    (True, -7.5, [1, 2])
    >>> string_to_type("INFO")
    'INFO'
    """
    upper = val.upper()
    if upper == "TRUE":
        return True
    if upper == "FALSE":
        return False
    try:
        return literal_eval(val)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return val


def interpolate_env_vars(env_var: Any) -> Any:
    """Expand environment variables (``$X``, ``${X}``) and ``~`` in a string until it stops
    changing. A value that came out of more than one expansion is cast with
    :func:`string_to_type`. Anything but a non-empty string is returned unchanged.

    Examples
    --------
    >>> os.environ["_PL_DOC"] = "7"
    >>> interpolate_env_vars("$_PL_DOC"), interpolate_env_vars("x$_PL_DOCx")
    ('7', 'x$_PL_DOCx')
    """
    if not env_var or not isinstance(env_var, str):
        return env_var
    for expansions in range(10):
        expanded = os.path.expanduser(os.path.expandvars(env_var))
        if expanded == env_var:
            return string_to_type(expanded) if expansions > 1 else expanded
        env_var = expanded
    raise ConfigurationError(
        f"The environment variables in {env_var!r} keep expanding into more variables; "
        "check for a variable that refers to itself.")


def load_toml(path: str) -> dict[str, Any]:
    """The dictionary in the TOML file at ``path`` (``$VARS`` and ``~`` in the path expanded).

    A file that is not valid TOML raises :class:`ConfigurationError` naming the file and the
    place of the mistake.
    """
    path = str(interpolate_env_vars(path))
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"The configuration file {path} is not valid TOML: {exc}."
                                 ) from None


def _env_overrides(prefix: str) -> dict[CompoundKey, Any]:
    """The ``{PREFIX}__SECTION__KEY`` environment variables as flat config entries."""
    start = prefix + "__"
    found: dict[CompoundKey, Any] = {}
    for name, text in os.environ.items():
        if not name.startswith(start):
            continue
        option = name[len(start):]
        if option.upper().startswith("CONTEXT__SECRETS__"):
            # secret names keep their case: they are looked up as written
            parts = ["context", "secrets", *option.split("__")[2:]]
        else:
            parts = option.lower().split("__")
        if not all(parts):
            raise ConfigurationError(
                f"The environment variable {name} does not name a configuration key: use "
                f"{prefix}__SECTION__KEY with single underscores inside names.")
        found[CompoundKey(parts)] = string_to_type(str(interpolate_env_vars(text)))
    return found


def _expand_references(flat: dict[CompoundKey, Any]) -> None:
    """Replace every ``${a.b}`` in the string values of ``flat`` by the value of key ``a.b``.

    A value that is exactly one reference takes the referenced value with its type; a
    reference inside a longer string is put in as text. A key that is missing gives ``""``.
    A key that refers back to itself, directly or through others, is a ConfigurationError.
    """
    done: set[CompoundKey] = set()

    def resolve(key: CompoundKey, chain: tuple[CompoundKey, ...]) -> None:
        if key in done or key not in flat:
            return
        if key in chain:
            loop = " -> ".join(".".join(map(str, k)) for k in (*chain, key))
            raise ConfigurationError(f"The configuration references form a loop: {loop}.")
        value = flat[key]
        for _ in range(_MAX_EXPANSIONS):
            if not isinstance(value, str):
                break
            match = INTERPOLATION_REGEX.search(value)
            if match is None:
                break
            ref = CompoundKey(match.group(1).split("."))
            resolve(ref, (*chain, key))
            ref_value = flat.get(ref, "")
            if value == match.group(0):
                value = ref_value
            else:
                value = value.replace(match.group(0), str(ref_value), 1)
        else:
            raise ConfigurationError(
                f"The configuration value of {'.'.join(map(str, key))} keeps expanding into "
                "more ${...} references.")
        flat[key] = value
        done.add(key)

    for key in list(flat):
        resolve(key, ())


def interpolate_config(config: Mapping[str, Any], env_var_prefix: str | None = None) -> Config:
    """Apply the environment overrides (when ``env_var_prefix`` is given), expand environment
    variables in string values (casting them as :func:`string_to_type` does), then expand
    ``${...}`` references to other keys; return the result as a :class:`Config`."""
    flat = dict_to_flatdict(config)
    if env_var_prefix:
        for key, value in _env_overrides(env_var_prefix).items():
            for size in range(1, len(key)):
                above = flat.get(CompoundKey(key[:size]))
                if above is not None:
                    raise ConfigurationError(
                        f"The environment variable {env_var_prefix}__"
                        f"{'__'.join(key).upper()} sets a key below "
                        f"{'.'.join(key[:size])}, which is the value {above!r}, not a section.")
            flat[key] = value
    for key, value in flat.items():
        if isinstance(value, str):
            value = interpolate_env_vars(value)
            flat[key] = string_to_type(value) if isinstance(value, str) else value
    _expand_references(flat)
    result: Config = flatdict_to_dict(flat, dct_class=Config)
    return result


def validate_config(config: Config) -> None:
    """Raise :class:`ConfigurationError` for a key that would hide a method of ``Config``
    (``keys``, ``items``, ``copy``, ...), naming its full path."""
    reserved = set(dir(Config))

    def check(section: Config, path: tuple[str, ...]) -> None:
        for key, value in section.__dict__.items():
            if key in reserved:
                raise ConfigurationError(
                    f"Invalid config key: {'.'.join((*path, key))!r}; {key!r} is the name of "
                    "a Config method, choose another name.")
            if isinstance(value, Config):
                check(value, (*path, str(key)))

    check(config, ())


def load_configuration(path: str, user_config_path: str | None = None,
                       env_var_prefix: str | None = None) -> Config:
    """Load the TOML file ``path``, merge the file ``user_config_path`` over it (when that
    exists), apply ``{env_var_prefix}__...`` environment variables, expand references, and
    validate the keys."""
    config = load_toml(path)
    if user_config_path and os.path.isfile(str(interpolate_env_vars(user_config_path))):
        config = merge_dicts(config, load_toml(user_config_path))
    result = interpolate_config(config, env_var_prefix=env_var_prefix)
    validate_config(result)
    return result


def process_task_defaults(config: Config) -> Config:
    """Give ``tasks.defaults`` their Python values: ``max_retries`` 0 when unset or false,
    ``retry_delay`` ``None`` when unset or false and a ``timedelta`` when a number of seconds,
    ``timeout`` ``None`` when unset or false."""
    defaults = config.setdefault("tasks", Config()).setdefault("defaults", Config())
    defaults["max_retries"] = defaults.get("max_retries") or 0
    delay = defaults.get("retry_delay", False)
    if delay is False or delay is None:
        defaults["retry_delay"] = None
    elif isinstance(delay, (int, float)) and not isinstance(delay, bool):
        defaults["retry_delay"] = datetime.timedelta(seconds=delay)
    if defaults.get("timeout", False) is False:
        defaults["timeout"] = None
    return config


def to_environment_variables(config: Mapping[str, Any], include: Iterable[str] | None = None,
                             prefix: str = ENV_VAR_PREFIX) -> dict[str, str]:
    """The environment variables (``PREFIX__SECTION__KEY: str(value)``) that reproduce
    ``config``; ``include`` limits them to the given dotted keys.

    Examples
    --------
    >>> to_environment_variables({"logging": {"level": "DEBUG"}})
    {'PREFECTLITE__LOGGING__LEVEL': 'DEBUG'}
    """
    wanted = set(include) if include else None
    return {
        "__".join([prefix, *map(str, key)]).upper(): str(value)
        for key, value in dict_to_flatdict(config).items()
        if wanted is None or ".".join(map(str, key)) in wanted
    }


def create_user_config(dest_path: str, source_path: str = DEFAULT_CONFIG) -> None:
    """Write a copy of the default configuration to ``dest_path`` to edit; an existing file
    is a ValueError (nothing is overwritten)."""
    dest = str(interpolate_env_vars(dest_path))
    if os.path.isfile(dest):
        raise ValueError(f"File already exists: {dest}")
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    with open(source_path, encoding="utf-8") as source, open(dest, "w", encoding="utf-8") as out:
        out.write(source.read())


def load_default_config() -> Config:
    """The configuration prefectlite uses: defaults, user file, environment (see the module
    docstring)."""
    home = os.environ.get("PREFECTLITE_HOME")
    overrides = {"home_dir": home} if home and "PREFECTLITE__HOME_DIR" not in os.environ else {}
    defaults = merge_dicts(load_toml(DEFAULT_CONFIG), overrides)
    user = str(interpolate_env_vars(user_config_path()))
    if os.path.isfile(user):
        defaults = merge_dicts(defaults, load_toml(user))
        if overrides:  # PREFECTLITE_HOME still beats the file, as any environment variable does
            defaults = merge_dicts(defaults, overrides)
    _check_known_keys(defaults, _env_overrides(ENV_VAR_PREFIX))
    config = interpolate_config(defaults, env_var_prefix=ENV_VAR_PREFIX)
    validate_config(config)
    return process_task_defaults(config)


def _check_known_keys(known: Mapping[str, Any], overrides: Mapping[CompoundKey, Any]) -> None:
    """A ``PREFECTLITE__...`` variable inside one of prefectlite's own sections (all but
    ``context``) must name a key that exists: a misspelt name would otherwise do nothing.
    New top-level keys and sections, and keys in ``[context]``, are free."""
    flat = dict_to_flatdict(known)
    sections = {key[0] for key in flat if len(key) > 1} - {"context"}
    for key in overrides:
        if len(key) < 2 or key[0] not in sections or key in flat:
            continue
        prefix = CompoundKey(key[:-1])
        siblings = sorted(".".join(map(str, k)) for k in flat if k[:len(prefix)] == prefix)
        name = f"{ENV_VAR_PREFIX}__{'__'.join(map(str, key)).upper()}"
        raise ConfigurationError(
            f"The environment variable {name} sets {'.'.join(map(str, key))}, which is not a "
            f"configuration key ({', '.join(siblings) or 'no keys there'} are). Check the "
            "spelling, or add the key to your config.toml first if it is one of your own.")


config: Config = load_default_config()
