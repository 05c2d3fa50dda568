"""SlackTask and EmailTask, against local servers on 127.0.0.1 (fixtures in conftest)."""

from __future__ import annotations

import email
from collections.abc import Callable
from typing import Any

import pytest

from prefectlite import Flow, context, task
from prefectlite.tasks.notifications import EmailTask, SlackTask
from prefectlite.tasks.secrets import PrefectSecret

LOGIN = {"EMAIL_USERNAME": "bot@example.com", "EMAIL_PASSWORD": "pw"}


class TestSlackTask:
    def test_text_from_an_upstream_task_to_the_secret_webhook(self, local_webhook) -> None:
        hook = local_webhook()

        @task
        def summary() -> str:
            return "3 rows loaded"

        with Flow("slack") as flow:
            SlackTask()(message=summary())
        with context(secrets={"SLACK_WEBHOOK_URL": hook.url}):
            assert flow.run().is_successful()
        assert hook.bodies == [{"text": "3 rows loaded"}]

    def test_a_dict_is_sent_as_is_and_webhook_url_wins(self, local_webhook) -> None:
        hook = local_webhook()
        blocks = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]}
        SlackTask(message=blocks, webhook_secret="NOT_SET").run(webhook_url=hook.url)
        assert hook.bodies == [blocks]

    def test_the_url_may_come_from_a_secret_task(self, local_webhook) -> None:
        hook = local_webhook()
        with Flow("secret url") as flow:
            SlackTask(message="hello")(webhook_url=PrefectSecret("OPS_URL"))
        with context(secrets={"OPS_URL": hook.url}):
            assert flow.run().is_successful()
        assert hook.bodies == [{"text": "hello"}]

    def test_an_error_answer_fails_with_what_slack_said(self, local_webhook) -> None:
        hook = local_webhook(400)
        with pytest.raises(ValueError, match="Slack answered 400 .*invalid_payload"):
            SlackTask(message="x", name="ping").run(webhook_url=hook.url)
        with pytest.raises(ValueError, match="has no message"):
            SlackTask().run(webhook_url=hook.url)


class TestEmailTask:
    @pytest.mark.parametrize("mode", ["SSL", "STARTTLS"])
    def test_tls_modes_verify_the_server_and_log_in(self, smtp_servers, mode: str) -> None:
        server = smtp_servers(mode)
        mail = EmailTask(subject="Report", msg="<b>done</b>", msg_plain="done",
                         email_to="ops@example.com", email_from="bot@example.com",
                         smtp_server="127.0.0.1", smtp_port=server.port, smtp_type=mode)
        with context(secrets=LOGIN):
            mail.run()
        assert server.logins == [("bot@example.com", "pw")]
        sent = email.message_from_string(server.mails[0])
        assert sent["Subject"] == "Report" and sent["To"] == "ops@example.com"
        assert [p.get_content_type() for p in sent.get_payload()] == ["text/plain", "text/html"]

    def test_insecure_needs_no_login_and_attaches_files(self, smtp_servers, tmp_path) -> None:
        server = smtp_servers("INSECURE")
        report = tmp_path / "report.csv"
        report.write_text("a,b\n1,2\n")
        EmailTask(smtp_server="127.0.0.1", smtp_port=server.port, smtp_type="INSECURE").run(
            email_to="ops@example.com", email_to_cc="cc@example.com", msg="see attached",
            attachments=[str(report)],
        )
        assert server.logins == []
        sent = email.message_from_string(server.mails[0])
        assert sent["Cc"] == "cc@example.com"
        attachment = sent.get_payload()[-1]
        assert attachment.get_filename() == "report.csv"
        assert attachment.get_payload(decode=True) == b"a,b\n1,2\n"

    def test_an_untrusted_certificate_is_refused(self, smtp_servers, monkeypatch) -> None:
        server = smtp_servers("SSL")
        monkeypatch.delenv("SSL_CERT_FILE")
        with context(secrets=LOGIN), pytest.raises(OSError):
            EmailTask(email_to="x@example.com", smtp_server="127.0.0.1",
                      smtp_port=server.port).run()
        assert server.logins == []

    def test_bad_configuration_is_named(self) -> None:
        with pytest.raises(ValueError, match="SMTP_SSL is an unsupported value for smtp_type"):
            EmailTask(email_to="x@example.com", smtp_type="SMTP_SSL").run()
        with pytest.raises(ValueError, match="has no recipient"):
            EmailTask().run()

    def test_missing_login_secrets_are_named(self, smtp_servers) -> None:
        server = smtp_servers("SSL")
        with pytest.raises(ValueError, match='Local Secret "EMAIL_USERNAME" was not found'):
            EmailTask(email_to="x@example.com", smtp_server="127.0.0.1",
                      smtp_port=server.port).run()


def test_results_of_notification_tasks_are_none(local_webhook: Callable[..., Any]) -> None:
    hook = local_webhook()
    assert SlackTask(message="x").run(webhook_url=hook.url) is None
