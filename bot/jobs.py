"""Scheduled work, as plain functions of (deps, now): sweep due nudges, purge old event ids.

The database says what is due; these functions only act on it. A follow-up is claimed under a
lease before its DM is sent and recorded after Slack accepted it; a failed send releases the claim,
so the follow-up stays due and the next sweep retries it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import blocks, language, notes
from bot.cadence import next_due
from bot.deps import Deps
from bot.people import Profile, profile
from bot.timing import in_window, next_window_start
from storage import repo
from storage.models import OPEN
from storage.repo import FollowupView

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SWEEP_BATCH = 200
EVENT_MEMORY = timedelta(days=7)
NUDGE_EVENT_TYPE = "persona_grata_nudge"


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0


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
        findings=language.check(note),
    )


def slack_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"http_{error.response.status_code}")
    return type(error).__name__


def sweep(deps: Deps, now: datetime) -> SweepReport:
    """DM every manager whose follow-ups are due; one claimed batch per call."""
    report = SweepReport()
    with deps.sessions.begin() as session:
        ids = repo.claim_due(session, now=now, claimer=deps.replica_id, lease=LEASE, limit=SWEEP_BATCH)
    report.claimed = len(ids)
    for followup_id in ids:
        outcome = _nudge(deps, followup_id, now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    if ids:
        logger.info(
            "sweep: claimed=%d sent=%d deferred=%d failed=%d skipped=%d",
            report.claimed, report.sent, report.deferred, report.failed, report.skipped,
        )
    return report


def _nudge(deps: Deps, followup_id: int, now: datetime) -> str:
    settings = deps.settings
    with deps.sessions.begin() as session:
        f = repo.get_followup(session, followup_id)
    if f.status != OPEN:
        with deps.sessions.begin() as session:
            repo.release_claim(session, followup_id, claimer=deps.replica_id)
        return "skipped"
    manager = profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now)
    if not in_window(now, manager.tz, settings.work_hours):
        later = next_window_start(now, manager.tz, settings.work_hours)
        with deps.sessions.begin() as session:
            repo.release_claim(session, followup_id, claimer=deps.replica_id, due_at=later)
        return "deferred"
    seq = f.nudges_sent + 1
    message = blocks.nudge_message(nudge_content(deps, f, manager, seq=seq, now=now))
    with deps.sessions.begin() as session:
        still_ours = repo.holds_claim(session, followup_id, deps.replica_id)
    if not still_ours:  # closed, or the lease ran out and another replica took it, while we prepared
        return "skipped"
    try:
        response = deps.client.chat_postMessage(
            channel=f.manager_id,
            text=message["text"],
            blocks=message["blocks"],
            metadata={"event_type": NUDGE_EVENT_TYPE, "event_payload": {"followup_id": f.id, "seq": seq}},
            unfurl_links=False,
            unfurl_media=False,
        )
    except (SlackApiError, OSError) as error:
        logger.warning("nudge not sent followup=%s seq=%s: %s; stays due", f.id, seq, slack_error(error))
        with deps.sessions.begin() as session:
            repo.release_claim(session, followup_id, claimer=deps.replica_id, error=slack_error(error))
        return "failed"
    following = next_due(
        decided_at=f.decided_at,
        sent=seq,
        schedule=settings.nudge_schedule,
        tz=manager.tz,
        hours=settings.work_hours,
        now=now,
    )
    try:
        with deps.sessions.begin() as session:
            repo.record_nudge(
                session,
                followup_id,
                seq=seq,
                channel_id=str(response["channel"]),
                ts=str(response["ts"]),
                now=now,
                next_due=following,
            )
    except IntegrityError:
        logger.warning("nudge followup=%s seq=%s was already recorded by another run", f.id, seq)
        return "skipped"
    logger.info("nudge sent followup=%s seq=%s", f.id, seq)
    return "sent"


# --- digests --------------------------------------------------------------------------------------


def overdue_after(deps: Deps) -> int:
    return len(deps.settings.nudge_schedule)


def purge(deps: Deps, now: datetime) -> int:
    """Forget Slack event ids older than any retry could be."""
    with deps.sessions.begin() as session:
        return repo.purge_events(session, before=now - EVENT_MEMORY)
