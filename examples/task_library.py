"""The task library, runnable: a shell command, a secret, a template and a notification.

    python examples/task_library.py

1. ``ShellTask`` runs a command and returns its last line of output.
2. ``PrefectSecret`` reads a local secret at run time (here from the context; in real use
   often from a ``PREFECTLITE__CONTEXT__SECRETS__<NAME>`` environment variable).
3. ``StringFormatter`` renders a report from upstream results and context values.
4. ``slack_notifier`` posts state changes to a webhook whose URL is a secret. This example
   starts its own tiny webhook on 127.0.0.1 instead of Slack, and prints what it received.

Every ``assert`` below is part of the example: it shows what the run returns.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from prefectlite import Flow, Parameter, context, task
from prefectlite.engine.state import Failed, Success
from prefectlite.tasks.secrets import PrefectSecret
from prefectlite.tasks.shell import ShellTask
from prefectlite.tasks.templates import StringFormatter
from prefectlite.utilities.notifications import slack_notifier

logging.getLogger("prefectlite").setLevel(logging.WARNING)

received: list[str] = []


class Webhook(BaseHTTPRequestHandler):
    """Stands in for Slack: records the text of each message posted to it."""

    def do_POST(self) -> None:  # noqa: N802 -- http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        received.append(body["attachments"][0]["text"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@task(state_handlers=[slack_notifier(only_states=[Success, Failed])])
def count_words(text: str, token: str) -> int:
    assert token == "s3cr3t", "the secret arrives as an ordinary input"
    return len(text.split())


shell = "bash" if shutil.which("bash") else "sh"
report = StringFormatter(name="report", template="{flow_name}: {who} counted {n} words")

with Flow("task-library") as flow:
    who = Parameter("who", default="Marvin")
    line = ShellTask(name="echo", shell=shell)(command="echo the quick brown fox")
    n = count_words(line, PrefectSecret("API_TOKEN"))
    text = report(who=who, n=n)

server = HTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=server.serve_forever, daemon=True).start()
secrets = {
    "API_TOKEN": "s3cr3t",
    "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/",
}
try:
    with context(secrets=secrets):
        state = flow.run()
finally:
    server.shutdown()
    server.server_close()

assert state.is_successful()
assert state.result[line].result == "the quick brown fox"
assert state.result[text].result == "task-library: Marvin counted 4 words"
assert received == ["count_words is now in a Success state"]
print(state.result[text].result)
print("webhook received:", received)
