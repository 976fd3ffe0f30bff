"""Managers' time zones and names, from users.info, remembered in the database for a day; and the workspace's
members by name (users.list, remembered for a quarter of an hour), for an app's card that names its owner."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, reading
from bot.domain.lengths import DISPLAY_NAME_LENGTH, TZ_LENGTH
from bot.domain.timing import safe_zone
from bot.slack.delivery import slack_error
from storage import repo

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
        logger.warning("users.info failed for user=%s: %s", user_id, slack_error(error))
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


DIRECTORY_FRESH_FOR = timedelta(minutes=15)
DIRECTORY_PAGES = 25  # 200 members a page: workspaces up to 5,000 members are searched


def _fold(name: str) -> str:
    """A name compared the way people type it: case, accents and spacing aside ("José  Pérez" = "jose perez")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def member_named(deps: Deps, *, team_id: str, name: str, now: datetime) -> str | None:
    """The one person of the workspace whose real or display name is `name` ("Hiring Manager: Claire
    Fontaine" on an ATS card), or None: nobody, several people, a bot, or users.list failed (then the thread
    is asked who the manager is, as before)."""
    with deps.directory.lock:
        cached = deps.directory.fetched.get(team_id)
    if cached is None or now - cached[0] >= DIRECTORY_FRESH_FOR:
        directory = _fetch_directory(deps, team_id)
        if directory is None:
            return None
        cached = (now, directory)
        with deps.directory.lock:
            deps.directory.fetched[team_id] = cached
    found = cached[1].get(_fold(name), [])
    return found[0] if len(set(found)) == 1 else None


def _fetch_directory(deps: Deps, team_id: str) -> dict[str, list[str]] | None:
    directory: dict[str, list[str]] = {}
    cursor: str | None = None
    for _ in range(DIRECTORY_PAGES):
        try:
            page = deps.client.users_list(limit=200, cursor=cursor) if cursor else deps.client.users_list(limit=200)
        except (SlackApiError, OSError) as error:
            logger.warning("users.list failed for team=%s: %s", team_id, slack_error(error))
            return None
        for member in page.get("members") or []:
            if not isinstance(member, dict) or member.get("deleted") or member.get("is_bot") or \
                    member.get("id") == "USLACKBOT" or not isinstance(member.get("id"), str):
                continue
            profile = member.get("profile")
            names = profile if isinstance(profile, dict) else {}
            for value in {member.get("real_name"), names.get("real_name"), names.get("display_name"),
                          names.get("real_name_normalized"), names.get("display_name_normalized")}:
                if isinstance(value, str) and value.strip():
                    directory.setdefault(_fold(value), []).append(member["id"])
        cursor = ((page.get("response_metadata") or {}).get("next_cursor") or None)
        if not cursor:
            break
    return directory
