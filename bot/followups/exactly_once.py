"""Posting a message exactly once, whichever replica sends it and wherever one dies: the mechanism behind
nudges (bot.followups.sweep) and every post the outbox owes Slack (bot.followups.outbox).

1. The post is **claimed** under a lease first, so one replica at a time holds it.
2. Just before it is handed to Slack, an **attempt marker** is written (and the lease renewed); writing it
   fails when the claim was lost meanwhile (closed, or another replica took it after the lease ran out).
3. The post carries **Slack message metadata** naming it (`event_type`, `event_payload`).
4. Once Slack has accepted it, it is **recorded** under a unique key; a second record is refused.

Whoever claims a post and finds a marker with no record (its sender died between Slack accepting the post
and the database recording it, or timed out not knowing) first looks for it by its metadata where it would
be (conversations.history for a DM, conversations.replies for a thread) and records what it finds instead
of posting again. The claim, the marker and the record live with each kind of post; this module is the
order they happen in, and the lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.pacing import Pacer
from bot.slack.delivery import slack_error

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(seconds=120)  # a post is looked for from this long before its attempt was marked
LOOKUP_PAGES = 5  # pages of 200 messages: the bot's own DM or one thread, with few messages

# Slack's answers that say "not now" rather than "never": the post stays due and is tried again.
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout",
})


class AlreadyRecorded(Exception):
    """The post was recorded by another run (another replica, or an earlier sweep) first."""


class Post(Protocol):
    """One claimed post, as the mechanism needs it. `channel` is a channel id, or a user id for their DM."""

    team_id: str
    channel: str
    thread_ts: str | None
    attempt_at: datetime | None  # a send marked and never recorded: look for it before sending
    event_type: str
    payload: dict[str, Any]  # identifies the post in its metadata; values compared as strings
    label: str  # what to call it in the logs: ids only

    def begin(self, at: datetime) -> bool:
        """Write the attempt marker; False when the claim was lost."""

    def failed(self, error: Exception, *, unknown: bool) -> None:
        """Hand the claim back: still due. `unknown`: Slack may have the post (keep the marker)."""

    def record(self, channel: str, ts: str) -> None:
        """Record the post where Slack put it; AlreadyRecorded (or IntegrityError) when recorded before."""


@dataclass(frozen=True)
class Result:
    outcome: str  # sent | recovered | failed | skipped | released
    error: Exception | None = None


def retry_after(error: Exception) -> timedelta | None:
    """Slack's Retry-After, when the error is a 429 that carries one."""
    if isinstance(error, SlackApiError) and error.response.status_code == 429:
        headers = {str(k).lower(): v for k, v in (error.response.headers or {}).items()}
        value = headers.get("retry-after")
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            return timedelta(seconds=max(0, int(str(value))))
        except (TypeError, ValueError):
            return None
    return None


def is_transient(error: Exception) -> bool:
    """A failure worth trying again (rate limited, Slack's own trouble, no answer at all), as opposed to
    one that will fail the same way every time (not_in_channel, channel_not_found, message_not_found)."""
    if not isinstance(error, SlackApiError):
        return True  # a timeout or a broken connection
    status = error.response.status_code
    return status == 429 or status >= 500 or slack_error(error) in TRANSIENT_ERRORS


def post_once(client: WebClient, pacer: Pacer, post: Post, build: Callable[[], dict[str, Any]],
              clock: Callable[[], datetime], *, paced: bool = True, at_most: float | None = None) -> Result:
    """Send (or recover) one claimed post. `build` makes the message (only when it is to be sent); `clock`
    says when the attempt is marked (after any wait for the pacer). With `at_most`, a wait for the pacer
    longer than that many seconds (a workspace told to wait by a 429) is not made: "released", nothing
    marked, for the caller to hand the claim back."""
    if post.attempt_at is not None:
        try:
            found = find_posted(client, post)
        except (SlackApiError, OSError) as error:
            logger.warning("%s: lookup of an earlier attempt failed: %s; stays due", post.label, slack_error(error))
            post.failed(error, unknown=True)
            return Result("failed", error)
        if found is not None:
            try:
                post.record(*found)
            except (AlreadyRecorded, IntegrityError):
                return Result("skipped")
            logger.info("%s found in %s: recorded, not sent again", post.label,
                        "the thread" if post.thread_ts else "the DM history")
            return Result("recovered")
    message = build()
    if paced and pacer.wait(team_id=post.team_id, channel=post.channel, at_most=at_most) is None:
        return Result("released")
    if not post.begin(clock()):
        return Result("skipped")  # closed, or the lease ran out and another replica took it, while we waited
    arguments: dict[str, Any] = {"thread_ts": post.thread_ts} if post.thread_ts else {}
    try:
        response = client.chat_postMessage(
            channel=post.channel, text=message["text"], blocks=message["blocks"],
            metadata={"event_type": post.event_type, "event_payload": post.payload},
            unfurl_links=False, unfurl_media=False, **arguments,
        )
    except (SlackApiError, OSError) as error:
        # A Slack error answer means it was not posted; no answer at all (a timeout) leaves it unknown.
        logger.warning("%s not sent: %s; stays due", post.label, slack_error(error))
        post.failed(error, unknown=not isinstance(error, SlackApiError))
        return Result("failed", error)
    try:
        post.record(str(response["channel"]), str(response["ts"]))
    except (AlreadyRecorded, IntegrityError):
        logger.warning("%s was already recorded by another run", post.label)
        return Result("skipped")
    return Result("sent")


def find_posted(client: WebClient, post: Post) -> tuple[str, str] | None:
    """Where Slack has the post, looked up by its metadata: (channel, ts), or None."""
    assert post.attempt_at is not None
    oldest = f"{(post.attempt_at - LOOKBACK).timestamp():.6f}"
    if post.thread_ts:
        channel = post.channel
        read = lambda cursor: client.conversations_replies(  # noqa: E731
            channel=channel, ts=post.thread_ts, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor)
    else:
        channel = str(client.conversations_open(users=post.channel)["channel"]["id"]) if post.channel[:1] in "UW" \
            else post.channel
        read = lambda cursor: client.conversations_history(  # noqa: E731
            channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor)
    wanted = {key: str(value) for key, value in post.payload.items()}
    cursor = None
    for _ in range(LOOKUP_PAGES):
        response = read(cursor)
        for message in response.get("messages") or ():
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == post.event_type and all(
                    str(payload.get(key)) == value for key, value in wanted.items()):
                return channel, str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None
