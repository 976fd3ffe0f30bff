"""Claims, shared by every queue: one worker at a time holds a row, on any replica; and the inserts
that tell a new row from one already there, on both dialects."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Result, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import CONTACTED, SKIPPED

CLOSED_STATUSES = (CONTACTED, SKIPPED)
CLAIM_LOCK = 0x5047_636C_6169_6D  # PostgreSQL advisory lock key of claim_due ("PGclaim")


class NotFound(LookupError):
    pass


# --- claims: one worker at a time holds a row, on any replica ---------------------------------------------


def claim_rows(session: Session, model: Any, key: Any, *, conditions: Sequence[Any], order_by: Sequence[Any],
               now: datetime, claimer: str, lease: timedelta, limit: int) -> list[Any]:
    """Claim up to `limit` rows of `model` (with claimed_by and claim_expires columns) that meet `conditions`
    and whose lease ran out (or was never taken), for `claimer` until now + lease. Returns the keys claimed,
    in `order_by` order.

    PostgreSQL skips rows another transaction has locked (another replica claiming at the same moment:
    FOR UPDATE SKIP LOCKED); the conditional UPDATE makes the claim safe on any database: a row is claimed
    only while nobody holds an unexpired lease on it, even the claimer itself (another of its threads)."""
    free = or_(model.claim_expires.is_(None), model.claim_expires < now)
    stmt = select(key).where(*conditions, free).order_by(*order_by).limit(limit)
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    found = list(session.scalars(stmt))
    if not found:
        return []
    session.execute(
        update(model).where(key.in_(found), *conditions, free)
        .values(claimed_by=claimer, claim_expires=now + lease).execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(key).where(key.in_(found), model.claimed_by == claimer).order_by(*order_by)))


def dialect_name(db: Session | Connection) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched. Session.execute is typed to return a Result whatever it ran;
    for these statements it is a CursorResult, which has the count."""
    return cast(CursorResult[Any], result).rowcount


def dialect_insert(session: Session) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, which knows ON CONFLICT (only SQLite and PostgreSQL are supported)."""
    return postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert


def insert_new(session: Session, model: type, values: Mapping[str, object], returning: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True when this call inserted the row (a unique key decides)."""
    stmt = dialect_insert(session)(model).values(values).on_conflict_do_nothing().returning(returning)
    return session.execute(stmt).first() is not None


def upsert(session: Session, model: type, values: Mapping[str, object], keys: list[str],
           changes: Mapping[str, object]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: safe when two threads or replicas write the same row."""
    stmt = dialect_insert(session)(model).values(values)
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))
