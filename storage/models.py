"""Typed SQLAlchemy 2 models: the single source of truth for who is owed a follow-up and when.

Every row carries `team_id` so one deployment can serve several workspaces. All datetimes are aware
UTC on the way in and on the way out (`UTCDateTime`), on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.domain.lengths import (
    DISPLAY_NAME_LENGTH,
    EMAIL_LENGTH,
    NAME_LENGTH,
    ROLE_LENGTH,
    SKIP_REASON_LENGTH,
    SLACK_ID_LENGTH,
    STAGE_LENGTH,
    TZ_LENGTH,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes everywhere: refuses naive values, restores tzinfo that SQLite drops."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)




class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Candidate outcomes
INTERVIEWING = "interviewing"
HIRED = "hired"
NOT_SELECTED = "not_selected"
WITHDRAWN = "withdrawn"

# Follow-up statuses
OPEN = "open"
CONTACTED = "contacted"
SKIPPED = "skipped"
CANCELLED = "cancelled"  # the decision was undone or its message deleted before any nudge


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    role: Mapped[str | None] = mapped_column(String(ROLE_LENGTH))  # None: a decision that named no role (yet)
    role_key: Mapped[str | None] = mapped_column(String(ROLE_LENGTH))
    manager_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    source: Mapped[str] = mapped_column(String(16))  # command | message | shortcut | modal
    source_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    created_by: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    candidates: Mapped[list[Candidate]] = relationship(back_populates="round", order_by="Candidate.id")

    __table_args__ = (Index("ix_rounds_team_role", "team_id", "role_key"),)


class Decision(Base):
    """One hiring-decision message the bot recorded, so it can be undone, edited or deleted as a whole.

    Undoing it deletes the row: the same message may then be read again."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    # The Slack message's ts; None for an ATS decision, which no message carries (NULLs are distinct in the
    # unique constraint, on SQLite and PostgreSQL alike, so any number of them fit).
    message_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    author_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    created_round: Mapped[bool] = mapped_column(default=False)
    reply_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Where the decision came from (slack: a message, a modal, a shortcut; greenhouse...) and its id there
    # (an ATS application): an ATS decision has no channel (channel_id "") nor message, and is identified by
    # (source, external_id) (storage.repo.ats_decision_id).
    source: Mapped[str] = mapped_column(String(16), default="slack", server_default="slack")
    external_id: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))

    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts"),)


class Candidate(Base):
    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # None once erased for retention
    name_key: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    stage: Mapped[str | None] = mapped_column(String(STAGE_LENGTH))
    strengths: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), default=INTERVIEWING)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"), index=True)
    added_by_decision: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round: Mapped[Round] = relationship(back_populates="candidates")


class Followup(Base):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), unique=True)
    manager_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    created_by: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_nudge_channel: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    last_nudge_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A send in progress: nudge `attempt_seq` was handed to Slack at `attempt_at` and not yet recorded.
    # A claimer that finds it (the sender died) looks for the nudge in the DM's history before sending.
    attempt_seq: Mapped[int | None] = mapped_column(Integer)
    attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed sends in a row; sets the back-off
    last_error: Mapped[str | None] = mapped_column(String(100))
    # The manager cannot be DMed at all (Slack said user_not_found, account_inactive...): no more nudges
    # until someone reassigns it. While `notified_at` is empty, due_at is when to tell the admins.
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undeliverable_error: Mapped[str | None] = mapped_column(String(100))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    skip_reason: Mapped[str | None] = mapped_column(String(SKIP_REASON_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)  # the manager's edited note, when edited
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The channels it belongs to, whose digest shows it: where its decision was posted, where its round was
    # logged. Kept here (repo.record_decision) so a channel's digest is one indexed filter (repo.in_channel).
    decided_in: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    logged_in: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))

    candidate: Mapped[Candidate] = relationship()

    __table_args__ = (
        Index("ix_followups_due", "status", "due_at"),
        Index("ix_followups_manager", "team_id", "manager_id", "status"),
        Index("ix_followups_open", "team_id", "status", "decided_at", "id"),  # digests: oldest open first
        Index("ix_followups_closed", "team_id", "closed_at"),  # closures since the last digest, stats
        Index("ix_followups_decided", "team_id", "decided_at"),  # closure rate over 30 days
        Index("ix_followups_decided_in", "team_id", "decided_in", "status"),  # a channel's digest
        Index("ix_followups_logged_in", "team_id", "logged_in", "status"),
    )


class Nudge(Base):
    """The record that nudge number `seq` of a follow-up was delivered: at most one per (followup, seq)."""

    __tablename__ = "nudges"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    ts: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("followup_id", "seq"),)


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery is recognised and dropped, across restarts."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InboxEvent(Base):
    """A Slack event (or an ATS delivery) kept before it was acknowledged, until it has been processed (then
    deleted), or given up after its last attempt (then kept, until retried)."""

    __tablename__ = "inbox"

    event_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    body: Mapped[str] = mapped_column(Text)  # the event's JSON; deleted once processed
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Who is processing it, until when (renewed while they are): one worker at a time, on any replica. A row
    # is born claimed by the replica that kept it; one handed back after a failure is free from claim_expires.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why its last attempt failed (the exception's class: never its message, which may name a candidate);
    # when it was given up (its attempts ran out: kept, no longer redelivered, until `persona-grata inbox
    # retry`); when someone was told so (once: the thread and the admins).
    last_error: Mapped[str | None] = mapped_column(String(64))
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DigestRun(Base):
    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    period: Mapped[str] = mapped_column(String(40))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    # The candidates the post may name (a JSON list of ids), so that an erasure can take it down.
    named: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("channel_id", "period"),)


class DigestSubscription(Base):
    """A channel that asked for a digest of its own: `/interview-round digest weekly|daily`."""

    __tablename__ = "digest_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    frequency: Mapped[str] = mapped_column(String(16))  # daily | weekly
    created_by: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)


class Workspace(Base):
    """A workspace the app was uninstalled from (or whose tokens were revoked): no more work for it."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(32))


class Manager(Base):
    """What the bot remembers of a manager: their time zone (from users.info, refreshed daily)."""

    __tablename__ = "managers"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(TZ_LENGTH))
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_LENGTH))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tone: Mapped[str | None] = mapped_column(String(16))
    is_bot: Mapped[bool] = mapped_column(default=False, server_default=false())  # users.info: never a manager


class ChannelManager(Base):
    """The hiring manager for decisions that apps (an ATS, a workflow) post in a channel:
    `/interview-round channel-manager @user`."""

    __tablename__ = "channel_managers"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH), primary_key=True)
    manager_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    set_by: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


# What an outbox row is for (Outbox.kind)
POST_REPLY = "reply"  # a decision's thread reply (Undo, Edit), rendered from the decision
POST_REPLY_DM = "reply_dm"  # a decision's confirmation by DM, when there is no thread to answer in
POST_ROUND_DM = "round_dm"  # "Logged <role> with …" by DM, for a round logged in the modal
POST_QUESTION = "question"  # a question in a thread (confirm this reading? who is the manager?): `body`
POST_NOTICE = "notice"  # a short DM naming nobody: `body`
POST_ERASED = "erased"  # a message that named an erased candidate, turned into the erased form
POST_HOME = "home"  # a manager's App Home, published again


class Outbox(Base):
    """What the bot still owes Slack: a post to make exactly once (a decision's thread reply, a question,
    a confirmation DM), or a message to update or an App Home to publish (after an erasure), retried until
    it lands.

    A post is claimed, marked, sent with Slack message metadata and recorded by the same mechanism as a
    nudge (bot.followups.exactly_once). Posts that name candidates stay here once posted (`posted_channel`,
    `posted_ts`) so that an erasure can find and update them; `erased_at` says that was done."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID_LENGTH))  # a channel; a user id: their DM (or App Home)
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))  # post in this thread
    target_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))  # update this message instead of posting one
    key: Mapped[str | None] = mapped_column(String(120), unique=True)  # a post made at most once
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    # told by DM if the thread refuses the post
    notify_user: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    body: Mapped[str | None] = mapped_column(Text)  # the message as JSON, when not rendered from the database
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: nothing left to do
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # handed to Slack, not yet recorded
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(100))
    posted_channel: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    posted_ts: Mapped[str | None] = mapped_column(String(SLACK_ID_LENGTH))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_due", "due_at"),)
