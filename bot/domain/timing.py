"""When a reminder may be sent: durations, schedules, working hours and time zones.

Everything here is a pure function of its arguments. Time is always passed in (never read from the
clock), every datetime must be aware, and every datetime returned is aware UTC.

Working hours are a local wall-clock range on weekdays (Monday to Friday) in the manager's zone.
Daylight-saving changes are handled by looking at the zone's actual UTC offsets, never by adding
durations to local wall-clock times:

- a local time that does not exist (skipped when clocks go forward) is never returned as such. If it is
  the start of working hours, the window opens at the instant the clocks jump (the first real instant
  whose local time is past the start). If it is a nudge's wall-clock time, it is read with the offset
  from before the jump (PEP 495, fold=0), i.e. moved later by the length of the gap, then moved into
  working hours if that left them;
- a local time that happens twice (clocks go back) resolves to its first occurrence (fold=0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UNITS: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
LONGEST = timedelta(days=365)
SNOOZE_CHOICES = {"1d": "1 day", "3d": "3 days", "next_week": "Next week"}  # choice -> its label
DEFAULT_START = time(9, 0)

_DURATION = re.compile(r"([0-9]+)([smhd])")
_WORK_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
_DURATION_HINT = "use a number with s, m, h or d, e.g. 90m or 3d"
_SCHEDULE_HINT = "list durations separated by commas, e.g. 1d,3d,7d"
_WORK_HOURS_HINT = "use HH:MM-HH:MM, e.g. 09:00-17:00, or off"
# UTC offsets are sampled this far apart when looking for a daylight-saving change. No zone changes its
# offset twice within six hours, so a change cannot slip between two samples.
_SCAN_STEP = timedelta(hours=6)
_RESOLUTION = timedelta(microseconds=1)


class TimingError(ValueError):
    """A duration, schedule, working-hours range or snooze choice is malformed.

    `str(error)` is one line that says what is wrong with the value and how to write it.
    """


@dataclass(frozen=True)
class Offset:
    """A positive duration such as 90m or 3d. Days mean business days while working hours are on."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise TimingError(f"{self.unit!r} is not a duration unit; use s, m, h or d")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise TimingError(f"{self.amount!r} is not a positive whole number of {self.unit}")
        if self.amount > _longest(self.unit):
            raise TimingError(f"{self} is too long; the longest duration is {LONGEST.days}d")

    def as_timedelta(self) -> timedelta:
        return self.amount * UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class WorkHours:
    """Local working hours, start inclusive and end exclusive, Monday to Friday."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise TimingError("working hours are local wall-clock times and must not carry a time zone")
        if self.end <= self.start:
            raise TimingError(f"working hours must end after they start on the same day, got {self}")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_duration(text: str) -> Offset:
    """'90s', '15m', '2h', '3d' -> Offset. Surrounding whitespace is ignored; nothing else is."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise TimingError(f"{_quoted(text)} is not a duration; {_DURATION_HINT}")
    digits, unit = match[1].lstrip("0"), match[2]
    if not digits:
        raise TimingError(f"{_quoted(text)} is not a positive duration; {_DURATION_HINT}")
    if len(digits) > len(str(_longest(unit))) or int(digits) > _longest(unit):
        raise TimingError(f"{_quoted(text)} is too long; the longest duration is {LONGEST.days}d")
    return Offset(int(digits), unit)


def parse_schedule(text: str) -> tuple[Offset, ...]:
    """'1d,3d,7d' -> offsets. Non-empty, strictly increasing, whitespace around entries tolerated."""
    if not text.strip():
        raise TimingError(f"{_quoted(text)} is not a schedule; {_SCHEDULE_HINT}")
    entries = [entry.strip() for entry in text.split(",")]
    if "" in entries:
        raise TimingError(f"{_quoted(text)} has an empty entry; {_SCHEDULE_HINT}")
    offsets = tuple(parse_duration(entry) for entry in entries)
    for (before, earlier), (entry, later) in pairwise(zip(entries, offsets, strict=True)):
        if later.as_timedelta() <= earlier.as_timedelta():
            raise TimingError(
                f"{_quoted(text)} is not in increasing order: {_quoted(entry)} must be later than "
                f"{_quoted(before)}; {_SCHEDULE_HINT}"
            )
    return offsets


def parse_work_hours(text: str) -> WorkHours | None:
    """'09:00-17:00' -> WorkHours; 'off' in any case -> None (remind at any hour, any day)."""
    stripped = text.strip()
    if stripped.lower() == "off":
        return None
    match = _WORK_HOURS.fullmatch(stripped)
    if match is None:
        raise TimingError(f"{_quoted(text)} is not a working-hours range; {_WORK_HOURS_HINT}")
    start_hour, start_minute, end_hour, end_minute = (int(group) for group in match.groups())
    for hour, minute in ((start_hour, start_minute), (end_hour, end_minute)):
        if hour > 23 or minute > 59:
            raise TimingError(
                f"{_quoted(text)} has an impossible time {hour:02d}:{minute:02d}; "
                "hours run 00-23 and minutes 00-59"
            )
    start, end = time(start_hour, start_minute), time(end_hour, end_minute)
    if end <= start:
        raise TimingError(
            f"{_quoted(text)} does not end after it starts; "
            "working hours must end later the same day, e.g. 09:00-17:00"
        )
    return WorkHours(start, end)


def safe_zone(name: str | None) -> ZoneInfo:
    """The zone Slack reports for a user (users.info `tz`, e.g. 'America/New_York'); UTC if unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return ZoneInfo("UTC")


def in_window(moment: datetime, tz: ZoneInfo, hours: WorkHours | None) -> bool:
    """Whether `moment` falls in working hours in `tz`. Always true when working hours are off."""
    instant = _as_utc(moment, "moment")
    return hours is None or _is_working(instant.astimezone(tz), hours)


def next_window_start(moment: datetime, tz: ZoneInfo, hours: WorkHours | None) -> datetime:
    """The earliest instant at or after `moment` inside working hours in `tz`, as aware UTC.

    Between two daylight-saving changes the UTC offset is constant, so the local clock is plain
    arithmetic on a fixed-offset clock. If the answer on that clock lies past the next offset change,
    the search restarts at the change, where the local clock has jumped.
    """
    instant = _as_utc(moment, "moment")
    if hours is None:
        return instant
    while True:
        offset = _offset_at(instant, tz)
        candidate = _window_start_on_clock(instant.astimezone(timezone(offset)), hours).astimezone(UTC)
        change = _next_offset_change(instant, candidate, tz)
        if change is None:
            return candidate
        instant = change


def due_after(anchor: datetime, offset: Offset, tz: ZoneInfo, hours: WorkHours | None) -> datetime:
    """When a nudge scheduled `offset` after `anchor` (the decision time) is due, as aware UTC.

    s/m/h offsets, and every offset while working hours are off, are elapsed time. d offsets while
    working hours are on are business days in `tz`: the anchor is first moved into working hours (so a
    Saturday decision counts from Monday's start), then the same local wall-clock time `amount`
    weekdays later is taken (1d after Friday 14:00 is Monday 14:00), moved into working hours if a
    daylight-saving change pushed it out.
    """
    start = _as_utc(anchor, "anchor")
    if offset.unit != "d" or hours is None:
        return next_window_start(start + offset.as_timedelta(), tz, hours)
    local = next_window_start(start, tz, hours).astimezone(tz)
    day = _add_business_days(local.date(), offset.amount)
    return next_window_start(datetime.combine(day, local.time().replace(fold=0), tzinfo=tz), tz, hours)


def snooze_until(now: datetime, choice: str, tz: ZoneInfo, hours: WorkHours | None) -> datetime:
    """When a snoozed nudge comes back, as aware UTC.

    '1d' and '3d' behave like `due_after(now, ...)`. 'next_week' is Monday of next week (tomorrow, if
    today is Sunday) at the start of working hours, or 09:00 when working hours are off, local time.
    """
    instant = _as_utc(now, "now")
    if choice not in SNOOZE_CHOICES:
        raise TimingError(f"{_quoted(choice)} is not a snooze choice; use 1d, 3d or next_week")
    if choice != "next_week":
        return due_after(instant, parse_duration(choice), tz, hours)
    today = instant.astimezone(tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    start = hours.start if hours is not None else DEFAULT_START
    # The first instant on Monday whose local time reaches `start`, even if a clock change skips `start`.
    return next_window_start(datetime.combine(monday, time.min, tzinfo=tz), tz, WorkHours(start, time.max))


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a tzinfo), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _quoted(text: str) -> str:
    """`text` as a Python literal for an error message, shortened if someone pasted a novel."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "…"


def _longest(unit: str) -> int:
    return LONGEST // UNITS[unit]


def _offset_at(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    if offset is None:
        raise ValueError(f"{tz} has no UTC offset at {instant.isoformat()}")
    return offset


def _is_working(local: datetime, hours: WorkHours) -> bool:
    return local.weekday() < 5 and hours.start <= local.time() < hours.end


def _window_start_on_clock(local: datetime, hours: WorkHours) -> datetime:
    """The earliest moment at or after `local` inside working hours, on `local`'s own fixed-offset clock."""
    if _is_working(local, hours):
        return local
    day = local.date()
    if day.weekday() >= 5 or local.time() >= hours.end:
        day = _add_business_days(day, 1)
    return datetime.combine(day, hours.start, tzinfo=local.tzinfo)


def _next_offset_change(after: datetime, until: datetime, tz: ZoneInfo) -> datetime | None:
    """The first instant in (after, until] whose UTC offset in `tz` differs from the one at `after`."""
    offset = _offset_at(after, tz)
    low = after
    while low < until:
        high = min(low + _SCAN_STEP, until)
        if _offset_at(high, tz) != offset:
            while high - low > _RESOLUTION:
                middle = low + (high - low) // 2
                if _offset_at(middle, tz) == offset:
                    low = middle
                else:
                    high = middle
            return high
        low = high
    return None


def _add_business_days(day: date, count: int) -> date:
    """The date `count` weekdays after `day`; from a weekend day, the first step lands on Monday."""
    weeks, rest = divmod(count, 5)
    if day.weekday() < 5:
        day += timedelta(weeks=weeks)
    else:
        rest += 5 * weeks
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day
