"""Repository functions: they take a Session, use select(), may flush, and never commit.

The edge (a listener or a job) owns the unit of work: `with sessions.begin() as session: ...`.
Values cross the boundary as plain frozen dataclasses, never as live ORM objects, because
listeners run on other threads after `ack()` and must not share a Session.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Collection, Iterable, Sequence
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
    POST_ERASED,
    POST_HOME,
    POST_QUESTION,
    POST_REPLY,
    POST_REPLY_DM,
    POST_ROUND_DM,
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
    Outbox,
    ProcessedEvent,
    Round,
    UTCDateTime,
    Workspace,
)

CLOSED_STATUSES = (CONTACTED, SKIPPED)
CLAIM_LOCK = 0x5047_636C_6169_6D  # PostgreSQL advisory lock key of claim_due ("PGclaim")


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
    erased: bool = False  # the candidate's personal data was erased: nothing may be written for them
    failures: int = 0  # failed sends in a row
    undeliverable_at: datetime | None = None  # the manager cannot be DMed (see mark_undeliverable)
    undeliverable_error: str | None = None
    notified_at: datetime | None = None  # when someone was told about it
    channel_id: str | None = None  # where the decision (or the round) was posted


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
    if _dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    found = list(session.scalars(stmt))
    if not found:
        return []
    session.execute(
        update(model).where(key.in_(found), *conditions, free)
        .values(claimed_by=claimer, claim_expires=now + lease).execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(key).where(key.in_(found), model.claimed_by == claimer).order_by(*order_by)))


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


def event_seen(session: Session, event_id: str) -> bool:
    """Whether an event was handled before (claim_event): a redelivery, to drop before any lookups."""
    return session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)) is not None


def purge_events(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    session.execute(delete(InboxEvent).where(InboxEvent.received_at < before))
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


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
    return UTCDateTime().bind_processor(dialect)  # type: ignore[no-any-return]


def inbox_done(session: Session, event_id: str) -> None:
    session.execute(delete(InboxEvent).where(InboxEvent.event_id == event_id))


def inbox_claim(session: Session, *, now: datetime, received_before: datetime, claimer: str, lease: timedelta,
                max_attempts: int, limit: int) -> list[dict[str, object]]:
    """Claim kept events nobody is processing (their lease ran out: the worker died, or handed them back after
    a failure) that were received before `received_before`, each counted as one more attempt; their bodies,
    oldest first. An event a worker holds, on this replica or another, is left alone."""
    ids = claim_rows(session, InboxEvent, InboxEvent.event_id,
                     conditions=[InboxEvent.received_at < received_before, InboxEvent.attempts < max_attempts],
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
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


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


def command_round(session: Session, *, team_id: str, created_by: str, created_at: datetime) -> int | None:
    """The round `/interview-round` logged for this user at this very moment (the clock read once per command),
    if it was saved: how a command whose commit failed finds out whether it was saved after all."""
    return session.scalars(select(Round.id).where(
        Round.team_id == team_id, Round.created_by == created_by, Round.created_at == created_at,
        Round.source == "command").limit(1)).first()


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
    message_ts: str | None,
    author_id: str,
    manager_id: str,
    role: str | None,
    hired: Sequence[NewCandidate],
    not_selected: Sequence[NewCandidate],
    withdrawn: Sequence[NewCandidate],
    first_due: datetime,
    now: datetime,
    source: str = "slack",
    external_id: str | None = None,
) -> RecordedDecision:
    """Record one decision message: outcomes, the round, one open follow-up per not-selected person.

    A hire announced for a logged round closes it: its other interviewees become not selected.
    With no role, the decision gets a round of its own (its role can be set later: `set_decision_role`).
    A not-selected person who already has an open follow-up for the same role (announced in Slack and
    rejected in the ATS, in either order) keeps that one follow-up.
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
        source=source,
        external_id=external_id,
    )
    session.add(decision)
    session.flush()

    def settle(entry: NewCandidate, outcome: str) -> Candidate:
        candidate = _match(round_.candidates, entry.name)
        if candidate is None and outcome == NOT_SELECTED:
            candidate = _open_followup_candidate(session, team_id=team_id, role=role, name=entry.name)
            if candidate is not None:
                candidate.decision_id = decision.id
                return candidate
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
            existing.decided_in = channel_id or existing.decided_in  # an ATS decision has no channel
            if existing.status == CANCELLED:
                existing.status = OPEN
                existing.due_at = first_due
                existing.decided_at = now
                existing.manager_id = manager_id
                existing.closed_at = None
                existing.undeliverable_at = existing.undeliverable_error = existing.notified_at = None
                existing.failures = 0
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


def _open_followup_candidate(session: Session, *, team_id: str, role: str | None, name: str) -> Candidate | None:
    """The not-selected candidate of this name and role whose follow-up is still open, in any round."""
    if not role:
        return None
    return session.scalars(
        select(Candidate).join(Round, Candidate.round_id == Round.id)
        .join(Followup, Followup.candidate_id == Candidate.id)
        .where(Candidate.team_id == team_id, Candidate.name_key == name_key(name),
               Candidate.outcome == NOT_SELECTED, Round.role_key == role_key(role), Followup.status == OPEN)
        .order_by(Candidate.id.desc()).limit(1)
    ).first()


def cancel_open_followup(session: Session, *, team_id: str, role: str | None, name: str, now: datetime
                         ) -> tuple[int, str] | None:
    """A rejection taken back (in the ATS): cancel this person's open follow-up for this role; its id and
    manager, or None when there is none."""
    candidate = _open_followup_candidate(session, team_id=team_id, role=role, name=name)
    if candidate is None:
        return None
    followup = session.scalars(select(Followup).where(Followup.candidate_id == candidate.id)).one()
    followup.status = CANCELLED
    followup.due_at = None
    followup.closed_at = now
    candidate.outcome = INTERVIEWING
    return followup.id, followup.manager_id


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


def ats_decision_id(session: Session, *, team_id: str, source: str, external_id: str,
                    outcomes: Collection[str]) -> int | None:
    """The decision an ATS application (source, external_id) has in force with one of these outcomes: the
    latest recorded for it whose candidate still has that outcome. A redelivery, another delivery saying the
    same, or a second admin's pick finds it; an unreject puts the candidate back to interviewing, so a later
    rejection of the application is a new decision, and so is a hire after a rejection."""
    return session.scalars(
        select(Decision.id).join(Candidate, Candidate.decision_id == Decision.id).where(
            Decision.team_id == team_id, Decision.source == source, Decision.external_id == external_id,
            Candidate.outcome.in_(list(outcomes)),
        ).order_by(Decision.id.desc())
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
    message_ts: str | None  # None: an ATS decision (no Slack message)
    author_id: str
    manager_id: str
    reply_ts: str | None
    nudged: bool
    erased: bool = False  # one of its candidates was erased: it can't be changed any more


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
        erased=bool(session.scalars(select(func.count()).select_from(Candidate).where(
            Candidate.decision_id == decision_id, Candidate.erased_at.is_not(None))).one()),
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
    erased: int = 0  # how many of its people were erased (they are left out of the lists above)


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
        erased=sum(1 for c in candidates if c.erased_at is not None),
    )


@dataclass(frozen=True)
class RoundContents:
    role: str | None
    manager_id: str
    created_by: str
    candidates: tuple[NewCandidate, ...]  # the people not erased, in the order they were logged
    hired: tuple[str, ...]
    erased: int  # how many of its people were erased


def round_contents(session: Session, round_id: int) -> RoundContents:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(round_id)
    people = [c for c in round_.candidates if c.name]
    return RoundContents(
        role=round_.role, manager_id=round_.manager_id, created_by=round_.created_by,
        candidates=tuple(NewCandidate(c.name or "", c.stage, c.strengths, c.email) for c in people),
        hired=tuple(c.name or "" for c in people if c.outcome == HIRED),
        erased=sum(1 for c in round_.candidates if c.erased_at is not None),
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
        erased=candidate.erased_at is not None,
        failures=followup.failures,
        undeliverable_at=followup.undeliverable_at,
        undeliverable_error=followup.undeliverable_error,
        notified_at=followup.notified_at,
        channel_id=round_.channel_id,
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
        _views_stmt()
        .where(Followup.team_id == team_id, Followup.manager_id == manager_id, Followup.status == OPEN,
               Followup.undeliverable_at.is_not(None))
        .order_by(Followup.decided_at, Followup.id)
    )
    return [_view(*row) for row in session.execute(stmt).all()]


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


def set_note(session: Session, followup_id: int, note: str | None) -> bool:
    """Save the manager's own note; False (nothing written) once the candidate was erased."""
    if followup_erased(session, followup_id):
        return False
    session.execute(update(Followup).where(Followup.id == followup_id).values(note=note))
    return True


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


def erase_candidate(session: Session, candidate_id: int, *, now: datetime, actor: str, claimer: str | None = None,
                    lease: timedelta | None = None) -> list[int]:
    """Erase one candidate now. An open follow-up is closed (no more nudges). Every message the bot posted
    that names them is owed an update (erasure_updates): returns those outbox rows, born claimed by
    `claimer` for sending at once.

    The candidate's row is locked first (PostgreSQL), as every write to an erasable record does."""
    candidate = session.get(Candidate, candidate_id, with_for_update=True)
    if candidate is None:
        raise NotFound(candidate_id)
    followup = session.scalars(select(Followup).where(Followup.candidate_id == candidate_id)).first()
    if followup is not None and followup.status == OPEN:
        followup.status = CANCELLED
        followup.due_at = None
        followup.closed_at = now
        followup.closed_by = actor
    _erase(candidate, followup, now)
    session.flush()
    return erasure_updates(session, [candidate_id], now=now, claimer=claimer, lease=lease)


def erase_expired(session: Session, *, cutoff: datetime, now: datetime, batch: int = 1000) -> int:
    """Erase candidates whose data is no longer needed since before `cutoff`: their follow-up closed,
    or (hired, withdrawn) decided, or (never decided) their round logged, before it. Every message the bot
    posted that names them is owed an update (erasure_updates), in the same unit of work."""
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
            .with_for_update(of=Candidate, skip_locked=True)
        ).all()
        for candidate, followup in rows:
            _erase(candidate, followup, now)
        session.flush()
        erasure_updates(session, [candidate.id for candidate, _ in rows], now=now)
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





# --- the outbox: posts and updates the bot owes Slack ------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    id: int
    team_id: str
    kind: str
    channel_id: str
    thread_ts: str | None
    target_ts: str | None
    decision_id: int | None
    round_id: int | None
    notify_user: str | None
    body: str | None
    attempt_at: datetime | None
    failures: int


def _outbox_item(row: Outbox) -> OutboxItem:
    return OutboxItem(row.id, row.team_id, row.kind, row.channel_id, row.thread_ts, row.target_ts, row.decision_id,
                      row.round_id, row.notify_user, row.body, row.attempt_at, row.failures)


def enqueue(session: Session, *, team_id: str, kind: str, channel_id: str, now: datetime,
            thread_ts: str | None = None, target_ts: str | None = None, key: str | None = None,
            decision_id: int | None = None, round_id: int | None = None, notify_user: str | None = None,
            body: str | None = None, claimer: str | None = None, lease: timedelta | None = None
            ) -> OutboxItem | None:
    """Owe Slack a post (or, with `target_ts`, an update of that message), due now. Returns it; None when a
    post with the same `key` is already owed or made.

    With `claimer` the row is born claimed by it, for `lease`, and a post's attempt is marked at once: the
    caller sends it right after this unit of work commits, and whoever finds it after a crash looks for
    it in Slack before sending it again."""
    values: dict[str, object] = {
        "team_id": team_id, "kind": kind, "channel_id": channel_id, "thread_ts": thread_ts, "target_ts": target_ts,
        "key": key, "decision_id": decision_id, "round_id": round_id, "notify_user": notify_user, "body": body,
        "due_at": now, "failures": 0, "created_at": now,
    }
    if claimer is not None:
        values.update(claimed_by=claimer, claim_expires=now + (lease or timedelta(minutes=1)))
        if target_ts is None and kind != POST_HOME:
            values["attempt_at"] = now
    stmt = _insert(session)(Outbox).values(values)
    if key is not None:
        stmt = stmt.on_conflict_do_nothing()
    outbox_id = session.execute(stmt.returning(Outbox.id)).scalar()
    if outbox_id is None:
        return None
    return OutboxItem(outbox_id, team_id, kind, channel_id, thread_ts, target_ts, decision_id, round_id, notify_user,
                      body, values.get("attempt_at"), 0)  # type: ignore[arg-type]


def enqueue_update(session: Session, *, team_id: str, kind: str, channel_id: str, target_ts: str | None,
                   now: datetime, claimer: str | None = None, lease: timedelta | None = None,
                   **extra: Any) -> int | None:
    """Owe Slack an update of a message (or an App Home: `target_ts` None), unless the same update is
    already waiting and not yet taken (it is rendered when sent, so one covers both)."""
    waiting = session.scalars(select(Outbox.id).where(
        Outbox.kind == kind, Outbox.channel_id == channel_id,
        Outbox.target_ts.is_(None) if target_ts is None else Outbox.target_ts == target_ts,
        Outbox.due_at.is_not(None), Outbox.claimed_by.is_(None),
    ).limit(1)).first()
    if waiting is not None:
        if claimer is not None:
            session.execute(update(Outbox).where(Outbox.id == waiting, Outbox.claimed_by.is_(None)).values(
                claimed_by=claimer, claim_expires=now + (lease or timedelta(minutes=1)), due_at=now))
        return waiting
    item = enqueue(session, team_id=team_id, kind=kind, channel_id=channel_id, target_ts=target_ts, now=now,
                   claimer=claimer, lease=lease, **extra)
    return item.id if item is not None else None


def claim_outbox(session: Session, *, now: datetime, claimer: str, lease: timedelta, limit: int,
                 ids: Sequence[int] | None = None, skip_teams: Iterable[str] = ()) -> list[OutboxItem]:
    """Claim due outbox rows for `claimer` until now + lease (as claim_due does follow-ups), oldest first;
    `ids`: these rows only, due or not. A row whose lease runs is left alone, even by the replica that holds it
    (another of its threads is sending it)."""
    conditions = [Outbox.due_at.is_not(None), Outbox.id.in_(list(ids)) if ids is not None else Outbox.due_at <= now]
    skipped = list(skip_teams)
    if skipped:
        conditions.append(Outbox.team_id.not_in(skipped))
    found = claim_rows(session, Outbox, Outbox.id, conditions=conditions, order_by=(Outbox.due_at, Outbox.id),
                       now=now, claimer=claimer, lease=lease, limit=limit)
    if not found:
        return []
    rows = session.scalars(select(Outbox).where(Outbox.id.in_(found)).order_by(Outbox.due_at, Outbox.id)).all()
    return [_outbox_item(row) for row in rows]


def begin_post(session: Session, outbox_id: int, *, claimer: str, at: datetime, lease: timedelta) -> bool:
    """Mark a claimed post as being handed to Slack now, renewing the lease. False when the claim was lost."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.claimed_by == claimer, Outbox.due_at.is_not(None),
               Outbox.posted_ts.is_(None))
        .values(attempt_at=at, claim_expires=at + lease)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def release_outbox(session: Session, outbox_id: int, *, claimer: str, due_at: datetime | None = None,
                   error: str | None = None, keep_attempt: bool = False) -> None:
    """Hand a claimed row back, still owed (due at `due_at`, if given); `keep_attempt` when Slack may have
    the post (a timeout), so that the next claimer looks for it first."""
    values: dict[str, object] = {"claimed_by": None, "claim_expires": None}
    if not keep_attempt:
        values["attempt_at"] = None
    if due_at is not None:
        values["due_at"] = due_at
    if error is not None:
        values["failures"] = Outbox.failures + 1
        values["last_error"] = error[:100]
    session.execute(update(Outbox).where(Outbox.id == outbox_id, Outbox.claimed_by == claimer).values(**values))


def finish_outbox(session: Session, outbox_id: int, *, now: datetime, error: str | None = None) -> None:
    """Nothing more is owed for this row: done (an update landed), or given up (`error`: Slack will refuse
    it whatever we do). A question's body goes with it."""
    values: dict[str, object] = {"due_at": None, "done_at": now, "claimed_by": None, "claim_expires": None,
                                 "attempt_at": None, "body": None}
    if error is not None:
        values["last_error"] = error[:100]
    session.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))


def record_post(session: Session, item: OutboxItem, *, channel: str, ts: str, now: datetime) -> bool:
    """Record where Slack put a post; False when it was recorded before (another run found or sent it).

    A decision's thread reply becomes the decision's reply. A post that names candidates erased while it
    was on its way is owed an update at once."""
    result = session.execute(
        update(Outbox).where(Outbox.id == item.id, Outbox.posted_ts.is_(None))
        .values(posted_channel=channel, posted_ts=ts, due_at=None, done_at=now, claimed_by=None,
                claim_expires=None, attempt_at=None, body=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if item.kind == POST_REPLY and item.decision_id is not None:
        set_decision_reply(session, item.decision_id, ts)
    if item.kind in NAMING_POSTS and _names_erased(session, decision_id=item.decision_id, round_id=item.round_id):
        enqueue_update(session, team_id=item.team_id, kind=item.kind, channel_id=channel, target_ts=ts, now=now,
                       decision_id=item.decision_id, round_id=item.round_id)
    return True


NAMING_POSTS = (POST_REPLY, POST_REPLY_DM, POST_ROUND_DM)  # rendered from the decision or round they name


def _names_erased(session: Session, *, decision_id: int | None, round_id: int | None) -> bool:
    if decision_id is not None:
        return decision_erased(session, decision_id)
    if round_id is not None:
        return bool(session.scalars(select(func.count()).select_from(Candidate).where(
            Candidate.round_id == round_id, Candidate.erased_at.is_not(None))).one())
    return False


def purge_outbox(session: Session, *, before: datetime) -> int:
    """Forget finished rows older than `before`, except posts that name candidates (an erasure will look for
    them) until their names are erased."""
    result = session.execute(delete(Outbox).where(
        Outbox.due_at.is_(None), Outbox.done_at < before,
        or_(Outbox.posted_ts.is_(None), Outbox.kind.not_in((POST_REPLY_DM, POST_ROUND_DM, POST_QUESTION)),
            Outbox.erased_at.is_not(None)),
    ))
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def outbox_rows(session: Session) -> list[OutboxItem]:
    return [_outbox_item(row) for row in session.scalars(select(Outbox).order_by(Outbox.id))]


# --- erased records: refused writes, and the messages that named them ----------------------------------


def followup_erased(session: Session, followup_id: int) -> bool:
    """Whether the candidate of this follow-up was erased. On PostgreSQL the candidate's row stays locked
    until the unit of work ends, so an erasure cannot slip in between this check and the write after it
    (the erasure locks the same row first)."""
    row = session.execute(
        select(Candidate.erased_at).join(Followup, Followup.candidate_id == Candidate.id)
        .where(Followup.id == followup_id).with_for_update(of=Candidate)
    ).first()
    return row is not None and row[0] is not None


def decision_erased(session: Session, decision_id: int) -> bool:
    """Whether any candidate of this decision was erased (their rows locked, as in followup_erased)."""
    erased = session.scalars(
        select(Candidate.erased_at).where(Candidate.decision_id == decision_id).with_for_update(of=Candidate)
    ).all()
    return any(at is not None for at in erased)


def erasure_updates(session: Session, candidate_ids: Collection[int], *, now: datetime,
                    claimer: str | None = None, lease: timedelta | None = None) -> list[int]:
    """Owe Slack an update of every message the bot posted that names these (just erased) candidates: each of
    their nudges, their decisions' thread replies and confirmation DMs, their rounds' confirmation DMs, and
    their managers' App Homes. Each is rendered again when it is sent, from what is left. Returns the ids
    of the rows queued (born claimed by `claimer`, if given)."""
    ids = list(candidate_ids)
    if not ids:
        return []
    decisions = select(Candidate.decision_id).where(Candidate.id.in_(ids), Candidate.decision_id.is_not(None))
    rounds = select(Candidate.round_id).where(Candidate.id.in_(ids))
    owed: dict[tuple[str, str, str | None], dict[str, Any]] = {}  # (kind, channel, ts) -> row values

    def owe(team_id: str, kind: str, channel: str, ts: str | None, **extra: Any) -> None:
        owed.setdefault((kind, channel, ts), {"team_id": team_id, **extra})

    for team_id, channel, ts in session.execute(
        select(Followup.team_id, Nudge.channel_id, Nudge.ts).join(Nudge, Nudge.followup_id == Followup.id)
        .where(Followup.candidate_id.in_(ids))
    ):
        owe(team_id, POST_ERASED, channel, ts, body=ERASED_NUDGE)
    for decision in session.scalars(select(Decision).where(Decision.id.in_(decisions),
                                                           Decision.reply_ts.is_not(None))):
        owe(decision.team_id, POST_REPLY, decision.channel_id, decision.reply_ts, decision_id=decision.id)
    posted = list(session.scalars(select(Outbox).where(
        Outbox.posted_ts.is_not(None), Outbox.kind.in_((POST_REPLY_DM, POST_ROUND_DM)),
        or_(Outbox.decision_id.in_(decisions), Outbox.round_id.in_(rounds)),
    )))
    for row in posted:
        owe(row.team_id, row.kind, row.posted_channel or row.channel_id, row.posted_ts, decision_id=row.decision_id,
            round_id=row.round_id)
        row.erased_at = now
    for team_id, manager_id in session.execute(
        select(Followup.team_id, Followup.manager_id).where(Followup.candidate_id.in_(ids)).distinct()
    ):
        owe(team_id, POST_HOME, manager_id, None)
    for run in _digests_naming(session, ids):
        owe(run.team_id, POST_ERASED, run.channel_id, run.ts, body=ERASED_LIST)
    queued = []
    for (kind, channel, ts), values in owed.items():
        queued_id = enqueue_update(session, kind=kind, channel_id=channel, target_ts=ts, now=now, claimer=claimer,
                                   lease=lease, **values)
        if queued_id is not None:
            queued.append(queued_id)
    session.flush()
    return queued


ERASED_NUDGE = "nudge"  # the body of an erased-nudge update: which erased form (bot.outbox renders it)
ERASED_QUESTION = "question"
ERASED_LIST = "list"  # a digest or an escalation
DIGEST_LAG = timedelta(days=31)  # a closed follow-up is still named by the first digest after it closed


def _digests_naming(session: Session, candidate_ids: list[int]) -> list[DigestRun]:
    """The digests and escalations posted that may name these candidates: only follow-ups are listed, between
    their decision and the first digest after they closed."""
    first, last, still_open = session.execute(
        select(func.min(Followup.decided_at), func.max(Followup.closed_at),
               func.count(Followup.id).filter(Followup.closed_at.is_(None)))
        .where(Followup.candidate_id.in_(candidate_ids))
    ).one()
    if first is None:
        return []
    window = [DigestRun.posted_at >= first]
    if not still_open and last is not None:
        window.append(DigestRun.posted_at <= last + DIGEST_LAG)
    wanted = set(candidate_ids)
    runs = session.scalars(select(DigestRun).where(DigestRun.named.is_not(None), DigestRun.ts.is_not(None),
                                                   DigestRun.ts != "", *window))
    return [run for run in runs if wanted & set(json.loads(run.named or "[]"))]


def erase_unanswered_questions(session: Session, *, cutoff: datetime, now: datetime) -> int:
    """Questions posted before `cutoff` that nobody answered (no decision took the question's place) still
    name the people they asked about: owe Slack their erased form."""
    answered = select(Decision.id).where(Decision.channel_id == Outbox.posted_channel,
                                         Decision.reply_ts == Outbox.posted_ts)
    rows = list(session.scalars(select(Outbox).where(
        Outbox.kind == POST_QUESTION, Outbox.posted_ts.is_not(None), Outbox.erased_at.is_(None),
        Outbox.created_at < cutoff, ~exists(answered),
    ).limit(1000)))
    for row in rows:
        enqueue_update(session, team_id=row.team_id, kind=POST_ERASED, channel_id=row.posted_channel or row.channel_id,
                       target_ts=row.posted_ts, now=now, body=ERASED_QUESTION)
        row.erased_at = now
    session.flush()
    return len(rows)
