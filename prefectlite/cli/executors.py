"""``-e/--executor``: from a word on the command line to an :class:`Executor`.

========================  ==============================================================
``local``                 ``LocalExecutor`` (one task at a time, in the CLI's process)
``threads``               ``LocalDaskExecutor(scheduler="threads")``
``processes``             ``LocalDaskExecutor(scheduler="processes")``
``dask``                  ``DaskExecutor()``: a temporary ``LocalCluster`` for the run
``tcp://HOST:PORT``       ``DaskExecutor(address=...)``: a running scheduler (also
                          ``tls://``, ``ucx://``, ... and a bare ``HOST:PORT``)
(no ``-e``)               the flow's own ``executor``, else ``LocalExecutor``
========================  ==============================================================

A scheduler address is checked before anything runs: within ``--connect-timeout`` seconds a
TCP connection must open and, for ``tcp://``, the scheduler must send the first bytes of
its handshake (a Dask scheduler speaks first). So an unreachable address, or one where
something other than a scheduler listens, is a one-line error, never a hang; the Dask client
then gets the same connect timeout. (``distributed`` itself waits for the handshake with no
time limit.)
"""

from __future__ import annotations

import importlib.util
import re
import socket
import time
from urllib.parse import urlsplit

from prefectlite.cli._errors import CliError
from prefectlite.core.flow import Flow
from prefectlite.executors.base import Executor
from prefectlite.executors.local import LocalExecutor

CHOICES = ("local", "threads", "processes", "dask")
DEFAULT_CONNECT_TIMEOUT = 5.0
_HOST_PORT = re.compile(r"[\w.\-]+:\d+|\[[0-9a-fA-F:]+\]:\d+")


def is_address(spec: str) -> bool:
    """Whether ``spec`` is a scheduler address.

    Examples
    --------
    >>> is_address("tcp://10.0.0.5:8786"), is_address("10.0.0.5:8786"), is_address("dask")
    (True, True, False)
    """
    return "://" in spec or bool(_HOST_PORT.fullmatch(spec))


def as_address(spec: str) -> str:
    """``spec`` with a scheme (``tcp://`` when it has none).

    Examples
    --------
    >>> as_address("10.0.0.5:8786"), as_address("tls://sched:8786")
    ('tcp://10.0.0.5:8786', 'tls://sched:8786')
    """
    spec = spec.strip()
    return spec if "://" in spec else f"tcp://{spec}"


def make_executor(
    spec: str | None, flow: Flow, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    check_address: bool = True,
) -> Executor:
    """The executor ``spec`` names (see the module docstring); checks addresses first."""
    if spec is None:
        own = flow.executor
        address = getattr(own, "address", None)
        if check_address and type(own).__name__ == "DaskExecutor" and isinstance(address, str):
            check_reachable(as_address(address), connect_timeout)
        return own or LocalExecutor()
    word = spec.strip().lower()
    if word == "local":
        return LocalExecutor()
    if word in ("threads", "processes"):
        _require("dask", f"-e {word}", "dask")
        from prefectlite.executors.dask import LocalDaskExecutor

        return LocalDaskExecutor(scheduler=word)
    if word == "dask" or is_address(spec):
        _require("distributed", f"-e {spec}", "dask")
        from prefectlite.executors.dask import DaskExecutor

        client_kwargs = {"timeout": connect_timeout}
        if word == "dask":
            return DaskExecutor(client_kwargs=client_kwargs)
        address = as_address(spec)
        if check_address:
            check_reachable(address, connect_timeout)
        return DaskExecutor(address=address, client_kwargs=client_kwargs)
    raise CliError(f"unknown executor {spec!r}: use local, threads, processes, dask, or a "
                   "Dask scheduler address such as tcp://127.0.0.1:8786.")


def _require(module: str, what: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise CliError(f"{what} needs the {module} package: pip install "
                       f"\"prefectlite[{extra}]\".")


def check_reachable(address: str, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Raise :class:`CliError` unless a TCP connection to ``address`` opens in ``timeout`` s.

    Only ``tcp://`` and ``tls://`` addresses are checked (others are left to the client).
    """
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        raise CliError(f"malformed Dask scheduler address {address!r}: expected "
                       "tcp://HOST:PORT.") from None
    if not host:
        raise CliError(f"malformed Dask scheduler address {address!r}: expected "
                       "tcp://HOST:PORT.")
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if parts.scheme == "tcp":  # a scheduler speaks first: its handshake
                sock.settimeout(max(0.01, timeout - (time.monotonic() - start)))
                if not sock.recv(1):
                    raise ConnectionResetError("the connection was closed at once")
    except OSError as exc:
        waited = time.monotonic() - start
        why = ("no answer" if isinstance(exc, TimeoutError)
               else exc.strerror or str(exc) or type(exc).__name__)
        raise CliError(f"cannot reach the Dask scheduler at {address}: {why} (after "
                       f"{waited:.1f} s; --connect-timeout is {timeout:g} s). Is the "
                       "scheduler running, and is the address right?") from None


def pickling_reason(executor: Executor) -> str | None:
    """Why ``executor`` pickles tasks and their inputs (None: it does not).

    Read from the executor's own contract: ``ships_work`` (its work is pickled to other
    processes) and ``resolves_futures`` (those processes are a Dask cluster's workers, which
    resolve the futures they are given).

    Examples
    --------
    >>> pickling_reason(LocalExecutor()) is None
    True
    >>> from prefectlite.executors import LocalDaskExecutor
    >>> pickling_reason(LocalDaskExecutor("processes"))
    'it runs tasks in other processes'
    """
    if not executor.ships_work:
        return None
    if executor.resolves_futures:
        return "it sends tasks to Dask workers"
    return "it runs tasks in other processes"
