"""Follow-ups whose manager Slack will never DM: someone is told, once, with a picker to reassign them."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, sweeping
from bot.followups.nudges import overdue_after
from bot.slack import blocks, delivery
from storage import repo
from storage.views import FollowupView

logger = logging.getLogger(__name__)

LONGEST_PACING_WAIT = 10.0  # seconds; a longer wait (a 429's Retry-After) leaves the rest of a batch due


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
