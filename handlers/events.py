"""Message events: hiring decisions posted in channels the bot is in, and deleted decisions."""

from typing import Any

from slack_bolt import App

from bot import recording
from bot.deps import Deps

READ_SUBTYPES = {None, "bot_message", "thread_broadcast", "file_share"}


def register(app: App, deps: Deps) -> None:
    def handle_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        team_id = str(body.get("team_id") or event.get("team") or "")
        now = deps.clock()
        if subtype == "message_deleted":
            recording.cancel_deleted(
                deps, team_id=team_id, channel_id=str(event.get("channel")),
                message_ts=str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")), now=now,
            )
            return
        if subtype not in READ_SUBTYPES or event.get("channel_type") == "im":
            return
        text = event.get("text") or ""
        attachments = recording.attachments_text(event.get("attachments"))
        if not text and not attachments:
            return
        message = recording.IncomingMessage(
            team_id=team_id,
            channel_id=str(event.get("channel")),
            ts=str(event.get("ts")),
            author_id=event.get("user"),
            text=text,
            attachments_text=attachments,
            event_id=body.get("event_id"),
        )
        recording.record_message(deps, message, now)

    app.event("message")(handle_message)
