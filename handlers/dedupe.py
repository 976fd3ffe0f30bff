"""Drop Slack retries of events already handled (by event_id), before any listener runs.

This is the fast path. The decision flow also claims the event id inside its own unit of work,
so two deliveries racing each other still record once.
"""

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deps import Deps, reading
from storage import repo


def register(app: App, deps: Deps) -> None:
    def drop_seen_events(body: dict[str, Any], next: Callable[[], BoltResponse], logger: Any) -> BoltResponse:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with reading(deps).begin() as session:
                seen = repo.event_seen(session, str(event_id))
            if seen:
                logger.info("event %s already handled: retry dropped", event_id)
                return BoltResponse(status=200, body="")
        return next()

    app.middleware(drop_seen_events)
