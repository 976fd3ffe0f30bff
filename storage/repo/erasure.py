"""Personal data: finding and erasing a candidate, and taking down the messages that named them."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.keys import name_key
from storage.models import (
    CANCELLED,
    INTERVIEWING,
    OPEN,
    POST_ERASED,
    POST_HOME,
    POST_QUESTION,
    POST_REPLY,
    POST_REPLY_DM,
    POST_ROUND_DM,
    Candidate,
    Decision,
    DigestRun,
    Followup,
    Nudge,
    Outbox,
    Round,
)
from storage.repo.claims import NotFound
from storage.repo.outbox import enqueue_update
from storage.views import CandidateMatch

# --- personal data ---------------------------------------------------------------------------------


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


# --- erased records: refused writes, and the messages that named them ----------------------------------


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
    for (kind, channel, target_ts), values in owed.items():
        queued_id = enqueue_update(session, kind=kind, channel_id=channel, target_ts=target_ts, now=now,
                                   claimer=claimer, lease=lease, **values)
        if queued_id is not None:
            queued.append(queued_id)
    session.flush()
    return queued


ERASED_NUDGE = "nudge"  # the body of an erased-nudge update: which erased form (bot.followups.outbox renders it)
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
