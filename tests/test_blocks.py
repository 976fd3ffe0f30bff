"""Block Kit builders: pure, inside Slack's limits however large the input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.slack import blocks, metadata
from storage.views import FollowupView, ManagerCount, Stats
from tests.fake_slack import validate

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def followup(i: int = 1, *, name: str = "Omar Haddad", manager: str = "U0MANAGER", nudges: int = 1,
             status: str = "open", **kw: object) -> FollowupView:
    values: dict[str, object] = dict(
        id=i, team_id="T0TEAM", status=status, manager_id=manager, created_by=manager, candidate_id=i,
        candidate_name=name, email=None, stage="final round", strengths=None, role="Staff Data Engineer",
        decided_at=NOW - timedelta(days=i % 30), due_at=NOW, nudges_sent=nudges, note=None, closed_at=None,
        closed_by=None, skip_reason=None, last_nudge_channel=None, last_nudge_ts=None, attempt_seq=None,
        attempt_at=None,
    )
    values.update(kw)
    return FollowupView(**values)  # type: ignore[arg-type]


def message_ok(message: dict) -> None:
    assert validate("chat.postMessage", message) is None
    assert len(message["blocks"]) <= blocks.MESSAGE_BLOCKS


def test_nudge_message_has_who_role_stage_wait_note_and_buttons() -> None:
    content = blocks.NudgeContent(followup(3), "Hi Omar, thank you.", seq=2, of=3, now=NOW,
                                  mailto="mailto:omar@example.com?subject=Hi")
    message = blocks.nudge_message(content)
    message_ok(message)
    assert message["text"] == "Time to close the loop with Omar Haddad (Staff Data Engineer) (reminder 2 of 3)"
    assert "final round · waiting 3 days" in message["blocks"][0]["text"]["text"]
    labels = [e.get("text", {}).get("text") or e.get("placeholder", {}).get("text")
              for e in message["blocks"][2]["elements"]]
    assert labels == ["✅ Mark contacted", "⏰ Snooze", "Not needed", "✉️ Email draft"]
    assert message["blocks"][2]["elements"][3]["url"].startswith("mailto:")


def test_user_text_is_escaped_and_clipped() -> None:
    f = followup(name="<!channel> & " + "x" * 400, role="R&D <lead>", stage="onsite")
    message = blocks.nudge_message(blocks.NudgeContent(f, "note " * 2000, seq=1, of=3, now=NOW))
    message_ok(message)
    header = message["blocks"][0]["text"]["text"]
    assert "<!channel>" not in header and "&lt;!channel&gt; &amp;" in header
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")


@pytest.mark.parametrize("status", ["contacted", "skipped", "cancelled"])
def test_closed_message(status: str) -> None:
    message = blocks.closed_message(followup(status=status, closed_at=NOW, closed_by="U0ADMIN", skip_reason="x"))
    message_ok(message)
    assert "<@U0ADMIN>" in message["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("open_count", [0, 1, 60, 1000])
def test_digest_stays_inside_limits_and_accounts_for_everyone(open_count: int) -> None:
    items = [followup(i, name=f"Candidate {i:04d} " + "q" * 40, manager=f"U{i % 13:04d}", nudges=i % 4)
             for i in range(1, open_count + 1)]
    counts: dict[str, int] = {}
    for f in items:
        counts[f.manager_id] = counts.get(f.manager_id, 0) + 1
    managers = [ManagerCount(m, n, NOW) for m, n in counts.items()]
    content = blocks.DigestContent(
        total=open_count, managers=managers, oldest=items[:500], overdue=sum(f.nudges_sent >= 3 for f in items),
        closed_count=12, closed_recent=[followup(9000 + i, status="contacted", closed_at=NOW) for i in range(5)],
        stats=Stats(decided=40, closed=30, median_days_to_contact=2.5), since=NOW - timedelta(days=7),
    )
    message = blocks.digest_message(content, NOW, overdue_after=3)
    message_ok(message)
    text = str(message["blocks"])
    shown = text.count("*Candidate ")
    assert "closure rate 75% (30 of 40)" in text and "median 2.5 days" in text and "Closed since" in text
    if open_count == 0:
        assert "All loops closed" in message["text"]
    elif shown < open_count:
        assert f"and {open_count - shown} more" in text


def test_pending_message_limits() -> None:
    items = [followup(i) for i in range(1, 41)]
    message = blocks.pending_message(items, 500, NOW, 3)
    message_ok(message)
    assert "…and 460 more" in str(message["blocks"])


@pytest.mark.parametrize("open_count", [0, 5, 45, 500])
def test_home_view_stays_inside_100_blocks(open_count: int) -> None:
    items = [followup(i) for i in range(1, min(open_count, 40) + 1)]
    recent = [followup(1000 + i, status="contacted", closed_at=NOW) for i in range(10)]
    view = blocks.home_view(open_followups=items, total_open=open_count, recent=recent, now=NOW, overdue_after=3)
    assert validate("views.publish", {"view": view}) is None
    assert len(view["blocks"]) <= blocks.VIEW_BLOCKS


def test_decision_reply_and_skip_modal_are_valid() -> None:
    names = [f"Person {i} " + "n" * 80 for i in range(60)]
    reply = blocks.decision_reply(decision_id=7, manager_id="U0MANAGER", role="Staff Data Engineer",
                                  not_selected=names, hired=["Dana"], withdrawn=["Ben"], first_due=NOW)
    message_ok(reply)
    assert reply["blocks"][1]["elements"][0]["value"] == "7"
    assert validate("views.open", {"view": blocks.skip_modal(followup(), metadata.encode(f=1))}) is None
