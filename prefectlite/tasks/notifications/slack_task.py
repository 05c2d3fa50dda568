"""``SlackTask``: post a message to a Slack incoming webhook as a step of the flow."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from prefectlite.core.task import Task
from prefectlite.tasks.secrets.base import get_secret
from prefectlite.utilities.tasks import defaults_from_attrs

__all__ = ["SlackTask"]

TIMEOUT = 30.0
"""Seconds a post waits for the webhook to answer."""


class SlackTask(Task):
    """A task posting ``message`` to a Slack incoming webhook.

    Parameters
    ----------
    message
        Plain text (sent as ``{"text": message}``) or a full Slack message ``dict``
        (``blocks``, ``attachments``...). May instead be given at call time.
    webhook_secret
        Name of the secret holding the webhook URL (default ``"SLACK_WEBHOOK_URL"``); see
        :mod:`prefectlite.tasks.secrets` for where secrets come from.
    **kwargs
        Any other :class:`~prefectlite.core.task.Task` argument.

    ``run`` also takes ``webhook_url``, e.g. the result of an upstream secret task; it wins
    over ``webhook_secret``. A webhook that cannot be reached or answers with an error fails
    the task with a ``ValueError`` saying what it answered.
    """

    def __init__(
        self, message: str | dict[str, Any] | None = None,
        webhook_secret: str = "SLACK_WEBHOOK_URL", **kwargs: Any,
    ) -> None:
        self.message = message
        self.webhook_secret = webhook_secret
        super().__init__(**kwargs)

    @defaults_from_attrs("message", "webhook_secret")
    def run(
        self, message: str | dict[str, Any] | None = None, webhook_secret: str | None = None,
        webhook_url: str | None = None,
    ) -> None:
        """Post ``message`` to ``webhook_url``, or to the URL in the secret ``webhook_secret``."""
        if message is None:
            raise ValueError(f"SlackTask {self.name!r} has no message: pass message=...")
        url = webhook_url or str(get_secret(webhook_secret or "SLACK_WEBHOOK_URL"))
        body = message if isinstance(message, dict) else {"text": message}
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT):
                pass
        except urllib.error.HTTPError as exc:
            raise ValueError(
                f"Slack answered {exc.code} {exc.reason} to task {self.name!r}: "
                f"{exc.read().decode(errors='replace')[:200]}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ValueError(f"Slack webhook of task {self.name!r} unreachable: {exc}") from exc
