"""Notification state handlers, against local servers on 127.0.0.1 started by the tests."""

from __future__ import annotations

import base64
import email
import email.header
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from prefectlite import Flow, Task, context, task
from prefectlite.engine.state import Failed, Running, Success
from prefectlite.utilities import notifications
from prefectlite.utilities.notifications import (
    callback_factory,
    email_message_formatter,
    gmail_notifier,
    slack_message_formatter,
    slack_notifier,
)

# -- a local webhook -------------------------------------------------------------------------


class Webhook:
    """An HTTP server on 127.0.0.1 recording the JSON bodies posted to it."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's name
                length = int(self.headers["Content-Length"])
                hook.paths.append(self.path)
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as hook, context(secrets={"SLACK_WEBHOOK_URL": hook.url}):
        yield hook


# -- callback_factory ------------------------------------------------------------------------


def test_callback_factory_calls_back_only_when_the_check_passes() -> None:
    calls: list[tuple[str, str]] = []
    handler = callback_factory(lambda obj, s: calls.append((obj.name, type(s).__name__)),
                               lambda s: s.is_failed())

    @task(state_handlers=[handler])
    def boom() -> None:
        raise RuntimeError("no")

    @task(state_handlers=[handler])
    def fine() -> int:
        return 1

    with Flow("cb", state_handlers=[handler]) as flow:
        boom()
        fine()
    flow.run()
    assert sorted(calls) == [("boom", "Failed"), ("cb", "Failed")]
    state = Success()
    assert handler(Task(), Running(), state) is state


# -- Slack -----------------------------------------------------------------------------------


def test_slack_message_shows_the_exception_or_the_message() -> None:
    failed = slack_message_formatter(Task(name="t"), Failed(result=ValueError("bad")))
    attachment = failed["attachments"][0]
    assert attachment["fields"][0]["value"] == "```ValueError('bad')```"
    assert attachment["title"] == "Failed" and attachment["color"] == Failed.color
    quiet = slack_message_formatter(Task(name="t"), Success())["attachments"][0]
    assert quiet["fields"] == []


def test_slack_notifier_posts_every_state_change_of_a_flow_run(webhook: Webhook) -> None:
    @task(state_handlers=[slack_notifier])
    def work() -> int:
        return 1

    with Flow("notify") as flow:
        work()
    assert flow.run().is_successful()
    texts = [b["attachments"][0]["text"] for b in webhook.bodies]
    assert texts == ["work is now in a Running state", "work is now in a Success state"]
    assert webhook.paths == ["/hooks/T1", "/hooks/T1"]


def test_curried_filters(webhook: Webhook) -> None:
    only_failed = slack_notifier(only_states=[Failed])
    not_running = slack_notifier(ignore_states=[Running])
    for handler in (only_failed, not_running):
        handler(Task(name="x"), Running(), Running())
    only_failed(Task(name="x"), Running(), Success())
    not_running(Task(name="x"), Running(), Success())
    only_failed(Task(name="x"), Running(), Failed("down"))
    titles = [b["attachments"][0]["title"] for b in webhook.bodies]
    assert titles == ["Success", "Failed"]


def test_the_webhook_secret_name_is_configurable() -> None:
    with Webhook() as hook, context(secrets={"OPS_CHANNEL": hook.url}):
        slack_notifier(Task(name="x"), Running(), Success(), webhook_secret="OPS_CHANNEL")
    assert len(hook.bodies) == 1


def test_a_failing_webhook_is_a_value_error_naming_the_task() -> None:
    with (
        Webhook(status=500) as hook,
        context(secrets={"SLACK_WEBHOOK_URL": hook.url}),
        pytest.raises(ValueError, match="Slack notification for <Task: x> failed"),
    ):
        slack_notifier(Task(name="x"), Running(), Success())


def test_a_missing_webhook_secret_is_named() -> None:
    with pytest.raises(ValueError, match='Local Secret "SLACK_WEBHOOK_URL" was not found'):
        slack_notifier(Task(name="x"), Running(), Success())


# -- e-mail ----------------------------------------------------------------------------------


def test_email_message_has_text_and_escaped_html() -> None:
    text = email_message_formatter(Task(name="<load>"), Failed("disk full"), "me@example.com")
    mail = email.message_from_string(text)
    subject = str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    assert subject == "prefectlite state change notification for <load>"
    assert mail["To"] == "me@example.com"
    plain, html = (part.get_payload() for part in mail.get_payload())
    assert "<load> is now in a Failed state" in plain and "disk full" in plain
    assert "&lt;load&gt;" in html and "<load>" not in html


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (over TLS) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: Any = self.server
        self.reply("220 localhost test SMTP")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-localhost\r\n250 AUTH PLAIN")
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


@pytest.fixture
def smtp_server(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def get_request(self) -> tuple[socket.socket, Any]:
            sock, addr = super().get_request()
            return tls.wrap_socket(sock, server_side=True), addr

    server = Server(("127.0.0.1", 0), SMTPHandler)
    server.logins, server.mails = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(notifications.notifications, "GMAIL_SMTP_SERVER",
                        ("127.0.0.1", server.server_address[1]))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the notifier verifies certificates
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_gmail_notifier_logs_in_and_mails_the_account_itself(smtp_server: Any) -> None:
    secrets = {"EMAIL_USERNAME": "me@example.com", "EMAIL_PASSWORD": "app-password"}
    with context(secrets=secrets):
        gmail_notifier(Task(name="x"), Running(), Success("all good"))
        gmail_notifier(only_states=[Failed])(Task(name="x"), Running(), Success())
    assert smtp_server.logins == [("me@example.com", "app-password")]
    assert len(smtp_server.mails) == 1 and "x is now in a Success state" in smtp_server.mails[0]


def test_gmail_notifier_refuses_an_untrusted_server(smtp_server: Any, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    secrets = {"EMAIL_USERNAME": "me@example.com", "EMAIL_PASSWORD": "pw"}
    with context(secrets=secrets), pytest.raises(ValueError, match="Email notification for"):
        gmail_notifier(Task(name="x"), Running(), Success())
    assert smtp_server.logins == []
