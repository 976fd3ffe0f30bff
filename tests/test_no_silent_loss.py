"""No silent loss: every message read as a decision ends recorded or asked about in its thread.

A missing role is asked for after recording; a missing manager is asked for before; Confirm works
whatever is missing; replies in a thread are answered in that thread and read with their parent.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import reader
from bot.domain import notes
from bot.slack import blocks
from handlers.events import worth_keeping
from storage.models import Candidate, Decision, Followup, Round
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, MONDAY, OTHER, Harness, pin_reading
from tests.threads import ROUND, TS, click_in_thread, element, pressed, thread_posts

NO_ROLE = "Decision: not moving forward with Omar Haddad (onsite)."
DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad."
REPLY_TS = "1700000000.000900"
ATS = {"subtype": "bot_message", "bot_id": "B0ATS", "username": "Greenhouse"}
UNSURE = "Leaning towards passing on Omar Haddad (onsite)"


@pytest.fixture
def unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """UNSURE reads as an unsure decision with no role and no manager, whatever the reader does today."""
    pin_reading(monkeypatch, UNSURE, reader.Decision(
        role=None, hired=(), not_selected=(reader.Person("Omar Haddad", "onsite"),), withdrawn=(), manager_id=None,
        confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))


def followups(h: Harness) -> dict[str, tuple[str, str, str | None]]:
    """name -> (status, manager, role)"""
    with h.deps.sessions.begin() as session:
        rows = session.execute(select(Candidate.name, Followup.status, Followup.manager_id, Round.role)
                               .join(Followup, Followup.candidate_id == Candidate.id)
                               .join(Round, Round.id == Candidate.round_id)).all()
    return {name: (status, manager, role) for name, status, manager, role in rows}


def app_post(h: Harness, text: str, ts: str = TS) -> None:
    h.message("", user=None, ts=ts, fields={**ATS, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}}]})


# --- 1. no role -------------------------------------------------------------------------------------


def test_a_decision_without_a_role_is_recorded_and_the_role_asked_for(harness: Harness) -> None:
    harness.message(NO_ROLE, ts=TS)
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, None)}
    [reply] = thread_posts(harness)
    assert reply.args["thread_ts"] == TS
    shown = json.dumps(reply.args["blocks"]) + reply.args["text"]
    assert "<@U0MANAGER>" in reply.args["text"] and "Omar Haddad" in reply.args["text"]
    assert "None" not in shown and "Which role" in shown
    add = element(reply.args["blocks"], blocks.ACTION_ADD_ROLE)
    click_in_thread(harness, pressed(blocks.ACTION_ADD_ROLE, add["value"]), user=OTHER)
    assert "Only the person who posted" in harness.fake.calls_to("respond")[-1].args["text"]
    click_in_thread(harness, pressed(blocks.ACTION_ADD_ROLE, add["value"]))
    [opened] = harness.fake.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == blocks.VIEW_ROLE and [b["block_id"] for b in view["blocks"]] == ["role"]
    status, body = harness.submit_view(blocks.VIEW_ROLE, {"role": {"role": {"type": "plain_text_input",
                                                                            "value": " "}}},
                                       private_metadata=view["private_metadata"])
    assert "role" in json.loads(body)["errors"]
    status, body = harness.submit_view(blocks.VIEW_ROLE, {"role": {"role": {"type": "plain_text_input",
                                                                            "value": "R&D <Lead>"}}},
                                       private_metadata=view["private_metadata"])
    assert status == 200 and not body
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, "R&D <Lead>")}
    [update] = harness.fake.calls_to("chat.update")
    with harness.deps.sessions.begin() as session:
        assert update.args["ts"] == session.scalars(select(Decision.reply_ts)).one()  # the reply, in place
    assert "R&amp;D &lt;Lead&gt;" in json.dumps(update.args["blocks"]) and "R&amp;D &lt;Lead&gt;" in update.args["text"]
    assert "<Lead>" not in json.dumps(update.args) and blocks.ACTION_ADD_ROLE not in json.dumps(update.args["blocks"])


def test_decisions_without_a_role_never_share_a_round(harness: Harness) -> None:
    harness.message(NO_ROLE, ts=TS)
    harness.message("Decision: not moving forward with Lena Park (onsite).", ts="1700000000.000600")
    with harness.deps.sessions.begin() as session:
        rounds = session.scalars(select(Round)).all()
        assert len(rounds) == 2 and {r.role for r in rounds} == {None}
        assert len({c.round_id for c in session.scalars(select(Candidate))}) == 2


def test_the_open_round_gives_the_role_when_the_message_names_none(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message("Decision: not moving forward with Omar Haddad.", ts=TS)
    assert followups(harness)["Omar Haddad"] == ("open", MANAGER, "Staff Data Engineer")


def test_without_a_role_every_surface_reads_naturally(harness: Harness) -> None:
    harness.message(NO_ROLE, ts=TS)
    report = harness.sweep(MONDAY + timedelta(days=1))
    assert report.sent == 1
    [nudge] = [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]
    assert nudge.args["text"] == "Time to close the loop with Omar Haddad (onsite)"
    assert "None" not in json.dumps(nudge.args["blocks"]) and "for the role" in json.dumps(nudge.args["blocks"])
    for surface in (harness.command("pending"),):
        assert "None" not in json.dumps(surface) and "Omar Haddad" in json.dumps(surface)
    harness.command("digest")
    digest = harness.fake.calls_to("respond")[-1].args
    assert "Omar Haddad" in json.dumps(digest["blocks"]) and "None" not in json.dumps(digest)
    harness.event({"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER", "tab": "home",
                   "event_ts": "1700000300.000100"})
    home = harness.fake.calls_to("views.publish")[-1].args["view"]
    assert "Omar Haddad" in json.dumps(home) and "None" not in json.dumps(home)


def test_notes_and_lines_without_a_role() -> None:
    assert notes.email_subject(role=None) == "Thank you for interviewing"
    assert notes.email_subject(role=None, company="Acme") == "Thank you for interviewing at Acme"
    for tone in notes.TONES:
        note = notes.suggest_note(candidate_name="Omar Haddad", role=None, stage="onsite", tone=tone)
        assert "None" not in note and (" the role" in note or " the position" in note)
    assert blocks.about("Omar Haddad", None, "onsite") == "Omar Haddad (onsite)"
    assert blocks.about("Omar Haddad", None) == "Omar Haddad"


# --- 2. the manager ---------------------------------------------------------------------------------


def picked(user: str) -> dict[str, str]:
    """The manager picked in the question's users_select, as Slack reports it."""
    return {"action_id": blocks.ACTION_PICK_MANAGER, "type": "users_select", "selected_user": user}


def test_an_app_post_with_no_manager_known_asks_who_it_is(harness: Harness) -> None:
    app_post(harness, NO_ROLE)
    assert followups(harness) == {}
    [question] = thread_posts(harness)
    assert question.args["thread_ts"] == TS and "hiring manager" in question.args["text"]
    picker = element(question.args["blocks"], blocks.ACTION_PICK_MANAGER)
    assert picker["type"] == "users_select"
    harness.fake.bots.add("U0ROBOT")
    click_in_thread(harness, picked("U0ROBOT"), message_blocks=question.args["blocks"], user=OTHER)
    assert followups(harness) == {} and "not a person" in harness.fake.calls_to("respond")[-1].args["text"]
    click_in_thread(harness, picked(MANAGER), message_blocks=question.args["blocks"], user=OTHER)
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, None)}
    [answer] = harness.fake.calls_to("chat.update")
    assert answer.args["ts"] == "1700000099.000100" and "<@U0MANAGER>" in json.dumps(answer.args["blocks"])
    assert len(thread_posts(harness)) == 1
    harness.sweep(MONDAY + timedelta(days=1))
    assert not [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] in ("U0ROBOT", "D0ROBOT")]


def test_an_app_post_uses_the_channels_manager_and_never_its_bot(harness: Harness) -> None:
    assert "No hiring manager is set" in harness.command("channel-manager")["text"]
    answer = harness.command("channel-manager <@U0CHANMGR|dana>")
    assert "<@U0CHANMGR>" in answer["text"]
    assert "<@U0CHANMGR>" in harness.command("channel-manager")["text"]
    app_post(harness, NO_ROLE)
    assert followups(harness) == {"Omar Haddad": ("open", "U0CHANMGR", None)}
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Decision.author_id)).one() == "U0CHANMGR"


CARD = ("*Omar Haddad* was rejected from *Staff Data Engineer* by Marguerite Delacroix\n"
        "Rejection reason: Hired another candidate")


def test_an_app_card_that_names_its_owner_goes_to_that_member(harness: Harness) -> None:
    harness.fake.members.update({"U0MARGUE": "Marguerite Delacroix", "U0OTHER1": "Dana Whitfield"})
    harness.command("channel-manager <@U0CHANMGR>", user=OTHER)
    app_post(harness, CARD)
    # the member the card names, before the channel's default manager
    assert followups(harness) == {"Omar Haddad": ("open", "U0MARGUE", "Staff Data Engineer")}
    assert "<@U0MARGUE>" in json.dumps(thread_posts(harness)[-1].args["blocks"])
    # the directory is remembered: a second card reads no second users.list
    app_post(harness, CARD.replace("Omar Haddad", "Lena Park"), ts="1700000000.000600")
    assert followups(harness)["Lena Park"][1] == "U0MARGUE"
    assert len(harness.fake.calls_to("users.list")) == 1


@pytest.mark.parametrize("members", [{}, {"U0M1": "Marguerite Delacroix", "U0M2": "marguerite  delacroix"}])
def test_an_app_card_whose_owner_is_nobody_or_ambiguous_asks(harness: Harness, members: dict[str, str]) -> None:
    harness.fake.members.update(members)
    app_post(harness, CARD)
    assert followups(harness) == {}
    assert "hiring manager" in thread_posts(harness)[-1].args["text"]


def test_an_app_card_owner_that_is_a_bot_or_a_failed_lookup_is_not_used(harness: Harness) -> None:
    harness.fake.members.update({"U0MARGUE": "Marguerite Delacroix"})
    harness.fake.bots.add("U0MARGUE")
    app_post(harness, CARD)
    assert followups(harness) == {}
    harness.fake.bots.clear()
    harness.deps.directory.fetched.clear()
    harness.fake.fail_next("users.list", error="missing_scope")
    app_post(harness, CARD, ts="1700000000.000600")
    assert followups(harness) == {}
    assert "hiring manager" in thread_posts(harness)[-1].args["text"]


def test_the_logged_rounds_manager_comes_before_the_channels(harness: Harness) -> None:
    harness.command("channel-manager <@U0CHANMGR>", user=OTHER)
    harness.command(ROUND)
    app_post(harness, DECISION)
    assert followups(harness)["Omar Haddad"] == ("open", MANAGER, "Staff Data Engineer")


def test_channel_manager_refuses_bad_input_and_clears(harness: Harness) -> None:
    harness.fake.bots.add("U0ROBOT")
    for text, expected in [("channel-manager dana", "one person"), ("channel-manager <@U0A> <@U0B>", "one person"),
                           ("channel-manager <@U0ROBOT>", "not a person")]:
        assert expected in harness.command(text)["text"]
    assert "No hiring manager is set" in harness.command("channel-manager")["text"]
    harness.command("channel-manager <@U0CHANMGR>")
    assert "Done" in harness.command("channel-manager off")["text"]
    assert "No hiring manager is set" in harness.command("channel-manager")["text"]
    assert "channel-manager" in harness.command("help")["text"]


def test_a_bot_is_never_the_manager(harness: Harness) -> None:
    harness.fake.bots.add("U0ROBOT")
    harness.fake.bots.add("U0WORKFLOW")
    harness.message("Decision: not moving forward with Omar Haddad (onsite). Hiring manager: <@U0ROBOT>", ts=TS)
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, None)}  # the poster, not the bot named
    harness.message("Decision: not moving forward with Lena Park (onsite).", user="U0WORKFLOW",
                    ts="1700000000.000600")
    assert "Lena Park" not in followups(harness)
    assert "hiring manager" in thread_posts(harness)[-1].args["text"]


# --- 3. confirm whatever is missing -----------------------------------------------------------------


@pytest.mark.usefixtures("unsure")
def test_confirm_with_no_role_and_no_manager_records_for_the_person_who_clicks(harness: Harness) -> None:
    app_post(harness, UNSURE)
    [question] = thread_posts(harness)
    assert "Did you mean" in json.dumps(question.args["blocks"])
    confirm = element(question.args["blocks"], blocks.ACTION_CONFIRM)
    click_in_thread(harness, pressed(blocks.ACTION_CONFIRM, confirm["value"]), user=OTHER)
    assert followups(harness) == {"Omar Haddad": ("open", OTHER, None)}
    [turned] = harness.fake.calls_to("chat.update")
    assert blocks.ACTION_ADD_ROLE in json.dumps(turned.args["blocks"]) and "<@U0OTHER>" in turned.args["text"]


# --- 4. replies in a thread -------------------------------------------------------------------------


def test_a_reply_is_answered_in_its_parents_thread_and_inherits_its_role(harness: Harness) -> None:
    harness.command(ROUND)
    harness.message(DECISION, ts=TS)
    harness.message("Lena is a no too", ts=REPLY_TS, fields={"thread_ts": TS})
    assert followups(harness)["Lena Park"] == ("open", MANAGER, "Staff Data Engineer")
    replies = thread_posts(harness)
    assert len(replies) == 2 and {r.args["thread_ts"] for r in replies} == {TS}
    assert not harness.fake.calls_to("conversations.replies")  # the recorded parent was enough
    with harness.deps.sessions.begin() as session:
        assert REPLY_TS in set(session.scalars(select(Decision.message_ts)))
    harness.event({"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "channel_type": "channel",
                   "hidden": True, "deleted_ts": REPLY_TS, "ts": "1700000300.000100",
                   "previous_message": {"type": "message", "user": MANAGER, "text": "Lena is a no too",
                                        "ts": REPLY_TS, "thread_ts": TS}})
    assert followups(harness)["Lena Park"][0] == "cancelled"
    assert followups(harness)["Omar Haddad"][0] == "open"


def test_a_reply_is_read_with_its_parent_from_slack(harness: Harness) -> None:
    harness.fake.remember(CHANNEL, {"type": "message", "user": MANAGER, "ts": TS,
                                    "text": "Staff Data Engineer loop: Omar Haddad, Lena Park. Decisions below."})
    harness.message("Lena is a no", ts=REPLY_TS, fields={"thread_ts": TS})
    [call] = harness.fake.calls_to("conversations.replies")
    assert call.args["ts"] == TS
    assert followups(harness) == {"Lena Park": ("open", MANAGER, "Staff Data Engineer")}
    assert thread_posts(harness)[-1].args["thread_ts"] == TS


def test_a_failing_conversations_replies_does_not_lose_the_reply(harness: Harness) -> None:
    harness.fake.fail_next("conversations.replies", error="ratelimited", status=429, retry_after=0, times=5)
    harness.message(NO_ROLE, ts=REPLY_TS, fields={"thread_ts": TS})
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, None)}
    assert thread_posts(harness)[-1].args["thread_ts"] == TS


@pytest.mark.usefixtures("unsure")
def test_an_unsure_reply_is_asked_about_in_the_parents_thread(harness: Harness) -> None:
    harness.message(UNSURE, ts=REPLY_TS, fields={"thread_ts": TS})
    [question] = thread_posts(harness)
    assert question.args["thread_ts"] == TS
    confirm = element(question.args["blocks"], blocks.ACTION_CONFIRM)
    click_in_thread(harness, pressed(blocks.ACTION_CONFIRM, confirm["value"]))
    assert followups(harness) == {"Omar Haddad": ("open", MANAGER, None)}
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Decision.message_ts)).one() == REPLY_TS


# --- 5 and 6. every part of a message -----------------------------------------------------------------


def test_shortcut_reads_a_blocks_only_message(harness: Harness) -> None:
    payload = {
        "type": "message_action", "callback_id": blocks.SHORTCUT_RECORD, "team": {"id": TEAM_ID},
        "user": {"id": OTHER}, "channel": {"id": CHANNEL}, "trigger_id": "1.2.3",
        "response_url": harness.fake.response_url(), "message_ts": TS,
        "message": {"type": "message", "bot_id": "B0ATS", "ts": TS, "text": "", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": "Decision for Data Analyst: not moving forward with Tom O'Brien."}}]},
    }
    status, _ = harness.interact(payload)
    assert status == 200
    [opened] = harness.fake.calls_to("views.open")
    by_block = {b["block_id"]: b["element"] for b in opened.args["view"]["blocks"]}
    assert by_block["role"]["initial_value"] == "Data Analyst"
    assert "Tom O'Brien" in by_block["not_selected"]["initial_value"]


def _changed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "event": {
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "channel_type": "channel",
        "message": {"type": "message", "ts": TS, **new}, "previous_message": {"type": "message", "ts": TS, **old}}}


def test_an_edit_of_blocks_or_attachments_is_kept() -> None:
    def is_own(_message: dict[str, Any]) -> bool:
        return False

    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Grace Kim has been rejected"}}
    assert worth_keeping(_changed({"text": "", "blocks": []}, {"text": "", "blocks": [section]}), is_own)
    assert worth_keeping(_changed({"text": "x", "attachments": []},
                                  {"text": "x", "attachments": [{"text": "Grace Kim has been rejected"}]}), is_own)
    assert not worth_keeping(_changed({"text": "x", "blocks": [section]}, {"text": "x", "blocks": [section]}), is_own)


def test_an_app_edit_that_changes_only_blocks_is_read(harness: Harness) -> None:
    harness.command("channel-manager <@U0CHANMGR>")
    app_post(harness, "Interview scheduled for Grace Kim")
    assert followups(harness) == {}
    harness.event({
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "channel_type": "channel",
        "hidden": True, "ts": "1700000200.000100", "event_ts": "1700000200.000100",
        "message": {"type": "message", "bot_id": "B0ATS", "text": "", "ts": TS, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": NO_ROLE}}]},
        "previous_message": {"type": "message", "bot_id": "B0ATS", "text": "", "ts": TS, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Interview scheduled for Grace Kim"}}]},
    })
    assert followups(harness) == {"Omar Haddad": ("open", "U0CHANMGR", None)}


def test_an_app_reply_in_a_recorded_thread_goes_to_that_threads_manager(harness: Harness) -> None:
    harness.message(NO_ROLE, ts=TS, user=OTHER)  # recorded for OTHER, role unknown
    lena = "Decision: not moving forward with Lena Park (onsite)."
    harness.message("", user=None, ts=REPLY_TS, fields={**ATS, "thread_ts": TS, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": lena}}]})
    assert followups(harness)["Lena Park"] == ("open", OTHER, None)
    assert [p.args["thread_ts"] for p in thread_posts(harness)] == [TS, TS]
    with harness.deps.sessions.begin() as session:  # still two rounds: no role, no sharing
        assert len(session.scalars(select(Round)).all()) == 2


def test_builders_without_role_or_manager() -> None:
    from slack_sdk.models.blocks import Block

    from bot.reader import Decision, Person

    reply = blocks.decision_reply(decision_id=7, manager_id=MANAGER, role=None, not_selected=["A <b> & c"],
                                  hired=[], withdrawn=[], first_due=None)
    assert "A &lt;b&gt; &amp; c" in reply["text"] and "<b>" not in json.dumps(reply)
    assert blocks.button_value(reply["blocks"], blocks.ACTION_ADD_ROLE) == "7"
    many = Decision(role=None, hired=(), not_selected=tuple(Person(f"Person Number{i}") for i in range(300)),
                    withdrawn=(), manager_id=None, confidence=0.9, rules=())
    question = blocks.manager_question(many, None)  # too long to carry: Edit only
    assert blocks.button_value(question["blocks"], blocks.ACTION_CONFIRM) is None
    for block in question["blocks"]:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
    assert len(question["text"]) <= 3000
