"""The values that leave the repository: plain frozen dataclasses, never live ORM objects, because
listeners run on other threads after `ack()` and must not share a Session.

They import nothing but the standard library, so the presentation (bot.slack.blocks) can build from them
without importing the repository (tests/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NewCandidate:
    name: str
    stage: str | None = None
    strengths: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class FollowupView:
    id: int
    attempt_seq: int | None
    attempt_at: datetime | None
    team_id: str
    status: str
    manager_id: str
    created_by: str
    candidate_id: int
    candidate_name: str
    email: str | None
    stage: str | None
    strengths: str | None
    role: str | None  # None: the decision named no role
    decided_at: datetime
    due_at: datetime | None
    nudges_sent: int
    note: str | None
    closed_at: datetime | None
    closed_by: str | None
    skip_reason: str | None
    last_nudge_channel: str | None
    last_nudge_ts: str | None
    erased: bool = False  # the candidate's personal data was erased: nothing may be written for them
    failures: int = 0  # failed sends in a row
    undeliverable_at: datetime | None = None  # the manager cannot be DMed (see mark_undeliverable)
    undeliverable_error: str | None = None
    notified_at: datetime | None = None  # when someone was told about it
    channel_id: str | None = None  # where the decision (or the round) was posted


@dataclass(frozen=True)
class RecordedDecision:
    decision_id: int
    round_id: int
    role: str | None
    manager_id: str
    not_selected: tuple[str, ...]
    hired: tuple[str, ...]
    withdrawn: tuple[str, ...]
    followup_ids: tuple[int, ...]


@dataclass(frozen=True)
class ThreadRecord:
    """What was recorded for a thread's parent message: its role, people and manager."""

    role: str | None
    names: tuple[str, ...]
    manager_id: str


@dataclass(frozen=True)
class DecisionView:
    id: int
    team_id: str
    channel_id: str
    message_ts: str | None  # None: an ATS decision (no Slack message)
    author_id: str
    manager_id: str
    reply_ts: str | None
    nudged: bool
    erased: bool = False  # one of its candidates was erased: it can't be changed any more


@dataclass(frozen=True)
class DecisionContents:
    role: str | None
    manager_id: str
    hired: tuple[tuple[str, str | None], ...]
    not_selected: tuple[tuple[str, str | None], ...]
    withdrawn: tuple[tuple[str, str | None], ...]
    first_due: datetime | None = None  # the earliest due time of its open follow-ups
    erased: int = 0  # how many of its people were erased (they are left out of the lists above)


@dataclass(frozen=True)
class RoundContents:
    role: str | None
    manager_id: str
    created_by: str
    candidates: tuple[NewCandidate, ...]  # the people not erased, in the order they were logged
    hired: tuple[str, ...]
    erased: int  # how many of its people were erased


@dataclass(frozen=True)
class CandidateMatch:
    candidate_id: int
    team_id: str
    name: str
    role: str | None
    stage: str | None
    outcome: str
    owners: tuple[str, ...]  # who may erase: the round's manager and creator, the follow-up's


@dataclass(frozen=True)
class ManagerView:
    user_id: str
    tz: str | None
    display_name: str | None
    checked_at: datetime | None
    tone: str | None
    is_bot: bool = False


@dataclass(frozen=True)
class ManagerCount:
    manager_id: str
    open: int
    oldest: datetime


@dataclass(frozen=True)
class Stats:
    decided: int  # follow-ups decided in the period
    closed: int  # of those, closed (contacted or not needed)
    median_days_to_contact: float | None  # over those contacted in the period

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.decided if self.decided else None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    team_id: str
    kind: str
    channel_id: str
    thread_ts: str | None
    target_ts: str | None
    decision_id: int | None
    round_id: int | None
    notify_user: str | None
    body: str | None
    attempt_at: datetime | None
    failures: int
