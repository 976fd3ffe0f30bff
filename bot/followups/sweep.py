"""The sweep, a plain function of (deps, now): DM every manager whose follow-ups are due.

The database says what is due; these functions only act on it. A follow-up is claimed under a
lease before its DM is sent and recorded after Slack accepted it; a failed send releases the claim,
so the follow-up stays due and a later sweep retries it (after a back-off, bot.slack.delivery), unless Slack
said its manager can never be DMed: then someone is told, once, and asked to reassign it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.deps import Deps, sweeping, writer
from bot.domain.cadence import next_due
from bot.domain.timing import in_window, next_window_start
from bot.followups import exactly_once
from bot.followups.nudges import nudge_content
from bot.followups.people import Profile, profile
from bot.followups.unreachable import LONGEST_PACING_WAIT, tell_unreachable
from bot.slack import blocks, delivery
from storage import repo
from storage.db import SingleWrites
from storage.views import FollowupView

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
PER_MANAGER = 10  # a manager's follow-ups in one batch at most (posts to one DM are paced at about 1 a second)
NUDGE_EVENT_TYPE = "persona_grata_nudge"


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0
    recovered: int = 0  # found already delivered (after a crash mid-send) and recorded, not sent again
    deferred: int = 0
    failed: int = 0  # put off after a failure (bot.slack.delivery.backoff)
    unreachable: int = 0  # Slack will never DM their manager: marked undeliverable
    notices: int = 0  # notices posted about undeliverable follow-ups
    skipped: int = 0
    released: int = 0  # handed back untouched: on shutdown, behind a failing manager or a workspace's 429


def sweep(deps: Deps, now: datetime) -> SweepReport:
    """DM every manager whose follow-ups are due; one claimed batch per call.

    The batch is fair: earliest due first, at most PER_MANAGER of any one manager's. A manager Slack
    will never deliver a DM to (user_not_found, account_inactive...) has all their open follow-ups marked
    undeliverable at the first refusal, and ESCALATE_TO / ADMIN_USERS are told once, with a user picker
    to reassign them (tell_unreachable). Any other failure puts that follow-up off (bot.slack.delivery.backoff,
    Retry-After honoured) and leaves that manager's other follow-ups in the batch for the next sweep;
    nobody else waits for them.

    Posts are paced (bot.pacing); `now` moves on with the time the batch takes. On shutdown
    (deps.stopping) the rest of the batch is released untouched for the next sweep or replica.
    """
    report = SweepReport()
    lease = deps.settings.claim_lease.as_timedelta()
    with deps.sessions.begin() as session:
        ids = repo.claim_due(session, now=now, claimer=deps.replica_id, lease=lease, limit=SWEEP_BATCH,
                             per_manager=PER_MANAGER)
        batch = {f.id: f for f in repo.followups(session, ids)}  # one read for the whole batch
        inactive = repo.inactive_teams(session)
        known = repo.get_managers(session, {(f.team_id, f.manager_id) for f in batch.values()
                                            if f.undeliverable_at is None})
    report.claimed = len(ids)
    started = deps.pacer.clock()  # monotonic; `now` moves on with it (a test's pacer runs on a virtual clock)
    managers: dict[tuple[str, str], Profile] = {}  # each manager's profile, once per sweep (rows read above)
    to_tell: dict[tuple[str, str], None] = {}  # managers with undeliverable follow-ups nobody was told about
    failing: set[tuple[str, str]] = set()  # a send to them failed in this batch: theirs wait for the next sweep
    unreachable: set[tuple[str, str]] = set()  # Slack refused a DM to them for good in this batch
    with SingleWrites(writer(deps)) as writes:  # the batch's attempt and record writes
        for index, followup_id in enumerate(ids):
            if deps.stopping.is_set():
                with deps.sessions.begin() as session:
                    for rest in ids[index:]:
                        repo.release_claim(session, rest, claimer=deps.replica_id, keep_attempt=True)
                report.released = len(ids) - index
                break
            f = batch[followup_id]
            key = (f.team_id, f.manager_id)
            if f.team_id in inactive:
                with deps.sessions.begin() as session:
                    repo.release_claim(session, followup_id, claimer=deps.replica_id)
                report.skipped += 1
                continue
            if f.undeliverable_at is not None:
                if f.notified_at is None:
                    to_tell[key] = None  # told about below, with every other of theirs (the claim is taken over)
                else:  # told already (made due again by hand, a snooze): nothing is due until it is reassigned
                    with deps.sessions.begin() as session:
                        repo.finish_notice(session, [followup_id], claimer=deps.replica_id, now=f.notified_at)
                    report.skipped += 1
                continue
            if key in unreachable:
                continue  # marked undeliverable (and handed back) with the first of theirs Slack refused
            if key in failing:
                with deps.sessions.begin() as session:
                    repo.release_claim(session, followup_id, claimer=deps.replica_id, keep_attempt=True)
                report.released += 1
                continue
            if key not in managers:
                managers[key] = profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now,
                                        cached=known.get(key))
            outcome = _nudge(deps, f, managers[key], now, started, writes)
            if outcome == "unreachable":
                unreachable.add(key)
                to_tell[key] = None
            elif outcome == "failed":
                failing.add(key)
            setattr(report, outcome, getattr(report, outcome) + 1)
    for team_id, manager_id in to_tell:
        if deps.stopping.is_set():
            break  # still due: the next sweep, or another replica, tells them
        at = _moved_on(deps, now, started)
        report.notices += tell_unreachable(deps, team_id=team_id, manager_id=manager_id, now=at)
    if ids:
        logger.info(
            "sweep: claimed=%d sent=%d recovered=%d deferred=%d failed=%d unreachable=%d notices=%d skipped=%d "
            "released=%d",
            report.claimed, report.sent, report.recovered, report.deferred, report.failed, report.unreachable,
            report.notices, report.skipped, report.released,
        )
    return report


def _nudge(deps: Deps, f: FollowupView, manager: Profile, now: datetime, started: float,
           writes: SingleWrites) -> str:
    """Send (or recover) the next nudge of one claimed follow-up, exactly once (bot.followups.exactly_once). Its state
    was read when it was claimed; begin_attempt's conditional update catches a close or a lost lease since."""
    settings = deps.settings
    if not in_window(now, manager.tz, settings.work_hours):
        later = next_window_start(now, manager.tz, settings.work_hours)
        with deps.sessions.begin() as session:
            repo.release_claim(session, f.id, claimer=deps.replica_id, due_at=later, keep_attempt=True)
        return "deferred"
    nudge = NudgePost(deps, f, manager, now, writes, started)
    result = exactly_once.post_once(
        sweeping(deps), deps.pacer, nudge,
        lambda: blocks.nudge_message(nudge_content(deps, f, manager, seq=nudge.seq, now=now)),
        lambda: _moved_on(deps, now, started),
        at_most=LONGEST_PACING_WAIT,
    )
    if result.outcome == "released":
        # Slack asked this workspace to wait (a 429's Retry-After) longer than a batch should: still due.
        with deps.sessions.begin() as session:
            repo.release_claim(session, f.id, claimer=deps.replica_id, keep_attempt=True)
        return "released"
    if result.outcome == "sent":
        logger.info("nudge sent followup=%s seq=%s", f.id, nudge.seq)
    if result.outcome == "failed":
        return nudge.outcome  # "failed" (put off), or "unreachable" (its manager can never be DMed)
    return result.outcome


def _moved_on(deps: Deps, now: datetime, started: float) -> datetime:
    """`now`, moved on by the time the batch has taken so far."""
    return now + timedelta(seconds=deps.pacer.clock() - started)


class NudgePost:
    """Nudge number `seq` of a claimed follow-up, as bot.followups.exactly_once posts it: into the manager's DM, its
    attempt marked on the follow-up, recorded as a row of `nudges` (unique per follow-up and seq)."""

    event_type = NUDGE_EVENT_TYPE
    thread_ts: str | None = None  # a DM of its own, never in a thread

    def __init__(self, deps: Deps, f: FollowupView, manager: Profile, now: datetime, writes: SingleWrites,
                 started: float) -> None:
        self.deps, self.f, self.manager, self.now, self.writes, self.started = deps, f, manager, now, writes, started
        self.outcome = "failed"
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
        """The post (or the look-up for an earlier attempt) failed: if Slack will never DM this manager, mark
        all their open follow-ups undeliverable (someone is told, once); else put this one off (a back-off,
        Retry-After honoured, the workspace's posts held for that long)."""
        deps, f = self.deps, self.f
        at = _moved_on(deps, self.now, self.started)
        why = delivery.failure(error)
        if why.unreachable:
            with deps.sessions.begin() as session:
                marked = repo.mark_undeliverable(session, team_id=f.team_id, manager_id=f.manager_id,
                                                 error=why.error, now=at, claimer=deps.replica_id)
            logger.warning("%s: manager=%s cannot be DMed (%s): %d open follow-ups marked undeliverable",
                           self.label, f.manager_id, why.error, marked)
            self.outcome = "unreachable"
            return
        if why.retry_after is not None:
            deps.pacer.hold(team_id=f.team_id, seconds=why.retry_after)
        delay = delivery.backoff(f.failures + 1, why.retry_after)
        with deps.sessions.begin() as session:
            repo.release_claim(session, f.id, claimer=deps.replica_id, due_at=at + delay, error=why.error,
                               keep_attempt=unknown)
        logger.warning("%s failed: %s; tried again in %ds", self.label, why.error, delay.total_seconds())

    def record(self, channel: str, ts: str) -> None:
        following = next_due(
            decided_at=self.f.decided_at, sent=self.seq, schedule=self.deps.settings.nudge_schedule,
            tz=self.manager.tz, hours=self.deps.settings.work_hours, now=self.now,
        )
        repo.record_nudge_alone(self.writes, self.f.id, seq=self.seq, channel_id=channel, ts=ts, now=self.now,
                                next_due=following)
