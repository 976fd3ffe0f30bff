"""Scheduled work, as plain functions of (deps, now): sweep due nudges, purge old event ids and outbox rows.

The database says what is due; these functions only act on it. A follow-up is claimed under a
lease before its DM is sent and recorded after Slack accepted it; a failed send releases the claim,
so the follow-up stays due and a later sweep retries it (after a back-off, bot.slack.delivery), unless Slack
said its manager can never be DMed: then someone is told, once, and asked to reassign it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, sweeping, writer
from bot.domain import language, notes
from bot.domain.cadence import next_due
from bot.domain.timing import in_window, next_window_start
from bot.followups import exactly_once
from bot.followups.people import Profile, profile
from bot.slack import blocks, delivery
from storage import repo
from storage.db import SingleWrites
from storage.repo import FollowupView

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
PER_MANAGER = 10  # a manager's follow-ups in one batch at most (posts to one DM are paced at about 1 a second)
LONGEST_PACING_WAIT = 10.0  # seconds; a longer wait (a 429's Retry-After) leaves the rest of the batch due
EVENT_MEMORY = timedelta(days=7)
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
    thread_ts = None

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


# --- follow-ups whose manager cannot be reached ------------------------------------------------------


def tell_unreachable(deps: Deps, *, team_id: str, manager_id: str, now: datetime) -> int:
    """Tell someone, once, about every undeliverable follow-up of this manager nobody was told about yet,
    with a user picker to reassign them. Returns the notices posted.

    Who is told: ESCALATE_TO, else ADMIN_USERS (a DM each; the next group when all of one group can't be
    DMed); with neither set, the channel each decision was posted in, else whoever logged it. A notice that
    cannot be posted now is tried again after a back-off; nobody to tell at all is retried hourly (the
    follow-ups stay open, flagged in the digest and App Home)."""
    lease = deps.settings.claim_lease.as_timedelta()
    with deps.sessions.begin() as session:
        ids = repo.claim_notice(session, team_id=team_id, manager_id=manager_id, claimer=deps.replica_id, now=now,
                                lease=lease)
        items = sorted(repo.followups(session, ids), key=lambda f: (f.decided_at, f.id))
    posted = 0
    for group, destinations in _audiences(deps, items, manager_id):
        message = blocks.unreachable_notice(manager_id, group, now=now, overdue_after=overdue_after(deps))
        told, why = _post_to_first(deps, team_id, destinations, message)
        group_ids = [f.id for f in group]
        if told is not None:
            with deps.sessions.begin() as session:
                repo.finish_notice(session, group_ids, claimer=deps.replica_id, now=now)
            logger.info("undeliverable: manager=%s (%s), %d follow-ups, told %s", manager_id,
                        group[0].undeliverable_error, len(group), told)
            posted += 1
            continue
        failures = max(f.failures for f in group) + 1
        delay = delivery.BACKOFF_CAP if why is None else delivery.backoff(failures, why.retry_after)
        with deps.sessions.begin() as session:
            for f in group:
                repo.release_claim(session, f.id, claimer=deps.replica_id, due_at=now + delay,
                                   error=why.error if why else "nobody_to_tell")
        logger.warning("undeliverable: manager=%s, %d follow-ups: %s; tried again in %ds", manager_id, len(group),
                       f"could not tell anyone now ({why.error})" if why else "nobody can be told (set ESCALATE_TO "
                       "or ADMIN_USERS, or invite the bot to the decision's channel)", delay.total_seconds())
    return posted


def _audiences(deps: Deps, items: list[FollowupView], manager_id: str
               ) -> list[tuple[list[FollowupView], list[list[str]]]]:
    """Who hears about which of these follow-ups: (the follow-ups, groups of destinations to try in turn)."""
    settings = deps.settings
    people = [sorted(settings.escalate_to), sorted(settings.admin_users - settings.escalate_to)]
    people = [tier for tier in people if tier]
    if not items:
        return []
    if people:
        return [(items, people)]
    by_channel: dict[str | None, list[FollowupView]] = {}
    for f in items:
        by_channel.setdefault(f.channel_id, []).append(f)
    audiences = []
    for channel, group in by_channel.items():
        loggers = sorted({f.created_by for f in group} - {manager_id})
        tiers = [[channel]] if channel else []
        if loggers:
            tiers.append(loggers)
        audiences.append((group, tiers))
    return audiences


def _post_to_first(deps: Deps, team_id: str, tiers: list[list[str]], message: dict
                   ) -> tuple[str | None, delivery.Failure | None]:
    """Post to every destination of the first group that takes it. (where it went, None) when posted;
    (None, the failure) when a group may take it later; (None, None) when every one refuses for good, or
    there is nobody to try."""
    last: delivery.Failure | None = None
    for tier in tiers:
        told, retry = [], False
        for destination in tier:
            if deps.pacer.wait(team_id=team_id, channel=destination, at_most=LONGEST_PACING_WAIT) is None:
                last, retry = delivery.Failure("ratelimited", False, retry_after=LONGEST_PACING_WAIT), True
                continue
            try:
                sweeping(deps).chat_postMessage(channel=destination, text=message["text"], blocks=message["blocks"],
                                                unfurl_links=False, unfurl_media=False)
                told.append(destination)
            except (SlackApiError, OSError) as error:
                last = delivery.failure(error)
                if last.retry_after is not None:
                    deps.pacer.hold(team_id=team_id, seconds=last.retry_after)
                retry = retry or not last.unreachable
                logger.warning("undeliverable notice to %s not posted: %s", destination, last.error)
        if told:
            return ",".join(told), None
        if retry:
            return None, last  # a group that may take it later: don't skip to the next one
    return None, None


# --- digests --------------------------------------------------------------------------------------


def overdue_after(deps: Deps) -> int:
    return len(deps.settings.nudge_schedule)


def purge(deps: Deps, now: datetime) -> int:
    """Forget Slack event ids older than any retry could be, and finished outbox rows as old (but not the posts
    that name candidates: an erasure will look for them)."""
    with deps.sessions.begin() as session:
        repo.purge_outbox(session, before=now - EVENT_MEMORY)
        return repo.purge_events(session, before=now - EVENT_MEMORY)
