"""Digests and their subscriptions, and the counts and stats they show."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import CANCELLED, CONTACTED, OPEN, DigestRun, DigestSubscription, Followup
from storage.repo.claims import CLOSED_STATUSES, insert_new
from storage.repo.followup_rows import count_open
from storage.repo.views_sql import followup_scope, to_view, views_statement
from storage.views import FollowupView, ManagerCount, Stats

# --- digests --------------------------------------------------------------------------------------


def claim_digest(session: Session, *, team_id: str, channel_id: str, period: str) -> bool:
    """Reserve the digest for (channel, period). False when another run (or replica) already has it."""
    values = {"team_id": team_id, "channel_id": channel_id, "period": period}
    return insert_new(session, DigestRun, values, DigestRun.id)


def finish_digest(session: Session, *, channel_id: str, period: str, ts: str, now: datetime,
                  named: Collection[int] = ()) -> None:
    """Record a reserved digest as posted; `named`: the candidates it may name (an erasure takes it down)."""
    session.execute(
        update(DigestRun)
        .where(DigestRun.channel_id == channel_id, DigestRun.period == period)
        .values(ts=ts, posted_at=now, named=json.dumps(sorted(set(named))) if named else None)
    )


def forget_digest(session: Session, *, channel_id: str, period: str) -> None:
    """Free a reserved period whose post failed, so the next run may try again."""
    session.execute(
        delete(DigestRun).where(
            DigestRun.channel_id == channel_id, DigestRun.period == period, DigestRun.posted_at.is_(None)
        )
    )


def last_digest_at(session: Session, *, channel_id: str) -> datetime | None:
    return session.scalars(
        select(func.max(DigestRun.posted_at)).where(DigestRun.channel_id == channel_id)
    ).one()


def set_subscription(
    session: Session, *, team_id: str, channel_id: str, frequency: str | None, user_id: str, now: datetime
) -> None:
    """Subscribe a channel to a daily or weekly digest; None unsubscribes it."""
    session.execute(
        delete(DigestSubscription).where(
            DigestSubscription.team_id == team_id, DigestSubscription.channel_id == channel_id
        )
    )
    if frequency is not None:
        session.add(DigestSubscription(team_id=team_id, channel_id=channel_id, frequency=frequency,
                                       created_by=user_id, created_at=now))
    session.flush()


def subscription(session: Session, *, team_id: str, channel_id: str) -> str | None:
    """The frequency of the channel's own digest, or None."""
    return session.scalars(select(DigestSubscription.frequency).where(
        DigestSubscription.team_id == team_id, DigestSubscription.channel_id == channel_id).limit(1)).first()


def subscriptions(session: Session, *, frequency: str) -> list[tuple[str, str]]:
    """(team_id, channel_id) of every channel subscribed at this frequency."""
    rows = session.execute(
        select(DigestSubscription.team_id, DigestSubscription.channel_id)
        .where(DigestSubscription.frequency == frequency)
        .order_by(DigestSubscription.id)
    )
    return [(team, channel) for team, channel in rows]


def open_by_manager(session: Session, *, team_id: str, channel_id: str | None = None) -> list[ManagerCount]:
    """Open follow-ups per manager (of one channel, `in_channel`), the manager with the oldest first."""
    rows = session.execute(
        select(Followup.manager_id, func.count(), func.min(Followup.decided_at))
        .where(*followup_scope(team_id, channel_id=channel_id), Followup.status == OPEN)
        .group_by(Followup.manager_id)
        .order_by(func.min(Followup.decided_at))
    )
    return [ManagerCount(manager, count, oldest) for manager, count, oldest in rows]


def count_overdue(session: Session, *, team_id: str, after: int, manager_id: str | None = None,
                  channel_id: str | None = None) -> int:
    """Open follow-ups that had every scheduled nudge (`after` of them)."""
    return count_open(session, team_id=team_id, manager_id=manager_id, nudged_at_least=max(after, 1),
                      channel_id=channel_id)


def overdue_followups(session: Session, *, team_id: str, after: int, limit: int) -> list[FollowupView]:
    stmt = (
        views_statement()
        .where(Followup.team_id == team_id, Followup.status == OPEN, Followup.nudges_sent >= after)
        .order_by(Followup.decided_at, Followup.id)
        .limit(limit)
    )
    return [to_view(*row) for row in session.execute(stmt).all()]


def closed_since(session: Session, *, team_id: str, since: datetime, limit: int, channel_id: str | None = None
                 ) -> tuple[int, list[FollowupView]]:
    """How many follow-ups (of one channel) were closed since a moment, and the latest of them."""
    where = (*followup_scope(team_id, channel_id=channel_id), Followup.status.in_(CLOSED_STATUSES),
             Followup.closed_at >= since)
    count = int(session.scalars(select(func.count()).select_from(Followup).where(*where)).one())
    rows = session.execute(views_statement().where(*where).order_by(Followup.closed_at.desc()).limit(limit)).all()
    return count, [to_view(*row) for row in rows]


def stats(session: Session, *, team_id: str, since: datetime, manager_id: str | None = None,
          channel_id: str | None = None) -> Stats:
    """Closure rate of follow-ups decided since `since`; median days from decision to contact."""
    scope = [*followup_scope(team_id, manager_id=manager_id, channel_id=channel_id), Followup.status != CANCELLED]
    decided, closed = session.execute(
        select(func.count(), func.count(Followup.closed_at))
        .where(*scope, Followup.decided_at >= since)
    ).one()
    spans = session.execute(
        select(Followup.decided_at, Followup.closed_at)
        .where(*scope, Followup.status == CONTACTED, Followup.closed_at >= since)
        .order_by(Followup.closed_at.desc())
        .limit(5000)
    ).all()
    days = sorted((closed_at - decided_at).total_seconds() / 86400 for decided_at, closed_at in spans
                  if closed_at is not None)  # never None here (closed_at >= since); the test narrows its type
    median = None
    if days:
        middle = len(days) // 2
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return Stats(decided=int(decided), closed=int(closed), median_days_to_contact=median)
