"""``EmailTask``: send an e-mail (HTML and/or plain text, attachments) over SMTP."""

from __future__ import annotations

import os
import smtplib
import ssl
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from prefectlite.core.task import Task
from prefectlite.tasks.secrets.base import get_secret
from prefectlite.utilities.tasks import defaults_from_attrs

__all__ = ["EmailTask"]

SMTP_TYPES = ("SSL", "STARTTLS", "INSECURE")
TIMEOUT = 30.0
"""Seconds the task waits for the mail server."""


class EmailTask(Task):
    """A task sending an e-mail through an SMTP server.

    Every argument may be given at creation or at call time (the call wins).

    Parameters
    ----------
    subject, msg, msg_plain
        The subject, an HTML body and a plain-text body (either or both).
    email_to, email_to_cc, email_to_bcc
        Recipients: comma-separated addresses.
    email_from
        The sender (default ``"notifications@prefect.io"``, as in Prefect 1; set your own).
    smtp_server, smtp_port, smtp_type
        The server (default Gmail's ``smtp.gmail.com:465``) and how to reach it: ``"SSL"``
        (TLS from the start), ``"STARTTLS"`` (upgrade a plain connection) or ``"INSECURE"``
        (plain, no login: only for a relay you trust). With TLS the server's certificate is
        verified and the task logs in with the secrets ``EMAIL_USERNAME`` and
        ``EMAIL_PASSWORD``.
    attachments
        Paths of files to attach.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument.
    """

    def __init__(
        self,
        subject: str | None = None,
        msg: str | None = None,
        email_to: str | None = None,
        email_from: str = "notifications@prefect.io",
        smtp_server: str = "smtp.gmail.com",
        smtp_port: int = 465,
        smtp_type: str = "SSL",
        msg_plain: str | None = None,
        email_to_cc: str | None = None,
        email_to_bcc: str | None = None,
        attachments: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.subject, self.msg, self.msg_plain = subject, msg, msg_plain
        self.email_to, self.email_from = email_to, email_from
        self.email_to_cc, self.email_to_bcc = email_to_cc, email_to_bcc
        self.smtp_server, self.smtp_port, self.smtp_type = smtp_server, smtp_port, smtp_type
        self.attachments = list(attachments or [])
        super().__init__(**kwargs)

    @defaults_from_attrs("subject", "msg", "email_to", "email_from", "smtp_server", "smtp_port",
                         "smtp_type", "msg_plain", "email_to_cc", "email_to_bcc", "attachments")
    def run(
        self,
        subject: str | None = None,
        msg: str | None = None,
        email_to: str | None = None,
        email_from: str | None = None,
        smtp_server: str | None = None,
        smtp_port: int | None = None,
        smtp_type: str | None = None,
        msg_plain: str | None = None,
        email_to_cc: str | None = None,
        email_to_bcc: str | None = None,
        attachments: list[str] | None = None,
    ) -> None:
        """Send the message."""
        if smtp_type not in SMTP_TYPES:
            raise ValueError(f"{smtp_type} is an unsupported value for smtp_type; use one of "
                             f"{', '.join(SMTP_TYPES)}.")
        if not email_to:
            raise ValueError(f"EmailTask {self.name!r} has no recipient: pass email_to=...")
        message = MIMEMultipart()
        message["Subject"] = subject or ""
        message["From"] = email_from or ""
        message["To"] = email_to
        if email_to_cc:
            message["Cc"] = email_to_cc
        if email_to_bcc:
            message["Bcc"] = email_to_bcc
        if msg_plain:  # plain text first: mail clients show the last part they can render
            message.attach(MIMEText(msg_plain, "plain"))
        if msg:
            message.attach(MIMEText(msg, "html"))
        for path in attachments or ():
            message.attach(_attachment(path))
        assert smtp_server is not None and smtp_port is not None
        with _connect(smtp_server, int(smtp_port), smtp_type) as server:
            server.send_message(message)


def _attachment(path: str) -> MIMEBase:
    part = MIMEBase("application", "octet-stream")
    with open(path, "rb") as f:
        part.set_payload(f.read())
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=os.path.basename(path))
    return part


def _connect(host: str, port: int, smtp_type: str) -> smtplib.SMTP:
    """An SMTP connection as ``smtp_type`` says, logged in unless INSECURE."""
    if smtp_type == "INSECURE":
        return smtplib.SMTP(host, port, timeout=TIMEOUT)
    username, password = str(get_secret("EMAIL_USERNAME")), str(get_secret("EMAIL_PASSWORD"))
    context = ssl.create_default_context()  # verifies the server's certificate
    server: smtplib.SMTP
    if smtp_type == "SSL":
        server = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        server.starttls(context=context)
    try:
        server.login(username, password)
    except BaseException:
        server.close()
        raise
    return server
