"""The notice about follow-ups whose manager Slack will never deliver a DM to: pick who takes them over."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.domain.errors import OutOfDate
from bot.domain.rounds import COMMAND
from bot.followups import actions as followups
from bot.slack import blocks
from bot.slack.payloads import team_id_of
from handlers.replies import listener


def register(app: App, deps: Deps) -> None:
    app.action(blocks.ACTION_REASSIGN)(listener(deps, handle_reassign))


def handle_reassign(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    from_manager = blocks.reassign_from(action.get("block_id"))
    to_manager = action.get("selected_user")
    if not from_manager or not to_manager:
        raise OutOfDate(f"That notice is out of date. Try `{COMMAND} digest` for what is still open.")
    actor = body["user"]["id"]
    ids = followups.reassign(deps, team_id=team_id_of(body), from_manager=from_manager,
                             to_manager=str(to_manager), actor=actor, now=deps.clock())
    respond(replace_original=True, **blocks.reassigned_message(
        from_manager=from_manager, to_manager=str(to_manager), actor=actor, count=len(ids)))
