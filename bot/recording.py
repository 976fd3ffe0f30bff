"""Turning what was said in Slack into rounds, outcomes and follow-ups.

`record_message` is the decision-message flow: read it, decide whose follow-ups they are, record
everything in one unit of work together with the event id (so a retried delivery is dropped, also
after a restart), then answer in the message's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import blocks, decisions
from bot.cadence import first_due
from bot.deps import Deps
from bot.errors import NotAllowed, OutOfDate
from bot.followups import may_act
from bot.jobs import slack_error
from bot.people import profile
from bot.rounds import RoundSpec
from storage import repo
from storage.repo import NewCandidate, RecordedDecision

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingMessage:
    team_id: str
    channel_id: str
    ts: str
    author_id: str | None  # None for a bot post without a user
    text: str
    attachments_text: str
    event_id: str | None


def attachments_text(attachments: Sequence[dict[str, Any]] | None) -> str:
    """The readable text of legacy attachments (what ATS bots post)."""
    parts: list[str] = []
    for attachment in attachments or ():
        for key in ("pretext", "title", "text"):
            value = attachment.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
        for field in attachment.get("fields") or ():
            parts.extend(str(field.get(k)) for k in ("title", "value") if field.get(k))
        if not parts and isinstance(attachment.get("fallback"), str):
            parts.append(attachment["fallback"])
    return "\n".join(parts)


def _entries(people: Sequence[decisions.Person]) -> list[NewCandidate]:
    return [NewCandidate(name=p.name, stage=p.stage) for p in people]


def read_message(deps: Deps, message: IncomingMessage) -> decisions.Decision | None:
    """The reading of a message, or None when it is not a decision to record."""
    reading = decisions.read(message.text, attachments_text=message.attachments_text)
    if reading is None:
        return None
    if reading.confidence < decisions.CONFIDENCE_THRESHOLD:
        with deps.sessions.begin() as session:
            known = repo.known_candidate_names(session, team_id=message.team_id)
        reading = decisions.read(message.text, attachments_text=message.attachments_text, known_names=known)
        if reading is None or reading.confidence < decisions.CONFIDENCE_THRESHOLD:
            return None
    if not (reading.not_selected or reading.hired or reading.withdrawn):
        return None
    return reading


def record_message(deps: Deps, message: IncomingMessage, now: datetime) -> RecordedDecision | None:
    reading = read_message(deps, message)
    if reading is None:
        return None
    with deps.sessions.begin() as session:
        role = reading.role or repo.role_for_names(
            session,
            team_id=message.team_id,
            names=[p.name for p in (*reading.not_selected, *reading.hired, *reading.withdrawn)],
        )
        round_manager = repo.open_round_manager(session, team_id=message.team_id, role=role)
    if role is None:
        logger.info("decision without a role in channel=%s ts=%s: not recorded", message.channel_id, message.ts)
        return None
    manager_id = round_manager or reading.manager_id or message.author_id
    if manager_id is None:
        logger.info("decision with no known manager in channel=%s ts=%s: not recorded", message.channel_id, message.ts)
        return None
    tz = profile(deps, team_id=message.team_id, user_id=manager_id, now=now).tz
    due = first_due(now, deps.settings.nudge_schedule, tz, deps.settings.work_hours)
    with deps.sessions.begin() as session:
        if message.event_id and not repo.claim_event(
            session, event_id=message.event_id, team_id=message.team_id, now=now
        ):
            logger.info("event %s already handled: dropped", message.event_id)
            return None
        if repo.decision_seen(session, team_id=message.team_id, channel_id=message.channel_id, message_ts=message.ts):
            return None
        recorded = repo.record_decision(
            session,
            team_id=message.team_id,
            channel_id=message.channel_id,
            message_ts=message.ts,
            author_id=message.author_id or manager_id,
            manager_id=manager_id,
            role=role,
            hired=_entries(reading.hired),
            not_selected=_entries(reading.not_selected),
            withdrawn=_entries(reading.withdrawn),
            first_due=due,
            now=now,
        )
    logger.info(
        "decision recorded id=%s round=%s followups=%d rules=%s",
        recorded.decision_id, recorded.round_id, len(recorded.followup_ids), ",".join(reading.rules),
    )
    reply = blocks.decision_reply(
        decision_id=recorded.decision_id,
        manager_id=recorded.manager_id,
        role=recorded.role,
        not_selected=recorded.not_selected,
        hired=recorded.hired,
        withdrawn=recorded.withdrawn,
        first_due=due if recorded.followup_ids else None,
    )
    try:
        response = deps.client.chat_postMessage(
            channel=message.channel_id, thread_ts=message.ts, text=reply["text"], blocks=reply["blocks"]
        )
    except (SlackApiError, OSError) as error:
        logger.warning("thread reply failed channel=%s: %s (decision kept)", message.channel_id, slack_error(error))
        return recorded
    with deps.sessions.begin() as session:
        repo.set_decision_reply(session, recorded.decision_id, str(response["ts"]))
    return recorded


def undo(deps: Deps, decision_id: int, *, team_id: str, actor: str, now: datetime) -> repo.DecisionView:
    with deps.sessions.begin() as session:
        try:
            view = repo.get_decision(session, decision_id)
        except repo.NotFound:
            raise OutOfDate("That decision was already undone.") from None
    if view.team_id != team_id:
        raise OutOfDate("That button is out of date.")
    if view.undone:
        raise OutOfDate("That decision was already undone.")
    if not may_act(actor, owners=(view.author_id, view.manager_id), admins=deps.settings.admin_users):
        raise NotAllowed("Only the person who posted this decision, its hiring manager or an admin can undo it.")
    if view.nudged:
        raise OutOfDate(
            "A reminder already went out for this decision, so I can't undo it. Close each follow-up from its "
            "reminder instead (Not needed)."
        )
    with deps.sessions.begin() as session:
        repo.undo_decision(session, decision_id, now=now)
    logger.info("decision id=%s undone by user=%s", decision_id, actor)
    return view


def cancel_deleted(deps: Deps, *, team_id: str, channel_id: str, message_ts: str, now: datetime) -> bool:
    """A decision message was deleted: cancel what it recorded, while no nudge has gone out."""
    with deps.sessions.begin() as session:
        decision_id = repo.live_decision_id(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
        if decision_id is None or repo.get_decision(session, decision_id).nudged:
            return False
        repo.undo_decision(session, decision_id, now=now)
    logger.info("decision id=%s cancelled: its message was deleted", decision_id)
    return True


def log_round(deps: Deps, spec: RoundSpec, *, team_id: str, user_id: str, channel_id: str | None,
              now: datetime, source: str = "command") -> int:
    with deps.sessions.begin() as session:
        round_id = repo.log_round(
            session,
            team_id=team_id,
            role=spec.role,
            manager_id=spec.manager_id or user_id,
            created_by=user_id,
            channel_id=channel_id,
            candidates=[
                NewCandidate(name=c.name, stage=c.stage, strengths=c.strengths, email=c.email)
                for c in spec.candidates
            ],
            source=source,
            now=now,
        )
    logger.info("round id=%s logged by user=%s with %d candidates", round_id, user_id, len(spec.candidates))
    return round_id
