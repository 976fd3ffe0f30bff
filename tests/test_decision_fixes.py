"""Fixing a miss or a misreading: Undo, Edit, Confirm, the shortcut, edited and deleted messages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import reader
from bot.slack import blocks, metadata
from storage.models import Candidate, Decision, Followup, Round
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, MONDAY, OTHER, Harness, pin_reading
from tests.threads import ROUND, TS, click_in_thread, decision_form, pressed, reply_button, thread_posts

DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad and Lena Park."
UNSURE = "Staff Data Engineer: leaning towards passing on Omar Haddad"


def state(h: Harness) -> dict[str, tuple[str, str | None]]:
    """name -> (outcome, follow-up status or None)"""
    with h.deps.sessions.begin() as session:
        rows = session.execute(select(Candidate, Followup).outerjoin(Followup)).all()
        return {c.name: (c.outcome, f.status if f else None) for c, f in rows}


# --- undo -----------------------------------------------------------------------------------------


def test_undo_reverts_everything_the_message_recorded(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION, ts=TS)
    assert state(harness)["Omar Haddad"] == ("not_selected", "open")
    click_in_thread(harness, reply_button(harness, blocks.ACTION_UNDO))
    assert state(harness) == {
        "Dana Whitfield": ("interviewing", None), "Omar Haddad": ("interviewing", "cancelled"),
        "Lena Park": ("interviewing", "cancelled"),
    }
    [update] = harness.fake.calls_to("chat.update")
    assert "Undone by <@U0MANAGER>" in update.args["text"]
    assert harness.sweep(MONDAY + timedelta(days=2)).sent == 0


def test_undo_of_a_message_without_a_logged_round_leaves_nothing(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    click_in_thread(harness, reply_button(harness, blocks.ACTION_UNDO))
    assert state(harness) == {}
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Round)).all() == [] and session.scalars(select(Decision)).all() == []
    # The same message, posted again (say, edited back), can be recorded again.
    harness.message(DECISION, ts=TS)
    assert state(harness)["Lena Park"] == ("not_selected", "open")


def test_undo_is_refused_after_a_nudge_and_for_others(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    undo = reply_button(harness, blocks.ACTION_UNDO)
    click_in_thread(harness, undo, user=OTHER)
    assert "Only the person who posted" in harness.fake.calls_to("respond")[-1].args["text"]
    harness.sweep(MONDAY + timedelta(days=1))
    click_in_thread(harness, undo)
    assert "already went out" in harness.fake.calls_to("respond")[-1].args["text"]
    assert state(harness)["Omar Haddad"] == ("not_selected", "open")


# --- edit -----------------------------------------------------------------------------------------


def test_edit_opens_the_reading_prefilled_and_saving_replaces_it(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION, ts=TS)
    with harness.deps.sessions.begin() as session:
        reply_ts = session.scalars(select(Decision.reply_ts)).one()
    click_in_thread(harness, reply_button(harness, blocks.ACTION_EDIT))
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    by_block = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert by_block["role"]["initial_value"] == "Staff Data Engineer"
    assert by_block["manager"]["initial_user"] == MANAGER
    assert by_block["not_selected"]["initial_value"] == "Omar Haddad (final round)\nLena Park (phone screen)"
    status, body = harness.submit_view(
        blocks.VIEW_DECISION, decision_form(not_selected="Lena Park (phone screen)", hired="Omar Haddad (final round)"),
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and not body
    assert state(harness) == {
        "Dana Whitfield": ("not_selected", "open"), "Omar Haddad": ("hired", "cancelled"),
        "Lena Park": ("not_selected", "open"),
    }
    [update] = harness.fake.calls_to("chat.update")
    assert update.args["ts"] == reply_ts  # the thread reply is corrected in place
    assert "Dana Whitfield" in json.dumps(update.args["blocks"]) and len(thread_posts(harness)) == 1


def test_decision_modal_answers_with_field_errors(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    carried = metadata.encode(c=CHANNEL, ts=TS, a=MANAGER)
    for values, field in [
        (decision_form(role="", not_selected="Omar Haddad"), "role"),
        (decision_form(), "not_selected"),
        (decision_form(not_selected="Omar Haddad", hired="Omar Haddad"), "hired"),
        (decision_form(not_selected="Omar Haddad (onsite"), "not_selected"),
    ]:
        status, body = harness.submit_view(blocks.VIEW_DECISION, values, private_metadata=carried)
        answer = json.loads(body)
        assert status == 200 and answer["response_action"] == "errors" and field in answer["errors"], answer
    assert state(harness)["Omar Haddad"] == ("not_selected", "open")


# --- unsure readings --------------------------------------------------------------------------------


def test_an_unsure_reading_is_asked_about_and_recorded_when_confirmed(harness: Harness,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pin_reading(monkeypatch, UNSURE, reader.Decision(
        role="Staff Data Engineer", hired=(), not_selected=(reader.Person("Omar Haddad"),), withdrawn=(),
        manager_id=None, confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))
    harness.message(UNSURE, ts=TS)
    assert state(harness) == {}
    [question] = thread_posts(harness)
    assert "Did you mean" in json.dumps(question.args["blocks"]) and "Omar Haddad" in json.dumps(question.args)
    confirm = reply_button(harness, blocks.ACTION_CONFIRM)
    click_in_thread(harness, confirm, user=OTHER)
    assert state(harness) == {}
    click_in_thread(harness, confirm)
    assert state(harness) == {"Omar Haddad": ("not_selected", "open")}
    [turned] = harness.fake.calls_to("chat.update")
    assert turned.args["ts"] == "1700000099.000100" and "Noted for" in json.dumps(turned.args["blocks"])


def test_a_tampered_confirm_value_changes_nothing(harness: Harness) -> None:
    harness.message(UNSURE, ts=TS)
    click_in_thread(harness, pressed(blocks.ACTION_CONFIRM, "{not json"))
    assert state(harness) == {}
    assert "out of date" in harness.fake.calls_to("respond")[-1].args["text"]


# --- the shortcut -----------------------------------------------------------------------------------


def test_shortcut_records_a_message_the_bot_missed(harness: Harness) -> None:
    payload = {
        "type": "message_action", "callback_id": blocks.SHORTCUT_RECORD, "team": {"id": TEAM_ID},
        "user": {"id": OTHER}, "channel": {"id": "C0ELSEWHERE"}, "trigger_id": "1.2.3",
        "response_url": harness.fake.response_url(), "message_ts": TS,
        "message": {"type": "message", "user": MANAGER, "ts": TS,
                    "text": "Offer accepted by Ines Duarte for Data Analyst; we should let Tom O'Brien know."},
    }
    status, _ = harness.interact(payload)
    assert status == 200
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == blocks.VIEW_DECISION
    harness.fake.fail_next("chat.postMessage", error="not_in_channel")
    harness.submit_view(blocks.VIEW_DECISION, decision_form(role="Data Analyst", not_selected="Tom O'Brien (onsite)",
                                                   hired="Ines Duarte"), private_metadata=view["private_metadata"],
                        user=OTHER)
    assert state(harness) == {"Ines Duarte": ("hired", None), "Tom O'Brien": ("not_selected", "open")}
    with harness.deps.sessions.begin() as session:
        followup = session.scalars(select(Followup)).one()
        assert (followup.manager_id, followup.created_by) == (MANAGER, MANAGER)
    # The bot is not in that channel: the confirmation went to the person who used the shortcut.
    assert harness.fake.calls_to("chat.postMessage")[-1].args["channel"] == OTHER


# --- edited and deleted messages --------------------------------------------------------------------


def changed(h: Harness, new_text: str, old_text: str = DECISION, *, user: str = MANAGER) -> None:
    h.event({
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "channel_type": "channel",
        "hidden": True, "ts": "1700000200.000100", "event_ts": "1700000200.000100",
        "message": {"type": "message", "user": user, "text": new_text, "ts": TS, "edited": {"user": user}},
        "previous_message": {"type": "message", "user": user, "text": old_text, "ts": TS},
    })


def deleted(h: Harness) -> None:
    h.event({"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "channel_type": "channel",
             "hidden": True, "deleted_ts": TS, "ts": "1700000300.000100",
             "previous_message": {"type": "message", "user": MANAGER, "text": DECISION, "ts": TS}})


def test_an_edited_message_updates_what_it_recorded(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    changed(harness, "Decision for Staff Data Engineer: not moving forward with Lena Park (onsite).")
    assert state(harness) == {"Lena Park": ("not_selected", "open")}
    assert len(thread_posts(harness)) == 1  # the same reply, updated
    assert "Lena Park" in json.dumps(harness.fake.calls_to("chat.update")[-1].args["blocks"])


def test_an_edit_that_is_no_decision_any_more_clears_it(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    changed(harness, "Let's talk about the Staff Data Engineer loop tomorrow.")
    assert {status for _, status in state(harness).values()} <= {"cancelled", None}
    assert "no longer reads as a hiring decision" in harness.fake.calls_to("chat.update")[-1].args["text"]


def test_an_edit_after_a_nudge_keeps_the_followups(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    harness.sweep(MONDAY + timedelta(days=1))
    changed(harness, "Decision for Staff Data Engineer: not moving forward with Lena Park.")
    assert state(harness)["Omar Haddad"] == ("not_selected", "open")


def test_a_deleted_message_cancels_its_unsent_followups(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    deleted(harness)
    assert {status for _, status in state(harness).values()} <= {"cancelled", None}
    assert harness.sweep(MONDAY + timedelta(days=2)).sent == 0


def test_own_reply_edits_and_ats_bot_posts(harness: Harness) -> None:
    harness.command("Customer Success Manager: Grace Kim (onsite), Ali Reza (onsite)")
    harness.message("", user=None, ts=TS, fields={
        "subtype": "bot_message", "bot_id": "B0ATS", "username": "Greenhouse",
        "attachments": [{"fallback": "Candidate rejected", "title": "Candidate rejected",
                         "text": "*Grace Kim* has been rejected from *Customer Success Manager*"}],
    })
    assert state(harness)["Grace Kim"] == ("not_selected", "open")
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Followup.manager_id)).one() == MANAGER  # the round's manager
    changed(harness, "📝 Noted for Staff Data Engineer: I'll remind <@U0MANAGER> to follow up with Omar Haddad.",
            user="U0BOT")
    assert "Omar Haddad" not in state(harness)
