"""Message events: hiring decisions posted in channels the bot is in, edited and deleted ones."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot import recording
from bot.deps import Deps

READ_SUBTYPES = {None, "bot_message", "thread_broadcast", "file_share"}


def incoming(message: dict[str, Any], *, team_id: str, channel_id: str, event_id: str | None
             ) -> recording.IncomingMessage:
    return recording.IncomingMessage(
        team_id=team_id,
        channel_id=channel_id,
        ts=str(message.get("ts")),
        author_id=message.get("user"),
        text=str(message.get("text") or ""),
        attachments_text=recording.attachments_text(message.get("attachments")),
        event_id=event_id,
    )


def is_own(message: dict[str, Any], context: BoltContext) -> bool:
    return bool(
        (message.get("bot_id") and message.get("bot_id") == context.bot_id)
        or (message.get("user") and message.get("user") == context.bot_user_id)
    )


def register(app: App, deps: Deps) -> None:
    def handle_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        subtype = event.get("subtype")
        team_id = str(body.get("team_id") or event.get("team") or "")
        channel_id = str(event.get("channel"))
        if event.get("channel_type") == "im":
            return
        now = deps.clock()
        if subtype == "message_deleted":
            deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            recording.clear_message(deps, team_id=team_id, channel_id=channel_id, message_ts=str(deleted_ts), now=now)
            return
        if subtype == "message_changed":
            message = event.get("message") or {}
            previous = event.get("previous_message") or {}
            if is_own(message, context) or message.get("text") == previous.get("text"):
                return  # our own reply being updated, or an unfurl: nothing was said anew
            recording.record_message(
                deps, incoming(message, team_id=team_id, channel_id=channel_id, event_id=body.get("event_id")),
                now, edited=True,
            )
            return
        if subtype not in READ_SUBTYPES or is_own(event, context):
            return
        message = incoming(event, team_id=team_id, channel_id=channel_id, event_id=body.get("event_id"))
        if message.text or message.attachments_text:
            recording.record_message(deps, message, now)

    app.event("message")(handle_message)
