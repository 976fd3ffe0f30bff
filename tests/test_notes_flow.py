"""Notes managers actually send, at the moment they can send them: through the real app."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from bot.slack import blocks
from storage.models import Candidate, Followup, Manager
from tests.harness import MANAGER, MONDAY, Harness
from tests.serve_process import EXECUTABLE

ROUND = ("Staff Data Engineer: Omar Haddad (final round; strengths: clear system design) omar@example.com, "
         "Lena Park (phone screen)")
DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad and Lena Park."


def followup(h: Harness, name: str) -> Followup:
    with h.deps.sessions.begin() as session:
        return session.scalars(select(Followup).join(Candidate).where(Candidate.name == name)).one()


def dm_for(h: Harness, name: str) -> Any:
    dms = h.fake.calls_to("chat.postMessage")
    return [c for c in dms if c.args["channel"] == MANAGER and name in c.args["text"]][-1]


def note_in(message_blocks: list[dict]) -> str:
    return message_blocks[1]["text"]["text"]


def nudged(h: Harness) -> None:
    h.command(ROUND)
    h.message(DECISION)
    h.sweep(MONDAY + timedelta(days=1))


def test_note_is_specific_warm_and_gives_no_reason(harness: Harness) -> None:
    nudged(harness)
    omar = note_in(dm_for(harness, "Omar Haddad").args["blocks"])
    lena = note_in(dm_for(harness, "Lena Park").args["blocks"])
    assert "Hi Omar" in omar and "final round" in omar and "Staff Data Engineer" in omar
    assert "clear system design" in omar and "call" in omar  # strengths woven in; late stage: a call
    assert "Hi Lena" in lena and "phone screen" in lena and "call" not in lena
    for note in (omar, lena):
        assert "because" not in note.lower() and "in touch" in note.lower()


def test_email_draft_opens_a_mailto_with_subject_and_note(harness: Harness) -> None:
    nudged(harness)
    elements = dm_for(harness, "Omar Haddad").args["blocks"][2]["elements"]
    draft = next(e for e in elements if e["action_id"] == blocks.ACTION_EMAIL)
    assert draft["url"].startswith("mailto:omar@example.com?subject=") and len(draft["url"]) <= 3000
    assert "Hi Omar" in unquote(draft["url"])
    lena = dm_for(harness, "Lena Park").args["blocks"][2]["elements"]
    assert blocks.ACTION_EMAIL not in [e["action_id"] for e in lena]  # no email known


def test_tone_is_chosen_on_the_nudge_and_remembered(harness: Harness) -> None:
    nudged(harness)
    omar = followup(harness, "Omar Haddad")
    warm = note_in(dm_for(harness, "Omar Haddad").args["blocks"])
    harness.click(blocks.ACTION_TONE, selected=f"brief:{omar.id}", channel=omar.last_nudge_channel,
                  message_ts=omar.last_nudge_ts)
    [update] = harness.fake.calls_to("chat.update")
    brief = note_in(update.args["blocks"])
    assert len(brief) < len(warm)
    tools = update.args["blocks"][3]["elements"][1]
    assert tools["initial_option"]["value"] == f"brief:{omar.id}"
    with harness.deps.sessions.begin() as session:
        assert session.get(Manager, ("T0TEAM", MANAGER)).tone == "brief"
    harness.sweep(MONDAY + timedelta(days=3, hours=1))  # the next nudge, for Lena too, is brief
    assert len(note_in(dm_for(harness, "Lena Park").args["blocks"])) < 400


def test_edit_note_saves_the_managers_words_and_flags_risky_phrases(harness: Harness) -> None:
    nudged(harness)
    omar = followup(harness, "Omar Haddad")
    harness.click(blocks.ACTION_EDIT_NOTE, str(omar.id), channel=omar.last_nudge_channel,
                  message_ts=omar.last_nudge_ts)
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    note_input = next(b for b in view["blocks"] if b.get("block_id") == "note")["element"]
    assert note_input["initial_value"].startswith("Hi Omar")
    own = "Omar, thanks so much. You'd be a great culture fit elsewhere; we went with someone younger."
    status, _ = harness.submit_view(blocks.VIEW_NOTE, {"note": {"note": {"type": "plain_text_input", "value": own}}},
                                    private_metadata=view["private_metadata"])
    assert status == 200
    assert followup(harness, "Omar Haddad").note == own
    [update] = harness.fake.calls_to("chat.update")
    assert "Your note" in note_in(update.args["blocks"]) and "culture fit" in note_in(update.args["blocks"])
    careful = update.args["blocks"][2]
    assert careful["type"] == "context" and "culture fit" in json.dumps(careful) and "Instead" in json.dumps(careful)
    harness.sweep(MONDAY + timedelta(days=3, hours=1))
    assert "culture fit" in note_in(dm_for(harness, "Omar Haddad").args["blocks"])  # used from then on


def test_risky_strengths_are_flagged_when_the_round_is_logged(harness: Harness) -> None:
    reply = harness.command("Support Engineer: Ben Ode (onsite; strengths: young, energetic, digital native)")
    text = json.dumps(reply)
    assert "young" in text and "(age)" in text
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Candidate.strengths)).one() == "young, energetic, digital native"


# --- when nudges arrive -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "decided", "due"),
    [
        # Friday 16:00 EST; 1 business day later is Monday 16:00, already EDT (clocks sprang forward Sunday).
        ("America/New_York", datetime(2026, 3, 6, 21, 0, tzinfo=UTC), datetime(2026, 3, 9, 20, 0, tzinfo=UTC)),
        # Friday 16:00 EDT before the clocks fall back on Sunday 1 November: Monday 16:00 EST.
        ("America/New_York", datetime(2026, 10, 30, 20, 0, tzinfo=UTC), datetime(2026, 11, 2, 21, 0, tzinfo=UTC)),
        # Saturday in Kolkata: counted from Monday's start, so Tuesday 09:00 IST.
        ("Asia/Kolkata", datetime(2026, 11, 21, 6, 0, tzinfo=UTC), datetime(2026, 11, 24, 3, 30, tzinfo=UTC)),
        # Chatham, UTC+13:45 in summer: Thursday 20:00 local (after hours) -> Friday 20:00 -> Monday 09:00.
        ("Pacific/Chatham", datetime(2026, 11, 26, 6, 15, tzinfo=UTC), datetime(2026, 11, 29, 19, 15, tzinfo=UTC)),
    ],
)
def test_first_nudge_counts_business_days_in_the_managers_zone(
    harness: Harness, tz: str, decided: datetime, due: datetime
) -> None:
    harness.fake.time_zones[MANAGER] = tz
    harness.now = decided
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    omar = followup(harness, "Omar Haddad")
    assert omar.due_at == due
    assert harness.sweep(due - timedelta(minutes=1)).sent == 0
    assert harness.sweep(due).sent == 1


def test_work_hours_off_sends_at_any_time(harness: Harness) -> None:
    harness.reconfigure(WORK_HOURS="off")
    harness.now = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # Saturday night
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    assert followup(harness, "Omar Haddad").due_at == harness.now + timedelta(days=1)
    assert harness.sweep(harness.now + timedelta(days=1)).sent == 1


def test_snooze_next_week_lands_at_the_start_of_the_managers_week(harness: Harness) -> None:
    harness.fake.time_zones[MANAGER] = "Asia/Kolkata"
    nudged(harness)
    lena = followup(harness, "Lena Park")
    harness.click(blocks.ACTION_SNOOZE, selected=f"next_week:{lena.id}")
    assert followup(harness, "Lena Park").due_at == datetime(2026, 11, 30, 3, 30, tzinfo=UTC)  # Mon 09:00 IST


def test_preview_prints_the_note_without_slack(tmp_path: Path) -> None:
    result = subprocess.run(
        [EXECUTABLE, "preview", "--name", "Omar Haddad", "--role", "Staff Data Engineer", "--stage", "final round",
         "--strengths", "young and sharp", "--tone", "formal"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    )
    assert "Omar" in result.stdout and "Staff Data Engineer" in result.stdout
    assert "careful" in result.stderr and "young" in result.stderr
