"""Housekeeping: forget what no retry or erasure will ask about again."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.deps import Deps
from storage import repo

EVENT_MEMORY = timedelta(days=7)


def purge(deps: Deps, now: datetime) -> int:
    """Forget Slack event ids older than any retry could be, and finished outbox rows as old (but not the posts
    that name candidates: an erasure will look for them)."""
    with deps.sessions.begin() as session:
        repo.purge_outbox(session, before=now - EVENT_MEMORY)
        return repo.purge_events(session, before=now - EVENT_MEMORY)
