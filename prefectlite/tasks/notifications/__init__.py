"""Tasks that send notifications as steps of a flow: ``SlackTask`` and ``EmailTask``.

Useful where a state handler (:mod:`prefectlite.utilities.notifications`) does not fit, e.g.
to send a report built by upstream tasks.
"""

from prefectlite.tasks.notifications.email_task import EmailTask
from prefectlite.tasks.notifications.slack_task import SlackTask

__all__ = ["EmailTask", "SlackTask"]
