"""Shared fixtures. The Dask ones start a real ``distributed.LocalCluster`` (no mocks).

One cluster serves the whole session: 2 worker processes with 1 thread each, no dashboard
port of its own (``":0"``), so two clusters never fight over port 8787. A test that kills a
worker leaves the cluster whole: the nanny starts a new worker process.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

import prefectlite
from prefectlite import configuration


@pytest.fixture
def config_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``config_env(NAME, value)`` sets (``None``: removes) an environment variable and makes
    ``prefectlite.config`` what a process started with that environment would load, as it is
    read once at import. Both are undone after the test."""

    def apply(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        fresh = configuration.load_default_config()
        for key in [k for k in prefectlite.config if k not in fresh]:
            monkeypatch.delitem(prefectlite.config, key)
        for key, section in fresh.items():
            monkeypatch.setitem(prefectlite.config, key, section)

    return apply


@pytest.fixture(scope="module")
def engine_info_lines() -> Iterator[None]:
    """For modules that read the engine's INFO lines back (from the journal, the CLI or the
    dashboard): make sure they are made (an earlier test or example may have quieted a
    logger), and restore the levels afterwards."""
    names = ("prefectlite", "prefectlite.TaskRunner", "prefectlite.FlowRunner")
    saved = {name: logging.getLogger(name).level for name in names}
    logging.getLogger("prefectlite").setLevel(logging.INFO)
    for name in names[1:]:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` for the session."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


@pytest.fixture
def dask_address(dask_cluster: Any) -> str:
    """The session cluster's scheduler address (what ``DaskExecutor(address=...)`` takes)."""
    return str(dask_cluster.scheduler_address)


@pytest.fixture
def dask_client(dask_cluster: Any) -> Iterator[Any]:
    """A client of the session cluster, for looking at the workers from a test."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        yield client


# -- local servers for notification tests (127.0.0.1 only) ----------------------------------


class LocalWebhook:
    """An HTTP server on 127.0.0.1 answering ``status`` and recording each JSON body posted."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's name
                hook.paths.append(self.path)
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 400 else b"invalid_payload")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_webhook() -> Iterator[Callable[..., LocalWebhook]]:
    """Start ``LocalWebhook(status)`` servers; all are stopped after the test."""
    started: list[LocalWebhook] = []

    def start(status: int = 200) -> LocalWebhook:
        started.append(LocalWebhook(status))
        return started[-1]

    yield start
    for hook in started:
        hook.close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: Any = self.server
        self.reply("220 localhost test SMTP")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                extra = "250-STARTTLS\r\n" if server.mode == "STARTTLS" else ""
                self.reply(f"250-localhost\r\n{extra}250 AUTH PLAIN")
            elif verb == "STARTTLS":
                self.reply("220 go ahead")
                self.connection = server.tls.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb", buffering=0)
            elif verb == "AUTH":
                _, user, password = base64.b64decode(line.split()[2]).split(b"\0")
                server.logins.append((user.decode(), password.decode()))
                self.reply("235 accepted")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    data += self.rfile.readline()
                server.mails.append(data.decode())
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def finish(self) -> None:
        super().finish()
        self.connection.close()  # after STARTTLS, the TLS socket the server does not know


class LocalSMTPServer(socketserver.ThreadingTCPServer):
    """An SMTP server on 127.0.0.1: ``mode`` "SSL", "STARTTLS" or "INSECURE"; it records
    ``logins`` (user, password) and the raw ``mails``."""

    daemon_threads = True

    def __init__(self, mode: str, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.mode, self.tls = mode, tls
        self.logins: list[tuple[str, str]] = []
        self.mails: list[str] = []
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.mode == "SSL":
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, addr


@pytest.fixture
def smtp_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 ) -> Iterator[Callable[[str], LocalSMTPServer]]:
    """Start ``LocalSMTPServer(mode)`` servers with a certificate for 127.0.0.1 that the
    process trusts (``SSL_CERT_FILE``) for the test; all are stopped after it."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    started: list[LocalSMTPServer] = []

    def start(mode: str) -> LocalSMTPServer:
        started.append(LocalSMTPServer(mode, tls))
        return started[-1]

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt`` here, as in an interactive run (a test runner
    started in the background inherits SIGINT ignored)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
