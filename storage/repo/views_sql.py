"""How a follow-up is read: one statement joining it to its candidate and round, made into a
storage.views.FollowupView, and the filters (workspace, manager, channel) lists share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from storage.models import Candidate, Followup, Round
from storage.views import FollowupView


def to_view(followup: Followup, candidate: Candidate, round_: Round) -> FollowupView:
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


def views_statement() -> Select[Followup, Candidate, Round]:
    return (
        select(Followup, Candidate, Round)
        .join(Candidate, Followup.candidate_id == Candidate.id)
        .join(Round, Candidate.round_id == Round.id)
    )


def followup_scope(team_id: str, *, manager_id: str | None = None, channel_id: str | None = None) -> list[Any]:
    """A workspace's follow-ups, optionally one manager's, optionally one channel's (`in_channel`)."""
    where = [Followup.team_id == team_id]
    if manager_id is not None:
        where.append(Followup.manager_id == manager_id)
    if channel_id is not None:
        where.append(in_channel(channel_id))
    return where


def in_channel(channel_id: str) -> Any:
    """The follow-ups that belong to a channel: their candidate was decided there (the decision message was
    posted there) or their round was logged there. A channel's digest shows only these."""
    return or_(Followup.decided_in == channel_id, Followup.logged_in == channel_id)
