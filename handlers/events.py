"""Message events: hiring decisions posted in channels the bot is in, edited and deleted ones.

Bolt acknowledges events before their listener runs, so Slack never retries one whose processing
failed afterwards. Message events that may matter are therefore kept in the inbox before the
acknowledgement (handlers/inbox_gate.py) and processed from there (bot.inbox), after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot import inbox
from bot.deps import Deps
from bot.domain.slack_text import message_texts
from bot.followups import recording
from bot.slack.payloads import team_id_of

READ_SUBTYPES = {None, "bot_message", "thread_broadcast", "file_share"}


def incoming(message: dict[str, Any], *, team_id: str, channel_id: str, event_id: str | None
             ) -> recording.IncomingMessage:
    return recording.IncomingMessage(
        team_id=team_id,
        channel_id=channel_id,
        ts=str(message.get("ts")),
        author_id=message.get("user"),
        text="\n".join(message_texts(message)),
        event_id=event_id,
        thread_ts=str(message["thread_ts"]) if message.get("thread_ts") else None,
    )


def own_checker(bot_id: str | None, bot_user_id: str | None) -> Callable[[dict[str, Any]], bool]:
    def is_own(message: dict[str, Any]) -> bool:
        return bool(
            (message.get("bot_id") and message.get("bot_id") == bot_id)
            or (message.get("user") and message.get("user") == bot_user_id)
        )

    return is_own


def worth_keeping(body: dict[str, Any], is_own: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether a message event may change what is recorded: a new message someone else posted in a
    channel, an edit that changed what a message says (its text, blocks or attachments), or a deletion.
    Nothing is read here: deciding whether a message is about a decision is processing, and processing
    comes after the ack."""
    event = body.get("event") or {}
    if body.get("type") != "event_callback" or event.get("type") != "message" or event.get("channel_type") == "im":
        return False
    if unaddressed(event) is not None:
        return False
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        return True
    if subtype == "message_changed":
        message = event.get("message") or {}
        return not is_own(message) and message_texts(message) != message_texts(event.get("previous_message") or {})
    readable = event.get("text") or event.get("attachments") or event.get("blocks")
    return subtype in READ_SUBTYPES and not is_own(event) and bool(readable)


def unaddressed(event: dict[str, Any]) -> str | None:
    """Why a message event names no message the bot could answer ("no channel", "no ts"), or None.

    Such an event is acknowledged and forgotten: recording it would store a decision for channel "None"
    and answer in thread "None"."""
    if not isinstance(event.get("channel"), str) or not event["channel"]:
        return "no channel"
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    elif subtype == "message_changed":
        message = event.get("message")
        ts = message.get("ts") if isinstance(message, dict) else None
    else:
        ts = event.get("ts")
    return None if isinstance(ts, str) and ts else "no ts"


def process(deps: Deps, body: dict[str, Any], is_own: Callable[[dict[str, Any]], bool]) -> None:
    """Handle one kept message event (from the inbox, or redelivered), then take it out of the inbox."""
    event = body.get("event") or {}
    subtype = event.get("subtype")
    team_id = team_id_of(body)
    channel_id = str(event.get("channel"))
    event_id = body.get("event_id")
    now = deps.clock()
    if not worth_keeping(body, is_own):  # kept by an older version, say: nothing to do but forget it
        pass
    elif subtype == "message_deleted":
        deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        recording.clear_message(deps, team_id=team_id, channel_id=channel_id, message_ts=str(deleted_ts), now=now)
    elif subtype == "message_changed":
        message = incoming(event.get("message") or {}, team_id=team_id, channel_id=channel_id, event_id=event_id)
        recording.record_message(deps, message, now, edited=True)
    else:
        recording.record_message(deps, incoming(event, team_id=team_id, channel_id=channel_id, event_id=event_id),
                                 now)
    if event_id:
        inbox.done(deps, str(event_id))


def register(app: App, deps: Deps) -> None:
    app.event("message")(other_message)


def other_message() -> None:
    """Message events that are not kept (the bot's own, direct messages, joins): acknowledged, no more."""
