"""Slack's event ids (each event processed once) and the inbox of events kept before the ack."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from storage.models import InboxEvent, ProcessedEvent, UTCDateTime
from storage.repo.claims import claim_rows, insert_new, rowcount

# --- events ---------------------------------------------------------------------------------------


def claim_event(session: Session, *, event_id: str, team_id: str, now: datetime) -> bool:
    """Record that an event is being handled. False when it was seen before (a retried delivery)."""
    values = {"event_id": event_id, "team_id": team_id, "received_at": now}
    return insert_new(session, ProcessedEvent, values, ProcessedEvent.event_id)


def event_seen(session: Session, event_id: str) -> bool:
    """Whether an event was handled before (claim_event): a redelivery, to drop before any lookups."""
    return session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)) is not None


def purge_events(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    # a given-up row is kept until it is retried (`persona-grata inbox retry`): nothing is dropped in silence
    session.execute(delete(InboxEvent).where(InboxEvent.received_at < before, InboxEvent.given_up_at.is_(None)))
    return rowcount(result)


def inbox_keep_many(connection: Connection, rows: Sequence[dict[str, object]], *, claimer: str | None = None,
                    expires: datetime | None = None) -> None:
    """Keep events (event_id, team_id, body as JSON, received_at) in one statement, born claimed by `claimer`
    until `expires` (the process that keeps them processes them next): an event already handled (a retry
    Slack sent after the first delivery was processed) or already kept is left out.

    One statement for the whole group, so that it can run as its own transaction (db.one_statement).
    It is handed to the driver as written (no compiling, no per-parameter processing): this runs on
    the acknowledgement path."""
    if not rows:
        return
    dialect = connection.dialect
    received = _received_at(dialect)
    params: list[object] = []
    for row in rows:
        params += (row["event_id"], row["team_id"], row["body"], received(row["received_at"]) if received else
                   row["received_at"])
    params += (claimer, received(expires) if received and expires is not None else expires)
    connection.exec_driver_sql(_inbox_keep_sql(dialect.name, dialect.paramstyle, len(rows)), tuple(params))


@functools.lru_cache(maxsize=128)
def _inbox_keep_sql(dialect: str, paramstyle: str, count: int) -> str:
    """Written out, and kept per dialect and row count."""
    mark = "?" if paramstyle == "qmark" else "%s"
    received = f"CAST({mark} AS TIMESTAMP WITH TIME ZONE)" if dialect == "postgresql" else mark
    claimer = f"CAST({mark} AS VARCHAR)" if dialect == "postgresql" else mark
    values = ", ".join([f"({mark}, {mark}, {mark}, {received})"] * count)
    return (
        f"WITH kept (event_id, team_id, body, received_at) AS (VALUES {values}) "
        "INSERT INTO inbox (event_id, team_id, body, received_at, attempts, claimed_by, claim_expires) "
        f"SELECT event_id, team_id, body, received_at, 0, {claimer}, {received} FROM kept "
        "WHERE NOT EXISTS (SELECT 1 FROM processed_events WHERE processed_events.event_id = kept.event_id) "
        "ON CONFLICT DO NOTHING"
    )


@functools.cache
def _received_at(dialect: Dialect) -> Callable[[Any], Any] | None:
    """How the dialect stores an aware datetime in a UTCDateTime column (as SQLAlchemy would)."""
    return UTCDateTime().bind_processor(dialect)


def inbox_done(session: Session, event_id: str) -> None:
    session.execute(delete(InboxEvent).where(InboxEvent.event_id == event_id))


def inbox_claim(session: Session, *, now: datetime, received_before: datetime, claimer: str, lease: timedelta,
                max_attempts: int, limit: int) -> list[dict[str, object]]:
    """Claim kept events nobody is processing (their lease ran out: the worker died, or handed them back after
    a failure) that were received before `received_before`, each counted as one more attempt; their bodies,
    oldest first. An event a worker holds, on this replica or another, is left alone."""
    ids = claim_rows(session, InboxEvent, InboxEvent.event_id,
                     conditions=[InboxEvent.received_at < received_before, InboxEvent.attempts < max_attempts,
                                 InboxEvent.given_up_at.is_(None)],
                     order_by=(InboxEvent.received_at, InboxEvent.event_id), now=now, claimer=claimer, lease=lease,
                     limit=limit)
    if not ids:
        return []
    session.execute(update(InboxEvent).where(InboxEvent.event_id.in_(ids))
                    .values(attempts=InboxEvent.attempts + 1).execution_options(synchronize_session=False))
    bodies = {event_id: body for event_id, body in
              session.execute(select(InboxEvent.event_id, InboxEvent.body).where(InboxEvent.event_id.in_(ids)))}
    return [json.loads(bodies[event_id]) for event_id in ids]


def inbox_hold(session: Session, event_id: str, *, claimer: str, now: datetime, lease: timedelta) -> bool:
    """Make sure `claimer` still holds this kept event before processing it (renewing the lease): True when it
    does, or nobody does and it is now theirs; False when another worker holds it, or it is gone (processed)."""
    result = session.execute(
        update(InboxEvent)
        .where(InboxEvent.event_id == event_id,
               or_(InboxEvent.claimed_by == claimer, InboxEvent.claim_expires.is_(None),
                   InboxEvent.claim_expires < now))
        .values(claimed_by=claimer, claim_expires=now + lease)
    )
    return rowcount(result) == 1


def inbox_renew(session: Session, event_ids: Collection[str], *, claimer: str, now: datetime,
                lease: timedelta) -> set[str]:
    """Renew `claimer`'s leases on these events (it is still processing them, or about to); the ones it
    still held."""
    if not event_ids:
        return set()
    result = session.execute(
        update(InboxEvent).where(InboxEvent.event_id.in_(list(event_ids)), InboxEvent.claimed_by == claimer)
        .values(claim_expires=now + lease).returning(InboxEvent.event_id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


def inbox_release(session: Session, event_ids: Collection[str], *, claimer: str,
                  free_from: datetime | None = None) -> None:
    """Hand events back unprocessed: anyone may take them from `free_from` (None: at once)."""
    if not event_ids:
        return
    session.execute(
        update(InboxEvent).where(InboxEvent.event_id.in_(list(event_ids)), InboxEvent.claimed_by == claimer)
        .values(claimed_by=None, claim_expires=free_from).execution_options(synchronize_session=False)
    )


# --- given up: the attempts ran out -----------------------------------------------------------------


@dataclass(frozen=True)
class GivenUp:
    """A given-up row, for `persona-grata inbox list`: what it is and why, never what it says."""

    event_id: str
    kind: str  # "slack", or the ATS vendor's name
    received_at: datetime
    attempts: int
    last_error: str | None


def inbox_failed(session: Session, event_id: str, *, claimer: str, now: datetime, free_from: datetime,
                 error: str, max_attempts: int) -> bool:
    """Hand back a row whose processing failed (free from `free_from`), noting the failure's class; a row that
    has had its last attempt is given up instead: kept, not redelivered, its admins told (inbox_claim_untold).
    True when this call gave it up."""
    session.execute(
        update(InboxEvent).where(InboxEvent.event_id == event_id, InboxEvent.claimed_by == claimer)
        .values(claimed_by=None, claim_expires=free_from, last_error=error[:64])
        .execution_options(synchronize_session=False)
    )
    return inbox_give_up(session, now=now, max_attempts=max_attempts, event_ids=[event_id]) == 1


def inbox_give_up(session: Session, *, now: datetime, max_attempts: int, event_ids: Collection[str] | None = None
                  ) -> int:
    """Give up the rows nobody holds whose attempts ran out (also the ones a version without given_up_at left
    behind); how many."""
    conditions = [InboxEvent.attempts >= max_attempts, InboxEvent.given_up_at.is_(None),
                  or_(InboxEvent.claimed_by.is_(None), InboxEvent.claim_expires.is_(None),
                      InboxEvent.claim_expires < now)]
    if event_ids is not None:
        conditions.append(InboxEvent.event_id.in_(list(event_ids)))
    result = session.execute(update(InboxEvent).where(*conditions).values(given_up_at=now, claimed_by=None,
                                                                            claim_expires=None)
                             .execution_options(synchronize_session=False))
    return rowcount(result)


def inbox_claim_untold(session: Session, *, now: datetime, claimer: str, lease: timedelta, limit: int
                       ) -> list[tuple[str, dict[str, Any], datetime, str | None]]:
    """Claim given-up rows nobody was told about yet (one replica wins each: claim_rows' conditional UPDATE);
    (event id, body, received at, the last failure's class) of each, oldest first."""
    ids = claim_rows(session, InboxEvent, InboxEvent.event_id,
                     conditions=[InboxEvent.given_up_at.is_not(None), InboxEvent.told_at.is_(None)],
                     order_by=(InboxEvent.received_at, InboxEvent.event_id), now=now, claimer=claimer, lease=lease,
                     limit=limit)
    if not ids:
        return []
    rows = {row[0]: row[1:] for row in session.execute(
        select(InboxEvent.event_id, InboxEvent.body, InboxEvent.received_at, InboxEvent.last_error)
        .where(InboxEvent.event_id.in_(ids)))}
    return [(event_id, json.loads(rows[event_id][0]), rows[event_id][1], rows[event_id][2]) for event_id in ids]


def inbox_told(session: Session, event_id: str, *, claimer: str, now: datetime) -> None:
    """Someone was told about this given-up row: never again (until it is retried and given up again)."""
    session.execute(
        update(InboxEvent).where(InboxEvent.event_id == event_id, InboxEvent.claimed_by == claimer)
        .values(told_at=now, claimed_by=None, claim_expires=None).execution_options(synchronize_session=False)
    )


def inbox_given_up(session: Session) -> list[GivenUp]:
    """Every given-up row, oldest first."""
    rows = session.execute(
        select(InboxEvent.event_id, InboxEvent.body, InboxEvent.received_at, InboxEvent.attempts,
               InboxEvent.last_error).where(InboxEvent.given_up_at.is_not(None))
        .order_by(InboxEvent.received_at, InboxEvent.event_id)
    )
    return [GivenUp(event_id, _kind(body), received, attempts, error)
            for event_id, body, received, attempts, error in rows]


def inbox_given_up_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InboxEvent)
                          .where(InboxEvent.given_up_at.is_not(None))) or 0


def purge_given_up(session: Session, *, before: datetime) -> int:
    """Forget given-up rows received before `before` (RETENTION_DAYS ago: their people were told, and the body
    names candidates nobody recorded, so it is kept no longer than any candidate's data); how many."""
    result = session.execute(
        delete(InboxEvent).where(InboxEvent.given_up_at.is_not(None), InboxEvent.received_at < before)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def inbox_retry(session: Session) -> int:
    """Put every given-up row back, its attempts counted afresh: the redelivery job takes them next; how many."""
    result = session.execute(
        update(InboxEvent).where(InboxEvent.given_up_at.is_not(None))
        .values(attempts=0, given_up_at=None, told_at=None, last_error=None, claimed_by=None, claim_expires=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def _kind(body: str) -> str:
    try:
        vendor = json.loads(body).get("ats")
    except (ValueError, AttributeError):
        return "unreadable"
    return str(vendor) if vendor else "slack"
