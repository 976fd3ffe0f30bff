"""The Bolt app factory. Building it is the only way to get one: importing has no side effects."""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError

from bot.deps import Deps
from bot.domain.errors import UserFacingError
from bot.inbox import Inbox
from bot.log_filters import keep_bodies_out
from bot.slack.messages import GENERIC_ERROR
from bot.slack.payloads import team_id_of
from handlers import register_all

logger = logging.getLogger(__name__)
_NOT_AN_ID = re.compile(r"[^A-Za-z0-9_./-]")


def create_app(
    deps: Deps, inbox: Inbox, *, listener_executor: Executor | None = None, token_verification_enabled: bool = True
) -> App:
    """Build the Bolt app on the given deps (settings, sessions, Web API client, clock); message events
    go to `inbox`."""
    bolt_logger = logging.getLogger("slack_bolt.App")
    keep_bodies_out(bolt_logger, deps.client.logger)
    app = App(
        client=deps.client,
        signing_secret=deps.settings.slack_signing_secret,
        token_verification_enabled=token_verification_enabled,
        listener_executor=listener_executor,
        logger=bolt_logger,
        # A request nothing handles goes to handle_error (one line of ours, its type only), not to Bolt's
        # warning, which quotes the request's body.
        raise_error_for_unhandled_request=True,
    )
    register_all(app, deps, inbox)
    app.error(handle_error)
    return app


def handle_error(error: Exception, body: dict[str, Any], respond: Any, logger: logging.Logger) -> BoltResponse | None:
    """Map domain errors to a friendly ephemeral message; keep the traceback for everything else. A request
    no listener handles (a legacy dialog, say) is answered 404, as Bolt answers it, with one line naming its
    type and nothing of its body."""
    if isinstance(error, BoltUnhandledRequestError):
        logger.info("nothing handles a request of type %s (team=%s); answered 404", _kind(body), _team(body))
        return None
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
    event = body.get("event")
    kind = (body.get("command") or (event.get("type") if isinstance(event, dict) else None) or body.get("type")
            or "unknown")
    return _id(kind)


def _team(body: dict[str, Any]) -> str:
    return _id(team_id_of(body))


def _id(value: Any) -> str:
    """A type or an id for the log: never more than one, never anything someone typed."""
    return _NOT_AN_ID.sub("?", str(value))[:64]
