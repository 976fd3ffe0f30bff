"""The sweep's fast path: claim due follow-ups under a lease, mark each nudge's attempt, record it, or
hand the claim back. These run once per nudge on every replica, so each is as few statements as it can be:
cached Core statements and, on PostgreSQL, one round trip (db.SingleWrites) where a unit of work of its own
will do.

The contract, which tests/test_sweep_store.py checks on SQLite and PostgreSQL alike: a claimed follow-up
is nobody else's until its lease runs out; an attempt is begun only while the claim holds; a recorded nudge
moves the follow-up to its next due time (or none) and frees it; a released one is due again when asked.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.db import SingleWrites
from storage.models import OPEN, Followup, Nudge, UTCDateTime
from storage.repo.claims import CLAIM_LOCK, dialect_name, rowcount


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
    return rowcount(result) == 1


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
