"""Channel digests of pending closures, and the daily escalation of overdue ones.

A digest is posted once per channel and period, whichever replica fires first: the period is the
cron fire time it belongs to, reserved by a unique row before posting and released if the post fails.

A digest names candidates, so who sees which is deliberate: a channel's digest shows only the follow-ups
that belong to that channel (decided or logged there, `storage.repo.in_channel`); the workspace-wide one
goes only to DIGEST_CHANNEL, and to ADMIN_USERS who ask for it (`/interview-round digest all`, shown to
them alone). The escalation DM goes to ESCALATE_TO, whom the operator chose.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from slack_sdk.errors import SlackApiError

from bot.deps import Deps, reading
from bot.followups import saving
from bot.followups.nudges import overdue_after
from bot.slack import blocks
from bot.slack.delivery import slack_error
from storage import repo

logger = logging.getLogger(__name__)

OLDEST_LOADED = 500  # rows a digest loads at most, however many are open
STATS_WINDOW = timedelta(days=30)
FREQUENCIES = ("daily", "weekly")


def daily_cron(weekly_cron: str) -> str:
    """Daily digests go out on weekdays at the minute and hour of DIGEST_CRON."""
    minute, hour = weekly_cron.split()[:2]
    return f"{minute} {hour} * * MON-FRI"


def cron_for(deps: Deps, frequency: str) -> str:
    cron = deps.settings.digest_cron
    return daily_cron(cron) if frequency == "daily" else cron


def scope_of(deps: Deps, channel_id: str) -> str | None:
    """Whose follow-ups a digest posted in `channel_id` shows: that channel's own, or, in DIGEST_CHANNEL
    only, the whole workspace's (None)."""
    return None if channel_id == deps.settings.digest_channel else channel_id


def gather(deps: Deps, *, team_id: str, channel_id: str | None, scope: str | None, now: datetime
           ) -> blocks.DigestContent:
    """What a digest shows. `channel_id`: where it goes (closures are counted since the last digest there);
    `scope`: the channel whose follow-ups it shows, None for the whole workspace."""
    after = overdue_after(deps)
    with reading(deps).begin() as session:
        managers = repo.open_by_manager(session, team_id=team_id, channel_id=scope)
        since = repo.last_digest_at(session, channel_id=channel_id) if channel_id else None
        closed_count, closed_recent = repo.closed_since(
            session, team_id=team_id, since=since or now - timedelta(days=7), limit=5, channel_id=scope
        )
        return blocks.DigestContent(
            total=sum(m.open for m in managers),
            managers=managers,
            oldest=repo.open_followups(session, team_id=team_id, limit=OLDEST_LOADED, channel_id=scope),
            overdue=repo.count_overdue(session, team_id=team_id, after=after, channel_id=scope),
            closed_count=closed_count,
            closed_recent=closed_recent,
            stats=repo.stats(session, team_id=team_id, since=now - STATS_WINDOW, channel_id=scope),
            since=since,
            channel_id=scope,
        )


def subscribe(deps: Deps, frequency: str | None, *, team_id: str, channel_id: str, user_id: str,
              now: datetime) -> saving.Outcome[bool]:
    """`/interview-round digest daily|weekly|off`, after the acknowledgement: save the channel's own digest
    (None: none), and know whether it was saved (bot.followups.saving). `deps`: the acknowledgement path's."""
    outcome = saving.save_setting(
        deps.sessions, reading(deps),
        write=lambda session: repo.set_subscription(session, team_id=team_id, channel_id=channel_id,
                                                    frequency=frequency, user_id=user_id, now=now),
        read=lambda session: repo.subscription(session, team_id=team_id, channel_id=channel_id),
        wanted=frequency, what=f"digest subscription of channel={channel_id}")
    if outcome.status == saving.SAVED:
        logger.info("channel=%s: digest %s by user=%s", channel_id, frequency or "off", user_id)
    return outcome


def digest_message(deps: Deps, *, team_id: str, channel_id: str, now: datetime, everyone: bool = False) -> dict:
    """The digest asked for in `channel_id`: that channel's (DIGEST_CHANNEL: the workspace's), or with
    `everyone` the workspace's, for an admin's eyes only (the caller checks and shows it to them alone)."""
    scope = None if everyone else scope_of(deps, channel_id)
    content = gather(deps, team_id=team_id, channel_id=None if everyone else channel_id, scope=scope, now=now)
    return blocks.digest_message(content, now, overdue_after(deps))


def period_of(cron: str, tz: str, now: datetime) -> str:
    """The scheduled fire time this run belongs to, so every replica names the period alike."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(tz))
    for window in (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=366)):
        fire = trigger.get_next_fire_time(None, now - window)
        latest: datetime | None = None  # APScheduler 3 is untyped
        steps = 0
        while fire is not None and fire <= now and steps < 2000:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            steps += 1
        if latest is not None:
            return latest.isoformat()
    return now.replace(second=0, microsecond=0).isoformat()


def post_once(deps: Deps, *, team_id: str, channel_id: str, period: str, now: datetime) -> bool:
    """Post the digest to a channel once for a period. False when another run already did, or the
    digest is empty and DIGEST_EMPTY says to skip it, or Slack refused (the period is freed again)."""
    with deps.sessions.begin() as session:
        if not repo.workspace_active(session, team_id):
            return False
        if not repo.claim_digest(session, team_id=team_id, channel_id=channel_id, period=period):
            return False
    content = gather(deps, team_id=team_id, channel_id=channel_id, scope=scope_of(deps, channel_id), now=now)
    if content.total == 0 and not deps.settings.digest_when_empty:
        with deps.sessions.begin() as session:
            repo.finish_digest(session, channel_id=channel_id, period=period, ts="", now=now)
        return False
    message = blocks.digest_message(content, now, overdue_after(deps))
    named = [f.candidate_id for f in (*content.oldest, *content.closed_recent)]
    if not _post_reserved(deps, channel_id=channel_id, period=period, message=message, now=now, named=named):
        return False
    logger.info("digest posted channel=%s period=%s open=%d", channel_id, period, content.total)
    return True


def _post_reserved(deps: Deps, *, channel_id: str, period: str, message: dict, now: datetime,
                   named: list[int]) -> bool:
    """Post what a claimed (channel, period) row reserved; record it (with the candidates it may name, for
    an erasure to find), or free the period if Slack refused."""
    try:
        response = deps.client.chat_postMessage(channel=channel_id, text=message["text"], blocks=message["blocks"])
    except (SlackApiError, OSError) as error:
        logger.warning("not posted channel=%s period=%s: %s", channel_id, period, slack_error(error))
        with deps.sessions.begin() as session:
            repo.forget_digest(session, channel_id=channel_id, period=period)
        return False
    with deps.sessions.begin() as session:
        repo.finish_digest(session, channel_id=channel_id, period=period, ts=str(response["ts"]), now=now,
                           named=named)
    return True


def scheduled(deps: Deps, now: datetime, frequency: str) -> int:
    """Post this period's digests: DIGEST_CHANNEL (weekly) and every channel subscribed at `frequency`."""
    period = period_of(cron_for(deps, frequency), deps.settings.digest_tz, now)
    targets: list[tuple[str, str]] = []
    if frequency == "weekly" and deps.settings.digest_channel and deps.team_id:
        targets.append((deps.team_id, deps.settings.digest_channel))
    with deps.sessions.begin() as session:
        targets += [t for t in repo.subscriptions(session, frequency=frequency) if t not in targets]
    return sum(post_once(deps, team_id=team, channel_id=channel, period=period, now=now) for team, channel in targets)


def escalate(deps: Deps, now: datetime) -> int:
    """Once a day, DM each ESCALATE_TO user the follow-ups still open after their last scheduled nudge."""
    if not deps.settings.escalate_to or deps.team_id is None:
        return 0
    with deps.sessions.begin() as session:
        if not repo.workspace_active(session, deps.team_id):
            return 0
    after = overdue_after(deps)
    with deps.sessions.begin() as session:
        total = repo.count_overdue(session, team_id=deps.team_id, after=after)
        items = repo.overdue_followups(session, team_id=deps.team_id, after=after, limit=40)
    if total == 0:
        return 0
    day = now.astimezone(ZoneInfo(deps.settings.digest_tz)).date().isoformat()
    message = blocks.escalation_message(items, total, now, after)
    sent = 0
    for user in sorted(deps.settings.escalate_to):
        period = f"escalation:{day}"
        with deps.sessions.begin() as session:
            if not repo.claim_digest(session, team_id=deps.team_id, channel_id=user, period=period):
                continue
        if not _post_reserved(deps, channel_id=user, period=period, message=message, now=now,
                              named=[f.candidate_id for f in items]):
            continue
        sent += 1
    logger.info("escalation: %d overdue, sent to %d users", total, sent)
    return sent
