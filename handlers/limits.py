"""Modal submissions, before any listener: a field longer than its max_length is refused in the modal.

Slack enforces `max_length` in its clients, but a submitted view is untrusted input (a forged or replayed
request, an old client), so every modal's text fields are checked again against the limits the modals
were built with (bot.slack.blocks.FIELD_LIMITS). An over-long field is answered with `response_action: errors`
naming the field and its limit; nothing is recorded and the modal stays open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.slack import blocks

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.middleware(enforce_field_limits)


def enforce_field_limits(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
    view = body.get("view") if body.get("type") == "view_submission" else None
    if isinstance(view, dict):
        errors = blocks.too_long(view.get("callback_id"), (view.get("state") or {}).get("values"))
        if errors:
            logger.info("view %s refused: %s longer than allowed", view.get("callback_id"), ",".join(errors))
            return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
    return next()
