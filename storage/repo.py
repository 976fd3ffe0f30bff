"""Repository functions: they take a Session, use select(), may flush, and never commit.

The edge (a listener or a job) owns the unit of work: `with sessions.begin() as session: ...`.
Values cross the boundary as plain frozen dataclasses, never as live ORM objects, because
listeners run on other threads after `ack()` and must not share a Session.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from storage.db import SingleWrites
from storage.models import (
    CANCELLED,
    CONTACTED,
    HIRED,
    INTERVIEWING,
    NOT_SELECTED,
    OPEN,
    SKIPPED,
    WITHDRAWN,
    Candidate,
    ChannelManager,
    Decision,
    DigestRun,
    DigestSubscription,
    Followup,
    InboxEvent,
    Manager,
    Nudge,
    ProcessedEvent,
    Round,
    UTCDateTime,
    Workspace,
)

CLOSED_STATUSES = (CONTACTED, SKIPPED)


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def role_key(role: str | None) -> str | None:
    return re.sub(r"[^\w]+", " ", role).strip().casefold() if role else None


# --- values that leave the repository -------------------------------------------------------------


@dataclass(frozen=True)
class NewCandidate:
    name: str
    stage: str | None = None
    strengths: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class FollowupView:
    id: int
    attempt_seq: int | None
    attempt_at: datetime | None
    team_id: str
    status: str
    manager_id: str
    created_by: str
    candidate_id: int
    candidate_name: str
    email: str | None
    stage: str | None
    strengths: str | None
    role: str | None  # None: the decision named no role
    decided_at: datetime
    due_at: datetime | None
    nudges_sent: int
    note: str | None
    closed_at: datetime | None
    closed_by: str | None
    skip_reason: str | None
    last_nudge_channel: str | None
    last_nudge_ts: str | None


@dataclass(frozen=True)
class RecordedDecision:
    decision_id: int
    round_id: int
    role: str | None
    manager_id: str
    not_selected: tuple[str, ...]
    hired: tuple[str, ...]
    withdrawn: tuple[str, ...]
    followup_ids: tuple[int, ...]


class NotFound(LookupError):
    pass


# --- events ---------------------------------------------------------------------------------------


def _dialect_name(db: Session | Connection) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which knows ON CONFLICT (only SQLite and PostgreSQL are supported)."""
    return postgresql.insert if _dialect_name(session) == "postgresql" else sqlite.insert


def _insert_new(session: Session, model: type, values: dict[str, object], returning: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True when this call inserted the row (a unique key decides)."""
    stmt = _insert(session)(model).values(values).on_conflict_do_nothing().returning(returning)
    return session.execute(stmt).first() is not None


def _upsert(session: Session, model: type, values: dict[str, object], keys: list[str],
            changes: dict[str, object]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: safe when two threads or replicas write the same row."""
    session.execute(_insert(session)(model).values(values).on_conflict_do_update(index_elements=keys, set_=changes))


def claim_event(session: Session, *, event_id: str, team_id: str, now: datetime) -> bool:
    """Record that an event is being handled. False when it was seen before (a retried delivery)."""
    values = {"event_id": event_id, "team_id": team_id, "received_at": now}
    return _insert_new(session, ProcessedEvent, values, ProcessedEvent.event_id)


def purge_events(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    session.execute(delete(InboxEvent).where(InboxEvent.received_at < before))
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def inbox_keep_many(connection: Connection, rows: Sequence[dict[str, object]]) -> None:
    """Keep events (event_id, team_id, body as JSON, received_at) in one statement: an event already
    handled (a retry Slack sent after the first delivery was processed) or already kept is left out.

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
    connection.exec_driver_sql(_inbox_keep_sql(dialect.name, dialect.paramstyle, len(rows)), tuple(params))


@functools.lru_cache(maxsize=128)
def _inbox_keep_sql(dialect: str, paramstyle: str, count: int) -> str:
    """Written out, and kept per dialect and row count."""
    mark = "?" if paramstyle == "qmark" else "%s"
    received = f"CAST({mark} AS TIMESTAMP WITH TIME ZONE)" if dialect == "postgresql" else mark
    values = ", ".join([f"({mark}, {mark}, {mark}, {received})"] * count)
    return (
        f"WITH kept (event_id, team_id, body, received_at) AS (VALUES {values}) "
        "INSERT INTO inbox (event_id, team_id, body, received_at, attempts) "
        "SELECT event_id, team_id, body, received_at, 0 FROM kept "
        "WHERE NOT EXISTS (SELECT 1 FROM processed_events WHERE processed_events.event_id = kept.event_id) "
        "ON CONFLICT DO NOTHING"
    )


@functools.cache
def _received_at(dialect: Dialect) -> Callable[[Any], Any] | None:
    """How the dialect stores an aware datetime in a UTCDateTime column (as SQLAlchemy would)."""
    return UTCDateTime().bind_processor(dialect)  # type: ignore[no-any-return]


def inbox_done(session: Session, event_id: str) -> None:
    session.execute(delete(InboxEvent).where(InboxEvent.event_id == event_id))


def inbox_due(session: Session, *, before: datetime, max_attempts: int, limit: int) -> list[dict[str, object]]:
    """Kept events not processed since before `before`, each counted as one more attempt."""
    rows = list(session.scalars(
        select(InboxEvent)
        .where(InboxEvent.received_at < before, InboxEvent.attempts < max_attempts)
        .order_by(InboxEvent.received_at)
        .limit(limit)
    ))
    for row in rows:
        row.attempts += 1
    session.flush()
    return [json.loads(row.body) for row in rows]


# --- rounds and decisions -------------------------------------------------------------------------


def log_round(
    session: Session,
    *,
    team_id: str,
    role: str | None,
    manager_id: str,
    created_by: str,
    channel_id: str | None,
    candidates: Sequence[NewCandidate],
    source: str,
    now: datetime,
    source_ts: str | None = None,
) -> int:
    round_ = Round(
        team_id=team_id,
        role=role,
        role_key=role_key(role),
        manager_id=manager_id,
        channel_id=channel_id,
        source=source,
        source_ts=source_ts,
        created_by=created_by,
        created_at=now,
    )
    session.add(round_)
    for entry in candidates:
        round_.candidates.append(_candidate(team_id, entry))
    session.flush()
    return round_.id


def _candidate(team_id: str, entry: NewCandidate, **extra: object) -> Candidate:
    return Candidate(
        team_id=team_id,
        name=entry.name,
        name_key=name_key(entry.name),
        stage=entry.stage,
        strengths=entry.strengths,
        email=entry.email,
        outcome=INTERVIEWING,
        **extra,
    )


def find_open_round(session: Session, *, team_id: str, role: str | None) -> Round | None:
    """The newest undecided round for this role (rounds with interviewees still interviewing); None
    for no role: decisions without a role never share a round."""
    if not role:
        return None
    stmt = (
        select(Round)
        .where(Round.team_id == team_id, Round.role_key == role_key(role), Round.decided_at.is_(None))
        .order_by(Round.created_at.desc(), Round.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def open_round_manager(session: Session, *, team_id: str, role: str | None) -> str | None:
    if not role:
        return None
    round_ = find_open_round(session, team_id=team_id, role=role)
    return round_.manager_id if round_ else None


def known_candidate_names(session: Session, *, team_id: str, limit: int = 500) -> list[str]:
    stmt = (
        select(Candidate.name)
        .join(Round)
        .where(Candidate.team_id == team_id, Candidate.outcome == INTERVIEWING, Candidate.name.is_not(None))
        .order_by(Candidate.id.desc())
        .limit(limit)
    )
    return [name for name in session.scalars(stmt) if name]


def _match(candidates: Iterable[Candidate], name: str) -> Candidate | None:
    key = name_key(name)
    pool = [c for c in candidates if c.name_key]
    for candidate in pool:
        if candidate.name_key == key:
            return candidate
    # A first name alone ("Omar") matches when exactly one interviewee has it.
    if " " not in key:
        firsts = [c for c in pool if (c.name_key or "").split(" ")[0] == key]
        if len(firsts) == 1:
            return firsts[0]
    return None


def record_decision(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    author_id: str,
    manager_id: str,
    role: str | None,
    hired: Sequence[NewCandidate],
    not_selected: Sequence[NewCandidate],
    withdrawn: Sequence[NewCandidate],
    first_due: datetime,
    now: datetime,
) -> RecordedDecision:
    """Record one decision message: outcomes, the round, one open follow-up per not-selected person.

    A hire announced for a logged round closes it: its other interviewees become not selected.
    With no role, the decision gets a round of its own (its role can be set later: `set_decision_role`).
    """
    round_ = find_open_round(session, team_id=team_id, role=role)
    created_round = round_ is None
    if round_ is None:
        round_id = log_round(session, team_id=team_id, role=role, manager_id=manager_id, created_by=author_id,
                             channel_id=channel_id, candidates=(), source="message", now=now, source_ts=message_ts)
        round_ = session.get(Round, round_id)
        assert round_ is not None
    decision = Decision(
        team_id=team_id,
        channel_id=channel_id,
        message_ts=message_ts,
        author_id=author_id,
        round_id=round_.id,
        created_round=created_round,
        created_at=now,
    )
    session.add(decision)
    session.flush()

    def settle(entry: NewCandidate, outcome: str) -> Candidate:
        candidate = _match(round_.candidates, entry.name)
        if candidate is None:
            candidate = _candidate(team_id, entry, added_by_decision=True)
            round_.candidates.append(candidate)
        elif entry.stage and not candidate.stage:
            candidate.stage = entry.stage
        candidate.outcome = outcome
        candidate.decision_id = decision.id
        candidate.decided_at = now
        return candidate

    settled_hired = [settle(entry, HIRED) for entry in hired]
    settled_withdrawn = [settle(entry, WITHDRAWN) for entry in withdrawn]
    settled_not = [settle(entry, NOT_SELECTED) for entry in not_selected]
    if settled_hired:
        for candidate in round_.candidates:
            if candidate.outcome == INTERVIEWING:
                candidate.outcome = NOT_SELECTED
                candidate.decision_id = decision.id
                candidate.decided_at = now
                settled_not.append(candidate)
        round_.decided_at = now
    elif round_.candidates and all(c.outcome != INTERVIEWING for c in round_.candidates):
        round_.decided_at = now
    session.flush()

    followup_ids = []
    for candidate in settled_not:
        existing = session.scalars(select(Followup).where(Followup.candidate_id == candidate.id)).first()
        if existing is not None:
            existing.decided_in = channel_id
            if existing.status == CANCELLED:
                existing.status = OPEN
                existing.due_at = first_due
                existing.decided_at = now
                existing.manager_id = manager_id
                existing.closed_at = None
            followup_ids.append(existing.id)
            continue
        followup = Followup(
            team_id=team_id,
            candidate_id=candidate.id,
            manager_id=manager_id,
            created_by=author_id,
            status=OPEN,
            decided_at=now,
            due_at=first_due,
            nudges_sent=0,
            failures=0,
            created_at=now,
            decided_in=channel_id,
            logged_in=round_.channel_id,
        )
        session.add(followup)
        session.flush()
        followup_ids.append(followup.id)
    return RecordedDecision(
        decision_id=decision.id,
        round_id=round_.id,
        role=round_.role,
        manager_id=manager_id,
        not_selected=tuple(c.name or "" for c in settled_not),
        hired=tuple(c.name or "" for c in settled_hired),
        withdrawn=tuple(c.name or "" for c in settled_withdrawn),
        followup_ids=tuple(followup_ids),
    )


def role_for_names(session: Session, *, team_id: str, names: Sequence[str]) -> str | None:
    """When a message names no role: the role of the one open round that has one of these people."""
    keys = {name_key(n) for n in names}
    if not keys:
        return None
    rows = session.execute(
        select(Round.role, Candidate.name_key)
        .join(Candidate, Candidate.round_id == Round.id)
        .where(Round.team_id == team_id, Round.decided_at.is_(None), Candidate.outcome == INTERVIEWING,
               Round.role.is_not(None))
    ).all()
    roles = {role for role, key in rows if key in keys}
    return roles.pop() if len(roles) == 1 else None


def live_decision_id(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> int | None:
    return session.scalars(
        select(Decision.id).where(
            Decision.team_id == team_id,
            Decision.channel_id == channel_id,
            Decision.message_ts == message_ts,
        )
    ).first()


def set_decision_reply(session: Session, decision_id: int, reply_ts: str) -> None:
    session.execute(update(Decision).where(Decision.id == decision_id).values(reply_ts=reply_ts))


def set_decision_role(session: Session, decision_id: int, role: str) -> None:
    """Name the role of a decision recorded without one (its round is its own: nothing else changes)."""
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(decision_id)
    session.execute(update(Round).where(Round.id == decision.round_id).values(role=role, role_key=role_key(role)))


@dataclass(frozen=True)
class ThreadRecord:
    """What was recorded for a thread's parent message: its role, people and manager."""

    role: str | None
    names: tuple[str, ...]
    manager_id: str


def thread_record(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> ThreadRecord | None:
    """The round recorded for the message at (channel_id, thread_ts): by a decision, or logged from it."""
    round_ = session.scalars(
        select(Round).join(Decision, Decision.round_id == Round.id).where(
            Decision.team_id == team_id, Decision.channel_id == channel_id, Decision.message_ts == thread_ts)
    ).first() or session.scalars(
        select(Round).where(Round.team_id == team_id, Round.channel_id == channel_id, Round.source_ts == thread_ts)
        .order_by(Round.id.desc())
    ).first()
    if round_ is None:
        return None
    names = tuple(c.name for c in round_.candidates if c.name)
    return ThreadRecord(role=round_.role, names=names, manager_id=round_.manager_id)


def channel_manager(session: Session, *, team_id: str, channel_id: str) -> str | None:
    row = session.get(ChannelManager, (team_id, channel_id))
    return row.manager_id if row else None


def set_channel_manager(session: Session, *, team_id: str, channel_id: str, manager_id: str | None, user_id: str,
                        now: datetime) -> None:
    """The channel's default hiring manager for decisions apps post there; None clears it."""
    session.execute(delete(ChannelManager).where(ChannelManager.team_id == team_id,
                                                 ChannelManager.channel_id == channel_id))
    if manager_id is not None:
        session.add(ChannelManager(team_id=team_id, channel_id=channel_id, manager_id=manager_id, set_by=user_id,
                                   set_at=now))
    session.flush()


@dataclass(frozen=True)
class DecisionView:
    id: int
    team_id: str
    channel_id: str
    message_ts: str
    author_id: str
    manager_id: str
    reply_ts: str | None
    nudged: bool


def get_decision(session: Session, decision_id: int) -> DecisionView:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(decision_id)
    round_ = session.get(Round, decision.round_id)
    nudged = session.scalars(
        select(func.count())
        .select_from(Followup)
        .join(Candidate, Followup.candidate_id == Candidate.id)
        .where(Candidate.decision_id == decision_id, Followup.nudges_sent > 0)
    ).one()
    return DecisionView(
        id=decision.id,
        team_id=decision.team_id,
        channel_id=decision.channel_id,
        message_ts=decision.message_ts,
        author_id=decision.author_id,
        manager_id=round_.manager_id if round_ else decision.author_id,
        reply_ts=decision.reply_ts,
        nudged=bool(nudged),
    )


def undo_decision(session: Session, decision_id: int, *, now: datetime) -> int:
    """Revert everything one decision message recorded, and forget the decision itself, so the same
    message may be read again (edited, confirmed). Returns how many follow-ups were cancelled.

    Callers check first that no nudge has gone out (`get_decision(...).nudged`).
    """
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(decision_id)
    candidates = list(session.scalars(select(Candidate).where(Candidate.decision_id == decision_id)))
    cancelled = 0
    for candidate in candidates:
        followup = session.scalars(select(Followup).where(Followup.candidate_id == candidate.id)).first()
        if followup is not None and followup.status == OPEN:
            followup.status = CANCELLED
            followup.due_at = None
            followup.closed_at = now
            cancelled += 1
        if candidate.added_by_decision:
            if followup is not None:
                session.delete(followup)
            session.delete(candidate)
        else:
            candidate.outcome = INTERVIEWING
            candidate.decision_id = None
            candidate.decided_at = None
    round_ = session.get(Round, decision.round_id)
    created_round = decision.created_round
    session.delete(decision)
    session.flush()
    if round_ is not None:
        remaining = session.scalars(
            select(func.count()).select_from(Candidate).where(Candidate.round_id == round_.id)
        ).one()
        if created_round and not remaining:
            session.delete(round_)
        else:
            round_.decided_at = None
        session.flush()
    return cancelled


@dataclass(frozen=True)
class DecisionContents:
    role: str | None
    manager_id: str
    hired: tuple[tuple[str, str | None], ...]
    not_selected: tuple[tuple[str, str | None], ...]
    withdrawn: tuple[tuple[str, str | None], ...]
    first_due: datetime | None = None  # the earliest due time of its open follow-ups


def decision_contents(session: Session, decision_id: int) -> DecisionContents:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(decision_id)
    round_ = session.get(Round, decision.round_id)
    candidates = list(
        session.scalars(select(Candidate).where(Candidate.decision_id == decision_id).order_by(Candidate.id))
    )
    followup_manager = session.scalars(
        select(Followup.manager_id).join(Candidate, Followup.candidate_id == Candidate.id)
        .where(Candidate.decision_id == decision_id)
    ).first()
    first_due = session.scalars(
        select(func.min(Followup.due_at)).join(Candidate, Followup.candidate_id == Candidate.id)
        .where(Candidate.decision_id == decision_id, Followup.status == OPEN)
    ).one()

    def of(outcome: str) -> tuple[tuple[str, str | None], ...]:
        return tuple((c.name or "", c.stage) for c in candidates if c.outcome == outcome and c.name)

    return DecisionContents(
        role=round_.role if round_ else None,
        manager_id=followup_manager or (round_.manager_id if round_ else decision.author_id),
        hired=of(HIRED),
        not_selected=of(NOT_SELECTED),
        withdrawn=of(WITHDRAWN),
        first_due=first_due,
    )


# --- follow-ups -----------------------------------------------------------------------------------


def _view(followup: Followup, candidate: Candidate, round_: Round) -> FollowupView:
    return FollowupView(
        id=followup.id,
        attempt_seq=followup.attempt_seq,
        attempt_at=followup.attempt_at,
        team_id=followup.team_id,
        status=followup.status,
        manager_id=followup.manager_id,
        created_by=followup.created_by,
        candidate_id=candidate.id,
        candidate_name=candidate.name or "(erased)",
        email=candidate.email,
        stage=candidate.stage,
        strengths=candidate.strengths,
        role=round_.role,
        decided_at=followup.decided_at,
        due_at=followup.due_at,
        nudges_sent=followup.nudges_sent,
        note=followup.note,
        closed_at=followup.closed_at,
        closed_by=followup.closed_by,
        skip_reason=followup.skip_reason,
        last_nudge_channel=followup.last_nudge_channel,
        last_nudge_ts=followup.last_nudge_ts,
    )


def _views_stmt():  # type: ignore[no-untyped-def]
    return (
        select(Followup, Candidate, Round)
        .join(Candidate, Followup.candidate_id == Candidate.id)
        .join(Round, Candidate.round_id == Round.id)
    )


def get_followup(session: Session, followup_id: int) -> FollowupView:
    row = session.execute(_views_stmt().where(Followup.id == followup_id)).first()
    if row is None:
        raise NotFound(followup_id)
    return _view(*row)


def followups(session: Session, ids: Sequence[int]) -> list[FollowupView]:
    rows = session.execute(_views_stmt().where(Followup.id.in_(ids)).order_by(Followup.id)).all()
    return [_view(*row) for row in rows]


def in_channel(channel_id: str) -> Any:
    """The follow-ups that belong to a channel: their candidate was decided there (the decision message was
    posted there) or their round was logged there. A channel's digest shows only these."""
    return or_(Followup.decided_in == channel_id, Followup.logged_in == channel_id)


def _scope(team_id: str, *, manager_id: str | None = None, channel_id: str | None = None) -> list[Any]:
    """A workspace's follow-ups, optionally one manager's, optionally one channel's (`in_channel`)."""
    where = [Followup.team_id == team_id]
    if manager_id is not None:
        where.append(Followup.manager_id == manager_id)
    if channel_id is not None:
        where.append(in_channel(channel_id))
    return where


def open_followups(
    session: Session, *, team_id: str, manager_id: str | None = None, limit: int | None = None,
    channel_id: str | None = None,
) -> list[FollowupView]:
    """Open follow-ups, oldest decision first (optionally one manager's, or one channel's)."""
    stmt = _views_stmt().where(*_scope(team_id, manager_id=manager_id, channel_id=channel_id),
                               Followup.status == OPEN)
    stmt = stmt.order_by(Followup.decided_at, Followup.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_view(*row) for row in session.execute(stmt).all()]


def count_open(session: Session, *, team_id: str, manager_id: str | None = None, nudged_at_least: int = 0,
               channel_id: str | None = None) -> int:
    """Open follow-ups (one manager's, one channel's), counting only those nudged at least so many times."""
    stmt = select(func.count()).select_from(Followup).where(
        *_scope(team_id, manager_id=manager_id, channel_id=channel_id), Followup.status == OPEN
    )
    if nudged_at_least:
        stmt = stmt.where(Followup.nudges_sent >= nudged_at_least)
    return int(session.scalars(stmt).one())


def recent_closed(session: Session, *, team_id: str, manager_id: str, limit: int) -> list[FollowupView]:
    stmt = (
        _views_stmt()
        .where(
            Followup.team_id == team_id,
            Followup.manager_id == manager_id,
            Followup.status.in_(CLOSED_STATUSES),
        )
        .order_by(Followup.closed_at.desc(), Followup.id.desc())
        .limit(limit)
    )
    return [_view(*row) for row in session.execute(stmt).all()]


def claim_due(session: Session, *, now: datetime, claimer: str, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due open follow-ups for `claimer` until now + lease.

    PostgreSQL skips rows other replicas have locked; the conditional UPDATE makes the claim safe
    on any database: a row is claimed only while nobody else holds an unexpired lease on it.
    """
    free = or_(Followup.claim_expires.is_(None), Followup.claim_expires < now)
    stmt = (
        select(Followup.id)
        .where(Followup.status == OPEN, Followup.due_at.is_not(None), Followup.due_at <= now, free)
        .order_by(Followup.due_at, Followup.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
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
        select(Followup.id).where(Followup.id.in_(ids), Followup.claimed_by == claimer).order_by(Followup.due_at)
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
    if _dialect_name(session) == "postgresql":
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


def set_note(session: Session, followup_id: int, note: str | None) -> None:
    session.execute(update(Followup).where(Followup.id == followup_id).values(note=note))


# --- personal data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateMatch:
    candidate_id: int
    team_id: str
    name: str
    role: str | None
    stage: str | None
    outcome: str
    owners: tuple[str, ...]  # who may erase: the round's manager and creator, the follow-up's


def _match_of(candidate: Candidate, round_: Round, followup: Followup | None) -> CandidateMatch:
    owners = {round_.manager_id, round_.created_by}
    if followup is not None:
        owners |= {followup.manager_id, followup.created_by}
    return CandidateMatch(candidate.id, candidate.team_id, candidate.name or "", round_.role, candidate.stage,
                          candidate.outcome, tuple(sorted(owners)))


def find_candidates(session: Session, *, team_id: str, name: str, limit: int = 10) -> list[CandidateMatch]:
    rows = session.execute(
        select(Candidate, Round, Followup)
        .join(Round, Candidate.round_id == Round.id)
        .outerjoin(Followup, Followup.candidate_id == Candidate.id)
        .where(Candidate.team_id == team_id, Candidate.name_key == name_key(name))
        .order_by(Candidate.id.desc())
        .limit(limit)
    ).all()
    return [_match_of(*row) for row in rows]


def candidate_match(session: Session, candidate_id: int) -> CandidateMatch | None:
    row = session.execute(
        select(Candidate, Round, Followup)
        .join(Round, Candidate.round_id == Round.id)
        .outerjoin(Followup, Followup.candidate_id == Candidate.id)
        .where(Candidate.id == candidate_id, Candidate.erased_at.is_(None))
    ).first()
    return _match_of(*row) if row else None


def _erase(candidate: Candidate, followup: Followup | None, now: datetime) -> None:
    candidate.name = None
    candidate.name_key = None
    candidate.email = None
    candidate.strengths = None
    candidate.erased_at = now
    if followup is not None:
        followup.note = None
        followup.skip_reason = None


def erase_candidate(session: Session, candidate_id: int, *, now: datetime, actor: str) -> tuple[str, str] | None:
    """Erase one candidate now. An open follow-up is closed (no more nudges); returns its last nudge
    (channel, ts) to update, if any."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(candidate_id)
    followup = session.scalars(select(Followup).where(Followup.candidate_id == candidate_id)).first()
    nudge = None
    if followup is not None:
        if followup.status == OPEN:
            followup.status = CANCELLED
            followup.due_at = None
            followup.closed_at = now
            followup.closed_by = actor
            if followup.last_nudge_channel and followup.last_nudge_ts:
                nudge = (followup.last_nudge_channel, followup.last_nudge_ts)
    _erase(candidate, followup, now)
    session.flush()
    return nudge


def erase_expired(session: Session, *, cutoff: datetime, now: datetime, batch: int = 1000) -> int:
    """Erase candidates whose data is no longer needed since before `cutoff`: their follow-up closed,
    or (hired, withdrawn) decided, or (never decided) their round logged, before it."""
    erased = 0
    while True:
        rows = session.execute(
            select(Candidate, Followup)
            .join(Round, Candidate.round_id == Round.id)
            .outerjoin(Followup, Followup.candidate_id == Candidate.id)
            .where(
                Candidate.erased_at.is_(None),
                or_(
                    Followup.closed_at < cutoff,
                    (Followup.id.is_(None)) & (Candidate.decided_at < cutoff),
                    (Candidate.outcome == INTERVIEWING) & (Round.created_at < cutoff),
                ),
            )
            .limit(batch)
        ).all()
        for candidate, followup in rows:
            _erase(candidate, followup, now)
        session.flush()
        erased += len(rows)
        if len(rows) < batch:
            return erased


# --- managers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerView:
    user_id: str
    tz: str | None
    display_name: str | None
    checked_at: datetime | None
    tone: str | None
    is_bot: bool = False


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
    _upsert(session, Manager, {"team_id": team_id, "user_id": user_id, **changes}, ["team_id", "user_id"], changes)


def set_tone(session: Session, *, team_id: str, user_id: str, tone: str) -> None:
    _upsert(session, Manager, {"team_id": team_id, "user_id": user_id, "tone": tone}, ["team_id", "user_id"],
            {"tone": tone})


def inactive_teams(session: Session) -> set[str]:
    return set(session.scalars(select(Workspace.team_id).where(Workspace.active.is_(False))))


def workspace_active(session: Session, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is None or workspace.active


def set_workspace_active(session: Session, team_id: str, *, active: bool, reason: str, now: datetime) -> None:
    changes = {"active": active, "reason": reason, "changed_at": now}
    _upsert(session, Workspace, {"team_id": team_id, **changes}, ["team_id"], changes)


# --- digests --------------------------------------------------------------------------------------


def claim_digest(session: Session, *, team_id: str, channel_id: str, period: str) -> bool:
    """Reserve the digest for (channel, period). False when another run (or replica) already has it."""
    values = {"team_id": team_id, "channel_id": channel_id, "period": period}
    return _insert_new(session, DigestRun, values, DigestRun.id)


def finish_digest(session: Session, *, channel_id: str, period: str, ts: str, now: datetime) -> None:
    session.execute(
        update(DigestRun)
        .where(DigestRun.channel_id == channel_id, DigestRun.period == period)
        .values(ts=ts, posted_at=now)
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


def subscriptions(session: Session, *, frequency: str) -> list[tuple[str, str]]:
    """(team_id, channel_id) of every channel subscribed at this frequency."""
    rows = session.execute(
        select(DigestSubscription.team_id, DigestSubscription.channel_id)
        .where(DigestSubscription.frequency == frequency)
        .order_by(DigestSubscription.id)
    )
    return [(team, channel) for team, channel in rows]


@dataclass(frozen=True)
class ManagerCount:
    manager_id: str
    open: int
    oldest: datetime


@dataclass(frozen=True)
class Stats:
    decided: int  # follow-ups decided in the period
    closed: int  # of those, closed (contacted or not needed)
    median_days_to_contact: float | None  # over those contacted in the period

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.decided if self.decided else None


def open_by_manager(session: Session, *, team_id: str, channel_id: str | None = None) -> list[ManagerCount]:
    """Open follow-ups per manager (of one channel, `in_channel`), the manager with the oldest first."""
    rows = session.execute(
        select(Followup.manager_id, func.count(), func.min(Followup.decided_at))
        .where(*_scope(team_id, channel_id=channel_id), Followup.status == OPEN)
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
        _views_stmt()
        .where(Followup.team_id == team_id, Followup.status == OPEN, Followup.nudges_sent >= after)
        .order_by(Followup.decided_at, Followup.id)
        .limit(limit)
    )
    return [_view(*row) for row in session.execute(stmt).all()]


def closed_since(session: Session, *, team_id: str, since: datetime, limit: int, channel_id: str | None = None
                 ) -> tuple[int, list[FollowupView]]:
    """How many follow-ups (of one channel) were closed since a moment, and the latest of them."""
    where = (*_scope(team_id, channel_id=channel_id), Followup.status.in_(CLOSED_STATUSES),
             Followup.closed_at >= since)
    count = int(session.scalars(select(func.count()).select_from(Followup).where(*where)).one())
    rows = session.execute(_views_stmt().where(*where).order_by(Followup.closed_at.desc()).limit(limit)).all()
    return count, [_view(*row) for row in rows]


def stats(session: Session, *, team_id: str, since: datetime, manager_id: str | None = None,
          channel_id: str | None = None) -> Stats:
    """Closure rate of follow-ups decided since `since`; median days from decision to contact."""
    scope = [*_scope(team_id, manager_id=manager_id, channel_id=channel_id), Followup.status != CANCELLED]
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
    days = sorted((closed_at - decided_at).total_seconds() / 86400 for decided_at, closed_at in spans)
    median = None
    if days:
        middle = len(days) // 2
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return Stats(decided=int(decided), closed=int(closed), median_days_to_contact=median)



