"""What a team looks at: digests (now, scheduled, subscribed, once per period), escalation, App Home,
and the round modal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from bot.deps import Deps
from bot.followups import digests
from bot.slack import blocks, metadata
from storage.models import Candidate, Followup, Round
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, MONDAY, OTHER, Harness
from tests.threads import ROUND, text_input, user_input

DECISION = "Decision for Staff Data Engineer: we're making an offer to Dana Whitfield."
# Monday 23 November 2026 09:00 UTC is when the default DIGEST_CRON (0 9 * * MON, UTC) fires.
DIGEST_TIME = MONDAY.replace(hour=9, minute=0, second=30)


def text_of(call) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(call.args.get("blocks")) + str(call.args.get("text"))


def bulk_open(h: Harness, count: int, managers: int = 13) -> None:
    """Many open follow-ups at once, straight into the tables (the app's own paths are tested elsewhere)."""
    with h.deps.sessions.begin() as session:
        round_id = session.execute(insert(Round).values(
            team_id=TEAM_ID, role="Support Engineer", role_key="support engineer", manager_id=MANAGER,
            channel_id=CHANNEL, source="command", created_by=MANAGER, created_at=MONDAY,
        ).returning(Round.id)).scalar_one()
        ids = session.execute(insert(Candidate).returning(Candidate.id), [
            {"team_id": TEAM_ID, "round_id": round_id, "name": f"Person {i:04d}", "name_key": f"person {i:04d}",
             "outcome": "not_selected", "stage": "onsite", "added_by_decision": False}
            for i in range(count)
        ]).scalars().all()
        session.execute(insert(Followup), [
            {"team_id": TEAM_ID, "candidate_id": cid, "manager_id": f"U0M{i % managers:03d}", "created_by": MANAGER,
             "status": "open", "decided_at": MONDAY - timedelta(days=i % 40), "due_at": None,
             "nudges_sent": i % 4, "failures": 0, "created_at": MONDAY, "logged_in": CHANNEL}
            for i, cid in enumerate(ids)
        ])


# --- digests --------------------------------------------------------------------------------------


def test_digest_now_shows_stats_and_closures(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION)
    with harness.deps.sessions.begin() as session:
        omar = session.scalars(select(Followup).join(Candidate).where(Candidate.name == "Omar Haddad")).one()
    harness.now = MONDAY + timedelta(days=2)
    from bot.followups import actions as followups

    followups.mark_contacted(harness.deps, omar.id, team_id=TEAM_ID, actor=MANAGER, now=harness.now)
    harness.command("digest")
    [posted] = harness.responded(harness.last_response_url)
    text = text_of(posted)
    assert posted.args["response_type"] == "in_channel"
    assert "Lena Park" in text and "<@U0MANAGER> (1 open)" in text
    assert "closure rate 50% (1 of 2)" in text and "median 2.0 days" in text
    assert "Omar Haddad" in text  # among the closures


def test_channel_subscribes_and_unsubscribes(harness: Harness) -> None:
    reply = harness.command("digest weekly", channel="C0TEAM")
    assert "weekly digest" in reply["text"] and "<#C0TEAM>" in reply["text"]
    assert "daily" in harness.command("digest daily", channel="C0TEAM")["text"]
    assert "won't get scheduled digests" in harness.command("digest off", channel="C0TEAM")["text"]
    assert "posts this channel's follow-ups now" in harness.command("digest hourly", channel="C0TEAM")["text"]


def test_scheduled_digest_goes_to_digest_channel_and_subscribers_once(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST")
    harness.command(ROUND, channel="C0WEEKLY")  # logged in #weekly, decided in #hiring
    harness.message(DECISION)
    harness.message("Decision for Product Designer: not moving forward with Ivo Bell.", channel="C0DAILY")
    harness.command("digest weekly", channel="C0WEEKLY")
    harness.command("digest daily", channel="C0DAILY")
    harness.fake.clear()
    assert digests.scheduled(harness.deps, DIGEST_TIME, "weekly") == 2
    assert digests.scheduled(harness.deps, DIGEST_TIME + timedelta(minutes=5), "weekly") == 0  # same period
    assert digests.scheduled(harness.deps, DIGEST_TIME, "daily") == 1
    posted = {c.args["channel"]: text_of(c) for c in harness.fake.calls_to("chat.postMessage")}
    assert sorted(posted) == ["C0DAILY", "C0DIGEST", "C0WEEKLY"]
    # Each channel sees its own; DIGEST_CHANNEL sees everyone's.
    assert "Omar Haddad" in posted["C0WEEKLY"] and "Ivo Bell" not in posted["C0WEEKLY"]
    assert "Ivo Bell" in posted["C0DAILY"] and "Omar Haddad" not in posted["C0DAILY"]
    assert "Omar Haddad" in posted["C0DIGEST"] and "Ivo Bell" in posted["C0DIGEST"]
    assert digests.scheduled(harness.deps, DIGEST_TIME + timedelta(days=7), "weekly") == 2  # the next week


def test_two_replicas_firing_the_same_period_post_once(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST")
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    other = Deps(settings=harness.settings, sessions=harness.deps.sessions, client=harness.deps.client,
                 replica_id="other-replica", team_id=TEAM_ID)
    harness.fake.clear()
    posted = [digests.scheduled(d, DIGEST_TIME + timedelta(seconds=i), "weekly")
              for i, d in enumerate((harness.deps, other))]
    assert posted == [1, 0]
    assert len(harness.fake.calls_to("chat.postMessage")) == 1


def test_a_failed_post_frees_the_period_for_a_retry(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST")
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    harness.fake.fail_next("chat.postMessage", error="not_in_channel")
    assert digests.scheduled(harness.deps, DIGEST_TIME, "weekly") == 0
    assert digests.scheduled(harness.deps, DIGEST_TIME + timedelta(minutes=1), "weekly") == 1


@pytest.mark.parametrize(("setting", "posts"), [("skip", 0), ("post", 1)])
def test_empty_scheduled_digest_is_configurable(harness: Harness, setting: str, posts: int) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST", DIGEST_EMPTY=setting)
    harness.fake.clear()
    assert digests.scheduled(harness.deps, DIGEST_TIME, "weekly") == posts
    if posts:
        assert "All loops closed" in harness.fake.calls_to("chat.postMessage")[0].args["text"]


def test_digest_with_a_thousand_open_stays_inside_limits_and_counts_everyone(harness: Harness) -> None:
    bulk_open(harness, 1000)
    harness.command("digest")
    [posted] = harness.responded(harness.last_response_url)  # the fake validated it against Block Kit's limits
    text = text_of(posted)
    assert len(posted.args["blocks"]) <= 50
    assert "1000 open across 13 managers" in text
    shown = text.count("Person ")
    assert shown >= 30 and f"and {1000 - shown} more" in text


def test_period_names_the_cron_fire_time() -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
    assert digests.period_of("0 9 * * MON", "UTC", now) == "2026-11-23T09:00:00+00:00"
    assert digests.period_of("0 9 * * MON-FRI", "Europe/Berlin", now) == "2026-11-25T09:00:00+01:00"
    assert digests.daily_cron("30 8 * * MON") == "30 8 * * MON-FRI"


# --- escalation -----------------------------------------------------------------------------------


def test_overdue_followups_escalate_once_a_day(harness: Harness) -> None:
    harness.reconfigure(ESCALATE_TO="U0RECRUITER,U0HEAD", NUDGE_SCHEDULE="1d,2d")
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    for day in range(1, 6):
        harness.sweep(MONDAY + timedelta(days=day, hours=1))
    harness.fake.clear()
    at = MONDAY + timedelta(days=7, hours=1)
    assert digests.escalate(harness.deps, at) == 2
    assert digests.escalate(harness.deps, at + timedelta(hours=2)) == 0
    dms = harness.fake.calls_to("chat.postMessage")
    assert sorted(c.args["channel"] for c in dms) == ["U0HEAD", "U0RECRUITER"]
    assert "Omar Haddad" in text_of(dms[0]) and "<@U0MANAGER>" in text_of(dms[0])
    harness.command("digest")
    assert "overdue" in text_of(harness.responded(harness.last_response_url)[0])


# --- App Home ---------------------------------------------------------------------------------------


def test_app_home_shows_own_followups_with_buttons_stats_and_round_button(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION)
    harness.message("Decision for Designer: not moving forward with Ana Lima.", user=OTHER)
    harness.fake.clear()
    harness.event({"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER", "tab": "home",
                   "event_ts": "1700000000.1"})
    [published] = harness.fake.calls_to("views.publish")
    assert published.args["user_id"] == MANAGER
    view = published.args["view"]
    text = json.dumps(view)
    assert "Omar Haddad" in text and "Lena Park" in text and "Ana Lima" not in text
    action_ids = {e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {blocks.ACTION_CONTACTED, blocks.ACTION_SNOOZE, blocks.ACTION_SKIP, blocks.ACTION_OPEN_ROUND} <= action_ids
    harness.event({"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER", "tab": "messages",
                   "event_ts": "1700000000.2"})
    assert len(harness.fake.calls_to("views.publish")) == 1


def test_app_home_with_many_open_stays_inside_100_blocks(harness: Harness) -> None:
    bulk_open(harness, 300, managers=1)
    harness.event({"type": "app_home_opened", "user": "U0M000", "channel": "D0", "tab": "home", "event_ts": "1.1"})
    [published] = harness.fake.calls_to("views.publish")
    assert len(published.args["view"]["blocks"]) <= 100
    assert "more, shown as you close these" in json.dumps(published.args["view"])


def test_app_home_is_republished_when_something_changes(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION)
    assert harness.fake.calls_to("views.publish")  # the decision changed the manager's home
    harness.fake.clear()
    with harness.deps.sessions.begin() as session:
        lena = session.scalars(select(Followup).join(Candidate).where(Candidate.name == "Lena Park")).one()
    harness.click(blocks.ACTION_CONTACTED, str(lena.id), container_type="view")
    [published] = harness.fake.calls_to("views.publish")
    assert "Lena Park" in json.dumps(published.args["view"]["blocks"][-3:])  # now among recent closures


# --- the round modal --------------------------------------------------------------------------------


def round_form(role: str = "Staff Data Engineer", manager: str = MANAGER,
               candidates: str = "Dana Whitfield (onsite)\nOmar Haddad (final round)", hired: str = "") -> dict:
    return {**text_input("role", role), **user_input("manager", manager), **text_input("candidates", candidates),
            **text_input("hired", hired)}


def test_command_without_text_opens_the_round_modal(harness: Harness) -> None:
    harness.command("")
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == blocks.VIEW_ROUND
    manager = next(b for b in view["blocks"] if b["block_id"] == "manager")
    assert manager["element"]["initial_user"] == MANAGER


def test_round_modal_logs_the_round(harness: Harness) -> None:
    status, body = harness.submit_view(blocks.VIEW_ROUND, round_form(manager="U0DANA"),
                                       private_metadata=metadata.encode(c=CHANNEL))
    assert status == 200 and not body
    with harness.deps.sessions.begin() as session:
        round_ = session.scalars(select(Round)).one()
        assert (round_.role, round_.manager_id, round_.source, round_.channel_id) == (
            "Staff Data Engineer", "U0DANA", "modal", CHANNEL)
        assert [c.name for c in round_.candidates] == ["Dana Whitfield", "Omar Haddad"]
    [confirmation] = harness.fake.calls_to("chat.postMessage")
    assert confirmation.args["channel"] == MANAGER and "Logged" in confirmation.args["text"]


def test_round_modal_with_a_hire_records_the_decision(harness: Harness) -> None:
    harness.submit_view(blocks.VIEW_ROUND, round_form(hired="dana whitfield"), private_metadata=metadata.encode())
    with harness.deps.sessions.begin() as session:
        outcomes = {c.name: c.outcome for c in session.scalars(select(Candidate))}
        assert outcomes == {"Dana Whitfield": "hired", "Omar Haddad": "not_selected"}
        assert session.scalars(select(Followup.manager_id)).one() == MANAGER


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (round_form(role=""), "role"),
        (round_form(candidates=""), "candidates"),
        (round_form(candidates="Dana (onsite"), "candidates"),
        (round_form(candidates="Dana Whitfield\nDana Whitfield"), "candidates"),
        (round_form(hired="Someone Else"), "hired"),
    ],
)
def test_round_modal_field_errors(harness: Harness, values: dict, field: str) -> None:
    status, body = harness.submit_view(blocks.VIEW_ROUND, values, private_metadata=metadata.encode())
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors" and field in answer["errors"]
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Round)).all() == []


def test_home_button_opens_the_round_modal(harness: Harness) -> None:
    harness.click(blocks.ACTION_OPEN_ROUND, "home", container_type="view")
    [opened] = harness.fake.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == blocks.VIEW_ROUND
