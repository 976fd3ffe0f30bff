"""The follow-up loop end to end, through the real app, signed requests and the fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.slack import blocks
from storage.models import Candidate, Followup, Nudge, ProcessedEvent, Round
from tests.harness import ADMIN, CHANNEL, MANAGER, MONDAY, OTHER, Harness

ROUND = (
    "Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad (final round), Lena Park (phone screen)"
)
DECISION = (
    "Decision for Staff Data Engineer: we're making an offer to Dana Whitfield. "
    "Not moving forward with Omar Haddad and Lena Park."
)


def rows(h: Harness, model: type) -> list:
    with h.deps.sessions.begin() as session:
        return list(session.scalars(select(model).order_by(model.id if hasattr(model, "id") else model.event_id)))


def followups_by_name(h: Harness) -> dict[str, Followup]:
    with h.deps.sessions.begin() as session:
        found = session.execute(select(Followup, Candidate).join(Candidate)).all()
        return {candidate.name: followup for followup, candidate in found}


def dm_texts(h: Harness) -> list[str]:
    return [c.args["text"] for c in h.fake.calls_to("chat.postMessage") if str(c.args["channel"]).startswith("U")]


def decide(h: Harness, text: str = DECISION, **kw) -> None:  # type: ignore[no-untyped-def]
    assert h.message(text, **kw) == 200


# --- logging a round ------------------------------------------------------------------------------


def test_round_is_logged_and_confirmed_ephemerally(harness: Harness) -> None:
    reply = harness.command(ROUND)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert "Dana Whitfield" in json.dumps(reply) and "Lena Park" in json.dumps(reply)
    [round_] = rows(harness, Round)
    assert (round_.role, round_.manager_id, round_.created_by, round_.source) == (
        "Staff Data Engineer", MANAGER, MANAGER, "command",
    )
    candidates = rows(harness, Candidate)
    assert [(c.name, c.stage, c.outcome) for c in candidates] == [
        ("Dana Whitfield", "onsite", "interviewing"),
        ("Omar Haddad", "final round", "interviewing"),
        ("Lena Park", "phone screen", "interviewing"),
    ]


def test_round_with_strengths_slack_email_and_another_manager(harness: Harness) -> None:
    harness.command(
        "Staff Data Engineer for &lt;@U0DANA|dana&gt;: Marta Nowak (final round; strengths: incident-response "
        "stories, clear system design) <mailto:marta@example.com|marta@example.com>"
        .replace("&lt;", "<").replace("&gt;", ">")
    )
    [round_] = rows(harness, Round)
    assert round_.manager_id == "U0DANA"
    [marta] = rows(harness, Candidate)
    assert (marta.name, marta.stage, marta.email) == ("Marta Nowak", "final round", "marta@example.com")
    assert marta.strengths == "incident-response stories, clear system design"


@pytest.mark.parametrize("text", ["Staff Data Engineer", "Staff Data Engineer:", ": Omar", "Role: Omar (onsite"])
def test_malformed_round_gets_friendly_explanation_and_records_nothing(harness: Harness, text: str) -> None:
    reply = harness.command(text)
    assert reply["text"]
    assert "/interview-round" in reply["text"] or "Example" in reply["text"] or "example" in reply["text"]
    assert rows(harness, Round) == []
    assert rows(harness, Candidate) == []


def test_help_explains_the_grammar(harness: Harness) -> None:
    reply = harness.command("help")
    assert "ROLE" in reply["text"] and "strengths" in reply["text"]


# --- reading a decision ---------------------------------------------------------------------------


def test_decision_records_outcomes_and_replies_in_thread(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness, ts="1700000000.000001")
    outcomes = {c.name: c.outcome for c in rows(harness, Candidate)}
    assert outcomes == {"Dana Whitfield": "hired", "Omar Haddad": "not_selected", "Lena Park": "not_selected"}
    fus = followups_by_name(harness)
    assert set(fus) == {"Omar Haddad", "Lena Park"}
    assert all(f.status == "open" and f.manager_id == MANAGER for f in fus.values())
    [reply] = harness.fake.calls_to("chat.postMessage")
    assert reply.args["channel"] == CHANNEL and reply.args["thread_ts"] == "1700000000.000001"
    assert "Omar Haddad" in reply.args["text"] + json.dumps(reply.args["blocks"])
    assert "Lena Park" in json.dumps(reply.args["blocks"])
    assert "Dana Whitfield" not in reply.args["blocks"][0]["text"]["text"].split("remind")[1].split(".")[0]


def test_hire_in_a_logged_round_makes_the_others_not_selected(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness, "Staff Data Engineer update: we're making an offer to Dana Whitfield!")
    outcomes = {c.name: c.outcome for c in rows(harness, Candidate)}
    assert outcomes == {"Dana Whitfield": "hired", "Omar Haddad": "not_selected", "Lena Park": "not_selected"}
    assert set(followups_by_name(harness)) == {"Omar Haddad", "Lena Park"}


def test_decision_without_a_logged_round_creates_one_for_the_author(harness: Harness) -> None:
    decide(harness, user="U0AUTHOR")
    [round_] = rows(harness, Round)
    assert (round_.role, round_.manager_id, round_.source) == ("Staff Data Engineer", "U0AUTHOR", "message")
    assert {f.manager_id for f in followups_by_name(harness).values()} == {"U0AUTHOR"}


def test_round_manager_is_the_manager_whoever_posts(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness, user="U0RECRUITER")
    assert {f.manager_id for f in followups_by_name(harness).values()} == {MANAGER}
    assert {f.created_by for f in followups_by_name(harness).values()} == {"U0RECRUITER"}


@pytest.mark.parametrize(
    "text",
    [
        "Can we move Omar's onsite to Thursday?",
        "We're not moving forward with the office move this quarter.",
        "Lunch is here!",
        "Should we pass on Omar Haddad for Staff Data Engineer?",
    ],
)
def test_a_message_that_is_no_decision_gets_no_reply(harness: Harness, text: str) -> None:
    harness.command(ROUND)
    decide(harness, text)
    assert harness.fake.calls_to("chat.postMessage") == []
    assert rows(harness, Followup) == []


def test_retried_event_is_dropped_also_after_a_restart(harness: Harness) -> None:
    decide(harness, event_id="Ev0RETRY", ts="1700000000.000002")
    assert harness.message(DECISION, event_id="Ev0RETRY", retry_num=1, ts="1700000000.000002") == 200
    harness.reconfigure()
    assert harness.message(DECISION, event_id="Ev0RETRY", retry_num=2, ts="1700000000.000002") == 200
    assert len(rows(harness, Followup)) == 2
    assert len(harness.fake.calls_to("chat.postMessage")) == 1
    assert [e.event_id for e in rows(harness, ProcessedEvent)] == ["Ev0RETRY"]


def test_same_message_under_a_new_event_id_is_not_recorded_twice(harness: Harness) -> None:
    decide(harness, ts="1700000000.000003")
    decide(harness, ts="1700000000.000003")
    assert len(rows(harness, Followup)) == 2


@pytest.mark.parametrize("how", ["forged", "stale", "unsigned"])
def test_forged_or_stale_signature_is_refused_and_records_nothing(harness: Harness, how: str) -> None:
    import time as _time

    kwargs = {"forged": {"secret": "not-the-secret"}, "stale": {"timestamp": int(_time.time()) - 6 * 60}}.get(how)
    if how == "unsigned":
        status, _, _ = harness.http("POST", "/slack/events", b'{"type":"event_callback"}',
                                    {"Content-Type": "application/json"})
    else:
        status = harness.message(DECISION, **kwargs)
    assert status == 401
    assert rows(harness, Round) == [] and rows(harness, ProcessedEvent) == []
    assert [c.method for c in harness.fake.calls] == ["auth.test"]  # only the app's own start-up check


# --- nudging --------------------------------------------------------------------------------------


def test_first_nudge_at_the_first_offset_with_note_and_buttons(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    harness.fake.clear()
    assert harness.sweep(MONDAY + timedelta(hours=23)).sent == 0
    report = harness.sweep(MONDAY + timedelta(days=1))
    assert report.sent == 2
    dms = harness.fake.calls_to("chat.postMessage")
    assert {c.args["channel"] for c in dms} == {MANAGER}
    omar = next(c for c in dms if "Omar Haddad" in c.args["text"])
    body = json.dumps(omar.args["blocks"])
    assert "Staff Data Engineer" in body and "final round" in body and "waiting 1 day" in body
    note = omar.args["blocks"][1]["text"]["text"]
    assert "Omar" in note and "thank" in note.lower()
    action_ids = [e["action_id"] for e in omar.args["blocks"][2]["elements"]]
    assert action_ids == [blocks.ACTION_CONTACTED, blocks.ACTION_SNOOZE, blocks.ACTION_SKIP]
    snooze = omar.args["blocks"][2]["elements"][1]
    assert [o["text"]["text"] for o in snooze["options"]] == ["1 day", "3 days", "Next week"]
    assert omar.args["metadata"]["event_type"] == "persona_grata_nudge"
    # Nothing more is due until the next offset.
    harness.fake.clear()
    assert harness.sweep(MONDAY + timedelta(days=2)).sent == 0


def test_nudged_again_at_each_offset_until_closed(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    for day in range(1, 15):  # 1d, 3d, 7d count business days while WORK_HOURS is on
        harness.sweep(MONDAY + timedelta(days=day, hours=1))
    with harness.deps.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Nudge)) == 6
    sent = {f.nudges_sent for f in followups_by_name(harness).values()}
    assert sent == {3}
    harness.fake.clear()
    assert harness.sweep(MONDAY + timedelta(days=30)).sent == 0


def test_mark_contacted_updates_the_dm_and_stops_nudges(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    harness.sweep(MONDAY + timedelta(days=1))
    omar = followups_by_name(harness)["Omar Haddad"]
    status, _ = harness.click(blocks.ACTION_CONTACTED, str(omar.id), channel=omar.last_nudge_channel,
                              message_ts=omar.last_nudge_ts)
    assert status == 200
    [update] = harness.fake.calls_to("chat.update")
    assert update.args["ts"] == omar.last_nudge_ts
    assert "You contacted Omar Haddad" in update.args["blocks"][0]["text"]["text"]
    assert update.args["text"]
    closed = followups_by_name(harness)["Omar Haddad"]
    assert (closed.status, closed.closed_by) == ("contacted", MANAGER)
    harness.fake.clear()
    harness.sweep(MONDAY + timedelta(days=3, hours=1))
    assert [t for t in dm_texts(harness) if "Omar" in t] == []
    assert [t for t in dm_texts(harness) if "Lena" in t]


def test_clicking_twice_is_harmless(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    omar = followups_by_name(harness)["Omar Haddad"]
    harness.click(blocks.ACTION_CONTACTED, str(omar.id))
    harness.now = MONDAY + timedelta(hours=1)
    harness.click(blocks.ACTION_CONTACTED, str(omar.id))
    closed = followups_by_name(harness)["Omar Haddad"]
    assert closed.closed_at == MONDAY


@pytest.mark.parametrize("choice", ["1d", "3d", "next_week"])
def test_snooze_moves_the_nudge_inside_working_hours(harness: Harness, choice: str) -> None:
    harness.command(ROUND)
    decide(harness)
    harness.sweep(MONDAY + timedelta(days=1))
    omar = followups_by_name(harness)["Omar Haddad"]
    harness.now = MONDAY + timedelta(days=1)
    harness.click(blocks.ACTION_SNOOZE, selected=f"{choice}:{omar.id}", channel=omar.last_nudge_channel,
                  message_ts=omar.last_nudge_ts)
    snoozed = followups_by_name(harness)["Omar Haddad"]
    expected = {"1d": MONDAY + timedelta(days=2), "3d": MONDAY + timedelta(days=4),
                "next_week": MONDAY.replace(hour=9) + timedelta(days=7)}[choice]
    assert snoozed.due_at == expected and snoozed.status == "open"
    [update] = harness.fake.calls_to("chat.update")
    assert "Snoozed until" in json.dumps(update.args["blocks"])


def test_not_needed_asks_a_reason_then_closes(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    harness.sweep(MONDAY + timedelta(days=1))
    lena = followups_by_name(harness)["Lena Park"]
    harness.click(blocks.ACTION_SKIP, str(lena.id), channel=lena.last_nudge_channel, message_ts=lena.last_nudge_ts)
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == blocks.VIEW_SKIP
    # No reason picked: the modal answers with a field error and nothing changes.
    status, body = harness.submit_view(blocks.VIEW_SKIP, {}, private_metadata=view["private_metadata"])
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert followups_by_name(harness)["Lena Park"].status == "open"
    values = {"reason": {"reason": {"type": "static_select", "selected_option": {"value": "internal"}}},
              "detail": {"detail": {"type": "plain_text_input", "value": "she's joining another team"}}}
    status, body = harness.submit_view(blocks.VIEW_SKIP, values, private_metadata=view["private_metadata"])
    assert status == 200 and not body
    skipped = followups_by_name(harness)["Lena Park"]
    assert skipped.status == "skipped" and "Internal candidate" in (skipped.skip_reason or "")
    [update] = harness.fake.calls_to("chat.update")
    assert update.args["ts"] == lena.last_nudge_ts and "No personal note needed" in update.args["text"]


# --- who may act ----------------------------------------------------------------------------------


def test_someone_else_cannot_close_it_but_an_admin_can(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    omar = followups_by_name(harness)["Omar Haddad"]
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), user=OTHER)
    assert followups_by_name(harness)["Omar Haddad"].status == "open"
    [refusal] = harness.responded()
    assert "Only <@U0MANAGER>" in refusal.args["text"] and refusal.args["response_type"] == "ephemeral"
    assert harness.fake.calls_to("chat.update") == []
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), user=ADMIN)
    assert followups_by_name(harness)["Omar Haddad"].status == "contacted"


def test_whoever_logged_it_may_close_it(harness: Harness) -> None:
    harness.command(ROUND.replace("Staff Data Engineer:", "Staff Data Engineer for <@U0DANA>:"), user="U0RECRUITER")
    decide(harness, user="U0RECRUITER")
    omar = followups_by_name(harness)["Omar Haddad"]
    assert omar.manager_id == "U0DANA"
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), user="U0RECRUITER")
    assert followups_by_name(harness)["Omar Haddad"].status == "contacted"


@pytest.mark.parametrize("value", ["abc", "-1", "", "999999", "1; DROP TABLE followups"])
def test_unknown_or_tampered_button_value_changes_nothing(harness: Harness, value: str) -> None:
    harness.command(ROUND)
    decide(harness)
    status, _ = harness.click(blocks.ACTION_CONTACTED, value)
    assert status == 200
    assert {f.status for f in followups_by_name(harness).values()} == {"open"}
    [answer] = harness.responded()
    assert "out of date" in answer.args["text"]


def test_tampered_snooze_value_changes_nothing(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    omar = followups_by_name(harness)["Omar Haddad"]
    harness.click(blocks.ACTION_SNOOZE, selected=f"100y:{omar.id}")
    assert followups_by_name(harness)["Omar Haddad"].due_at == omar.due_at
    assert "out of date" in harness.responded()[0].args["text"]


def test_unknown_action_is_acked_with_a_hint(harness: Harness) -> None:
    status, _ = harness.click("some_old_button", "1")
    assert status == 200
    assert "out of date" in harness.fake.calls_to("respond")[0].args["text"]


# --- Slack failing --------------------------------------------------------------------------------


def test_rate_limited_dm_is_retried_after_retry_after(harness: Harness) -> None:
    decide(harness, "Not moving forward with Omar Haddad (onsite) for Staff Data Engineer.")
    harness.fake.clear()
    harness.fake.rate_limit_next("chat.postMessage", retry_after=1)
    at = MONDAY + timedelta(days=1)
    report = harness.sweep(at)
    assert (report.sent, report.failed) == (0, 1)  # put off (bot.slack.delivery), not slept on inside the sweep
    assert followups_by_name(harness)["Omar Haddad"].due_at == at + timedelta(seconds=30)
    assert harness.sweep(at + timedelta(seconds=30)).sent == 1
    assert len(harness.fake.calls_to("chat.postMessage")) == 2
    assert followups_by_name(harness)["Omar Haddad"].nudges_sent == 1


def test_slack_500_leaves_the_nudge_due_for_the_next_sweep(harness: Harness) -> None:
    decide(harness, "Not moving forward with Omar Haddad (onsite) for Staff Data Engineer.")
    harness.fake.clear()
    harness.fake.fail_next("chat.postMessage", status=500, times=2)  # the client retries a 500 once
    report = harness.sweep(MONDAY + timedelta(days=1))
    assert (report.sent, report.failed) == (0, 1)
    omar = followups_by_name(harness)["Omar Haddad"]
    assert (omar.nudges_sent, omar.claimed_by, omar.failures) == (0, None, 1)
    report = harness.sweep(MONDAY + timedelta(days=1, minutes=1))
    assert report.sent == 1
    assert followups_by_name(harness)["Omar Haddad"].nudges_sent == 1
    assert len([c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]) == 3


def test_slack_error_answer_leaves_the_nudge_due(harness: Harness) -> None:
    decide(harness, "Not moving forward with Omar Haddad (onsite) for Staff Data Engineer.")
    # An error that may pass (channel_not_found and the like never do: tests/test_unreachable.py).
    harness.fake.fail_next("chat.postMessage", error="fatal_error")
    assert harness.sweep(MONDAY + timedelta(days=1)).failed == 1
    assert harness.sweep(MONDAY + timedelta(days=1, minutes=1)).sent == 1


def test_a_recorded_nudge_is_never_sent_twice_by_overlapping_sweeps(harness: Harness) -> None:
    decide(harness)
    at = MONDAY + timedelta(days=1)
    assert harness.sweep(at).sent == 2
    assert harness.sweep(at).sent == 0
    assert len(dm_texts(harness)) == 2


def test_nudges_wait_for_working_hours_in_the_managers_time_zone(harness: Harness) -> None:
    harness.fake.time_zones[MANAGER] = "America/New_York"
    harness.now = MONDAY.replace(hour=20)  # 15:00 in New York
    decide(harness, "Not moving forward with Omar Haddad for Staff Data Engineer.")
    omar = followups_by_name(harness)["Omar Haddad"]
    assert omar.due_at == MONDAY.replace(hour=20) + timedelta(days=1)
    # Tuesday 20:00 UTC is 15:00 in New York: due and in hours.
    assert harness.sweep(omar.due_at).sent == 1


def test_a_nudge_due_outside_hours_is_deferred_to_the_next_window(harness: Harness) -> None:
    decide(harness, "Not moving forward with Omar Haddad for Staff Data Engineer.")
    harness.fake.time_zones[MANAGER] = "Asia/Kolkata"
    # Tuesday 13:00 UTC is 18:30 in Kolkata: after hours (the tz is refreshed after a day).
    late = MONDAY.replace(hour=13) + timedelta(days=1)
    report = harness.sweep(late)
    assert (report.sent, report.deferred) == (0, 1)
    omar = followups_by_name(harness)["Omar Haddad"]
    assert omar.due_at == MONDAY.replace(hour=3, minute=30) + timedelta(days=2)  # Wednesday 09:00 IST


# --- pending and digest ---------------------------------------------------------------------------


def test_pending_lists_the_callers_open_followups(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    reply = harness.command("pending")
    text = json.dumps(reply)
    assert "Omar Haddad" in text and "Lena Park" in text and "Dana Whitfield" not in text
    assert "nothing" in harness.command("pending", user=OTHER)["text"].lower() or \
        "no open" in harness.command("pending", user=OTHER)["text"].lower()


def test_digest_posts_every_open_closure_in_the_channel_grouped_by_manager(harness: Harness) -> None:
    harness.command(ROUND)
    decide(harness)
    decide(harness, "Decision for Product Designer: not moving forward with Ana Lima (portfolio review).",
           user="U0SECOND")
    harness.command("digest")
    [posted] = harness.responded(harness.last_response_url)
    assert posted.args["response_type"] == "in_channel"
    text = json.dumps(posted.args["blocks"])
    for name in ("Omar Haddad", "Lena Park", "Ana Lima", "<@U0MANAGER>", "<@U0SECOND>"):
        assert name in text
    assert posted.args["text"]
