"""State handlers that notify someone when a task or flow changes state.

- :func:`callback_factory` turns a ``(obj, state)`` callback and a ``state -> bool`` check into
  a state handler.
- :func:`slack_notifier` posts a message to a Slack incoming webhook, whose URL it reads
  from a secret (``SLACK_WEBHOOK_URL`` by default), with the standard library only.
- :func:`gmail_notifier` e-mails the Gmail account whose credentials are the secrets
  ``EMAIL_USERNAME`` and ``EMAIL_PASSWORD``.

The notifiers are curried (``toolz.curry``): ``slack_notifier(only_states=[Failed])`` is a
state handler, and ``slack_notifier`` itself is one too. Secrets are read when a state
changes, from the run's context or the environment (see :mod:`prefectlite.tasks.secrets`).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any, cast

from toolz import curry

from prefectlite.engine.state import State
from prefectlite.tasks.secrets.base import get_secret

__all__ = [
    "callback_factory",
    "email_message_formatter",
    "gmail_notifier",
    "slack_message_formatter",
    "slack_notifier",
]

#: where :func:`gmail_notifier` sends its mail from: Gmail's SMTP-over-TLS server
GMAIL_SMTP_SERVER = ("smtp.gmail.com", 465)
SLACK_TIMEOUT = 30.0
"""Seconds :func:`slack_notifier` waits for the webhook to answer."""
SMTP_TIMEOUT = 30.0
"""Seconds :func:`gmail_notifier` waits for the mail server."""


def callback_factory(
    fn: Callable[[Any, State], Any], check: Callable[[State], bool]
) -> Callable[[Any, State, State], State]:
    """A state handler calling ``fn(obj, new_state)`` whenever ``check(new_state)`` is True.

    Examples
    --------
    >>> from prefectlite import Flow, task
    >>> seen = []
    >>> on_success = callback_factory(lambda obj, s: seen.append(obj.name), State.is_successful)
    >>> @task(state_handlers=[on_success])
    ... def ok():
    ...     return 1
    >>> with Flow("callbacks") as flow:
    ...     _ = ok()
    >>> _ = flow.run()
    >>> seen
    ['ok']
    """

    def state_handler(obj: Any, old_state: State, new_state: State) -> State:
        if check(new_state) is True:
            fn(obj, new_state)
        return new_state

    return state_handler


def _message(state: State) -> str | None:
    """The exception's repr when the state's result is one, else the state's message."""
    result = state.result
    if isinstance(result, Exception):
        return repr(result)
    message: str | None = state.message
    return message


def _wanted(state: State, ignore_states: list[type] | None, only_states: list[type] | None) -> bool:
    if any(isinstance(state, ignored) for ignored in ignore_states or ()):
        return False
    return not only_states or any(isinstance(state, kept) for kept in only_states)


def slack_message_formatter(
    tracked_obj: Any, state: State, backend_info: bool = True
) -> dict[str, Any]:
    """The JSON body of a Slack message about ``tracked_obj`` entering ``state``.

    ``backend_info`` is accepted for Prefect 1 compatibility; there is no backend to link to.

    Examples
    --------
    >>> from prefectlite import Task
    >>> from prefectlite.engine.state import Failed
    >>> body = slack_message_formatter(Task(name="load"), Failed("disk full"))
    >>> body["attachments"][0]["text"], body["attachments"][0]["fields"]
    ('load is now in a Failed state', [{'title': 'Message', 'value': 'disk full', 'short': False}])
    """
    value = _message(state)
    if isinstance(state.result, Exception):
        value = f"```{value}```"
    fields = [] if value is None else [{"title": "Message", "value": value, "short": False}]
    name = type(state).__name__
    return {"attachments": [{
        "fallback": "State change notification",
        "color": state.color,
        "author_name": "prefectlite",
        "title": name,
        "fields": fields,
        "text": f"{tracked_obj.name} is now in a {name} state",
        "footer": "prefectlite notification",
    }]}


@curry
def slack_notifier(
    tracked_obj: Any,
    old_state: State,
    new_state: State,
    ignore_states: list[type] | None = None,
    only_states: list[type] | None = None,
    webhook_secret: str | None = None,
    backend_info: bool = True,
    proxies: dict[str, str] | None = None,
) -> State:
    """A state handler posting each state change to a Slack incoming webhook.

    Parameters
    ----------
    tracked_obj, old_state, new_state
        What every state handler receives (the task or flow, the old and new states).
    ignore_states
        State classes not to notify about (e.g. ``[Running]``).
    only_states
        If given, notify only about these state classes (e.g. ``[Failed]``).
    webhook_secret
        Name of the secret holding the webhook URL (default ``"SLACK_WEBHOOK_URL"``).
    backend_info
        Accepted for Prefect 1 compatibility (no backend pages to link to).
    proxies
        A ``{"https": "http://proxy:3128"}`` mapping for ``urllib``.

    Raises
    ------
    ValueError
        When the webhook cannot be reached or does not answer with success.
    """
    webhook_url = str(get_secret(webhook_secret or "SLACK_WEBHOOK_URL"))
    if not _wanted(new_state, ignore_states, only_states):
        return new_state
    body = json.dumps(slack_message_formatter(tracked_obj, new_state, backend_info)).encode()
    request = urllib.request.Request(
        webhook_url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    handlers = [urllib.request.ProxyHandler(proxies)] if proxies is not None else []
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=SLACK_TIMEOUT):
            pass
    except (urllib.error.URLError, OSError) as exc:
        raise ValueError(f"Slack notification for {tracked_obj} failed: {exc}") from exc
    return new_state


def email_message_formatter(tracked_obj: Any, state: State, email_to: str) -> str:
    """A MIME e-mail (plain text and HTML) about ``tracked_obj`` entering ``state``."""
    name, kind = tracked_obj.name, type(state).__name__
    detail = _message(state)
    text = f"{name} is now in a {kind} state\n\nMessage: {detail}"
    html = (
        f'<html><body><p><code>{_escape(name)}</code> is now in a '
        f'<font color="{state.color}"><b>{kind}</b></font> state</p>'
        f"<p>Message: <pre>{_escape(str(detail))}</pre></p></body></html>"
    )
    contents = MIMEMultipart("alternative")
    contents.attach(MIMEText(text, "plain"))
    contents.attach(MIMEText(html, "html"))
    # a Header keeps a non-ASCII name encoded (typeshed types the item as str only)
    contents["Subject"] = cast(str, Header(f"prefectlite state change notification for "
                                           f"{name}", "UTF-8"))
    contents["From"] = email_to
    contents["To"] = email_to
    return contents.as_string()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@curry
def gmail_notifier(
    tracked_obj: Any,
    old_state: State,
    new_state: State,
    ignore_states: list[type] | None = None,
    only_states: list[type] | None = None,
) -> State:
    """A state handler e-mailing each state change to a Gmail account, from itself.

    The account and its (app) password are the secrets ``EMAIL_USERNAME`` and
    ``EMAIL_PASSWORD``; ``ignore_states`` and ``only_states`` work as in
    :func:`slack_notifier`. The mail goes through :data:`GMAIL_SMTP_SERVER` over TLS.

    Raises
    ------
    ValueError
        When the mail cannot be sent.
    """
    username = str(get_secret("EMAIL_USERNAME"))
    password = str(get_secret("EMAIL_PASSWORD"))
    if not _wanted(new_state, ignore_states, only_states):
        return new_state
    body = email_message_formatter(tracked_obj, new_state, username)
    host, port = GMAIL_SMTP_SERVER
    try:
        context = ssl.create_default_context()  # verifies the server's certificate
        with smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context) as server:
            server.login(username, password)
            server.sendmail(username, username, body)
    except (smtplib.SMTPException, OSError) as exc:
        raise ValueError(f"Email notification for {tracked_obj} failed: {exc}") from exc
    return new_state
