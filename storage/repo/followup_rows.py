"""Follow-ups: who is owed a personal note, when it is due, its nudges, and the ones whose manager
cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import OPEN, Followup
from storage.repo.claims import CLOSED_STATUSES, NotFound, rowcount
from storage.repo.erased import followup_erased
from storage.repo.views_sql import followup_scope, to_view, views_statement
from storage.views import FollowupView

# --- follow-ups -----------------------------------------------------------------------------------


def get_followup(session: Session, followup_id: int) -> FollowupView:
    row = session.execute(views_statement().where(Followup.id == followup_id)).first()
    if row is None:
        raise NotFound(followup_id)
    return to_view(*row)


def followups(session: Session, ids: Sequence[int]) -> list[FollowupView]:
    rows = session.execute(views_statement().where(Followup.id.in_(ids)).order_by(Followup.id)).all()
    return [to_view(*row) for row in rows]


def open_followups(
    session: Session, *, team_id: str, manager_id: str | None = None, limit: int | None = None,
    channel_id: str | None = None,
) -> list[FollowupView]:
    """Open follow-ups, oldest decision first (optionally one manager's, or one channel's)."""
    stmt = views_statement().where(*followup_scope(team_id, manager_id=manager_id, channel_id=channel_id),
                               Followup.status == OPEN)
    stmt = stmt.order_by(Followup.decided_at, Followup.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [to_view(*row) for row in session.execute(stmt).all()]


def count_open(session: Session, *, team_id: str, manager_id: str | None = None, nudged_at_least: int = 0,
               channel_id: str | None = None) -> int:
    """Open follow-ups (one manager's, one channel's), counting only those nudged at least so many times."""
    stmt = select(func.count()).select_from(Followup).where(
        *followup_scope(team_id, manager_id=manager_id, channel_id=channel_id), Followup.status == OPEN
    )
    if nudged_at_least:
        stmt = stmt.where(Followup.nudges_sent >= nudged_at_least)
    return int(session.scalars(stmt).one())


def recent_closed(session: Session, *, team_id: str, manager_id: str, limit: int) -> list[FollowupView]:
    stmt = (
        views_statement()
        .where(
            Followup.team_id == team_id,
            Followup.manager_id == manager_id,
            Followup.status.in_(CLOSED_STATUSES),
        )
        .order_by(Followup.closed_at.desc(), Followup.id.desc())
        .limit(limit)
    )
    return [to_view(*row) for row in session.execute(stmt).all()]


# --- follow-ups whose manager cannot be reached ----------------------------------------------------


def _free_or_mine(claimer: str, now: datetime) -> ColumnElement[bool]:
    return or_(Followup.claimed_by.is_(None), Followup.claimed_by == claimer, Followup.claim_expires < now)


def mark_undeliverable(session: Session, *, team_id: str, manager_id: str, error: str, now: datetime,
                       claimer: str) -> int:
    """Slack refused a DM to this manager for good (no such user, deactivated, a bot...): every open
    follow-up of theirs is undeliverable from now on. Each is due at once, so that the next sweep tells
    the admins (notify); none is nudged again until it is reassigned. Claims `claimer` holds are handed
    back. Returns how many follow-ups were marked (those already marked are left as they are)."""
    result = session.execute(
        update(Followup)
        .where(Followup.team_id == team_id, Followup.manager_id == manager_id, Followup.status == OPEN,
               Followup.undeliverable_at.is_(None))
        .values(
            undeliverable_at=now, undeliverable_error=error[:100], notified_at=None, due_at=now, failures=0,
            last_error=error[:100],
            attempt_seq=case((Followup.claimed_by == claimer, None), else_=Followup.attempt_seq),
            attempt_at=case((Followup.claimed_by == claimer, None), else_=Followup.attempt_at),
            claim_expires=case((Followup.claimed_by == claimer, None), else_=Followup.claim_expires),
            claimed_by=case((Followup.claimed_by == claimer, None), else_=Followup.claimed_by),
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def claim_notice(session: Session, *, team_id: str, manager_id: str, claimer: str, now: datetime,
                 lease: timedelta) -> list[int]:
    """Claim every undeliverable follow-up of this manager that nobody was told about yet (those free or
    already `claimer`'s), to tell someone about them in one message. Their ids, oldest decision first."""
    where = (Followup.team_id == team_id, Followup.manager_id == manager_id, Followup.status == OPEN,
             Followup.undeliverable_at.is_not(None), Followup.notified_at.is_(None))
    session.execute(
        update(Followup).where(*where, _free_or_mine(claimer, now))
        .values(claimed_by=claimer, claim_expires=now + lease)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(
        select(Followup.id).where(*where, Followup.claimed_by == claimer).order_by(Followup.decided_at, Followup.id)
    ))


def finish_notice(session: Session, ids: Sequence[int], *, claimer: str, now: datetime) -> None:
    """Someone was told about these undeliverable follow-ups: nothing is due for them until reassigned."""
    session.execute(
        update(Followup).where(Followup.id.in_(ids), Followup.claimed_by == claimer)
        .values(notified_at=now, due_at=None, claimed_by=None, claim_expires=None, failures=0, last_error=None)
        .execution_options(synchronize_session=False)
    )


def undeliverable_followups(session: Session, *, team_id: str, manager_id: str) -> list[FollowupView]:
    """This manager's open follow-ups that cannot be delivered, oldest decision first."""
    stmt = (
        views_statement()
        .where(Followup.team_id == team_id, Followup.manager_id == manager_id, Followup.status == OPEN,
               Followup.undeliverable_at.is_not(None))
        .order_by(Followup.decided_at, Followup.id)
    )
    return [to_view(*row) for row in session.execute(stmt).all()]


def reassign(session: Session, ids: Sequence[int], *, from_manager: str, to_manager: str, now: datetime) -> list[int]:
    """Give undeliverable follow-ups to another manager: deliverable again, and due now, so that the next
    sweep nudges the new manager (in their working hours). Returns the ids that were reassigned (one that
    was closed or reassigned in the meantime is left alone)."""
    if not ids:
        return []
    where = (Followup.id.in_(ids), Followup.manager_id == from_manager, Followup.status == OPEN,
             Followup.undeliverable_at.is_not(None))
    changed = list(session.scalars(select(Followup.id).where(*where).order_by(Followup.id)))
    if changed:
        session.execute(
            update(Followup).where(Followup.id.in_(changed))
            .values(manager_id=to_manager, undeliverable_at=None, undeliverable_error=None, notified_at=None,
                    due_at=now, snoozed_until=None, failures=0, last_error=None, claimed_by=None,
                    claim_expires=None, attempt_seq=None, attempt_at=None, last_nudge_channel=None,
                    last_nudge_ts=None)
            .execution_options(synchronize_session=False)
        )
    return changed


def close_followup(
    session: Session, followup_id: int, *, status: str, actor: str, now: datetime, reason: str | None = None
) -> bool:
    """Close an open follow-up (contacted or skipped). False when it was already closed."""
    if status not in CLOSED_STATUSES:
        raise ValueError(status)
    result = session.execute(
        update(Followup)
        .where(Followup.id == followup_id, Followup.status == OPEN)
        .values(status=status, closed_at=now, closed_by=actor, skip_reason=reason, due_at=None)
    )
    return rowcount(result) == 1


def snooze_followup(session: Session, followup_id: int, *, until: datetime) -> bool:
    result = session.execute(
        update(Followup)
        .where(Followup.id == followup_id, Followup.status == OPEN)
        .values(snoozed_until=until, due_at=until)
    )
    return rowcount(result) == 1


def set_note(session: Session, followup_id: int, note: str | None) -> bool:
    """Save the manager's own note; False (nothing written) once the candidate was erased."""
    if followup_erased(session, followup_id):
        return False
    session.execute(update(Followup).where(Followup.id == followup_id).values(note=note))
    return True
