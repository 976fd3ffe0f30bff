"""Pure tests for bot.domain.timing: explicit datetimes, no clock, no sleeping.

Expected instants are written as the manager's local wall clock *with its UTC offset*
("Mon 2026-03-09 09:00 -0400"), so every daylight-saving expectation is visible in the test table.

Calendar used (2026):
- America/New_York springs forward Sun 03-08 02:00 -> 03:00, falls back Sun 11-01 02:00 -> 01:00.
- Europe/London springs forward Sun 03-29 01:00 -> 02:00.
- Pacific/Chatham (+12:45 / +13:45) falls back Sun 04-05 03:45 -> 02:45, springs forward Sun 09-27.
- Asia/Kolkata is +05:30 all year.
- Asia/Jerusalem springs forward on a weekday: Fri 03-27 02:00 -> 03:00.
- Africa/Cairo springs forward Fri 04-24 00:00 -> 01:00 and falls back Thu 10-29 24:00 -> 23:00,
  so 23:00-23:59 happens twice that Thursday.
The last two put clock changes on working days, which the US and EU never do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.timing import (
    Offset,
    TimingError,
    WorkHours,
    due_after,
    in_window,
    next_window_start,
    parse_duration,
    parse_schedule,
    parse_work_hours,
    safe_zone,
    snooze_until,
)

NY = "America/New_York"
LONDON = "Europe/London"
KOLKATA = "Asia/Kolkata"
CHATHAM = "Pacific/Chatham"
JERUSALEM = "Asia/Jerusalem"
CAIRO = "Africa/Cairo"
NINE_FIVE = "09:00-17:00"
DURATION_HINT = "use a number with s, m, h or d, e.g. 90m or 3d"


def at(zone: str, when: str) -> datetime:
    """An aware datetime from '2026-03-06 16:59' (wall clock in `zone`, fold=0) or '2026-11-01 01:30-05:00'.

    An explicit offset pins down a wall-clock time that happens twice; such moments stay in a fixed-offset
    zone, which the functions under test must accept like any other aware datetime.
    """
    moment = datetime.fromisoformat(when)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def local(result: datetime, zone: str) -> str:
    """`result`, which must be aware UTC, shown on the wall clock of `zone` with its offset."""
    assert result.tzinfo is UTC
    return result.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %z")


def on(text: str) -> WorkHours:
    parsed = parse_work_hours(text)
    assert parsed is not None
    return parsed


# --- parse_duration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "as_timedelta", "shown"),
    [
        ("90s", Offset(90, "s"), timedelta(seconds=90), "90s"),
        ("15m", Offset(15, "m"), timedelta(minutes=15), "15m"),
        ("2h", Offset(2, "h"), timedelta(hours=2), "2h"),
        ("3d", Offset(3, "d"), timedelta(days=3), "3d"),
        ("  3d\n", Offset(3, "d"), timedelta(days=3), "3d"),
        ("007m", Offset(7, "m"), timedelta(minutes=7), "7m"),
        ("365d", Offset(365, "d"), timedelta(days=365), "365d"),
        ("8760h", Offset(8760, "h"), timedelta(days=365), "8760h"),
    ],
)
def test_parse_duration(text: str, expected: Offset, as_timedelta: timedelta, shown: str) -> None:
    offset = parse_duration(text)
    assert offset == expected
    assert offset.as_timedelta() == as_timedelta
    assert str(offset) == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1x", f"'1x' is not a duration; {DURATION_HINT}"),
        ("", f"'' is not a duration; {DURATION_HINT}"),
        ("   ", f"'   ' is not a duration; {DURATION_HINT}"),
        ("d", f"'d' is not a duration; {DURATION_HINT}"),
        ("3", f"'3' is not a duration; {DURATION_HINT}"),
        ("3 d", f"'3 d' is not a duration; {DURATION_HINT}"),
        ("-3d", f"'-3d' is not a duration; {DURATION_HINT}"),
        ("+3d", f"'+3d' is not a duration; {DURATION_HINT}"),
        ("3.5h", f"'3.5h' is not a duration; {DURATION_HINT}"),
        ("1h30m", f"'1h30m' is not a duration; {DURATION_HINT}"),
        ("3D", f"'3D' is not a duration; {DURATION_HINT}"),
        ("3days", f"'3days' is not a duration; {DURATION_HINT}"),
        ("\u0663d", f"'\u0663d' is not a duration; {DURATION_HINT}"),  # ARABIC-INDIC DIGIT THREE
        ("0m", f"'0m' is not a positive duration; {DURATION_HINT}"),
        ("000s", f"'000s' is not a positive duration; {DURATION_HINT}"),
        ("366d", "'366d' is too long; the longest duration is 365d"),
        ("8761h", "'8761h' is too long; the longest duration is 365d"),
        (
            "99999999999999999999999999d",
            "'99999999999999999999999999d' is too long; the longest duration is 365d",
        ),
        ("1" * 5000 + "s", f"'{'1' * 40}'… is too long; the longest duration is 365d"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


def test_timing_error_is_a_value_error() -> None:
    assert issubclass(TimingError, ValueError)


@pytest.mark.parametrize(
    ("amount", "unit", "message"),
    [
        (0, "d", "0 is not a positive whole number of d"),
        (-1, "s", "-1 is not a positive whole number of s"),
        (True, "d", "True is not a positive whole number of d"),
        (1.5, "h", "1.5 is not a positive whole number of h"),
        (1, "w", "'w' is not a duration unit; use s, m, h or d"),
        (366, "d", "366d is too long; the longest duration is 365d"),
    ],
)
def test_offset_rejects_impossible_values(amount: object, unit: str, message: str) -> None:
    with pytest.raises(TimingError) as caught:
        Offset(amount, unit)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_offset_is_a_frozen_value() -> None:
    assert Offset(3, "d") == Offset(3, "d")
    assert len({Offset(3, "d"), Offset(3, "d"), Offset(72, "h")}) == 2
    with pytest.raises(AttributeError):
        Offset(3, "d").amount = 4  # type: ignore[misc]


# --- parse_schedule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d,3d,7d", (Offset(1, "d"), Offset(3, "d"), Offset(7, "d"))),
        (" 1d , 3d,\t7d ", (Offset(1, "d"), Offset(3, "d"), Offset(7, "d"))),
        ("2h", (Offset(2, "h"),)),
        ("90s,15m,2h,1d", (Offset(90, "s"), Offset(15, "m"), Offset(2, "h"), Offset(1, "d"))),
        ("23h,1d,25h", (Offset(23, "h"), Offset(1, "d"), Offset(25, "h"))),
    ],
)
def test_parse_schedule(text: str, expected: tuple[Offset, ...]) -> None:
    assert parse_schedule(text) == expected


SCHEDULE_HINT = "list durations separated by commas, e.g. 1d,3d,7d"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"'' is not a schedule; {SCHEDULE_HINT}"),
        ("  ", f"'  ' is not a schedule; {SCHEDULE_HINT}"),
        ("1d,,3d", f"'1d,,3d' has an empty entry; {SCHEDULE_HINT}"),
        ("1d,3d,", f"'1d,3d,' has an empty entry; {SCHEDULE_HINT}"),
        (",1d", f"',1d' has an empty entry; {SCHEDULE_HINT}"),
        ("1d,1x,7d", f"'1x' is not a duration; {DURATION_HINT}"),
        ("1d;3d", f"'1d;3d' is not a duration; {DURATION_HINT}"),
        ("1d,0d", f"'0d' is not a positive duration; {DURATION_HINT}"),
        ("3d,1d", f"'3d,1d' is not in increasing order: '1d' must be later than '3d'; {SCHEDULE_HINT}"),
        ("1d,1d", f"'1d,1d' is not in increasing order: '1d' must be later than '1d'; {SCHEDULE_HINT}"),
        ("1d, 24h", f"'1d, 24h' is not in increasing order: '24h' must be later than '1d'; {SCHEDULE_HINT}"),
        ("1d,3d,2d", f"'1d,3d,2d' is not in increasing order: '2d' must be later than '3d'; {SCHEDULE_HINT}"),
    ],
)
def test_parse_schedule_rejects(text: str, message: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_schedule(text)
    assert str(caught.value) == message


# --- parse_work_hours / WorkHours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", WorkHours(time(9, 0), time(17, 0))),
        (" 9:00 - 17:30 ", WorkHours(time(9, 0), time(17, 30))),
        ("00:00-23:59", WorkHours(time(0, 0), time(23, 59))),
        ("08:15-08:16", WorkHours(time(8, 15), time(8, 16))),
        ("off", None),
        ("OFF", None),
        (" Off\n", None),
    ],
)
def test_parse_work_hours(text: str, expected: WorkHours | None) -> None:
    assert parse_work_hours(text) == expected


WORK_HOURS_HINT = "use HH:MM-HH:MM, e.g. 09:00-17:00, or off"
ENDS_FIRST = "does not end after it starts; working hours must end later the same day, e.g. 09:00-17:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"'' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("9-17", f"'9-17' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("09:00", f"'09:00' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("09:00-", f"'09:00-' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("09:00\u201317:00", f"'09:00\u201317:00' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("9am-5pm", f"'9am-5pm' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("on", f"'on' is not a working-hours range; {WORK_HOURS_HINT}"),
        ("24:00-25:00", "'24:00-25:00' has an impossible time 24:00; hours run 00-23 and minutes 00-59"),
        ("09:00-24:00", "'09:00-24:00' has an impossible time 24:00; hours run 00-23 and minutes 00-59"),
        ("09:60-17:00", "'09:60-17:00' has an impossible time 09:60; hours run 00-23 and minutes 00-59"),
        ("17:00-09:00", f"'17:00-09:00' {ENDS_FIRST}"),
        ("09:00-09:00", f"'09:00-09:00' {ENDS_FIRST}"),
        ("22:00-06:00", f"'22:00-06:00' {ENDS_FIRST}"),
    ],
)
def test_parse_work_hours_rejects(text: str, message: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_work_hours(text)
    assert str(caught.value) == message


def test_work_hours_checks_its_own_fields() -> None:
    with pytest.raises(TimingError, match=r"must end after they start on the same day, got 17:00-09:00"):
        WorkHours(time(17, 0), time(9, 0))
    with pytest.raises(TimingError, match=r"must not carry a time zone"):
        WorkHours(time(9, 0, tzinfo=UTC), time(17, 0, tzinfo=UTC))
    assert str(on(NINE_FIVE)) == "09:00-17:00"


# --- safe_zone ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/London", "UTC", "Etc/GMT+5"]
)
def test_safe_zone_known(name: str) -> None:
    assert safe_zone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name", [None, "", "Not/AZone", "America", "America/", "../etc/passwd", "/etc/localtime", "New York"]
)
def test_safe_zone_unknown_is_utc(name: str | None) -> None:
    assert safe_zone(name) == ZoneInfo("UTC")


# --- aware datetimes only -------------------------------------------------------------------------------

NAIVE = datetime(2026, 3, 6, 10, 0)  # noqa: DTZ001 - the point of these tests


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("moment", lambda: in_window(NAIVE, ZoneInfo(NY), on(NINE_FIVE))),
        ("moment", lambda: in_window(NAIVE, ZoneInfo(NY), None)),
        ("moment", lambda: next_window_start(NAIVE, ZoneInfo(NY), on(NINE_FIVE))),
        ("moment", lambda: next_window_start(NAIVE, ZoneInfo(NY), None)),
        ("anchor", lambda: due_after(NAIVE, Offset(1, "d"), ZoneInfo(NY), on(NINE_FIVE))),
        ("anchor", lambda: due_after(NAIVE, Offset(2, "h"), ZoneInfo(NY), None)),
        ("now", lambda: snooze_until(NAIVE, "next_week", ZoneInfo(NY), on(NINE_FIVE))),
        ("now", lambda: snooze_until(NAIVE, "1d", ZoneInfo(NY), None)),
    ],
)
def test_naive_datetimes_are_refused(name: str, call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must be an aware datetime \(with a tzinfo\), got naive"):
        call()


# --- in_window ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "work_hours", "moment", "expected"),
    [
        (NY, NINE_FIVE, "2026-03-06 08:59:59.999999", False),
        (NY, NINE_FIVE, "2026-03-06 09:00", True),  # start is inside
        (NY, NINE_FIVE, "2026-03-06 16:59:59.999999", True),
        (NY, NINE_FIVE, "2026-03-06 17:00", False),  # end is outside
        (NY, NINE_FIVE, "2026-03-07 12:00", False),  # Saturday
        (NY, NINE_FIVE, "2026-03-08 12:00", False),  # Sunday
        (NY, "off", "2026-03-07 03:00", True),  # off: any time
        # Only the manager's zone matters, not the moment's:
        (NY, NINE_FIVE, "2026-03-09 13:00+00:00", True),  # 09:00 EDT
        (NY, NINE_FIVE, "2026-03-09 12:59+00:00", False),  # 08:59 EDT
        (NY, NINE_FIVE, "2026-03-06 13:59+00:00", False),  # 08:59 EST
        (NY, NINE_FIVE, "2026-03-06 14:00+00:00", True),  # 09:00 EST
        (KOLKATA, NINE_FIVE, "2026-03-06 03:30+00:00", True),  # 09:00 IST
        (KOLKATA, NINE_FIVE, "2026-03-06 03:29+00:00", False),
        (KOLKATA, NINE_FIVE, "2026-03-06 11:30+00:00", False),  # Friday 17:00 IST
        (KOLKATA, "01:00-02:00", "2026-03-08 20:00+00:00", True),  # Monday 01:30 IST is Sunday in UTC
        (CHATHAM, NINE_FIVE, "2026-03-05 19:15+00:00", True),  # Friday 09:00 +1345 is Thursday in UTC
        (CHATHAM, NINE_FIVE, "2026-03-05 19:14+00:00", False),
        (CHATHAM, NINE_FIVE, "2026-03-08 20:15+00:00", True),  # Monday 10:00 +1345 is Sunday in UTC
        (CAIRO, "23:15-23:45", "2026-10-29 23:20+03:00", True),  # 23:20 happens twice on this Thursday
        (CAIRO, "23:15-23:45", "2026-10-29 23:20+02:00", True),
        (CAIRO, "23:15-23:45", "2026-10-29 23:50+03:00", False),  # between the two windows
    ],
)
def test_in_window(zone: str, work_hours: str, moment: str, expected: bool) -> None:
    assert in_window(at(zone, moment), ZoneInfo(zone), parse_work_hours(work_hours)) is expected


# --- next_window_start ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "work_hours", "moment", "expected"),
    [
        # Inside the window: the moment itself (in UTC).
        (NY, NINE_FIVE, "2026-03-05 10:15", "Thu 2026-03-05 10:15 -0500"),
        (NY, NINE_FIVE, "2026-03-05 16:59", "Thu 2026-03-05 16:59 -0500"),
        # Exactly at start is inside; exactly at end is outside.
        (NY, NINE_FIVE, "2026-03-05 09:00", "Thu 2026-03-05 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 17:00", "Fri 2026-03-06 09:00 -0500"),
        # Before hours: later the same day. After hours: the next morning.
        (NY, NINE_FIVE, "2026-03-05 00:00", "Thu 2026-03-05 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 06:00", "Thu 2026-03-05 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 20:00", "Fri 2026-03-06 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 23:59", "Fri 2026-03-06 09:00 -0500"),
        # Friday evening and the weekend roll over to Monday, across the spring-forward Sunday ...
        (NY, NINE_FIVE, "2026-03-06 17:00", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-07 12:00", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-08 02:30", "Mon 2026-03-09 09:00 -0400"),  # a time that does not exist
        (NY, NINE_FIVE, "2026-03-08 23:59", "Mon 2026-03-09 09:00 -0400"),
        # ... and across the fall-back Sunday, from both 01:30s.
        (NY, NINE_FIVE, "2026-10-30 18:00", "Mon 2026-11-02 09:00 -0500"),
        (NY, NINE_FIVE, "2026-11-01 01:30-04:00", "Mon 2026-11-02 09:00 -0500"),
        (NY, NINE_FIVE, "2026-11-01 01:30-05:00", "Mon 2026-11-02 09:00 -0500"),
        # The moment may be given in any zone.
        (NY, NINE_FIVE, "2026-03-06 22:00+00:00", "Mon 2026-03-09 09:00 -0400"),
        (KOLKATA, NINE_FIVE, "2026-03-06 03:00+00:00", "Fri 2026-03-06 09:00 +0530"),
        (KOLKATA, NINE_FIVE, "2026-03-06 17:00", "Mon 2026-03-09 09:00 +0530"),
        (LONDON, NINE_FIVE, "2026-03-27 17:30", "Mon 2026-03-30 09:00 +0100"),
        (LONDON, NINE_FIVE, "2026-10-23 17:30", "Mon 2026-10-26 09:00 +0000"),
        (CHATHAM, NINE_FIVE, "2026-04-03 17:00", "Mon 2026-04-06 09:00 +1245"),
        (CHATHAM, NINE_FIVE, "2026-09-25 17:00", "Mon 2026-09-28 09:00 +1345"),
        (CHATHAM, NINE_FIVE, "2026-09-25 08:59", "Fri 2026-09-25 09:00 +1245"),
        # Working hours off: the moment itself.
        (NY, "off", "2026-03-07 03:00", "Sat 2026-03-07 03:00 -0500"),
        # A start time the clocks skip (Friday 02:00 -> 03:00 in Jerusalem): the window opens at the jump.
        (JERUSALEM, "02:30-04:00", "2026-03-26 23:00", "Fri 2026-03-27 03:00 +0300"),
        (JERUSALEM, "02:30-04:00", "2026-03-27 01:59", "Fri 2026-03-27 03:00 +0300"),
        (JERUSALEM, "01:30-04:00", "2026-03-27 01:59", "Fri 2026-03-27 01:59 +0200"),
        (CAIRO, "00:30-08:00", "2026-04-23 09:00", "Fri 2026-04-24 01:00 +0300"),
        # A whole window the clocks skip (Friday 00:00 -> 01:00 in Cairo): the next working day's window.
        (CAIRO, "00:00-00:45", "2026-04-23 09:00", "Mon 2026-04-27 00:00 +0300"),
        # A start time that happens twice (Thursday 24:00 -> 23:00 in Cairo): the first one, and once the
        # first window has closed, the second one.
        (CAIRO, "23:15-23:45", "2026-10-29 22:00", "Thu 2026-10-29 23:15 +0300"),
        (CAIRO, "23:15-23:45", "2026-10-29 23:50+03:00", "Thu 2026-10-29 23:15 +0200"),
        (CAIRO, "23:15-23:45", "2026-10-29 23:10+02:00", "Thu 2026-10-29 23:15 +0200"),
        (CAIRO, "23:15-23:45", "2026-10-29 23:50+02:00", "Fri 2026-10-30 23:15 +0200"),
    ],
)
def test_next_window_start(zone: str, work_hours: str, moment: str, expected: str) -> None:
    assert (
        local(next_window_start(at(zone, moment), ZoneInfo(zone), parse_work_hours(work_hours)), zone)
        == expected
    )


def test_next_window_start_keeps_the_exact_instant() -> None:
    moment = at(KOLKATA, "2026-03-06 12:34:56.789012")
    result = next_window_start(moment, ZoneInfo(KOLKATA), on(NINE_FIVE))
    assert result == moment
    assert result.tzinfo is UTC


def test_a_skipped_start_opens_the_window_at_the_jump_not_later() -> None:
    jerusalem, window = ZoneInfo(JERUSALEM), on("02:30-04:00")
    opened = next_window_start(at(JERUSALEM, "2026-03-27 01:00"), jerusalem, window)
    assert opened == datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
    assert in_window(opened, jerusalem, window)
    assert not in_window(opened - timedelta(microseconds=1), jerusalem, window)


# The brute-force oracle walks a 15-minute UTC grid. That is exact here: every moment, window start and offset
# change involved lies on that grid (Chatham's +12:45 and Kolkata's +05:30 included), so the first grid point
# inside the window is the first instant inside the window.
GRID = timedelta(minutes=15)


def first_grid_point_in_window(moment: datetime, tz: ZoneInfo, work_hours: WorkHours) -> datetime:
    point = moment.astimezone(UTC)
    while not in_window(point, tz, work_hours):
        point += GRID
    return point


@pytest.mark.parametrize(
    ("zone", "work_hours", "first_day"),
    [
        (NY, NINE_FIVE, "2026-03-05"),
        (NY, NINE_FIVE, "2026-10-29"),
        (NY, "01:30-02:30", "2026-03-06"),
        (NY, "01:15-01:45", "2026-10-30"),
        (LONDON, NINE_FIVE, "2026-03-26"),
        (LONDON, "00:30-01:30", "2026-10-23"),
        (KOLKATA, NINE_FIVE, "2026-03-05"),
        (CHATHAM, NINE_FIVE, "2026-04-02"),
        (CHATHAM, "02:00-04:00", "2026-09-24"),
        (JERUSALEM, "02:30-04:00", "2026-03-25"),
        (CAIRO, "00:30-08:00", "2026-04-22"),
        (CAIRO, "00:00-00:45", "2026-04-22"),
        (CAIRO, "23:15-23:45", "2026-10-27"),
        (CAIRO, "22:00-23:30", "2026-10-27"),
    ],
)
def test_next_window_start_matches_brute_force(zone: str, work_hours: str, first_day: str) -> None:
    tz, window = ZoneInfo(zone), on(work_hours)
    start = at(zone, f"{first_day} 00:00").astimezone(UTC)
    for step in range(0, 5 * 96, 5):  # every 75 minutes for five days
        moment = start + step * GRID
        assert next_window_start(moment, tz, window) == first_grid_point_in_window(moment, tz, window), moment


# --- due_after ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "work_hours", "anchor", "offset", "expected"),
    [
        # s/m/h are elapsed time, then moved into the window.
        (NY, NINE_FIVE, "2026-03-05 10:00", "90m", "Thu 2026-03-05 11:30 -0500"),
        (NY, NINE_FIVE, "2026-03-05 14:00", "2h", "Thu 2026-03-05 16:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 15:00", "2h", "Fri 2026-03-06 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-06 16:30", "2h", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 16:59:30", "30s", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 16:59:29", "30s", "Fri 2026-03-06 16:59 -0500"),
        (NY, NINE_FIVE, "2026-03-06 07:00", "15m", "Fri 2026-03-06 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-06 10:00", "48h", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 10:00", "72h", "Mon 2026-03-09 11:00 -0400"),  # 72 real hours
        # Elapsed time across a clock change, working hours off: real hours, not wall-clock hours.
        (NY, "off", "2026-03-07 23:00", "4h", "Sun 2026-03-08 04:00 -0400"),
        (NY, "off", "2026-10-31 23:00", "4h", "Sun 2026-11-01 02:00 -0500"),
        (CHATHAM, "off", "2026-04-05 01:00", "3h", "Sun 2026-04-05 03:00 +1245"),
        # d with working hours on: business days at the same local wall-clock time.
        (NY, NINE_FIVE, "2026-03-05 10:00", "1d", "Fri 2026-03-06 10:00 -0500"),
        (NY, NINE_FIVE, "2026-03-05 10:00", "3d", "Tue 2026-03-10 10:00 -0400"),
        (NY, NINE_FIVE, "2026-03-05 10:00", "5d", "Thu 2026-03-12 10:00 -0400"),
        (NY, NINE_FIVE, "2026-03-05 10:00", "7d", "Mon 2026-03-16 10:00 -0400"),
        (NY, NINE_FIVE, "2026-03-05 10:00", "10d", "Thu 2026-03-19 10:00 -0400"),
        # Friday decisions: 1d is Monday, at the same local time even though the offset changed.
        (NY, NINE_FIVE, "2026-03-06 09:00", "1d", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 14:00", "1d", "Mon 2026-03-09 14:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 16:59", "1d", "Mon 2026-03-09 16:59 -0400"),
        (NY, NINE_FIVE, "2026-03-06 14:00", "2d", "Tue 2026-03-10 14:00 -0400"),
        (NY, NINE_FIVE, "2026-10-30 16:30", "1d", "Mon 2026-11-02 16:30 -0500"),
        (NY, NINE_FIVE, "2026-10-30 16:30", "3d", "Wed 2026-11-04 16:30 -0500"),
        (LONDON, NINE_FIVE, "2026-03-27 09:00", "1d", "Mon 2026-03-30 09:00 +0100"),
        (LONDON, NINE_FIVE, "2026-03-27 09:00", "3d", "Wed 2026-04-01 09:00 +0100"),
        (CHATHAM, NINE_FIVE, "2026-04-03 10:00", "1d", "Mon 2026-04-06 10:00 +1245"),
        (CHATHAM, NINE_FIVE, "2026-09-25 16:45", "1d", "Mon 2026-09-28 16:45 +1345"),
        (KOLKATA, NINE_FIVE, "2026-03-06 10:30+00:00", "1d", "Mon 2026-03-09 16:00 +0530"),
        # Decisions outside hours count from the next window start; a Saturday one from Monday's.
        (NY, NINE_FIVE, "2026-03-04 07:00", "1d", "Thu 2026-03-05 09:00 -0500"),
        (NY, NINE_FIVE, "2026-03-06 17:00", "1d", "Tue 2026-03-10 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 20:00", "1d", "Tue 2026-03-10 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-07 11:00", "1d", "Tue 2026-03-10 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-07 11:00", "3d", "Thu 2026-03-12 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-08 02:30", "1d", "Tue 2026-03-10 09:00 -0400"),  # a time that does not exist
        (NY, NINE_FIVE, "2026-11-01 01:30-05:00", "1d", "Tue 2026-11-03 09:00 -0500"),
        # The decision's day is the manager's day, not UTC's.
        (NY, NINE_FIVE, "2026-03-07 02:00+00:00", "1d", "Tue 2026-03-10 09:00 -0400"),  # Friday 21:00 EST
        (
            KOLKATA,
            NINE_FIVE,
            "2026-03-06 23:30+00:00",
            "1d",
            "Tue 2026-03-10 09:00 +0530",
        ),  # Saturday 05:00 IST
        (CHATHAM, NINE_FIVE, "2026-03-08 20:15+00:00", "1d", "Tue 2026-03-10 10:00 +1345"),  # Monday 10:00
        # The same wall-clock time is skipped by the clocks: read with the old offset (an hour later) ...
        (JERUSALEM, "01:00-05:00", "2026-03-26 02:30", "1d", "Fri 2026-03-27 03:30 +0300"),
        # ... and if that leaves the window, moved to the next window.
        (CAIRO, "00:00-00:45", "2026-04-23 00:30", "1d", "Mon 2026-04-27 00:00 +0300"),
        # The same wall-clock time happens twice: the first one.
        (CAIRO, "20:00-23:59", "2026-10-28 23:30", "1d", "Thu 2026-10-29 23:30 +0300"),
        # d with working hours off: 24 real hours per day, weekends included.
        (NY, "off", "2026-03-07 12:00", "1d", "Sun 2026-03-08 13:00 -0400"),
        (NY, "off", "2026-10-30 12:00", "3d", "Mon 2026-11-02 11:00 -0500"),
        (CHATHAM, "off", "2026-04-04 12:00", "1d", "Sun 2026-04-05 11:00 +1245"),
        (KOLKATA, "off", "2026-03-06 20:00", "1d", "Sat 2026-03-07 20:00 +0530"),
    ],
)
def test_due_after(zone: str, work_hours: str, anchor: str, offset: str, expected: str) -> None:
    due = due_after(at(zone, anchor), parse_duration(offset), ZoneInfo(zone), parse_work_hours(work_hours))
    assert local(due, zone) == expected


@pytest.mark.parametrize("zone", [NY, LONDON, KOLKATA, CHATHAM, JERUSALEM, CAIRO])
@pytest.mark.parametrize("offset", ["1d", "3d", "7d", "2h", "45m"])
def test_due_after_lands_in_the_window_after_the_anchor(zone: str, offset: str) -> None:
    tz, window = ZoneInfo(zone), on(NINE_FIVE)
    start = at(zone, "2026-03-02 00:00").astimezone(UTC)
    for step in range(0, 24 * 60, 7):  # every 7 hours for 60 days, through March's and April's clock changes
        anchor = start + timedelta(hours=step)
        due = due_after(anchor, parse_duration(offset), tz, window)
        assert in_window(due, tz, window), anchor
        assert due > anchor, anchor


# --- snooze_until ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "work_hours", "now", "choice", "expected"),
    [
        (NY, NINE_FIVE, "2026-03-06 15:00", "1d", "Mon 2026-03-09 15:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 15:00", "3d", "Wed 2026-03-11 15:00 -0400"),
        (NY, NINE_FIVE, "2026-03-07 15:00", "1d", "Tue 2026-03-10 09:00 -0400"),
        (NY, "off", "2026-03-06 15:00", "1d", "Sat 2026-03-07 15:00 -0500"),
        (NY, "off", "2026-03-07 15:00", "1d", "Sun 2026-03-08 16:00 -0400"),
        (NY, "off", "2026-03-06 15:00", "3d", "Mon 2026-03-09 16:00 -0400"),
        # next_week: Monday of the following week at the start of working hours (09:00 when off).
        (NY, NINE_FIVE, "2026-03-02 08:00", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-04 15:00", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-06 23:59", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-07 10:00", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-03-08 10:00", "next_week", "Mon 2026-03-09 09:00 -0400"),  # Sunday: tomorrow
        (NY, NINE_FIVE, "2026-03-09 09:00", "next_week", "Mon 2026-03-16 09:00 -0400"),
        (NY, "10:30-18:00", "2026-03-04 15:00", "next_week", "Mon 2026-03-09 10:30 -0400"),
        (NY, "off", "2026-03-04 15:00", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (NY, NINE_FIVE, "2026-10-29 15:00", "next_week", "Mon 2026-11-02 09:00 -0500"),
        (LONDON, "off", "2026-03-25 15:00", "next_week", "Mon 2026-03-30 09:00 +0100"),
        (CHATHAM, NINE_FIVE, "2026-04-02 15:00", "next_week", "Mon 2026-04-06 09:00 +1245"),
        (KOLKATA, NINE_FIVE, "2026-03-04 15:00", "next_week", "Mon 2026-03-09 09:00 +0530"),
        # "This week" is the manager's week: Saturday 21:00 in New York is Sunday in UTC, and Monday 01:30 in
        # Kolkata is still Sunday in UTC.
        (NY, NINE_FIVE, "2026-03-08 02:00+00:00", "next_week", "Mon 2026-03-09 09:00 -0400"),
        (KOLKATA, NINE_FIVE, "2026-03-08 20:00+00:00", "next_week", "Mon 2026-03-16 09:00 +0530"),
    ],
)
def test_snooze_until(zone: str, work_hours: str, now: str, choice: str, expected: str) -> None:
    assert (
        local(snooze_until(at(zone, now), choice, ZoneInfo(zone), parse_work_hours(work_hours)), zone)
        == expected
    )


@pytest.mark.parametrize("choice", ["", "2d", "1h", "next week", "NEXT_WEEK", "1D", " 1d", "tomorrow"])
def test_snooze_until_rejects_unknown_choices(choice: str) -> None:
    with pytest.raises(TimingError) as caught:
        snooze_until(at(NY, "2026-03-04 15:00"), choice, ZoneInfo(NY), on(NINE_FIVE))
    assert str(caught.value) == f"{choice!r} is not a snooze choice; use 1d, 3d or next_week"
