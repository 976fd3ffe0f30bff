"""The Bolt app factory. Building it is the only way to get one: importing has no side effects."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse

from bot.app_messages import GENERIC_ERROR
from bot.deps import Deps
from bot.errors import UserFacingError
from bot.inbox import Inbox
from handlers import register_all

logger = logging.getLogger(__name__)


def create_app(
    deps: Deps, inbox: Inbox, *, listener_executor: Executor | None = None, token_verification_enabled: bool = True
) -> App:
    """Build the Bolt app on the given deps (settings, sessions, Web API client, clock); message events
    go to `inbox`."""
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, WithoutBodies) for f in bolt_logger.filters):
        bolt_logger.addFilter(WithoutBodies())
    app = App(
        client=deps.client,
        signing_secret=deps.settings.slack_signing_secret,
        token_verification_enabled=token_verification_enabled,
        listener_executor=listener_executor,
        logger=bolt_logger,
    )
    register_all(app, deps, inbox)
    app.error(handle_error)
    return app


class WithoutBodies(logging.Filter):
    """Bolt's warnings about a request nothing handled quote the request's body, which can carry candidates'
    names and emails (a dialog submission, say): keep the warning, not the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for opening in ("Unhandled request", "A global middleware"):
            if message.startswith(opening):
                record.msg, record.args = f"{opening} (its body is not logged)", ()
        return True


def handle_error(error: Exception, body: dict[str, Any], respond: Any, logger: logging.Logger) -> BoltResponse | None:
    """Map domain errors to a friendly ephemeral message; keep the traceback for everything else."""
    if isinstance(error, UserFacingError):
        message = str(error)
    else:
        logger.error("listener failed (%s, team=%s)", _kind(body), _team(body), exc_info=error)
        message = GENERIC_ERROR
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        try:
            respond(text=message, response_type="ephemeral", replace_original=False)
        except Exception:  # the error handler must never raise
            logger.warning("could not tell the user about an error", exc_info=True)
    return None


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or body.get("command") or (body.get("event") or {}).get("type") or "unknown")


def _team(body: dict[str, Any]) -> str:
    team = body.get("team_id") or body.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    return str(team)
