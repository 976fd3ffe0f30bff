"""A workspace's lifecycle: when Slack says the app is gone from it, all its work stops."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from storage import repo


def stop(deps: Deps, team_id: str, *, reason: str, now: datetime) -> None:
    """No nudges, digests or escalations go out for this workspace any more (`reason`: Slack's event type)."""
    with deps.sessions.begin() as session:
        repo.set_workspace_active(session, team_id, active=False, reason=reason, now=now)
