"""The round modal: opened by `/interview-round` with no text and by the App Home button."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.followups import actions as followups
from bot.followups import recording
from bot.slack import blocks
from handlers.replies import friendly_errors, team_of


def register(app: App, deps: Deps) -> None:
    friendly = friendly_errors(deps)

    @friendly
    def handle_open_round_modal(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=blocks.round_modal(
            manager_id=body["user"]["id"], private_metadata=json.dumps({})))

    @friendly
    def handle_round_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form, errors = recording.round_from_form(view.get("state", {}).get("values", {}))
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        try:
            channel = json.loads(view.get("private_metadata") or "{}").get("c")
        except (ValueError, AttributeError):
            channel = None
        user = body["user"]["id"]
        now = deps.clock()
        recording.log_round_from_form(deps, form, team_id=team_of(body), user_id=user, channel_id=channel, now=now)
        if form.hired:
            followups.publish_home(deps, team_id=team_of(body), user_id=form.spec.manager_id or user, now=now)

    app.action(blocks.ACTION_OPEN_ROUND)(handle_open_round_modal)
    app.view(blocks.VIEW_ROUND)(handle_round_submission)
