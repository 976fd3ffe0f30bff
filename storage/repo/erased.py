"""Erased records: the checks that refuse a write for a candidate whose personal data was erased."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Candidate, Followup


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
