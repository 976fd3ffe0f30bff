"""App Home: each manager's own open follow-ups and recent closures."""

from functools import partial
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.followups import actions as followups
from bot.slack.payloads import team_id_of


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(partial(handle_home_opened, deps))


def handle_home_opened(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    if event.get("tab") != "home":
        return
    followups.publish_home(deps, team_id=team_id_of(body), user_id=str(event["user"]), now=deps.clock())
