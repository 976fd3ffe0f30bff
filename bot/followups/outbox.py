"""The outbox: posts and updates the bot owes Slack, sent at once and retried until they land.

Posts that would otherwise leave someone without an answer — a decision's thread reply (Undo, Edit, Add
the role), the question asking to confirm a reading or who the manager is, the confirmation DM of a modal
— are written to the `outbox` table in the same unit of work as what they announce, born claimed by the
process that wrote them, and sent by it at once. One that fails (Slack answers 500 twice or 429, the call
times out, the process dies) stays due, and the outbox job sends it again from any replica, exactly once,
by the nudges' mechanism (bot.followups.exactly_once): a claim under a lease, an attempt marker, Slack message
metadata naming the row, and a record that can be made once. One that Slack refuses for good (the bot is
not in the channel) is given up, and its person is told by DM instead.

An erasure owes Slack an update of every message that named the candidate and of their manager's App Home
(storage.repo.erasure_updates); those are queued the same way, paced, and retried until done.

Everything is rendered when it is sent, from the database: a post that waited while its candidate was
erased goes out in its erased form.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from slack_sdk.errors import SlackApiError

from bot.deps import Deps, reading
from bot.domain import language
from bot.followups import exactly_once
from bot.followups.actions import home_view
from bot.followups.exactly_once import AlreadyRecorded, is_transient, retry_after
from bot.slack import blocks
from bot.slack.delivery import slack_error
from storage import repo
from storage.models import (
    POST_ERASED,
    POST_HOME,
    POST_NOTICE,
    POST_QUESTION,
    POST_REPLY,
    POST_REPLY_DM,
    POST_ROUND_DM,
)
from storage.views import OutboxItem

logger = logging.getLogger(__name__)

BATCH = 100  # rows a run of the job claims at most
BACKOFF_FIRST = timedelta(seconds=30)  # after the first failure; doubled after each one after it
BACKOFF_MAX = timedelta(minutes=30)
POST_EVENT_TYPE = "persona_grata_post"  # the metadata an outbox post carries: {"outbox_id": id}


@dataclass
class OutboxReport:
    claimed: int = 0
    sent: int = 0  # posts made
    recovered: int = 0  # posts found already made (after an interrupted attempt) and recorded, not made again
    updated: int = 0  # messages updated, App Homes published
    failed: int = 0  # still owed: tried again later
    given_up: int = 0  # refused by Slack for good
    skipped: int = 0  # taken by another run meanwhile, or nothing left to send
    released: int = 0  # handed back untouched on shutdown


def backoff(failures: int, error: Exception, now: datetime) -> datetime:
    """When to try again after `failures` failures: 30 s, 1 min, 2 min … at most 30 min, and never before
    Slack's Retry-After."""
    wait: timedelta = min(BACKOFF_FIRST * 2 ** max(0, failures - 1), BACKOFF_MAX)  # 2 ** int is typed Any
    return now + max(wait, retry_after(error) or timedelta(0))


# --- sending ----------------------------------------------------------------------------------------


def send_now(deps: Deps, items: list[OutboxItem | None], now: datetime, *, paced: bool = False) -> OutboxReport:
    """Send rows this process queued a moment ago (born claimed by it: storage.repo.enqueue with a claimer).
    What fails stays owed, for the outbox job. Replies are not paced by default: they answer someone now."""
    return _run(deps, [item for item in items if item is not None], now, paced=paced, fresh=True)


def deliver(deps: Deps, ids: list[int], now: datetime) -> OutboxReport:
    """Send these rows now (claimed here, unless another run holds them), paced."""
    if not ids:
        return OutboxReport()
    with deps.sessions.begin() as session:
        items = repo.claim_outbox(session, now=now, claimer=deps.replica_id,
                                  lease=deps.settings.claim_lease.as_timedelta(), limit=len(ids), ids=ids)
    return _run(deps, items, now, paced=True, fresh=False)


def deliver_due(deps: Deps, now: datetime) -> OutboxReport:
    """The outbox job: claim what is due (not for workspaces the app has left) and send it, paced."""
    with deps.sessions.begin() as session:
        items = repo.claim_outbox(session, now=now, claimer=deps.replica_id,
                                  lease=deps.settings.claim_lease.as_timedelta(), limit=BATCH,
                                  skip_teams=repo.inactive_teams(session))
    report = _run(deps, items, now, paced=True, fresh=False)
    if items:
        logger.info("outbox: claimed=%d sent=%d recovered=%d updated=%d failed=%d given_up=%d skipped=%d "
                    "released=%d", report.claimed, report.sent, report.recovered, report.updated, report.failed,
                    report.given_up, report.skipped, report.released)
    return report


def _run(deps: Deps, items: list[OutboxItem], now: datetime, *, paced: bool, fresh: bool) -> OutboxReport:
    report = OutboxReport(claimed=len(items))
    started = time.monotonic()
    work = [(item, fresh) for item in items]
    while work:
        item, born = work.pop(0)
        if deps.stopping.is_set():
            with deps.sessions.begin() as session:
                for rest, _ in [(item, born), *work]:
                    repo.release_outbox(session, rest.id, claimer=deps.replica_id)
            report.released += 1 + len(work)
            break
        at = now + timedelta(seconds=time.monotonic() - started)
        outcome, more = _one(deps, item, at, paced=paced, fresh=born)
        setattr(report, outcome, getattr(report, outcome) + 1)
        work += [(extra, True) for extra in more]
        report.claimed += len(more)
    return report


def _one(deps: Deps, item: OutboxItem, now: datetime, *, paced: bool, fresh: bool
         ) -> tuple[str, list[OutboxItem]]:
    """Send one claimed row: (outcome, rows queued instead of it, born claimed: a fallback DM)."""
    try:
        message = render(deps, item, now)
    except repo.NotFound:  # what it announced is gone (undone): nothing is owed any more
        with deps.sessions.begin() as session:
            repo.finish_outbox(session, item.id, now=now, error="gone")
        return "skipped", []
    if message is None:
        with deps.sessions.begin() as session:
            repo.finish_outbox(session, item.id, now=now, error="nothing to send")
        return "skipped", []
    if item.kind == POST_HOME or item.target_ts:
        return _update(deps, item, message, now, paced=paced), []
    post = OutboxPost(deps, item, now, fresh=fresh)
    result = exactly_once.post_once(deps.client, deps.pacer, post, lambda: message, lambda: now, paced=paced)
    if result.outcome == "sent":
        logger.info("%s sent", post.label)
    if result.outcome == "failed" and post.given_up:
        return "given_up", post.instead
    return result.outcome, []


def _update(deps: Deps, item: OutboxItem, message: dict[str, Any], now: datetime, *, paced: bool) -> str:
    """Update a message (or publish an App Home); chat.update and views.publish may be repeated safely."""
    if paced:
        deps.pacer.wait(team_id=item.team_id, channel=item.channel_id)
    try:
        if item.kind == POST_HOME:
            deps.client.views_publish(user_id=item.channel_id, view=message)
        else:
            channel = item.channel_id
            if channel[:1] in "UW":  # a DM recorded by its user (an escalation): chat.update needs the DM's id
                channel = str(deps.client.conversations_open(users=channel)["channel"]["id"])
            # every update but an App Home's names its message (enqueue_update's target_ts)
            deps.client.chat_update(channel=channel, ts=cast(str, item.target_ts), text=message["text"],
                                    blocks=message["blocks"])
    except (SlackApiError, OSError) as error:
        with deps.sessions.begin() as session:
            if is_transient(error):
                repo.release_outbox(session, item.id, claimer=deps.replica_id, error=slack_error(error),
                                    due_at=backoff(item.failures + 1, error, now))
                logger.warning("%s outbox=%s not done: %s; tried again later", item.kind, item.id, slack_error(error))
                return "failed"
            repo.finish_outbox(session, item.id, now=now, error=slack_error(error))
        logger.warning("%s outbox=%s refused by Slack: %s; given up", item.kind, item.id, slack_error(error))
        return "given_up"
    with deps.sessions.begin() as session:
        repo.finish_outbox(session, item.id, now=now)
    return "updated"


class OutboxPost:
    """An outbox row as bot.followups.exactly_once posts it: in its thread or DM, its attempt marked on the row,
    recorded on the row (and a thread reply on its decision)."""

    event_type = POST_EVENT_TYPE

    def __init__(self, deps: Deps, item: OutboxItem, now: datetime, *, fresh: bool) -> None:
        self.deps, self.item, self.now, self.fresh = deps, item, now, fresh
        self.team_id = item.team_id
        self.channel = item.channel_id
        self.thread_ts = item.thread_ts
        # Born claimed a moment ago by this process: marked, and nobody can have sent it yet.
        self.attempt_at = None if fresh else item.attempt_at
        self.payload = {"outbox_id": item.id}
        self.label = f"{item.kind} outbox={item.id}" + (f" decision={item.decision_id}" if item.decision_id else "")
        self.given_up = False
        self.instead: list[OutboxItem] = []

    def begin(self, at: datetime) -> bool:
        if self.fresh:
            return True
        with self.deps.sessions.begin() as session:
            return repo.begin_post(session, self.item.id, claimer=self.deps.replica_id, at=at,
                                   lease=self.deps.settings.claim_lease.as_timedelta())

    def failed(self, error: Exception, *, unknown: bool) -> None:
        with self.deps.sessions.begin() as session:
            if unknown or is_transient(error):
                repo.release_outbox(session, self.item.id, claimer=self.deps.replica_id, error=slack_error(error),
                                    keep_attempt=unknown, due_at=backoff(self.item.failures + 1, error, self.now))
                return
            self.given_up = True
            repo.finish_outbox(session, self.item.id, now=self.now, error=slack_error(error))
            self.instead = [i for i in (self._fallback(session, slack_error(error)),) if i is not None]

    def _fallback(self, session: Any, error: str) -> OutboxItem | None:
        """Slack refused the post for good: tell its person by DM instead (once)."""
        item, user = self.item, self.item.notify_user
        if not user or not item.thread_ts:
            logger.warning("%s refused by Slack (%s), and there is nobody to tell by DM", self.label, error)
            return None
        lease = self.deps.settings.claim_lease.as_timedelta()
        if item.kind == POST_REPLY:
            return repo.enqueue(session, team_id=item.team_id, kind=POST_REPLY_DM, channel_id=user,
                                decision_id=item.decision_id, key=f"reply_dm:{item.decision_id}:{user}", now=self.now,
                                claimer=self.deps.replica_id, lease=lease)
        return repo.enqueue(session, team_id=item.team_id, kind=POST_NOTICE, channel_id=user, now=self.now,
                            key=f"notice:{item.id}", body=json.dumps(blocks.question_refused(item.channel_id, error)),
                            claimer=self.deps.replica_id, lease=lease)

    def record(self, channel: str, ts: str) -> None:
        with self.deps.sessions.begin() as session:
            if not repo.record_post(session, self.item, channel=channel, ts=ts, now=self.now):
                raise AlreadyRecorded(self.item.id)


# --- what each kind of row says ----------------------------------------------------------------------


def render(deps: Deps, item: OutboxItem, now: datetime) -> dict[str, Any] | None:
    """The message (or App Home view) a row owes Slack, as it should read now. NotFound when what it is
    about is gone; None when there is nothing to send."""
    if item.kind == POST_HOME:
        return home_view(deps, team_id=item.team_id, user_id=item.channel_id, now=now)
    if item.kind in (POST_REPLY, POST_REPLY_DM):
        assert item.decision_id is not None
        with reading(deps).begin() as session:
            contents = repo.decision_contents(session, item.decision_id)
        reply = decision_message(item.decision_id, contents)
        return reply if item.kind == POST_REPLY else dm_form(reply, contents.erased)
    if item.kind == POST_ROUND_DM:
        assert item.round_id is not None
        with reading(deps).begin() as session:
            contents_of_round = repo.round_contents(session, item.round_id)
        return round_message(contents_of_round)
    if item.kind == POST_ERASED:
        return {repo.ERASED_QUESTION: blocks.erased_question, repo.ERASED_LIST: blocks.erased_list}.get(
            item.body or "", blocks.erased_message)()
    if item.kind in (POST_QUESTION, POST_NOTICE):
        return json.loads(item.body) if item.body else None
    raise ValueError(f"unknown outbox kind {item.kind}")


def decision_message(decision_id: int, contents: repo.DecisionContents) -> dict[str, Any]:
    """A decision's thread reply, from what is recorded for it now (erased people left out)."""
    return blocks.decision_reply(
        decision_id=decision_id, manager_id=contents.manager_id, role=contents.role,
        not_selected=[name for name, _ in contents.not_selected], hired=[name for name, _ in contents.hired],
        withdrawn=[name for name, _ in contents.withdrawn], first_due=contents.first_due, erased=contents.erased,
    )


def dm_form(reply: dict[str, Any], erased: int) -> dict[str, Any]:
    """A decision's reply as a confirmation DM: what was noted, without the thread's buttons and questions."""
    extra = [blocks.context(blocks.erased_note(erased))] if erased and len(reply["blocks"]) > 1 else []
    return {"text": reply["text"], "blocks": [reply["blocks"][0], *extra]}


def round_message(contents: repo.RoundContents) -> dict[str, Any]:
    """"Logged <role> with …", from what is recorded for the round now (erased people left out)."""
    people = contents.candidates
    if contents.erased and not people:
        text = "🗑️ The records of the people in this round were erased."
        return {"text": text, "blocks": [blocks.section(text)]}
    findings = tuple(f for c in people if c.strengths for f in language.check(c.strengths))
    return blocks.round_confirmation(
        contents.role or "", [c.name for c in people], [c.stage for c in people], contents.manager_id,
        contents.created_by, hired=contents.hired, findings=findings, erased=contents.erased,
    )
