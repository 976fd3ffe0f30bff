"""Scheduled work, as plain functions of (deps, now): sweep due nudges, purge old event ids and outbox rows.

The database says what is due; these functions only act on it. A follow-up is claimed under a
lease before its DM is sent and recorded after Slack accepted it; a failed send releases the claim,
so the follow-up stays due and the next sweep retries it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import blocks, exactly_once, language, notes
from bot.cadence import next_due
from bot.deps import Deps, writer
from bot.exactly_once import slack_error
from bot.people import Profile, profile
from bot.timing import in_window, next_window_start
from storage import repo
from storage.db import SingleWrites
from storage.repo import FollowupView

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
EVENT_MEMORY = timedelta(days=7)
NUDGE_EVENT_TYPE = "persona_grata_nudge"


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0
    recovered: int = 0  # found already delivered (after a crash mid-send) and recorded, not sent again
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0  # handed back untouched on shutdown


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


def sweep(deps: Deps, now: datetime) -> SweepReport:
    """DM every manager whose follow-ups are due; one claimed batch per call.

    Posts are paced (bot.pacing); `now` moves on with the time the batch takes. On shutdown
    (deps.stopping) the rest of the batch is released untouched for the next sweep or replica.
    """
    report = SweepReport()
    lease = deps.settings.claim_lease.as_timedelta()
    with deps.sessions.begin() as session:
        ids = repo.claim_due(session, now=now, claimer=deps.replica_id, lease=lease, limit=SWEEP_BATCH)
        batch = {f.id: f for f in repo.followups(session, ids)}  # one read for the whole batch
        inactive = repo.inactive_teams(session)
        known = repo.get_managers(session, {(f.team_id, f.manager_id) for f in batch.values()})
    report.claimed = len(ids)
    started = time.monotonic()
    managers: dict[tuple[str, str], Profile] = {}  # each manager's profile, once per sweep (rows read above)
    with SingleWrites(writer(deps)) as writes:  # the batch's attempt and record writes
        for index, followup_id in enumerate(ids):
            if deps.stopping.is_set():
                with deps.sessions.begin() as session:
                    for rest in ids[index:]:
                        repo.release_claim(session, rest, claimer=deps.replica_id, keep_attempt=True)
                report.released = len(ids) - index
                break
            f = batch[followup_id]
            if f.team_id in inactive:
                with deps.sessions.begin() as session:
                    repo.release_claim(session, followup_id, claimer=deps.replica_id)
                report.skipped += 1
                continue
            key = (f.team_id, f.manager_id)
            if key not in managers:
                managers[key] = profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now,
                                        cached=known.get(key))
            outcome = _nudge(deps, f, managers[key], now, started, writes)
            setattr(report, outcome, getattr(report, outcome) + 1)
    if ids:
        logger.info(
            "sweep: claimed=%d sent=%d recovered=%d deferred=%d failed=%d skipped=%d released=%d",
            report.claimed, report.sent, report.recovered, report.deferred, report.failed, report.skipped,
            report.released,
        )
    return report


def _nudge(deps: Deps, f: FollowupView, manager: Profile, now: datetime, started: float,
           writes: SingleWrites) -> str:
    """Send (or recover) the next nudge of one claimed follow-up, exactly once (bot.exactly_once). Its state
    was read when it was claimed; begin_attempt's conditional update catches a close or a lost lease since."""
    settings = deps.settings
    if not in_window(now, manager.tz, settings.work_hours):
        later = next_window_start(now, manager.tz, settings.work_hours)
        with deps.sessions.begin() as session:
            repo.release_claim(session, f.id, claimer=deps.replica_id, due_at=later, keep_attempt=True)
        return "deferred"
    nudge = NudgePost(deps, f, manager, now, writes)
    result = exactly_once.post_once(
        deps.client, deps.pacer, nudge,
        lambda: blocks.nudge_message(nudge_content(deps, f, manager, seq=nudge.seq, now=now)),
        lambda: now + timedelta(seconds=time.monotonic() - started),
    )
    if result.outcome == "sent":
        logger.info("nudge sent followup=%s seq=%s", f.id, nudge.seq)
    return result.outcome


class NudgePost:
    """Nudge number `seq` of a claimed follow-up, as bot.exactly_once posts it: into the manager's DM, its
    attempt marked on the follow-up, recorded as a row of `nudges` (unique per follow-up and seq)."""

    event_type = NUDGE_EVENT_TYPE
    thread_ts = None

    def __init__(self, deps: Deps, f: FollowupView, manager: Profile, now: datetime, writes: SingleWrites) -> None:
        self.deps, self.f, self.manager, self.now, self.writes = deps, f, manager, now, writes
        self.seq = f.nudges_sent + 1
        self.team_id = f.team_id
        self.channel = f.manager_id
        # An attempt at this very nudge was marked and never recorded: look for it before sending.
        self.attempt_at = f.attempt_at if f.attempt_seq == self.seq else None
        self.payload = {"followup_id": f.id, "seq": self.seq}
        self.label = f"nudge followup={f.id} seq={self.seq}"

    def begin(self, at: datetime) -> bool:
        with self.writes.one() as connection:
            return repo.begin_attempt(connection, self.f.id, claimer=self.deps.replica_id, seq=self.seq, at=at,
                                      lease=self.deps.settings.claim_lease.as_timedelta())

    def failed(self, error: Exception, *, unknown: bool) -> None:
        with self.deps.sessions.begin() as session:
            repo.release_claim(session, self.f.id, claimer=self.deps.replica_id, error=slack_error(error),
                               keep_attempt=unknown)

    def record(self, channel: str, ts: str) -> None:
        following = next_due(
            decided_at=self.f.decided_at, sent=self.seq, schedule=self.deps.settings.nudge_schedule,
            tz=self.manager.tz, hours=self.deps.settings.work_hours, now=self.now,
        )
        repo.record_nudge_alone(self.writes, self.f.id, seq=self.seq, channel_id=channel, ts=ts, now=self.now,
                                next_due=following)


# --- digests --------------------------------------------------------------------------------------


def overdue_after(deps: Deps) -> int:
    return len(deps.settings.nudge_schedule)


def purge(deps: Deps, now: datetime) -> int:
    """Forget Slack event ids older than any retry could be, and finished outbox rows as old (but not the posts
    that name candidates: an erasure will look for them)."""
    with deps.sessions.begin() as session:
        repo.purge_outbox(session, before=now - EVENT_MEMORY)
        return repo.purge_events(session, before=now - EVENT_MEMORY)
