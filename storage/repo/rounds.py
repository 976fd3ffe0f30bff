"""Rounds and decisions: what was logged or decided, for whom, by whom, and in which thread."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.domain.keys import name_key, role_key
from storage.models import (
    CANCELLED,
    HIRED,
    INTERVIEWING,
    NOT_SELECTED,
    OPEN,
    WITHDRAWN,
    Candidate,
    ChannelManager,
    Decision,
    Followup,
    Round,
)
from storage.repo.claims import NotFound
from storage.views import DecisionContents, DecisionView, NewCandidate, RecordedDecision, RoundContents, ThreadRecord

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
