"""When each nudge of a follow-up is due: NUDGE_SCHEDULE, counted from the decision, in work hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.timing import Offset, WorkHours, due_after, next_window_start


def first_due(decided_at: datetime, schedule: Sequence[Offset], tz: ZoneInfo, hours: WorkHours | None) -> datetime:
    return due_after(decided_at, schedule[0], tz, hours)


def next_due(
    *,
    decided_at: datetime,
    sent: int,
    schedule: Sequence[Offset],
    tz: ZoneInfo,
    hours: WorkHours | None,
    now: datetime,
) -> datetime | None:
    """The due time of nudge number sent+1, after `sent` nudges went out; None when the schedule is done.

    Planned from the decision, but never sooner after the last nudge than the schedule's own gap,
    so a late or snoozed nudge does not drag the next one right behind it.
    """
    if sent >= len(schedule):
        return None
    planned = due_after(decided_at, schedule[sent], tz, hours)
    if sent == 0:
        return max(planned, next_window_start(now, tz, hours))
    gap = schedule[sent].as_timedelta() - schedule[sent - 1].as_timedelta()
    return max(planned, next_window_start(now + gap, tz, hours))
