"""What an ATS delivery does, once it is out of the inbox: the same recording a Slack decision gets.

- a rejection ("We rejected them") of someone who reached an interview stage: a decision with them not
  selected, so a follow-up for the hiring manager (DM, note, buttons, digests, App Home, stats);
- a rejection before that stage: nothing (the ATS's own email covers it);
- "They rejected us": a withdrawal, no follow-up; a hire: a hire (closing a logged round for the role);
- an unreject: the person's open follow-up for the role is cancelled.

The hiring manager is the logged round's for the same role, else the first of the people the ATS names
(the hiring manager its API names, then the payload's recruiter, coordinator, credited to) whose email is a
Slack account (users.lookupByEmail). With nobody,
a rejection goes to the ADMIN_USERS by DM with a user picker (never dropped). Logs carry ids, never a
candidate's name or email.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.ats import HIRED, REJECTED, UNREJECTED, WITHDRAWN, AtsEvent, reached_interview
from bot.deps import Deps, read_only
from bot.domain.errors import NotAllowed, OutOfDate
from bot.followups import recording
from bot.followups.actions import publish_home
from bot.followups.people import profile
from bot.reader import Decision, Person
from bot.slack import blocks
from bot.slack.delivery import slack_error
from storage import repo

logger = logging.getLogger(__name__)
ATS_CHANNEL = ""  # an ATS decision was posted in no channel
VALUE_LIMIT = 2000


def handle(deps: Deps, event: AtsEvent, *, team_id: str, now: datetime) -> str:
    """Act on one delivery; what was done, in a word (for the log line)."""
    if event.kind is None:
        return _settle(deps, event, team_id, now, "ignored (an action this bot does not use)")
    assert event.person is not None
    if event.kind == UNREJECTED:
        with deps.sessions.begin() as session:
            if not repo.claim_event(session, event_id=event.delivery_id, team_id=team_id, now=now):
                return "a redelivery: dropped"
            cancelled = repo.cancel_open_followup(session, team_id=team_id, role=event.role,
                                                  name=event.person.name, now=now)
        if cancelled is None:
            return "unrejected: no open follow-up to cancel"
        publish_home(deps, team_id=team_id, user_id=cancelled[1], now=now)
        return f"unrejected: follow-up id={cancelled[0]} cancelled"
    if event.kind == REJECTED and not reached_interview(event.person.stage, deps.settings.ats_min_stage):
        return _settle(deps, event, team_id, now, "rejected before an interview stage: no follow-up")
    manager, tried = find_manager(deps, event, team_id=team_id, now=now)
    reading = _reading(event, manager)
    if manager is None:
        if event.kind != REJECTED:
            return _settle(deps, event, team_id, now, f"{event.kind}: no hiring manager known, not recorded")
        asked = ask_admins(deps, event, reading, tried=tried)
        if not asked:
            # Nobody to ask (no ADMIN_USERS, or none could be DMed): left in the inbox, tried again later
            raise RuntimeError("no hiring manager found and no admin could be asked")
        return _settle(deps, event, team_id, now, f"no hiring manager matched: {asked} admin(s) asked")
    recorded = record(deps, event, reading, team_id=team_id, now=now, with_event=True)
    if recorded is None:
        return "a redelivery, or already recorded: dropped"
    return f"recorded decision id={recorded.decision_id} followups={list(recorded.followup_ids)}"


def _settle(deps: Deps, event: AtsEvent, team_id: str, now: datetime, what: str) -> str:
    with deps.sessions.begin() as session:
        if not repo.claim_event(session, event_id=event.delivery_id, team_id=team_id, now=now):
            return "a redelivery: dropped"
    return what


def _reading(event: AtsEvent, manager: str | None) -> Decision:
    person = event.person or Person("")
    groups: dict[str, tuple[Person, ...]] = {REJECTED: (), HIRED: (), WITHDRAWN: ()}
    groups[event.kind or REJECTED] = (person,)
    return Decision(role=event.role, hired=groups[HIRED], not_selected=groups[REJECTED],
                    withdrawn=groups[WITHDRAWN], manager_id=manager, confidence=1.0, rules=(event.vendor,))


def record(deps: Deps, event: AtsEvent, reading: Decision, *, team_id: str, now: datetime, with_event: bool,
           reply_to: str | None = None) -> repo.RecordedDecision | None:
    person = event.person
    emails = {person.name: event.email} if person and event.email else None
    return recording.record_reading(
        deps, reading, team_id=team_id, channel_id=ATS_CHANNEL, message_ts=None, author_id=None,
        now=now, event_id=event.delivery_id if with_event else None, in_thread=False, reply_to=reply_to,
        source=event.vendor, external_id=event.external_id, emails=emails,
    )


def find_manager(deps: Deps, event: AtsEvent, *, team_id: str, now: datetime) -> tuple[str | None, int]:
    """The logged round's manager for the role, else the first owner the ATS names who is a person in Slack
    (by email); and how many owners were looked up."""
    with read_only(deps).begin() as session:
        round_manager = repo.open_round_manager(session, team_id=team_id, role=event.role)
    if round_manager:
        return round_manager, 0
    for email in event.owner_emails:
        user = lookup_by_email(deps, email)
        if user and not profile(deps, team_id=team_id, user_id=user, now=now).is_bot:
            return user, len(event.owner_emails)
    return None, len(event.owner_emails)


def lookup_by_email(deps: Deps, email: str) -> str | None:
    """The Slack user with this email, or None when there is none. Any other failure raises: the delivery
    stays in the inbox and is tried again."""
    try:
        response = deps.client.users_lookupByEmail(email=email)
    except SlackApiError as error:
        if (error.response or {}).get("error") == "users_not_found":
            return None
        raise
    user = response.get("user") or {}
    return str(user["id"]) if user.get("id") else None


# --- nobody matched: the admins pick ----------------------------------------------------------------


def draft(event: AtsEvent) -> str:
    """The delivery, compactly, for the picker's button (at most VALUE_LIMIT characters)."""
    person = event.person or Person("")
    data: dict[str, Any] = {"v": event.vendor, "i": event.delivery_id, "x": event.external_id, "r": event.role,
                            "n": person.name, "s": person.stage, "e": event.email}
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(value) > VALUE_LIMIT:  # a very long name or role: the email and stage go first, then clipping
        data.update(e=None, s=None, n=person.name[:300], r=(event.role or "")[:300] or None)
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value


def from_draft(value: str) -> AtsEvent:
    try:
        data = json.loads(value)
        return AtsEvent(vendor=str(data["v"]), delivery_id=str(data["i"]), kind=REJECTED, external_id=str(data["x"]),
                        role=data.get("r"), person=Person(str(data["n"]), data.get("s")), email=data.get("e"),
                        owner_emails=())
    except (ValueError, TypeError, KeyError):
        raise OutOfDate("That button is out of date.") from None


def ask_admins(deps: Deps, event: AtsEvent, reading: Decision, *, tried: int) -> int:
    """DM each admin the picker; how many were reached."""
    message = blocks.ats_manager_question(reading, draft(event), vendor=event.vendor, tried=tried)
    reached = 0
    for admin in sorted(deps.settings.admin_users):
        try:
            deps.client.chat_postMessage(channel=admin, text=message["text"], blocks=message["blocks"])
            reached += 1
        except (SlackApiError, OSError) as error:
            logger.warning("could not ask admin user=%s for the manager of %s: %s", admin, event.delivery_id,
                           slack_error(error))
    return reached


def assign(deps: Deps, value: str, *, manager_id: str, actor: str, team_id: str, now: datetime
           ) -> tuple[AtsEvent, repo.RecordedDecision | None]:
    """An admin picked the manager: record the rejection for them (once, whoever picks first)."""
    if actor not in deps.settings.admin_users:
        raise NotAllowed("Only an admin (ADMIN_USERS) can assign this.")
    event = from_draft(value)
    if profile(deps, team_id=team_id, user_id=manager_id, now=now).is_bot:
        raise NotAllowed("That's an app, not a person. Pick the hiring manager who should write to them.")
    recorded = record(deps, event, _reading(event, manager_id), team_id=team_id, now=now, with_event=False)
    logger.info("ats delivery %s: manager user=%s assigned by user=%s (%s)", event.delivery_id, manager_id, actor,
                "recorded" if recorded else "already recorded")
    return event, recorded
