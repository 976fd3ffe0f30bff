"""Turning what was said in Slack into rounds, outcomes and follow-ups.

Every way a decision arrives (a message, an edited message, a confirmed low-confidence reading,
the Edit modal, the "Record hiring decision" shortcut) ends in `record_reading`: decide whose
follow-ups they are, record everything in one unit of work together with the event id (so a retried
delivery is dropped, also after a restart), replacing what the same message recorded before while no
nudge has gone out, then answer in the message's thread.

No silent loss: a message read as a decision ends recorded or asked about in its thread. With no role
it is recorded with the role unknown and the reply asks for it ("Add the role"); with nobody to own it
(an app posted it, no round or channel manager is known, and no member of the workspace has the name its
card gives the owner) the thread is asked who the manager is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import reader
from bot.deps import Deps
from bot.deps import reading as reading_sessions
from bot.domain import language
from bot.domain.cadence import first_due
from bot.domain.errors import ERASED_DECISION, Erased, NotAllowed, OutOfDate
from bot.domain.keys import name_key
from bot.domain.rounds import RoundParseError, RoundSpec, parse_candidates
from bot.domain.slack_text import message_texts, visible
from bot.followups import outbox, saving
from bot.followups.actions import may_act, publish_home
from bot.followups.people import member_named, profile
from bot.reader import Decision, Person
from bot.slack import blocks
from bot.slack.delivery import slack_error
from storage import repo
from storage.models import (
    HIRED,
    NOT_SELECTED,
    POST_QUESTION,
    POST_REPLY,
    POST_REPLY_DM,
    POST_ROUND_DM,
    ROLE_LENGTH,
    SLACK_ID_LENGTH,
    WITHDRAWN,
)
from storage.views import NewCandidate, RecordedDecision

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingMessage:
    team_id: str
    channel_id: str
    ts: str
    author_id: str | None  # the person who posted it; None for an app's post
    text: str  # every readable part of the message (bot.domain.slack_text.message_texts), a line apart
    event_id: str | None
    thread_ts: str | None = None  # the thread's parent when the message is a reply in a thread

    @property
    def is_reply(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts

    @property
    def answer_ts(self) -> str:
        """Where the bot answers: the parent's thread for a reply, else the message's own thread."""
        return self.thread_ts if self.thread_ts and self.is_reply else self.ts


@dataclass(frozen=True)
class Outcome:
    """What happened to a message: recorded, asked about, cleared, or nothing at all."""

    recorded: RecordedDecision | None = None
    asked: bool = False
    cleared: bool = False


def _entries(people: Sequence[Person], emails: dict[str, str] | None = None) -> list[NewCandidate]:
    return [NewCandidate(name=p.name, stage=p.stage, email=(emails or {}).get(p.name)) for p in people]


def _has_people(reading: Decision) -> bool:
    return bool(reading.not_selected or reading.hired or reading.withdrawn)


@dataclass(frozen=True)
class ThreadContext:
    """What a reply's thread says: what was recorded for its parent, if anything, and the parent's text."""

    record: repo.ThreadRecord | None
    text: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.record.names if self.record else ()


def thread_context(deps: Deps, message: IncomingMessage) -> ThreadContext | None:
    """The context of a reply in a thread (None for a message that is no reply).

    What was recorded for the parent (a decision, a round logged from it) is used first; else the parent
    is read from Slack. A failing conversations.replies loses nothing: the reply is read without context.
    """
    if not message.is_reply or not message.thread_ts:
        return None
    with reading_sessions(deps).begin() as session:
        record = repo.thread_record(session, team_id=message.team_id, channel_id=message.channel_id,
                                    thread_ts=message.thread_ts)
    if record is not None:
        said = ", ".join(record.names)
        text = f"{record.role}: {said}" if record.role and said else (record.role or said)
        return ThreadContext(record, text)
    try:
        response = deps.client.conversations_replies(channel=message.channel_id, ts=message.thread_ts, limit=1)
        parents = [m for m in response.get("messages") or () if str(m.get("ts")) == message.thread_ts]
        text = "\n".join(message_texts(parents[0])) if parents else ""
    except (SlackApiError, OSError) as error:
        logger.warning("conversations.replies failed channel=%s ts=%s: %s (read without its thread)",
                       message.channel_id, message.thread_ts, slack_error(error))
        text = ""
    return ThreadContext(None, text)


def read_message(deps: Deps, message: IncomingMessage, thread: ThreadContext | None = None) -> Decision | None:
    """The best reading of a message (any confidence), or None when it is not about a decision.

    A reply in a thread is read with its parent as context, and inherits the role recorded for it. With the
    model reader configured, the rules' reading (made first, offline) decides whether the model is asked
    and stands when it fails (bot.reader.model). This runs in the inbox's lanes, after Slack's ack."""
    context = thread.text if thread else ""
    names = thread.names if thread else ()
    reading = reader.read(message.text, known_names=names, context=context)
    if reading is not None and reading.confidence < reader.CONFIDENCE_THRESHOLD:
        with reading_sessions(deps).begin() as session:
            known = repo.known_candidate_names(session, team_id=message.team_id)
        better = reader.read(message.text, known_names=[*names, *known], context=context)
        if better is not None and better.confidence > reading.confidence:
            reading = better
    if deps.model is not None:  # DECISION_READER=model: the rules' reading is its gate and its fallback
        reading = deps.model.read(message.text, context=context, rules=reading)
    if reading is None:
        return None
    if reading.role is None and thread is not None and thread.record is not None and thread.record.role:
        reading = dataclasses.replace(reading, role=thread.record.role)
    return reading if _has_people(reading) else None


# --- drafts: a reading carried in a button value or a modal's private_metadata ---------------------


def draft_value(reading: Decision, *, author_id: str | None, message_ts: str | None = None) -> str:
    """A compact JSON form of a reading (for Confirm buttons); callers check it fits 2,000 characters.

    `message_ts`: the decision message, when it is a reply (the button's message is in the parent's
    thread, so its thread_ts is the parent's)."""
    data = {
        "r": reading.role,
        "m": reading.manager_id,
        "a": author_id,
        "n": [[p.name, p.stage] for p in reading.not_selected],
        "h": [[p.name, p.stage] for p in reading.hired],
        "w": [[p.name, p.stage] for p in reading.withdrawn],
    }
    if message_ts:
        data["t"] = message_ts
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def draft_message_ts(value: str) -> str | None:
    """The decision message a draft is about, when it is not the thread's parent (see `draft_value`)."""
    try:
        ts = json.loads(value).get("t")
    except (ValueError, AttributeError):
        return None
    return str(ts) if ts else None


def draft_from_value(value: str) -> tuple[Decision, str | None]:
    """The reading and author back from `draft_value`; OutOfDate when it is not one."""
    try:
        data = json.loads(value)

        def people(key: str) -> tuple[Person, ...]:
            return tuple(Person(str(name), str(stage) if stage else None) for name, stage in data.get(key) or ())

        reading = Decision(
            role=str(data["r"]) if data.get("r") else None,
            hired=people("h"),
            not_selected=people("n"),
            withdrawn=people("w"),
            manager_id=str(data["m"]) if data.get("m") else None,
            confidence=1.0,
            rules=("confirmed",),
        )
        author = str(data["a"]) if data.get("a") else None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise OutOfDate("That button is out of date.") from None
    return reading, author


# --- recording ------------------------------------------------------------------------------------


def record_message(deps: Deps, message: IncomingMessage, now: datetime, *, edited: bool = False) -> Outcome:
    """A message in a channel: record a confident reading, ask about an unsure one, else stay silent.

    An edited message replaces what it recorded before (while no nudge has gone out); an edit that
    is no longer a decision clears it.
    """
    thread = thread_context(deps, message)
    reading = read_message(deps, message, thread)
    if reading is None or (edited and reading.confidence < reader.CONFIDENCE_THRESHOLD):
        if edited:
            return Outcome(cleared=clear_message(deps, team_id=message.team_id, channel_id=message.channel_id,
                                                 message_ts=message.ts, now=now))
        return Outcome()
    if reading.confidence < reader.CONFIDENCE_THRESHOLD:
        return Outcome(asked=ask_about(deps, message, reading, now))
    try:
        recorded = record_reading(
            deps, reading, team_id=message.team_id, channel_id=message.channel_id, message_ts=message.ts,
            author_id=message.author_id, now=now, event_id=message.event_id, replace=edited,
            thread_ts=message.answer_ts,
            thread_manager=thread.record.manager_id if thread and thread.record else None,
        )
    except OutOfDate as refusal:  # an edit after a nudge went out, or of a decision with an erased person
        logger.info("channel=%s ts=%s: edited after it can no longer change (%s); what it recorded is kept",
                    message.channel_id, message.ts, type(refusal).__name__)
        return Outcome()
    return Outcome(recorded=recorded)


def record_reading(
    deps: Deps,
    reading: Decision,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str | None,
    author_id: str | None,
    now: datetime,
    event_id: str | None = None,
    replace: bool = False,
    reply_to: str | None = None,
    reply_ts: str | None = None,
    in_thread: bool = True,
    thread_ts: str | None = None,
    thread_manager: str | None = None,
    source: str = "slack",
    external_id: str | None = None,
    emails: dict[str, str] | None = None,
) -> RecordedDecision | None:
    """Record a reading of the message at (channel_id, message_ts) and answer in its thread.

    `replace` swaps out what the message recorded before; it refuses (OutOfDate) once a nudge for it
    went out. `reply_to` is a user to DM the confirmation to when the thread cannot be answered;
    `reply_ts` is a bot message in the thread to turn into the answer (the question that was confirmed);
    `in_thread=False` (a decision from a form, with no message) sends the answer to `reply_to` only.
    `thread_ts` is the thread to answer in (the parent's, for a reply; else the message's own);
    `thread_manager` the manager recorded for that thread's parent. `source` is where the decision came from
    ("slack", or an ATS: then the channel is "", `message_ts` None, `external_id` the application's id in the
    ATS, which identifies the decision (repo.ats_decision_id), and `emails` gives the candidates' emails by
    name; it is never answered in a thread).

    The answer is queued in the outbox in the same unit of work as the decision, then sent: one that fails
    is sent again until it lands, exactly once (bot.followups.outbox). A decision with an erased person can't be
    replaced or confirmed again (Erased).

    With no role known the decision is recorded in a round of its own and the reply asks for the role.
    The manager is the one the reading names, else the logged round's (or the thread's), else the member
    an app's card names ("Hiring Manager: Claire Fontaine"), else the poster (a person), else the channel's
    default manager; never a bot user. With none of them the thread is
    asked who the manager is, and nothing is recorded until someone answers (returns None).
    """
    with reading_sessions(deps).begin() as session:
        role = reading.role or repo.role_for_names(
            session, team_id=team_id,
            names=[p.name for p in (*reading.not_selected, *reading.hired, *reading.withdrawn)],
        )
        round_manager = repo.open_round_manager(session, team_id=team_id, role=role)
        channel_manager = repo.channel_manager(session, team_id=team_id, channel_id=channel_id)
    def owners() -> Iterator[str | None]:
        yield reading.manager_id
        yield round_manager or thread_manager
        if reading.manager_name:
            # an app's card that names its owner ("Hiring Manager: Claire Fontaine", "rejected … by Marguerite
            # Delacroix"): that member of the workspace, if exactly one has the name
            yield member_named(deps, team_id=team_id, name=reading.manager_name, now=now)
        yield author_id
        yield channel_manager

    manager_id, tz = None, None
    tried: set[str] = set()
    for candidate in owners():
        if not candidate or candidate in tried:
            continue
        tried.add(candidate)
        person = profile(deps, team_id=team_id, user_id=candidate, now=now)
        if person.is_bot:
            logger.info("user=%s is a bot: not a hiring manager (channel=%s ts=%s)", candidate, channel_id,
                        message_ts)
            continue
        manager_id, tz = candidate, person.tz
        break
    if manager_id is None or tz is None:
        if in_thread and message_ts is not None:
            ask_for_manager(deps, dataclasses.replace(reading, role=role), team_id=team_id, channel_id=channel_id,
                            message_ts=message_ts, thread_ts=thread_ts or message_ts, event_id=event_id,
                            reply_ts=reply_ts, now=now)
        return None
    if role is None:
        logger.info("decision without a role in channel=%s ts=%s: recorded, asking for the role", channel_id,
                    message_ts)
    due = first_due(now, deps.settings.nudge_schedule, tz, deps.settings.work_hours)
    previous_reply: str | None = reply_ts
    with deps.sessions.begin() as session:
        if event_id and not repo.claim_event(session, event_id=event_id, team_id=team_id, now=now):
            logger.info("event %s already handled: dropped", event_id)
            return None
        if external_id is not None:
            existing = repo.ats_decision_id(session, team_id=team_id, source=source, external_id=external_id,
                                            outcomes=_outcomes(reading))
        else:
            assert message_ts is not None, "a Slack decision has its message"
            existing = repo.live_decision_id(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
        if existing is not None:
            if repo.decision_erased(session, existing) and external_id is None:  # an ATS delivery: nothing to do
                raise Erased(ERASED_DECISION)
            if not replace:
                return None
            view = repo.get_decision(session, existing)
            if view.nudged:
                raise OutOfDate(
                    "A reminder already went out for this decision, so I can't change it now. Close each "
                    "follow-up from its reminder instead."
                )
            previous_reply = view.reply_ts or previous_reply
            repo.undo_decision(session, existing, now=now)
        recorded = repo.record_decision(
            session,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            author_id=author_id or manager_id,
            manager_id=manager_id,
            role=role,
            hired=_entries(reading.hired, emails),
            not_selected=_entries(reading.not_selected, emails),
            withdrawn=_entries(reading.withdrawn, emails),
            first_due=due,
            now=now,
            source=source,
            external_id=external_id,
        )
        answer = _queue_answer(deps, session, recorded, team_id=team_id, channel_id=channel_id,
                               thread_ts=thread_ts or message_ts or "", previous=previous_reply, reply_to=reply_to,
                               in_thread=in_thread, now=now)
    logger.info(
        "decision recorded id=%s round=%s followups=%d rules=%s%s",
        recorded.decision_id, recorded.round_id, len(recorded.followup_ids), ",".join(reading.rules),
        " (replacing an earlier reading)" if existing is not None else "",
    )
    publish_home(deps, team_id=team_id, user_id=recorded.manager_id, now=now)
    outbox.send_now(deps, [answer], now)
    return recorded


def _outcomes(reading: Decision) -> set[str]:
    """The outcomes a reading gives its people (storage.models' names)."""
    given = {NOT_SELECTED: reading.not_selected, HIRED: reading.hired, WITHDRAWN: reading.withdrawn}
    return {outcome for outcome, people in given.items() if people}


def _queue_answer(deps: Deps, session: Session, recorded: RecordedDecision, *, team_id: str, channel_id: str,
                  thread_ts: str, previous: str | None, reply_to: str | None, in_thread: bool, now: datetime
                  ) -> repo.OutboxItem | None:
    """Owe Slack the answer to a decision being recorded (in its unit of work), born claimed for sending at
    once: its reply in the thread (an update of `previous`, the reply or question already there), or, with
    no thread, a DM to `reply_to`. Should the thread refuse the reply, `reply_to` (else the manager) is told
    by DM."""
    common: dict[str, Any] = {"team_id": team_id, "decision_id": recorded.decision_id, "now": now,
                              "claimer": deps.replica_id, "lease": deps.settings.claim_lease.as_timedelta()}
    if not in_thread:
        if not reply_to:
            return None
        return repo.enqueue(session, kind=POST_REPLY_DM, channel_id=reply_to,
                            key=f"reply_dm:{recorded.decision_id}:{reply_to}", **common)
    if previous:
        repo.set_decision_reply(session, recorded.decision_id, previous)
        return repo.enqueue(session, kind=POST_REPLY, channel_id=channel_id, target_ts=previous, **common)
    return repo.enqueue(session, kind=POST_REPLY, channel_id=channel_id, thread_ts=thread_ts,
                        key=f"reply:{recorded.decision_id}", notify_user=reply_to or recorded.manager_id, **common)


def ask_about(deps: Deps, message: IncomingMessage, reading: Decision, now: datetime) -> bool:
    """An unsure reading: ask in the thread instead of recording (once per message). The question is owed
    to Slack (the outbox) in the unit of work that claims the event, so it is asked even if Slack fails now."""
    value = draft_value(reading, author_id=message.author_id, message_ts=message.ts if message.is_reply else None)
    prompt = blocks.confirm_prompt(reading, value if len(value) <= blocks.VALUE_LIMIT else None)
    with deps.sessions.begin() as session:
        if message.event_id and not repo.claim_event(
            session, event_id=message.event_id, team_id=message.team_id, now=now
        ):
            return False
        if repo.live_decision_id(session, team_id=message.team_id, channel_id=message.channel_id,
                                 message_ts=message.ts) is not None:
            return False
        question = repo.enqueue(
            session, team_id=message.team_id, kind=POST_QUESTION, channel_id=message.channel_id,
            thread_ts=message.answer_ts, key=f"ask:{message.team_id}:{message.channel_id}:{message.ts}",
            notify_user=message.author_id, body=json.dumps(prompt), now=now, claimer=deps.replica_id,
            lease=deps.settings.claim_lease.as_timedelta(),
        )
    if question is None:
        return False  # asked already
    logger.info("asking about an unsure reading in channel=%s ts=%s (confidence %.2f)",
                message.channel_id, message.ts, reading.confidence)
    outbox.send_now(deps, [question], now)
    return True


def ask_for_manager(deps: Deps, reading: Decision, *, team_id: str, channel_id: str, message_ts: str,
                    thread_ts: str, event_id: str | None, reply_ts: str | None, now: datetime) -> bool:
    """Nobody is known to own the decision: ask in the thread who the hiring manager is (once per message).

    The reading travels in the question's Confirm button; picking a manager records it. The question is
    owed to Slack (the outbox) in the unit of work that claims the event; `reply_ts` is a question already
    in the thread to turn into this one."""
    value = draft_value(dataclasses.replace(reading, manager_id=None), author_id=None,
                        message_ts=message_ts if message_ts != thread_ts else None)
    question = blocks.manager_question(reading, value if len(value) <= blocks.VALUE_LIMIT else None)
    with deps.sessions.begin() as session:
        if event_id and not repo.claim_event(session, event_id=event_id, team_id=team_id, now=now):
            return False
        if repo.live_decision_id(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts):
            return False
        owed = repo.enqueue(
            session, team_id=team_id, kind=POST_QUESTION, channel_id=channel_id, body=json.dumps(question),
            now=now, claimer=deps.replica_id, lease=deps.settings.claim_lease.as_timedelta(),
            # the question already in the thread (reply_ts) is updated; else one is posted, once per message
            target_ts=reply_ts or None, thread_ts=None if reply_ts else thread_ts,
            key=None if reply_ts else f"manager:{team_id}:{channel_id}:{message_ts}",
        )
    if owed is None:
        return False  # asked already
    logger.info("asking who the manager is in channel=%s ts=%s", channel_id, message_ts)
    outbox.send_now(deps, [owed], now)
    return True


def pick_manager(deps: Deps, value: str, *, manager_id: str, actor: str, team_id: str, channel_id: str,
                 thread_ts: str, question_ts: str | None, now: datetime) -> RecordedDecision | None:
    """Someone answered "who is the hiring manager?": record the reading the question carried."""
    reading, _ = draft_from_value(value)
    if profile(deps, team_id=team_id, user_id=manager_id, now=now).is_bot:
        raise NotAllowed("That's an app, not a person. Pick the hiring manager who should write to them.")
    return record_reading(
        deps, dataclasses.replace(reading, manager_id=manager_id), team_id=team_id, channel_id=channel_id,
        message_ts=draft_message_ts(value) or thread_ts, author_id=actor, now=now, reply_to=actor,
        reply_ts=question_ts, thread_ts=thread_ts,
    )


USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_MANAGER_USAGE = (
    "`/interview-round channel-manager @someone` sets the hiring manager for decisions that apps post in this "
    "channel; `channel-manager` alone shows it, `channel-manager off` clears it."
)


def show_channel_manager(deps: Deps, *, team_id: str, channel_id: str) -> str:
    """`/interview-round channel-manager`: who the channel's default manager is. Shown to whoever asked."""
    with reading_sessions(deps).begin() as session:
        current = repo.channel_manager(session, team_id=team_id, channel_id=channel_id)
    if current is None:
        return f"No hiring manager is set for decisions apps post in <#{channel_id}>. {CHANNEL_MANAGER_USAGE}"
    return (f"<@{current}> is the hiring manager for decisions apps post in <#{channel_id}>. "
            "`/interview-round channel-manager off` clears it.")


OFF = ""  # what `channel-manager off` asks for


def wanted_channel_manager(argument: str) -> str | None:
    """The user `channel-manager @someone` names, OFF for `off`; None when it names not exactly one person."""
    argument = argument.strip()
    if argument.lower() == "off":
        return OFF
    mentions = USER_MENTION.findall(argument)
    if len(mentions) != 1 or USER_MENTION.sub("", argument).strip() or len(mentions[0]) > SLACK_ID_LENGTH:
        return None
    return str(mentions[0])


def set_channel_manager(deps: Deps, manager_id: str, *, team_id: str, channel_id: str, user_id: str,
                        now: datetime) -> tuple[saving.Outcome[bool], str]:
    """`/interview-round channel-manager @someone | off`, after the acknowledgement: check that it is a person
    (Slack is asked; an app is refused: NotAllowed), save it, and know whether it was saved. Returns the
    outcome and what to say when it was. `deps`: the acknowledgement path's."""
    if manager_id and profile(deps, team_id=team_id, user_id=manager_id, now=now).is_bot:
        raise NotAllowed("That's an app, not a person: the channel's hiring manager has to be someone I can remind.")
    wanted = manager_id or None

    outcome = saving.save_setting(
        deps.sessions, reading_sessions(deps),
        write=lambda session: repo.set_channel_manager(session, team_id=team_id, channel_id=channel_id,
                                                       manager_id=wanted, user_id=user_id, now=now),
        read=lambda session: repo.channel_manager(session, team_id=team_id, channel_id=channel_id),
        wanted=wanted, what=f"channel-manager of channel={channel_id}")
    if outcome.status == saving.SAVED:
        logger.info("channel=%s: default manager %s by user=%s", channel_id,
                    f"user={wanted} set" if wanted else "cleared", user_id)
    if wanted is None:
        return outcome, (f"Done: decisions apps post in <#{channel_id}> go to the logged round's manager, or I'll "
                         "ask in the thread.")
    return outcome, (f"Done: <@{wanted}> is the hiring manager for decisions apps post in <#{channel_id}> when no "
                     "logged round names one.")


def set_role(deps: Deps, decision_id: int, role: str, *, team_id: str, actor: str, reply_ts: str | None,
             now: datetime) -> repo.DecisionView:
    """Name the role of a decision recorded without one, and turn its thread reply into the full answer."""
    view = decision_for(deps, decision_id, team_id=team_id, actor=actor)
    target = view.reply_ts or reply_ts
    with deps.sessions.begin() as session:
        if repo.decision_erased(session, decision_id):  # erased since decision_for looked
            raise Erased(ERASED_DECISION)
        repo.set_decision_role(session, decision_id, role)
        contents = repo.decision_contents(session, decision_id)
        update = target and repo.enqueue(  # the reply, in place: rendered from the decision, until it lands
            session, team_id=team_id, kind=POST_REPLY, channel_id=view.channel_id, target_ts=target,
            decision_id=decision_id, now=now, claimer=deps.replica_id, lease=deps.settings.claim_lease.as_timedelta())
    logger.info("decision id=%s: role set by user=%s", decision_id, actor)
    outbox.send_now(deps, [update or None], now)
    publish_home(deps, team_id=team_id, user_id=contents.manager_id, now=now)
    return view


def clear_message(deps: Deps, *, team_id: str, channel_id: str, message_ts: str, now: datetime) -> bool:
    """The message no longer says a decision (edited or deleted): cancel what it recorded, if no nudge went."""
    with deps.sessions.begin() as session:
        decision_id = repo.live_decision_id(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
        if decision_id is None:
            return False
        view = repo.get_decision(session, decision_id)
        if view.nudged or repo.decision_erased(session, decision_id):
            logger.info("decision id=%s: message changed after a nudge went out or a person in it was erased; "
                        "kept", decision_id)
            return False
        repo.undo_decision(session, decision_id, now=now)
    logger.info("decision id=%s cancelled: its message was edited or deleted", decision_id)
    if view.reply_ts:
        cleared = blocks.cleared_reply()
        try:
            deps.client.chat_update(channel=channel_id, ts=view.reply_ts, text=cleared["text"],
                                    blocks=cleared["blocks"])
        except (SlackApiError, OSError) as error:
            logger.warning("chat.update failed channel=%s: %s", channel_id, slack_error(error))
    return True


def undo(deps: Deps, decision_id: int, *, team_id: str, actor: str, now: datetime) -> repo.DecisionView:
    view = decision_for(deps, decision_id, team_id=team_id, actor=actor)
    if view.nudged:
        raise OutOfDate(
            "A reminder already went out for this decision, so I can't undo it. Close each follow-up from its "
            "reminder instead (Not needed)."
        )
    with deps.sessions.begin() as session:
        if repo.decision_erased(session, decision_id):  # erased since decision_for looked
            raise Erased(ERASED_DECISION)
        repo.undo_decision(session, decision_id, now=now)
    logger.info("decision id=%s undone by user=%s", decision_id, actor)
    return view


def live_decision(deps: Deps, *, team_id: str, channel_id: str, message_ts: str) -> int | None:
    """The id of the decision recorded from this message and not undone, if any."""
    with reading_sessions(deps).begin() as session:
        return repo.live_decision_id(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)


def decision_for(deps: Deps, decision_id: int, *, team_id: str, actor: str) -> repo.DecisionView:
    """A live decision the actor may change (its author, its manager or an admin)."""
    with deps.sessions.begin() as session:
        try:
            view = repo.get_decision(session, decision_id)
        except repo.NotFound:
            raise OutOfDate("That decision was already undone.") from None
    if view.team_id != team_id:
        raise OutOfDate("That button is out of date.")
    if not may_act(actor, owners=(view.author_id, view.manager_id), admins=deps.settings.admin_users):
        raise NotAllowed("Only the person who posted this decision, its hiring manager or an admin can change it.")
    if view.erased:
        logger.info("refused change of decision id=%s by user=%s: a person in it was erased", decision_id, actor)
        raise Erased(ERASED_DECISION)
    return view


def reading_of(deps: Deps, decision_id: int) -> Decision:
    """What a recorded decision says, as a reading (to prefill the Edit modal)."""
    with deps.sessions.begin() as session:
        view = repo.decision_contents(session, decision_id)
    return Decision(
        role=view.role,
        hired=tuple(Person(n, s) for n, s in view.hired),
        not_selected=tuple(Person(n, s) for n, s in view.not_selected),
        withdrawn=tuple(Person(n, s) for n, s in view.withdrawn),
        manager_id=view.manager_id,
        confidence=1.0,
        rules=("recorded",),
    )


def strengths_findings(spec: RoundSpec) -> tuple[language.Finding, ...]:
    """Careful-language notes on the strengths logged with a round: they go into the suggested notes."""
    return tuple(f for c in spec.candidates if c.strengths for f in language.check(c.strengths))


def log_round(deps: Deps, spec: RoundSpec, *, team_id: str, user_id: str, channel_id: str | None,
              now: datetime, source: str = "command") -> tuple[int, repo.OutboxItem | None]:
    """Log a round. From the modal, whoever logged it is owed a confirmation DM (the outbox, born claimed:
    the caller sends it); from the command, the command's answer says it."""
    with deps.sessions.begin() as session:
        round_id, confirmation = _log_round(deps, session, spec, team_id=team_id, user_id=user_id,
                                            channel_id=channel_id, now=now, source=source)
    logger.info("round id=%s logged by user=%s with %d candidates", round_id, user_id, len(spec.candidates))
    return round_id, confirmation


def log_command_round(deps: Deps, spec: RoundSpec, *, team_id: str, user_id: str, channel_id: str,
                      now: datetime) -> saving.Outcome[int]:
    """`/interview-round ROLE: …`, after the acknowledgement: log the round (trying again while the database
    is busy) and know whether it was saved (bot.followups.saving). `deps`: the acknowledgement path's."""
    def work(session: Session) -> int:
        return _log_round(deps, session, spec, team_id=team_id, user_id=user_id, channel_id=channel_id, now=now,
                          source="command")[0]

    def stored() -> int | None:
        with reading_sessions(deps).begin() as session:
            return repo.command_round(session, team_id=team_id, created_by=user_id, created_at=now)

    outcome = saving.save(deps.sessions, work, stored=stored, what=f"/interview-round of user={user_id}")
    if outcome.status == saving.SAVED:
        logger.info("round id=%s logged by user=%s with %d candidates", outcome.value, user_id, len(spec.candidates))
    return outcome


def _log_round(deps: Deps, session: Session, spec: RoundSpec, *, team_id: str, user_id: str, channel_id: str | None,
               now: datetime, source: str) -> tuple[int, repo.OutboxItem | None]:
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
    confirmation = None
    if source == "modal":
        confirmation = repo.enqueue(session, team_id=team_id, kind=POST_ROUND_DM, channel_id=user_id,
                                    round_id=round_id, key=f"round_dm:{round_id}", now=now,
                                    claimer=deps.replica_id, lease=deps.settings.claim_lease.as_timedelta())
    return round_id, confirmation


# --- the decision form (Edit modal, shortcut) -------------------------------------------------------


def _field(values: dict[str, Any], block: str, key: str = "value") -> str:
    """A modal input's value (the block and action ids are the same in our modals), stripped."""
    return visible(str(((values.get(block) or {}).get(block) or {}).get(key) or "")).strip()


def _role_and_manager(values: dict[str, Any], errors: dict[str, str], missing_role: str) -> tuple[str, str]:
    role = _field(values, "role")
    if not role:
        errors["role"] = missing_role
    elif problem := role_too_long(role):
        errors["role"] = problem
    manager = _field(values, "manager", "selected_user")
    if not manager:
        errors["manager"] = "Pick the hiring manager."
    return role, manager


def role_too_long(role: str) -> str | None:
    """What is wrong with a role typed into a modal that is longer than the database holds, or None."""
    if len(role) <= ROLE_LENGTH:
        return None
    return f"The role is {len(role)} characters long; it can be up to {ROLE_LENGTH}."


def role_from_form(values: dict[str, Any]) -> str:
    """The role typed in a modal's role field, its spaces squashed (the Add-the-role modal)."""
    return " ".join(_field(values, "role").split())


def reading_from_form(values: dict[str, Any]) -> tuple[Decision | None, dict[str, str]]:
    """The decision modal's state as a reading, or field errors (block_id -> message)."""
    errors: dict[str, str] = {}
    role, manager = _role_and_manager(values, errors, "Which role is this decision for?")
    groups: dict[str, tuple[Person, ...]] = {}
    seen: dict[str, str] = {}
    for block in ("not_selected", "hired", "withdrawn"):
        text = _field(values, block)
        if not text:
            groups[block] = ()
            continue
        try:
            entries = parse_candidates(text)
        except RoundParseError as error:
            errors[block] = blocks.clip(error.plain, 300)
            continue
        groups[block] = tuple(Person(e.name, e.stage) for e in entries)
        for person in groups[block]:
            key = name_key(person.name)
            if key in seen and seen[key] != block:
                errors[block] = f"{person.name} is listed twice. Put each person in one list."
            seen[key] = block
    if not errors and not any(groups.values()):
        errors["not_selected"] = "Name at least one person: not selected, hired or withdrew."
    if errors:
        return None, errors
    return Decision(
        role=role, hired=groups["hired"], not_selected=groups["not_selected"], withdrawn=groups["withdrawn"],
        manager_id=manager, confidence=1.0, rules=("form",),
    ), {}


@dataclass(frozen=True)
class RoundForm:
    spec: RoundSpec
    hired: tuple[str, ...]


def round_from_form(values: dict[str, Any]) -> tuple[RoundForm | None, dict[str, str]]:
    """The round modal's state, or field errors (block_id -> message)."""
    errors: dict[str, str] = {}
    role, manager = _role_and_manager(values, errors, "Which role was this round for?")
    candidates: tuple = ()
    try:
        candidates = parse_candidates(_field(values, "candidates"))
    except RoundParseError as error:
        errors["candidates"] = blocks.clip(error.plain, 300)
    hired: list[str] = []
    if _field(values, "hired") and candidates:
        by_key = {name_key(c.name): c.name for c in candidates}
        for name in (part.strip() for part in _field(values, "hired").replace(" and ", ",").split(",")):
            if not name:
                continue
            match = by_key.get(name_key(name)) or next(
                (full for key, full in by_key.items() if key.split(" ")[0] == name_key(name)), None
            )
            if match is None:
                errors["hired"] = f"{name} isn't among the candidates above."
                break
            hired.append(match)
    if errors:
        return None, errors
    return RoundForm(RoundSpec(role=role, candidates=candidates, manager_id=manager), tuple(hired)), {}


def log_round_from_form(deps: Deps, form: RoundForm, *, team_id: str, user_id: str, channel_id: str | None,
                        now: datetime) -> None:
    """Log the round; with a hire named, record the decision too (everyone else is not selected). Whoever
    logged it gets the confirmation by DM (rendered from the round, with the hire)."""
    round_id, confirmation = log_round(deps, form.spec, team_id=team_id, user_id=user_id, channel_id=channel_id,
                                       now=now, source="modal")
    manager = form.spec.manager_id or user_id
    if form.hired:
        reading = Decision(role=form.spec.role, hired=tuple(Person(n) for n in form.hired), not_selected=(),
                           withdrawn=(), manager_id=manager, confidence=1.0, rules=("round form",))
        record_reading(deps, reading, team_id=team_id, channel_id=channel_id or "", message_ts=f"round-{round_id}",
                       author_id=user_id, now=now, in_thread=False)
    outbox.send_now(deps, [confirmation], now)
