"""Follow-ups: who is owed a personal note, when it is due, its nudges, and the ones whose manager
cannot be reached."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.db import SingleWrites
from storage.models import OPEN, Followup, Nudge, UTCDateTime
from storage.repo.claims import CLAIM_LOCK, CLOSED_STATUSES, NotFound, dialect_name
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


def claim_due(session: Session, *, now: datetime, claimer: str, lease: timedelta, limit: int,
              per_manager: int | None = None) -> list[int]:
    """Claim up to `limit` due open follow-ups for `claimer` until now + lease, earliest due first, and
    at most `per_manager` of any one manager's: a manager with hundreds due (or whose DMs keep failing)
    never fills a batch, so everyone else's nudges go out in the same sweep.

    Claims are made one replica at a time (SQLite: the write lock; PostgreSQL: a transaction-scoped
    advisory lock, held for the few milliseconds of the claim), so each replica sees the others' claims
    and takes the next fair batch. The conditional UPDATE makes the claim safe on any database: a row is
    claimed only while nobody else holds an unexpired lease on it.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    free = or_(Followup.claim_expires.is_(None), Followup.claim_expires < now)
    due = (Followup.status == OPEN, Followup.due_at.is_not(None), Followup.due_at <= now, free)
    if per_manager is None:
        stmt = select(Followup.id).where(*due).order_by(Followup.due_at, Followup.id).limit(limit)
    else:
        place = func.row_number().over(
            partition_by=(Followup.team_id, Followup.manager_id), order_by=(Followup.due_at, Followup.id)
        ).label("place")
        ranked = select(Followup.id, Followup.due_at, place).where(*due).subquery("ranked")
        stmt = (select(ranked.c.id).where(ranked.c.place <= per_manager)
                .order_by(ranked.c.due_at, ranked.c.id).limit(limit))
    if postgres:
        # Row locks cannot be taken in a query with a window function: lock the chosen rows around it.
        stmt = (select(Followup.id).where(Followup.id.in_(stmt.scalar_subquery()), *due)
                .order_by(Followup.due_at, Followup.id).with_for_update(skip_locked=True))
    ids = list(session.scalars(stmt))
    if not ids:
        return []
    session.execute(
        update(Followup)
        .where(Followup.id.in_(ids), Followup.status == OPEN, free)
        .values(claimed_by=claimer, claim_expires=now + lease)
        .execution_options(synchronize_session=False)
    )
    claimed = session.scalars(
        select(Followup.id).where(Followup.id.in_(ids), Followup.claimed_by == claimer)
        .order_by(Followup.due_at, Followup.id)
    )
    return list(claimed)


def begin_attempt(session: Session | Connection, followup_id: int, *, claimer: str, seq: int, at: datetime,
                  lease: timedelta) -> bool:
    """Mark nudge `seq` as being handed to Slack now, renewing the lease. False when the claim was lost
    (the follow-up was closed, or the lease ran out and another replica took it).

    One statement: the sweep runs it as its own transaction (db.one_statement)."""
    result = session.execute(_begin_attempt_statement(), {
        "followup_id": followup_id, "claimer": claimer, "previous": seq - 1, "seq": seq, "at": at,
        "expires": at + lease,
    })
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


@functools.cache
def _begin_attempt_statement() -> Any:
    """Built once: the sweep runs it for every nudge (like _record_statements)."""
    return (
        update(Followup)
        .where(Followup.id == bindparam("followup_id"), Followup.claimed_by == bindparam("claimer"),
               Followup.status == OPEN, Followup.nudges_sent == bindparam("previous"))
        .values(attempt_seq=bindparam("seq"), attempt_at=bindparam("at", type_=UTCDateTime()),
                claim_expires=bindparam("expires", type_=UTCDateTime()))
    )


def release_claim(
    session: Session,
    followup_id: int,
    *,
    claimer: str,
    due_at: datetime | None = None,
    error: str | None = None,
    keep_attempt: bool = False,
) -> None:
    """Give a claimed follow-up back: still due (a failed send), or due later (outside work hours).

    `keep_attempt` when it is unknown whether Slack took the message (a timeout): the next claimer
    then looks for it in the DM before sending again."""
    values: dict[str, object] = {"claimed_by": None, "claim_expires": None}
    if not keep_attempt:
        values.update(attempt_seq=None, attempt_at=None)
    if due_at is not None:
        values["due_at"] = due_at
    if error is not None:
        values["failures"] = Followup.failures + 1
        values["last_error"] = error[:100]
    session.execute(
        update(Followup).where(Followup.id == followup_id, Followup.claimed_by == claimer).values(**values)
    )


# --- follow-ups whose manager cannot be reached ----------------------------------------------------


def _free_or_mine(claimer: str, now: datetime):  # type: ignore[no-untyped-def]
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
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


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


def record_nudge(
    session: Session | Connection,
    followup_id: int,
    *,
    seq: int,
    channel_id: str,
    ts: str,
    now: datetime,
    next_due: datetime | None,
) -> None:
    """Record that nudge `seq` was delivered and when the next one is due (None: no more scheduled).

    No reads: the unique (followup, seq) row raises IntegrityError when another run recorded it first.
    On PostgreSQL one statement (the insert in a WITH), so that it can run as its own transaction
    (record_nudge_alone); elsewhere two."""
    add_nudge, advance, both = _record_statements()
    params = {"followup_id": followup_id, "seq": seq, "channel_id": channel_id, "ts": ts, "sent_at": now,
              "next_due": next_due}
    if dialect_name(session) == "postgresql":
        session.execute(both, params)
        return
    session.execute(add_nudge, params)
    session.execute(advance, params)


def record_nudge_alone(writes: SingleWrites, followup_id: int, **values: Any) -> None:
    """record_nudge as a unit of work of its own: on PostgreSQL one statement and one round trip
    (db.SingleWrites), on SQLite two statements in one transaction. The sweep's hot path."""
    unit = writes.one() if writes.engine.dialect.name == "postgresql" else writes.engine.begin()
    with unit as connection:
        record_nudge(connection, followup_id, **values)


@functools.cache
def _record_statements() -> tuple[Any, Any, Any]:
    """Built once: building them cost as much as running them, for every nudge."""
    add_nudge = insert(Nudge).values(
        followup_id=bindparam("followup_id"), seq=bindparam("seq"), channel_id=bindparam("channel_id"),
        ts=bindparam("ts"), sent_at=bindparam("sent_at", type_=UTCDateTime()),
    )
    seq = bindparam("seq", type_=Integer())
    advance = (
        update(Followup)
        .where(Followup.id == bindparam("followup_id"))
        .values(
            nudges_sent=case((Followup.nudges_sent < seq, seq), else_=Followup.nudges_sent),
            due_at=case((Followup.status == OPEN, bindparam("next_due", type_=UTCDateTime())),
                        else_=Followup.due_at),
            last_nudge_channel=bindparam("channel_id"),
            last_nudge_ts=bindparam("ts"),
            claimed_by=None,
            claim_expires=None,
            attempt_seq=None,
            attempt_at=None,
            failures=0,
            last_error=None,
        )
    )
    added = add_nudge.returning(Nudge.followup_id).cte("added")
    return add_nudge, advance, advance.where(exists(select(added.c.followup_id)))


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
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def snooze_followup(session: Session, followup_id: int, *, until: datetime) -> bool:
    result = session.execute(
        update(Followup)
        .where(Followup.id == followup_id, Followup.status == OPEN)
        .values(snoozed_until=until, due_at=until)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def set_note(session: Session, followup_id: int, note: str | None) -> bool:
    """Save the manager's own note; False (nothing written) once the candidate was erased."""
    if followup_erased(session, followup_id):
        return False
    session.execute(update(Followup).where(Followup.id == followup_id).values(note=note))
    return True
