"""App Home: each manager's own open follow-ups and recent closures."""

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.followups import actions as followups


def register(app: App, deps: Deps) -> None:
    def handle_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") != "home":
            return
        followups.publish_home(deps, team_id=str(body.get("team_id")), user_id=str(event["user"]), now=deps.clock())

    app.event("app_home_opened")(handle_home_opened)
