"""Managers (their time zone, name and tone) and whether a workspace is still active."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Manager, Workspace
from storage.repo.claims import upsert
from storage.views import ManagerView

# --- managers -------------------------------------------------------------------------------------


def get_manager(session: Session, *, team_id: str, user_id: str) -> ManagerView | None:
    manager = session.get(Manager, (team_id, user_id))
    if manager is None:
        return None
    return ManagerView(manager.user_id, manager.tz, manager.display_name, manager.checked_at, manager.tone,
                       manager.is_bot)


def get_managers(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ManagerView]:
    """get_manager for many (team_id, user_id) at once: one query for a sweep's batch."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.scalars(select(Manager).where(
        Manager.user_id.in_({user for _, user in wanted}), Manager.team_id.in_({team for team, _ in wanted})))
    return {(m.team_id, m.user_id): ManagerView(m.user_id, m.tz, m.display_name, m.checked_at, m.tone, m.is_bot)
            for m in rows if (m.team_id, m.user_id) in wanted}


def save_manager(
    session: Session, *, team_id: str, user_id: str, tz: str | None, display_name: str | None, now: datetime,
    is_bot: bool = False,
) -> None:
    changes = {"tz": tz, "display_name": display_name, "checked_at": now, "is_bot": is_bot}
    upsert(session, Manager, {"team_id": team_id, "user_id": user_id, **changes}, ["team_id", "user_id"], changes)


def set_tone(session: Session, *, team_id: str, user_id: str, tone: str) -> None:
    upsert(session, Manager, {"team_id": team_id, "user_id": user_id, "tone": tone}, ["team_id", "user_id"],
            {"tone": tone})


def inactive_teams(session: Session) -> set[str]:
    return set(session.scalars(select(Workspace.team_id).where(Workspace.active.is_(False))))


def workspace_active(session: Session, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is None or workspace.active


def set_workspace_active(session: Session, team_id: str, *, active: bool, reason: str, now: datetime) -> None:
    changes = {"active": active, "reason": reason, "changed_at": now}
    upsert(session, Workspace, {"team_id": team_id, **changes}, ["team_id"], changes)
