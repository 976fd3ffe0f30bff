"""The baseline for the acknowledgement benchmark: a bare Bolt app whose only listeners ack, served by
the production server (bot.server.HttpServer's gunicorn settings: same worker class, workers, threads).

    PORT=3001 SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ python benchmarks/bare_server.py
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_bolt import Ack, App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.server import HttpServer  # noqa: E402


def bare_app(settings: Settings) -> App:
    # Bolt calls auth.test on the first request (single-workspace authorization): like the real app's,
    # this client asks the local fake Slack, never slack.com.
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=settings.slack_signing_secret, token_verification_enabled=False)

    def just_ack(ack: Ack) -> None:
        ack()

    app.command("/interview-round")(just_ack)
    app.event("message")(just_ack)
    return app


class BareServer(HttpServer):
    """HttpServer's configuration (load_config) with the bare app as the WSGI application."""

    def load(self) -> Callable[..., Iterable[bytes]]:
        slack = SlackRequestHandler(bare_app(self.settings), path="/slack/events")

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
                return [b'{"ok":true}']
            return slack(environ, start_response)

        return application


def main() -> None:
    settings = Settings(
        slack_bot_token="xoxb-bare",
        slack_signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        slack_api_url=os.environ["SLACK_API_URL"],
        port=int(os.environ["PORT"]),
        log_level=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    BareServer(settings, auth={}).run()


if __name__ == "__main__":
    main()
