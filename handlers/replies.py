"""Telling the person who acted what went wrong, from inside the listener.

Listeners ack first and then work; an exception escaping a listener after ack() makes Bolt log a
missing ack and fall through to the next matching listener. So every listener is wrapped: a
UserFacingError becomes a friendly ephemeral message, anything else is logged with its traceback
and answered with a generic apology. Nothing is changed in either case.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.errors import UserFacingError
from bot.followups.saving import is_busy
from bot.slack.messages import BUSY, GENERIC_ERROR

logger = logging.getLogger(__name__)


def team_of(body: dict[str, Any]) -> str:
    """The workspace an interaction payload came from."""
    return str((body.get("team") or {}).get("id") or body.get("team_id") or "")


def tell(deps: Deps, kwargs: dict[str, Any], message: str) -> None:
    """Reply ephemerally through response_url when there is one, else by DM to the actor."""
    respond = kwargs.get("respond")
    body = kwargs.get("body") or {}
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            respond(text=message, response_type="ephemeral", replace_original=False)
            return
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        if user:
            deps.client.chat_postMessage(channel=user, text=message)
    except (SlackApiError, OSError):
        logger.warning("could not tell the user about an error", exc_info=True)


def friendly_errors(deps: Deps) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(listener: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(listener)
        def wrapper(**kwargs: Any) -> Any:
            try:
                return listener(**kwargs)
            except UserFacingError as error:
                tell(deps, kwargs, str(error))
            except Exception as error:
                if is_busy(error):  # a lock held too long: nothing was changed, and trying again will work
                    logger.warning("listener %s: the database is busy (%s)", listener.__name__, type(error).__name__)
                    tell(deps, kwargs, BUSY)
                else:
                    logger.exception("listener %s failed", listener.__name__)
                    tell(deps, kwargs, GENERIC_ERROR)
            return None

        return wrapper

    return decorate
