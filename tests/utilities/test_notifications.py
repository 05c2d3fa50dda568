"""Notification state handlers, against local servers on 127.0.0.1 (fixtures in conftest)."""

from __future__ import annotations

import email
import email.header
from collections.abc import Callable
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


@pytest.fixture
def webhook(local_webhook: Callable[..., Any]) -> Any:
    hook = local_webhook()
    with context(secrets={"SLACK_WEBHOOK_URL": hook.url}):
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


def test_slack_notifier_posts_every_state_change_of_a_flow_run(webhook: Any) -> None:
    @task(state_handlers=[slack_notifier])
    def work() -> int:
        return 1

    with Flow("notify") as flow:
        work()
    assert flow.run().is_successful()
    texts = [b["attachments"][0]["text"] for b in webhook.bodies]
    assert texts == ["work is now in a Running state", "work is now in a Success state"]
    assert webhook.paths == ["/hooks/T1", "/hooks/T1"]


def test_curried_filters(webhook: Any) -> None:
    only_failed = slack_notifier(only_states=[Failed])
    not_running = slack_notifier(ignore_states=[Running])
    for handler in (only_failed, not_running):
        handler(Task(name="x"), Running(), Running())
    only_failed(Task(name="x"), Running(), Success())
    not_running(Task(name="x"), Running(), Success())
    only_failed(Task(name="x"), Running(), Failed("down"))
    titles = [b["attachments"][0]["title"] for b in webhook.bodies]
    assert titles == ["Success", "Failed"]


def test_the_webhook_secret_name_is_configurable(local_webhook: Callable[..., Any]) -> None:
    hook = local_webhook()
    with context(secrets={"OPS_CHANNEL": hook.url}):
        slack_notifier(Task(name="x"), Running(), Success(), webhook_secret="OPS_CHANNEL")
    assert len(hook.bodies) == 1


def test_a_failing_webhook_is_a_value_error_naming_the_task(
    local_webhook: Callable[..., Any],
) -> None:
    hook = local_webhook(500)
    with (
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


@pytest.fixture
def gmail(smtp_servers: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    server = smtp_servers("SSL")
    monkeypatch.setattr(notifications.notifications, "GMAIL_SMTP_SERVER",
                        ("127.0.0.1", server.port))
    return server


def test_gmail_notifier_logs_in_and_mails_the_account_itself(gmail: Any) -> None:
    secrets = {"EMAIL_USERNAME": "me@example.com", "EMAIL_PASSWORD": "app-password"}
    with context(secrets=secrets):
        gmail_notifier(Task(name="x"), Running(), Success("all good"))
        gmail_notifier(only_states=[Failed])(Task(name="x"), Running(), Success())
    assert gmail.logins == [("me@example.com", "app-password")]
    assert len(gmail.mails) == 1 and "x is now in a Success state" in gmail.mails[0]


def test_gmail_notifier_refuses_an_untrusted_server(gmail: Any, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    secrets = {"EMAIL_USERNAME": "me@example.com", "EMAIL_PASSWORD": "pw"}
    with context(secrets=secrets), pytest.raises(ValueError, match="Email notification for"):
        gmail_notifier(Task(name="x"), Running(), Success())
    assert gmail.logins == []
