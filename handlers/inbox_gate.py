"""Before the acknowledgement: keep the message events that may matter in the inbox, then acknowledge.

A kept event is answered here, without running a listener: it is processed after the ack, from the
inbox (bot.inbox), so one whose processing fails is processed again rather than lost. A retry of an
event already handled is left out of the inbox by the same statement that keeps it, and the decision
flow claims the event id inside its own unit of work, so two deliveries racing each other still record
once. When the inbox cannot be written (the database is down), the request fails with 503 and Slack
delivers the event again later.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.inbox import Inbox, InboxUnavailable
from handlers.events import own_checker, unaddressed, worth_keeping


def register(app: App, inbox: Inbox) -> None:
    app.middleware(partial(keep_then_ack, inbox))


def keep_then_ack(inbox: Inbox, req: BoltRequest, body: dict[str, Any], context: BoltContext,
                  next: Callable[[], BoltResponse], logger: Any) -> BoltResponse:
    if not body.get("event_id") or not worth_keeping(body, own_checker(context.bot_id, context.bot_user_id)):
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") == "message" and (why := unaddressed(event)):
            logger.warning("event %s: a message event with %s; acknowledged, nothing kept", body.get("event_id"), why)
        return next()
    try:
        inbox.keep(body, raw=req.raw_body or None)  # over HTTP, the JSON as Slack sent it
    except InboxUnavailable as error:
        logger.error("event %s could not be kept (%s); asking Slack to deliver it again", body["event_id"], error)
        return BoltResponse(status=503, body="")
    return BoltResponse(status=200, body="")
