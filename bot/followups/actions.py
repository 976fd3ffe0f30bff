"""What a manager does with a follow-up: close it, snooze it, say it is not needed.

Each function checks who is acting, changes the database in one unit of work, and returns what
the caller needs to refresh in Slack. Only the follow-up's manager, whoever logged it, or an
ADMIN_USERS member may act on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, reading
from bot.domain.errors import Erased, NotAllowed, OutOfDate, UserFacingError
from bot.domain.notes import TONES
from bot.domain.timing import snooze_until
from bot.followups.nudges import note_for, nudge_content, overdue_after
from bot.followups.people import profile
from bot.slack import blocks
from bot.slack.delivery import slack_error
from storage import repo
from storage.models import CONTACTED, OPEN, SKIPPED
from storage.views import FollowupView

logger = logging.getLogger(__name__)

HOME_SHOWN = 45
SNOOZE_CHOICES = {choice for choice, _ in blocks.SNOOZE_CHOICES}
STALE = "That button is out of date: I can't find that follow-up any more. Try `/interview-round pending`."


def may_act(actor: str, *, owners: Iterable[str], admins: Iterable[str]) -> bool:
    return actor in set(owners) or actor in set(admins)


def parse_id(value: object) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise OutOfDate(STALE) from None
    if number <= 0:
        raise OutOfDate(STALE)
    return number


def load_for(deps: Deps, followup_id: int, *, team_id: str, actor: str) -> FollowupView:
    """The follow-up, if it exists in this workspace, the actor may act on it, and its candidate was not
    erased (Erased: every button and form on a follow-up goes through here)."""
    with reading(deps).begin() as session:
        try:
            f = repo.get_followup(session, followup_id)
        except repo.NotFound:
            raise OutOfDate(STALE) from None
    if f.team_id != team_id:
        raise OutOfDate(STALE)
    if not may_act(actor, owners=(f.manager_id, f.created_by), admins=deps.settings.admin_users):
        logger.info("refused action on followup=%s by user=%s", f.id, actor)
        raise NotAllowed(
            f"Only <@{f.manager_id}> (the hiring manager), whoever logged this candidate, or a Persona Grata "
            "admin can change this follow-up. Nothing was changed."
        )
    if f.erased:
        logger.info("refused action on followup=%s by user=%s: its candidate was erased", f.id, actor)
        raise Erased()
    return f


def load_open(deps: Deps, followup_id: int, *, team_id: str, actor: str) -> FollowupView:
    """`load_for`, for a form that changes an open follow-up (a note, a skip): a closed one is out of date."""
    f = load_for(deps, followup_id, team_id=team_id, actor=actor)
    if f.status != OPEN:
        raise OutOfDate("This follow-up is already closed.")
    return f


def pending(deps: Deps, *, team_id: str, manager_id: str, limit: int) -> tuple[list[FollowupView], int]:
    """A manager's open follow-ups (at most `limit`, oldest first) and how many are open in all."""
    with reading(deps).begin() as session:
        items = repo.open_followups(session, team_id=team_id, manager_id=manager_id, limit=limit)
        return items, repo.count_open(session, team_id=team_id, manager_id=manager_id)


def close(deps: Deps, followup_id: int, *, team_id: str, actor: str, status: str, now: datetime,
          reason: str | None = None) -> tuple[FollowupView, bool]:
    """Close a follow-up as contacted or skipped. Returns it and whether this call closed it."""
    load_for(deps, followup_id, team_id=team_id, actor=actor)
    with deps.sessions.begin() as session:
        changed = repo.close_followup(session, followup_id, status=status, actor=actor, now=now, reason=reason)
        f = repo.get_followup(session, followup_id)
    if changed:
        logger.info("followup=%s closed as %s by user=%s", followup_id, status, actor)
    return f, changed


def mark_contacted(deps: Deps, followup_id: int, *, team_id: str, actor: str, now: datetime
                   ) -> tuple[FollowupView, bool]:
    return close(deps, followup_id, team_id=team_id, actor=actor, status=CONTACTED, now=now)


def skip(deps: Deps, followup_id: int, *, team_id: str, actor: str, now: datetime, reason: str
         ) -> tuple[FollowupView, bool]:
    return close(deps, followup_id, team_id=team_id, actor=actor, status=SKIPPED, now=now, reason=reason)


def snooze(deps: Deps, followup_id: int, *, team_id: str, actor: str, choice: str, now: datetime
           ) -> tuple[FollowupView, datetime]:
    if choice not in SNOOZE_CHOICES:
        raise OutOfDate("That snooze option is out of date. Pick 1 day, 3 days or next week.")
    f = load_for(deps, followup_id, team_id=team_id, actor=actor)
    if f.status != OPEN:
        raise OutOfDate("This follow-up is already closed, so there is nothing to snooze.")
    manager = profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now)
    until = snooze_until(now, choice, manager.tz, deps.settings.work_hours)
    with deps.sessions.begin() as session:
        repo.snooze_followup(session, followup_id, until=until)
        f = repo.get_followup(session, followup_id)
    logger.info("followup=%s snoozed by user=%s", followup_id, actor)
    return f, until


def choose_tone(deps: Deps, followup_id: int, *, team_id: str, actor: str, tone: str) -> FollowupView:
    """Remember the manager's tone for suggested notes (this one and every later one)."""
    if tone not in TONES:
        raise OutOfDate("That tone option is out of date. Pick warm, brief or formal.")
    f = load_for(deps, followup_id, team_id=team_id, actor=actor)
    with deps.sessions.begin() as session:
        repo.set_tone(session, team_id=f.team_id, user_id=f.manager_id, tone=tone)
    logger.info("tone for manager=%s set to %s by user=%s", f.manager_id, tone, actor)
    return f


def may_reassign(deps: Deps, actor: str, f: FollowupView) -> bool:
    """Who may give an undeliverable follow-up to another manager: ESCALATE_TO and ADMIN_USERS (they were
    told), and whoever logged it. With neither setting, the notice went to the decision's channel (or to
    whoever logged it): whoever sees it there may."""
    settings = deps.settings
    if not settings.admin_users and not settings.escalate_to:
        return True
    return actor in settings.admin_users or actor in settings.escalate_to or actor == f.created_by


def reassign(deps: Deps, *, team_id: str, from_manager: str, to_manager: str, actor: str, now: datetime
             ) -> tuple[int, ...]:
    """Give every undeliverable follow-up of `from_manager` that the actor may reassign to `to_manager`,
    who is nudged about them from the next sweep on. Returns their ids."""
    if to_manager == from_manager:
        raise UserFacingError(f"<@{from_manager}> is the person I can't reach. Pick someone else to follow up "
                              "with these candidates.")
    if to_manager == deps.bot_user_id or profile(deps, team_id=team_id, user_id=to_manager, now=now).is_bot:
        raise UserFacingError(f"<@{to_manager}> is a bot, and bots can't write to candidates. Pick a person.")
    with reading(deps).begin() as session:
        stuck = repo.undeliverable_followups(session, team_id=team_id, manager_id=from_manager)
    if not stuck:
        raise OutOfDate(f"Nothing is waiting for <@{from_manager}> any more: these follow-ups were already "
                        "reassigned or closed.")
    allowed = [f.id for f in stuck if may_reassign(deps, actor, f)]
    if not allowed:
        logger.info("refused reassigning manager=%s's follow-ups by user=%s", from_manager, actor)
        raise NotAllowed("Only a Persona Grata admin, the people told about this, or whoever logged these "
                         "candidates can reassign them. Nothing was changed.")
    with deps.sessions.begin() as session:
        ids = repo.reassign(session, allowed, from_manager=from_manager, to_manager=to_manager, now=now)
    logger.info("reassigned %d follow-ups from user=%s to user=%s by user=%s (%d left to others)", len(ids),
                from_manager, to_manager, actor, len(stuck) - len(allowed))
    if ids:
        publish_home(deps, team_id=team_id, user_id=to_manager, now=now)
    return tuple(ids)


def current_note(deps: Deps, f: FollowupView, *, now: datetime) -> str:
    return note_for(deps, f, profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now))


def edit_note(deps: Deps, followup_id: int, *, team_id: str, actor: str, note: str) -> FollowupView:
    """Save the manager's own note (used from then on); an empty one goes back to the suggested note."""
    load_for(deps, followup_id, team_id=team_id, actor=actor)
    text = note.strip()
    with deps.sessions.begin() as session:
        if not repo.set_note(session, followup_id, text or None):  # erased since load_for looked
            raise Erased()
        f = repo.get_followup(session, followup_id)
    logger.info("note for followup=%s %s by user=%s", followup_id, "edited" if text else "reset", actor)
    return f


def render(deps: Deps, f: FollowupView, *, now: datetime, snoozed_until: datetime | None = None) -> dict:
    """The DM as it should look now: closed, snoozed or open."""
    if f.status != OPEN:
        return blocks.closed_message(f)
    manager = profile(deps, team_id=f.team_id, user_id=f.manager_id, now=now)
    content = nudge_content(deps, f, manager, seq=max(1, f.nudges_sent), now=now)
    if snoozed_until is not None:
        return blocks.snoozed_message(content, snoozed_until)
    return blocks.nudge_message(content)


def refresh_message(deps: Deps, *, channel: str | None, ts: str | None, message: dict) -> None:
    """Update a bot message in place; a failure is logged, never raised (the database already changed)."""
    if not channel or not ts:
        return
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
    except (SlackApiError, OSError) as error:
        logger.warning("chat.update failed channel=%s ts=%s: %s", channel, ts, slack_error(error))


def publish_home(deps: Deps, *, team_id: str, user_id: str, now: datetime) -> None:
    """Publish a manager's App Home as it is now; a failure is logged (the outbox retries the ones an erasure
    owes)."""
    try:
        deps.client.views_publish(user_id=user_id, view=home_view(deps, team_id=team_id, user_id=user_id, now=now))
    except (SlackApiError, OSError) as error:
        logger.warning("views.publish failed user=%s: %s", user_id, slack_error(error))


def home_view(deps: Deps, *, team_id: str, user_id: str, now: datetime) -> dict:
    after = overdue_after(deps)
    with reading(deps).begin() as session:
        items = repo.open_followups(session, team_id=team_id, manager_id=user_id, limit=HOME_SHOWN)
        total = repo.count_open(session, team_id=team_id, manager_id=user_id)
        overdue = repo.count_overdue(session, team_id=team_id, after=after, manager_id=user_id)
        recent = repo.recent_closed(session, team_id=team_id, manager_id=user_id, limit=10)
        stats = repo.stats(session, team_id=team_id, since=now - timedelta(days=30), manager_id=user_id)
    return blocks.home_view(
        open_followups=items, total_open=total, recent=recent, now=now, overdue_after=after, overdue=overdue,
        stats=stats,
    )
