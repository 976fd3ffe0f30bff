"""Managers' time zones and names, from users.info, remembered in the database for a day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, reading
from bot.timing import safe_zone
from storage import repo
from storage.models import DISPLAY_NAME_LENGTH, TZ_LENGTH

logger = logging.getLogger(__name__)
FRESH_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Profile:
    tz: ZoneInfo
    name: str | None
    tone: str = "warm"
    is_bot: bool = False  # users.info says so: never a hiring manager, never DMed


_READ = object()  # profile(): read the cached row


def profile(deps: Deps, *, team_id: str, user_id: str, now: datetime, cached: object = _READ) -> Profile:
    """The manager's time zone and display name. Falls back to what is cached, then to UTC.

    `cached`: the manager's row when the caller already read it (repo.get_managers), or None."""
    if cached is _READ:
        with reading(deps).begin() as session:
            cached = repo.get_manager(session, team_id=team_id, user_id=user_id)
    assert cached is None or isinstance(cached, repo.ManagerView)
    tone = (cached.tone if cached is not None else None) or "warm"
    if cached is not None and cached.checked_at is not None and now - cached.checked_at < FRESH_FOR:
        return Profile(safe_zone(cached.tz), cached.display_name, tone, cached.is_bot)
    try:
        user = deps.client.users_info(user=user_id)["user"]
    except (SlackApiError, OSError) as error:
        logger.warning("users.info failed for user=%s: %s", user_id, _why(error))
        if cached is not None:
            return Profile(safe_zone(cached.tz), cached.display_name, tone, cached.is_bot)
        return Profile(safe_zone(None), None, tone)
    names = user.get("profile") or {}
    name = names.get("display_name") or names.get("real_name") or user.get("real_name") or None
    name = name[:DISPLAY_NAME_LENGTH] if isinstance(name, str) else None  # signs notes; Slack's own are shorter
    tz = user.get("tz") if isinstance(user.get("tz"), str) and len(user["tz"]) <= TZ_LENGTH else None  # no zone
    is_bot = bool(user.get("is_bot"))
    with deps.sessions.begin() as session:
        repo.save_manager(session, team_id=team_id, user_id=user_id, tz=tz, display_name=name, now=now,
                          is_bot=is_bot)
    return Profile(safe_zone(tz), name, tone, is_bot)


def _why(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    return type(error).__name__
