"""The outbox: posts and updates the bot owes Slack, each sent exactly once until it lands."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import POST_HOME, POST_QUESTION, POST_REPLY, POST_REPLY_DM, POST_ROUND_DM, Candidate, Outbox
from storage.repo.claims import claim_rows, dialect_insert, rowcount
from storage.repo.erased import decision_erased
from storage.repo.rounds import set_decision_reply
from storage.views import OutboxItem

# --- the outbox: posts and updates the bot owes Slack ------------------------------------------------


def _outbox_item(row: Outbox) -> OutboxItem:
    return OutboxItem(row.id, row.team_id, row.kind, row.channel_id, row.thread_ts, row.target_ts, row.decision_id,
                      row.round_id, row.notify_user, row.body, row.attempt_at, row.failures)


def enqueue(session: Session, *, team_id: str, kind: str, channel_id: str, now: datetime,
            thread_ts: str | None = None, target_ts: str | None = None, key: str | None = None,
            decision_id: int | None = None, round_id: int | None = None, notify_user: str | None = None,
            body: str | None = None, claimer: str | None = None, lease: timedelta | None = None
            ) -> OutboxItem | None:
    """Owe Slack a post (or, with `target_ts`, an update of that message), due now. Returns it; None when a
    post with the same `key` is already owed or made.

    With `claimer` the row is born claimed by it, for `lease`, and a post's attempt is marked at once: the
    caller sends it right after this unit of work commits, and whoever finds it after a crash looks for
    it in Slack before sending it again."""
    values: dict[str, object] = {
        "team_id": team_id, "kind": kind, "channel_id": channel_id, "thread_ts": thread_ts, "target_ts": target_ts,
        "key": key, "decision_id": decision_id, "round_id": round_id, "notify_user": notify_user, "body": body,
        "due_at": now, "failures": 0, "created_at": now,
    }
    attempt_at: datetime | None = None
    if claimer is not None:
        values.update(claimed_by=claimer, claim_expires=now + (lease or timedelta(minutes=1)))
        if target_ts is None and kind != POST_HOME:
            values["attempt_at"] = attempt_at = now
    stmt = dialect_insert(session)(Outbox).values(values)
    if key is not None:
        stmt = stmt.on_conflict_do_nothing()
    outbox_id = session.execute(stmt.returning(Outbox.id)).scalar()
    if outbox_id is None:
        return None
    return OutboxItem(outbox_id, team_id, kind, channel_id, thread_ts, target_ts, decision_id, round_id, notify_user,
                      body, attempt_at, 0)


def enqueue_update(session: Session, *, team_id: str, kind: str, channel_id: str, target_ts: str | None,
                   now: datetime, claimer: str | None = None, lease: timedelta | None = None,
                   **extra: Any) -> int | None:
    """Owe Slack an update of a message (or an App Home: `target_ts` None), unless the same update is
    already waiting and not yet taken (it is rendered when sent, so one covers both)."""
    waiting = session.scalars(select(Outbox.id).where(
        Outbox.kind == kind, Outbox.channel_id == channel_id,
        Outbox.target_ts.is_(None) if target_ts is None else Outbox.target_ts == target_ts,
        Outbox.due_at.is_not(None), Outbox.claimed_by.is_(None),
    ).limit(1)).first()
    if waiting is not None:
        if claimer is not None:
            session.execute(update(Outbox).where(Outbox.id == waiting, Outbox.claimed_by.is_(None)).values(
                claimed_by=claimer, claim_expires=now + (lease or timedelta(minutes=1)), due_at=now))
        return waiting
    item = enqueue(session, team_id=team_id, kind=kind, channel_id=channel_id, target_ts=target_ts, now=now,
                   claimer=claimer, lease=lease, **extra)
    return item.id if item is not None else None


def claim_outbox(session: Session, *, now: datetime, claimer: str, lease: timedelta, limit: int,
                 ids: Sequence[int] | None = None, skip_teams: Iterable[str] = ()) -> list[OutboxItem]:
    """Claim due outbox rows for `claimer` until now + lease (as claim_due does follow-ups), oldest first;
    `ids`: these rows only, due or not. A row whose lease runs is left alone, even by the replica that holds it
    (another of its threads is sending it)."""
    conditions = [Outbox.due_at.is_not(None), Outbox.id.in_(list(ids)) if ids is not None else Outbox.due_at <= now]
    skipped = list(skip_teams)
    if skipped:
        conditions.append(Outbox.team_id.not_in(skipped))
    found = claim_rows(session, Outbox, Outbox.id, conditions=conditions, order_by=(Outbox.due_at, Outbox.id),
                       now=now, claimer=claimer, lease=lease, limit=limit)
    if not found:
        return []
    rows = session.scalars(select(Outbox).where(Outbox.id.in_(found)).order_by(Outbox.due_at, Outbox.id)).all()
    return [_outbox_item(row) for row in rows]


def begin_post(session: Session, outbox_id: int, *, claimer: str, at: datetime, lease: timedelta) -> bool:
    """Mark a claimed post as being handed to Slack now, renewing the lease. False when the claim was lost."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.claimed_by == claimer, Outbox.due_at.is_not(None),
               Outbox.posted_ts.is_(None))
        .values(attempt_at=at, claim_expires=at + lease)
    )
    return rowcount(result) == 1


def release_outbox(session: Session, outbox_id: int, *, claimer: str, due_at: datetime | None = None,
                   error: str | None = None, keep_attempt: bool = False) -> None:
    """Hand a claimed row back, still owed (due at `due_at`, if given); `keep_attempt` when Slack may have
    the post (a timeout), so that the next claimer looks for it first."""
    values: dict[str, object] = {"claimed_by": None, "claim_expires": None}
    if not keep_attempt:
        values["attempt_at"] = None
    if due_at is not None:
        values["due_at"] = due_at
    if error is not None:
        values["failures"] = Outbox.failures + 1
        values["last_error"] = error[:100]
    session.execute(update(Outbox).where(Outbox.id == outbox_id, Outbox.claimed_by == claimer).values(**values))


def finish_outbox(session: Session, outbox_id: int, *, now: datetime, error: str | None = None) -> None:
    """Nothing more is owed for this row: done (an update landed), or given up (`error`: Slack will refuse
    it whatever we do). A question's body goes with it."""
    values: dict[str, object] = {"due_at": None, "done_at": now, "claimed_by": None, "claim_expires": None,
                                 "attempt_at": None, "body": None}
    if error is not None:
        values["last_error"] = error[:100]
    session.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))


def record_post(session: Session, item: OutboxItem, *, channel: str, ts: str, now: datetime) -> bool:
    """Record where Slack put a post; False when it was recorded before (another run found or sent it).

    A decision's thread reply becomes the decision's reply. A post that names candidates erased while it
    was on its way is owed an update at once."""
    result = session.execute(
        update(Outbox).where(Outbox.id == item.id, Outbox.posted_ts.is_(None))
        .values(posted_channel=channel, posted_ts=ts, due_at=None, done_at=now, claimed_by=None,
                claim_expires=None, attempt_at=None, body=None)
    )
    if rowcount(result) != 1:
        return False
    if item.kind == POST_REPLY and item.decision_id is not None:
        set_decision_reply(session, item.decision_id, ts)
    if item.kind in NAMING_POSTS and _names_erased(session, decision_id=item.decision_id, round_id=item.round_id):
        enqueue_update(session, team_id=item.team_id, kind=item.kind, channel_id=channel, target_ts=ts, now=now,
                       decision_id=item.decision_id, round_id=item.round_id)
    return True


NAMING_POSTS = (POST_REPLY, POST_REPLY_DM, POST_ROUND_DM)  # rendered from the decision or round they name


def _names_erased(session: Session, *, decision_id: int | None, round_id: int | None) -> bool:
    if decision_id is not None:
        return decision_erased(session, decision_id)
    if round_id is not None:
        return bool(session.scalars(select(func.count()).select_from(Candidate).where(
            Candidate.round_id == round_id, Candidate.erased_at.is_not(None))).one())
    return False


def purge_outbox(session: Session, *, before: datetime) -> int:
    """Forget finished rows older than `before`, except posts that name candidates (an erasure will look for
    them) until their names are erased."""
    result = session.execute(delete(Outbox).where(
        Outbox.due_at.is_(None), Outbox.done_at < before,
        or_(Outbox.posted_ts.is_(None), Outbox.kind.not_in((POST_REPLY_DM, POST_ROUND_DM, POST_QUESTION)),
            Outbox.erased_at.is_not(None)),
    ))
    return rowcount(result)


def outbox_rows(session: Session) -> list[OutboxItem]:
    return [_outbox_item(row) for row in session.scalars(select(Outbox).order_by(Outbox.id))]
