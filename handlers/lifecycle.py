"""The app's own lifecycle in a workspace: uninstalled, or its tokens revoked."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.followups import workspaces
from bot.slack.payloads import team_id_of

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    app.event("app_uninstalled")(partial(handle_gone, deps))
    app.event("tokens_revoked")(partial(handle_gone, deps))


def handle_gone(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """Stop all work for the workspace: no nudges, digests or escalations go out for it any more."""
    team_id = team_id_of(body)
    workspaces.stop(deps, team_id, reason=str(event.get("type")), now=deps.clock())
    logger.warning("workspace team=%s: %s; all its work is stopped", team_id, event.get("type"))
