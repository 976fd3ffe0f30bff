"""Before the acknowledgement: drop Slack retries of events already handled, and keep the events that
may matter in the inbox, so that one whose processing fails after the ack is processed again.

Dropping retries here is the fast path; the decision flow also claims the event id inside its own
unit of work, so two deliveries racing each other still record once. When the inbox cannot be written
(the database is down), the request fails with 503 and Slack delivers the event again later.
"""

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps, reading
from handlers.events import own_checker, worth_keeping
from storage import repo


def register(app: App, deps: Deps) -> None:
    def drop_seen_keep_the_rest(body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse],
                                logger: Any) -> BoltResponse:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        keep = worth_keeping(body, own_checker(context.bot_id, context.bot_user_id))
        context["worth_keeping"] = keep  # the listener reuses it rather than reading the message again
        try:
            with reading(deps).begin() as session:
                seen = repo.event_seen(session, str(event_id))
            if seen:
                logger.info("event %s already handled: retry dropped", event_id)
                return BoltResponse(status=200, body="")
            if keep:
                with deps.sessions.begin() as session:
                    repo.inbox_keep(session, event_id=str(event_id), team_id=str(body.get("team_id")), body=body,
                                    now=deps.clock())
        except SQLAlchemyError:
            logger.exception("event %s: the database is unavailable; asking Slack to deliver it again", event_id)
            return BoltResponse(status=503, body="")
        return next()

    app.middleware(drop_seen_keep_the_rest)
