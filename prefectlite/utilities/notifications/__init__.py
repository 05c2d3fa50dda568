"""Notification state handlers (Prefect 1's ``prefect.utilities.notifications``)."""

from prefectlite.utilities.notifications.notifications import (
    callback_factory,
    email_message_formatter,
    gmail_notifier,
    slack_message_formatter,
    slack_notifier,
)

__all__ = [
    "callback_factory",
    "email_message_formatter",
    "gmail_notifier",
    "slack_message_formatter",
    "slack_notifier",
]
