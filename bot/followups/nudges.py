"""What a nudge shows: the suggested (or the manager's own) note, its email draft and its careful-language
notes, and how many nudges make a follow-up overdue. Shared by the sweep, the buttons and the digests."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.domain import language, notes
from bot.followups.people import Profile
from bot.slack import blocks
from storage.views import FollowupView


def note_for(deps: Deps, f: FollowupView, manager: Profile) -> str:
    if f.note:
        return f.note
    return notes.suggest_note(
        candidate_name=f.candidate_name,
        role=f.role,
        stage=f.stage,
        strengths=f.strengths,
        manager_name=manager.name,
        company=deps.settings.company_name,
        tone=manager.tone if manager.tone in notes.TONES else "warm",
        variant=f.candidate_id,
    )


def mailto_for(deps: Deps, f: FollowupView, note: str) -> str | None:
    if not f.email:
        return None
    subject = notes.email_subject(role=f.role, company=deps.settings.company_name)
    return notes.mailto_url(email=f.email, subject=subject, body=note)


def nudge_content(deps: Deps, f: FollowupView, manager: Profile, *, seq: int, now: datetime) -> blocks.NudgeContent:
    note = note_for(deps, f, manager)
    return blocks.NudgeContent(
        followup=f,
        note=note,
        seq=seq,
        of=len(deps.settings.nudge_schedule),
        now=now,
        mailto=mailto_for(deps, f, note),
        tone=manager.tone,
        findings=careful_findings(f),
    )


def careful_findings(f: FollowupView) -> tuple[language.Finding, ...]:
    """Careful-language notes for the note shown: the manager's own words when edited, else the logged
    strengths (the only outside words in a suggested note; the composer's own text is tested clean)."""
    text = f.note or f.strengths
    return language.check(text) if text else ()


def overdue_after(deps: Deps) -> int:
    return len(deps.settings.nudge_schedule)
