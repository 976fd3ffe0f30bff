"""The round modal: opened by `/interview-round` with no text and by the App Home button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.errors import OutOfDate
from bot.followups import actions as followups
from bot.followups import recording
from bot.slack import blocks, metadata
from bot.slack.payloads import team_id_of
from handlers.replies import listener


def register(app: App, deps: Deps) -> None:
    app.action(blocks.ACTION_OPEN_ROUND)(listener(deps, handle_open_round_modal))
    app.view(blocks.VIEW_ROUND)(listener(deps, handle_round_submission))


def handle_open_round_modal(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient,
                            respond: Respond) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=blocks.round_modal(
        manager_id=body["user"]["id"], private_metadata=metadata.encode()))


def handle_round_submission(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    form, errors = recording.round_from_form(view.get("state", {}).get("values", {}))
    if form is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    try:
        channel = metadata.decode(view).get("c")  # where the command was typed, if it was
    except OutOfDate:
        channel = None
    user = body["user"]["id"]
    now = deps.clock()
    recording.log_round_from_form(deps, form, team_id=team_id_of(body), user_id=user, channel_id=channel, now=now)
    if form.hired:
        followups.publish_home(deps, team_id=team_id_of(body), user_id=form.spec.manager_id or user, now=now)
