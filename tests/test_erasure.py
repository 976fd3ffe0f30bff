"""Erasure that really erases, and bot posts that are never lost.

After `forget` or retention nothing the bot wrote in Slack still names the candidate (each nudge DM, the
decision's thread reply, confirmation DMs, the manager's App Home, questions nobody answered), however Slack
answers meanwhile, and every write aimed at an erased candidate is refused, whichever button or form it comes
from. A thread reply or question Slack fails to take is sent again until it lands, exactly once, across
replicas and crashes.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from bot import reader
from bot.deps import Deps
from bot.followups import digests, outbox, privacy, purge, recording
from bot.pacing import Pacer, VirtualClock
from bot.slack import blocks, metadata
from storage import repo
from storage.models import Candidate, Decision, Followup, Manager, Nudge, Outbox
from tests.conftest import TABLES
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, MONDAY, OTHER, Harness, pin_reading
from tests.threads import TS, click_in_thread, pressed, text_input, user_input

DECISION = ("Decision for Staff Data Engineer: offer to Dana Whitfield. Not moving forward with Omar Haddad or "
            "Lena Park.")
SIMPLE = "Decision for Staff Data Engineer: not moving forward with Omar Haddad."
DUE = MONDAY + timedelta(days=1)
OMAR = ("Omar", "Haddad", "omar.haddad")
UNSURE = "Leaning towards passing on Priya Sharma (onsite)"
PEOPLE = ("Omar Haddad", "Lena Park", "Dana Whitfield", "Marta Nowak", "Yusuf Demir", "Grace Kim", "Ines Duarte",
          "Ben Ode", "Ana Lima", "Priya Shah", "Tom Moreau", "Aya Suzuki")


class Crash(BaseException):
    """The process dying: nothing after it runs, no except clause catches it."""


def replica(h: Harness, name: str) -> Deps:
    clock = VirtualClock()
    return Deps(settings=h.settings, sessions=h.deps.sessions, client=h.deps.client, replica_id=name,
                team_id=TEAM_ID, pacer=Pacer(clock=clock, sleep=clock.sleep))


def naming(h: Harness, words: tuple[str, ...] = OMAR) -> list[str]:
    """Every bot message and App Home that, as Slack shows it now, names any of `words`."""
    shown = [(f"{channel}/{ts}", message) for (channel, ts), message in h.fake.shown.items()]
    shown += [(f"home:{user}", view) for user, view in h.fake.homes.items()]
    return [where for where, content in shown if any(word in json.dumps(content) for word in words)]


def stored(h: Harness) -> str:
    """Everything the database holds, as text."""
    with h.engine.connect() as connection:
        rows = [row for table in TABLES for row in connection.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(str(tuple(row)) for row in rows)


def forget(h: Harness, name: str = "Omar Haddad") -> None:
    reply = h.command(f"forget {name}")
    for accessory in [b["accessory"] for b in reply["blocks"] if b.get("accessory")]:
        h.click(blocks.ACTION_FORGET, accessory["value"])
    assert "Erased" in h.fake.calls_to("respond")[-1].args["text"]


def followup_of(h: Harness, name: str) -> Followup:
    with h.deps.sessions.begin() as session:
        return session.scalars(select(Followup).join(Candidate).where(Candidate.name == name)).one()


def nudge_of(h: Harness, followup_id: int) -> tuple[str, str]:
    with h.deps.sessions.begin() as session:
        nudge = session.scalars(select(Nudge).where(Nudge.followup_id == followup_id).order_by(Nudge.seq)).first()
        assert nudge is not None
        return nudge.channel_id, nudge.ts


def reply_ts(h: Harness) -> str | None:
    with h.deps.sessions.begin() as session:
        return session.scalars(select(Decision.reply_ts)).one()


def landed(h: Harness, thread_ts: str = TS) -> list[dict[str, Any]]:
    """The replies Slack accepted in a thread."""
    return list(h.fake.threads.get((CHANNEL, thread_ts), ()))


def owed(h: Harness) -> list[Outbox]:
    with h.deps.sessions.begin() as session:
        return list(session.scalars(select(Outbox).where(Outbox.due_at.is_not(None))))


def responses(h: Harness) -> list[str]:
    return [c.args["text"] for c in h.fake.calls_to("respond")]


MANAGER_PICKED = user_input("manager", MANAGER)


def note_values(note: str) -> dict[str, Any]:
    return text_input("note", note)


# --- item 5: writes aimed at an erased candidate are refused ------------------------------------------


def test_an_edit_note_form_opened_before_forget_saves_nothing_after_it(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    harness.sweep(DUE)
    omar = followup_of(harness, "Omar Haddad")
    channel, ts = nudge_of(harness, omar.id)
    harness.click(blocks.ACTION_EDIT_NOTE, str(omar.id), channel=channel, message_ts=ts)
    [opened] = harness.fake.calls_to("views.open")
    forget(harness)
    harness.fake.clear()
    status, body = harness.submit_view(
        blocks.VIEW_NOTE, note_values("Dear Omar Haddad, omar.haddad@example.com, thank you for your time"),
        private_metadata=opened.args["view"]["private_metadata"])
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors" and "erased" in answer["errors"]["note"]
    assert "Haddad" not in stored(harness) and "omar.haddad" not in stored(harness)
    assert harness.fake.calls_to("chat.update") == [] and harness.fake.calls_to("chat.postMessage") == []


def test_every_button_and_form_on_an_erased_follow_up_is_refused(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    harness.sweep(DUE)
    omar = followup_of(harness, "Omar Haddad")
    channel, ts = nudge_of(harness, omar.id)
    harness.click(blocks.ACTION_EDIT_NOTE, str(omar.id), channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_SKIP, str(omar.id), channel=channel, message_ts=ts)
    note_form, skip_form = (c.args["view"]["private_metadata"] for c in harness.fake.calls_to("views.open"))
    forget(harness)
    with harness.deps.sessions.begin() as session:
        before = (session.get(Followup, omar.id).__dict__.copy(), session.get(Manager, (TEAM_ID, MANAGER)).tone)
    harness.fake.clear()
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_SNOOZE, selected=f"3d:{omar.id}", channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_TONE, selected=f"brief:{omar.id}", channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_EDIT_NOTE, str(omar.id), channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_SKIP, str(omar.id), channel=channel, message_ts=ts)
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), container_type="view")  # from the App Home
    said = responses(harness)
    assert len(said) == 6 and all("record was erased" in line for line in said), said
    assert harness.fake.calls_to("views.open") == []  # no form opens on an erased record
    _, body = harness.submit_view(blocks.VIEW_SKIP, {"reason": {"reason": {
        "type": "static_select", "selected_option": {"value": "other"}}}, "detail": {"detail": {
            "type": "plain_text_input", "value": "Omar Haddad asked us not to"}}}, private_metadata=skip_form)
    assert "erased" in json.loads(body)["errors"]["reason"]
    _, body = harness.submit_view(blocks.VIEW_NOTE, note_values("Dear Omar"), private_metadata=note_form)
    assert "erased" in json.loads(body)["errors"]["note"]
    with harness.deps.sessions.begin() as session:
        after = (session.get(Followup, omar.id).__dict__.copy(), session.get(Manager, (TEAM_ID, MANAGER)).tone)
    for state in (before[0], after[0]):
        state.pop("_sa_instance_state")
    assert after == before and after[0]["status"] == "cancelled"
    assert "Haddad" not in stored(harness)
    assert harness.fake.calls_to("chat.update") == []  # the erased DM is not shown again with anything in it


def test_every_change_to_a_decision_with_an_erased_person_is_refused(harness: Harness) -> None:
    harness.message("Decision: not moving forward with Omar Haddad (onsite) and Lena Park (phone screen).", ts=TS)
    with harness.deps.sessions.begin() as session:
        decision = session.scalars(select(Decision)).one()
    value = str(decision.id)
    harness.click(blocks.ACTION_EDIT, value, channel=CHANNEL, message_ts=decision.reply_ts)
    harness.click(blocks.ACTION_ADD_ROLE, value, channel=CHANNEL, message_ts=decision.reply_ts)
    edit_form, role_form = (c.args["view"]["private_metadata"] for c in harness.fake.calls_to("views.open"))
    forget(harness)
    harness.fake.clear()
    for action in (blocks.ACTION_UNDO, blocks.ACTION_EDIT, blocks.ACTION_ADD_ROLE):
        harness.click(action, value, channel=CHANNEL, message_ts=decision.reply_ts)
    confirm = recording.draft_value(reader.Decision(
        role="Staff Data Engineer", hired=(), not_selected=(reader.Person("Omar Haddad", "onsite"),), withdrawn=(),
        manager_id=None, confidence=1.0, rules=("test",)), author_id=MANAGER)
    click_in_thread(harness, pressed(blocks.ACTION_CONFIRM, confirm), message_ts=str(decision.reply_ts))
    said = responses(harness)
    assert len(said) == 4 and all("was erased" in line for line in said), said
    assert harness.fake.calls_to("views.open") == []
    _, body = harness.submit_view(blocks.VIEW_DECISION, {
        **text_input("role", "Staff Data Engineer"), **MANAGER_PICKED,
        **text_input("not_selected", "Omar Haddad (onsite)\nLena Park"), **text_input("hired", ""),
        **text_input("withdrawn", "")},
        private_metadata=edit_form)
    assert "erased" in json.loads(body)["errors"]["role"]
    _, body = harness.submit_view(blocks.VIEW_ROLE, text_input("role", "Data Engineer"), private_metadata=role_form)
    assert "erased" in json.loads(body)["errors"]["role"]
    # Editing or deleting the message in Slack changes nothing either.
    edited = "Decision for Data Engineer: not moving forward with Omar Haddad, Lena Park and Ana Lima."
    harness.event({"type": "message", "subtype": "message_changed", "channel": CHANNEL, "channel_type": "channel",
                   "ts": "1700000200.000100", "event_ts": "1700000200.000100",
                   "message": {"type": "message", "user": MANAGER, "text": edited, "ts": TS},
                   "previous_message": {"type": "message", "user": MANAGER, "text": "Decision", "ts": TS}})
    harness.event({"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "channel_type": "channel",
                   "ts": "1700000300.000100", "deleted_ts": TS, "event_ts": "1700000300.000100",
                   "previous_message": {"type": "message", "user": MANAGER, "text": "Decision", "ts": TS}})
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Decision.id)).all() == [decision.id]
        assert [(c.name, c.outcome) for c in session.scalars(select(Candidate).order_by(Candidate.id))] == [
            (None, "not_selected"), ("Lena Park", "not_selected")]
        assert session.scalars(select(Followup.status).join(Candidate).where(Candidate.name == "Lena Park")).one() \
            == "open"
    assert "Haddad" not in stored(harness) and "Ana Lima" not in stored(harness)
    with harness.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM inbox")).scalar() == 0  # both events done, not retried


# --- item 5: every earlier message naming the candidate is updated ----------------------------------------


def test_forget_updates_every_message_that_named_them_through_a_429(harness: Harness) -> None:
    harness.message(DECISION, ts=TS)
    harness.sweep(DUE)
    harness.sweep(MONDAY + timedelta(days=3))  # the second nudge
    harness.event({"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER", "tab": "home",
                   "event_ts": "1.1"})
    named = naming(harness)
    with harness.deps.sessions.begin() as session:
        omar = followup_of(harness, "Omar Haddad")
        nudges = [(n.channel_id, n.ts) for n in session.scalars(select(Nudge).where(Nudge.followup_id == omar.id))]
    assert len(nudges) == 2 and {f"{c}/{t}" for c, t in nudges} | {f"{CHANNEL}/{reply_ts(harness)}",
                                                                    f"home:{MANAGER}"} == set(named)
    waits = len(harness.pace_clock.slept)
    harness.fake.rate_limit_next("chat.update", retry_after=0, times=3)  # beyond what the client retries
    forget(harness)
    [stuck] = owed(harness)
    assert stuck.last_error == "ratelimited" and stuck.failures == 1 and len(naming(harness)) == 1
    assert outbox.deliver_due(harness.deps, harness.now).claimed == 0  # not before its time
    report = outbox.deliver_due(harness.deps, harness.now + timedelta(minutes=1))
    assert (report.updated, report.failed) == (1, 0) and owed(harness) == []
    assert naming(harness) == []
    assert len(harness.pace_clock.slept) > waits  # the updates were paced
    reply = harness.fake.shown[(CHANNEL, str(reply_ts(harness)))]
    assert "Lena Park" in reply["text"] + json.dumps(reply["blocks"]) and "erased" in json.dumps(reply["blocks"])
    assert blocks.ACTION_UNDO not in json.dumps(reply["blocks"])  # it can't be changed any more
    for channel, ts in nudges:
        assert "erased" in harness.fake.shown[(channel, ts)]["text"]
    assert "Lena Park" in json.dumps(harness.fake.homes[MANAGER])  # the rest stays as it was


def test_retention_updates_every_message_that_named_them_through_a_429(harness: Harness,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pin_reading(monkeypatch, UNSURE, reader.Decision(
        role=None, hired=(), not_selected=(reader.Person("Priya Sharma", "onsite"),), withdrawn=(), manager_id=None,
        confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))
    harness.message(DECISION, ts=TS)
    harness.message(UNSURE, ts="1700000000.000700")  # asked about in its thread; nobody answers
    harness.sweep(DUE)
    omar = followup_of(harness, "Omar Haddad")
    channel, ts = nudge_of(harness, omar.id)
    harness.click(blocks.ACTION_CONTACTED, str(omar.id), channel=channel, message_ts=ts)
    assert "You contacted Omar Haddad" in harness.fake.shown[(channel, ts)]["text"]
    gone = ("Omar", "Haddad", "Dana", "Whitfield", "Priya", "Sharma")
    assert len(naming(harness, gone)) == 4  # the reply, Omar's DM, the App Home, the question
    later = MONDAY + timedelta(days=182)
    harness.fake.rate_limit_next("chat.update", retry_after=0, times=3)
    assert privacy.retention(harness.deps, later) == 2  # Omar (closed) and Dana (hired); Lena is still open
    first = outbox.deliver_due(harness.deps, later)
    assert first.failed == 1 and first.updated == first.claimed - 1
    assert outbox.deliver_due(harness.deps, later + timedelta(minutes=1)).updated == 1
    assert naming(harness, gone) == [] and owed(harness) == []
    assert "erased" in json.dumps(harness.fake.shown[(CHANNEL, str(reply_ts(harness)))]["blocks"])
    assert "Lena Park" in json.dumps(harness.fake.shown[(CHANNEL, str(reply_ts(harness)))])
    for word in gone:
        assert word not in stored(harness)


def test_confirmation_dms_are_erased_too(harness: Harness) -> None:
    harness.submit_view(blocks.VIEW_ROUND, {
        **text_input("role", "Staff Data Engineer"), **MANAGER_PICKED,
        **text_input("candidates", "Dana Whitfield (onsite)\nOmar Haddad (final round)"),
        **text_input("hired", "Dana Whitfield"),
    }, private_metadata=metadata.encode())
    [round_dm] = [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]
    assert "Omar Haddad" in json.dumps(round_dm.args["blocks"])
    # A decision recorded from the shortcut where the bot is not in the channel: confirmed by DM.
    harness.fake.fail_next("chat.postMessage", error="not_in_channel")
    harness.submit_view(blocks.VIEW_DECISION, {
        **text_input("role", "Data Analyst"), **MANAGER_PICKED,
        **text_input("not_selected", "Omar Haddad (onsite)"), **text_input("hired", ""), **text_input("withdrawn", "")},
        private_metadata=metadata.encode(c="C0ELSEWHERE", ts=TS), user=OTHER)
    assert len(naming(harness)) == 3  # two DMs and the App Home
    forget(harness)  # both Omars
    assert naming(harness) == []
    round_dm_now = next(m for (c, _), m in harness.fake.shown.items() if c == "D0MANAGER")
    assert "Dana Whitfield" in json.dumps(round_dm_now) and "erased" in json.dumps(round_dm_now)


def test_digests_and_escalations_that_named_them_are_taken_down(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST", ESCALATE_TO="U0RECRUITER", NUDGE_SCHEDULE="1d")
    assert digests.scheduled(harness.deps, MONDAY - timedelta(days=7), "weekly") == 0  # nothing open: none
    harness.message(DECISION, ts=TS)
    harness.sweep(DUE)  # the only nudge: overdue from now on
    assert digests.scheduled(harness.deps, DUE, "weekly") == 1
    assert digests.escalate(harness.deps, DUE) == 1
    listed = [where for where in naming(harness) if where.startswith(("C0DIGEST/", "D0RECRUITER/"))]
    assert len(listed) == 2
    forget(harness)
    assert naming(harness) == []
    for where in listed:
        channel, ts = where.split("/")
        assert "taken down" in harness.fake.shown[(channel, ts)]["text"]
    harness.command("forget Lena Park")  # asked, not confirmed: nothing changes
    assert "Lena Park" in json.dumps(harness.fake.shown[(CHANNEL, str(reply_ts(harness)))])


def test_purge_keeps_the_posts_an_erasure_will_look_for(harness: Harness) -> None:
    harness.submit_view(blocks.VIEW_ROUND, {
        **text_input("role", "Staff Data Engineer"), **MANAGER_PICKED,
        **text_input("candidates", "Dana Whitfield (onsite)\nOmar Haddad (final round)"), **text_input("hired", ""),
    }, private_metadata=metadata.encode())
    harness.message(DECISION, ts=TS)
    with harness.deps.sessions.begin() as session:
        assert sorted(row.kind for row in session.scalars(select(Outbox))) == ["reply", "round_dm"]
    purge.purge(harness.deps, harness.now + timedelta(days=8))
    with harness.deps.sessions.begin() as session:  # the reply's ts is the decision's; the DM's only here
        assert [row.kind for row in session.scalars(select(Outbox))] == ["round_dm"]
    forget(harness)
    assert naming(harness) == []


def test_a_reply_still_owed_when_its_candidate_is_erased_goes_out_erased(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", status=500, times=2)
    harness.message(SIMPLE, ts=TS)
    assert landed(harness) == []
    forget(harness)
    outbox.deliver_due(harness.deps, harness.now + timedelta(minutes=1))
    [reply] = landed(harness)
    assert "Haddad" not in json.dumps(harness.fake.shown[(CHANNEL, reply["ts"])]) and "erased" in reply["text"]


# --- item 6: a thread reply (or question) Slack fails to take lands later, once ----------------------------


def test_a_thread_reply_slack_fails_twice_lands_once(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", status=500, times=2)  # the client retries a 500 once
    harness.message(SIMPLE, ts=TS)
    assert landed(harness) == [] and reply_ts(harness) is None
    [waiting] = owed(harness)
    assert (waiting.kind, waiting.failures, waiting.last_error) == ("reply", 1, "internal_error")
    assert outbox.deliver_due(replica(harness, "a"), harness.now + timedelta(seconds=10)).claimed == 0  # backing off
    report = outbox.deliver_due(replica(harness, "a"), harness.now + timedelta(minutes=1))
    assert report.sent == 1
    assert outbox.deliver_due(replica(harness, "b"), harness.now + timedelta(minutes=2)).claimed == 0
    [reply] = landed(harness)
    assert reply_ts(harness) == reply["ts"] and "Omar Haddad" in json.dumps(harness.fake.shown[(CHANNEL, reply["ts"])])
    with harness.deps.sessions.begin() as session:
        decision_id = session.scalars(select(Decision.id)).one()
    harness.click(blocks.ACTION_UNDO, str(decision_id), channel=CHANNEL, message_ts=reply["ts"])  # its buttons work
    assert "Undone" in harness.fake.shown[(CHANNEL, reply["ts"])]["text"]


def test_replicas_sweeping_the_outbox_together_post_each_reply_once(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", status=500, times=2 * 12)
    for i, name in enumerate(PEOPLE):
        harness.message(f"Decision for Staff Data Engineer: not moving forward with {name}.",
                        ts=f"1700000{i:03d}.000100")
    assert sum(len(v) for v in harness.fake.threads.values()) == 0 and len(owed(harness)) == 12
    later = harness.now + timedelta(minutes=1)
    replicas = [replica(harness, f"r{i}") for i in range(3)]
    reports: list[outbox.OutboxReport] = []
    threads = [threading.Thread(target=lambda d=d: reports.append(outbox.deliver_due(d, later))) for d in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 12
    assert sorted(len(replies) for replies in harness.fake.threads.values()) == [1] * 12
    assert outbox.deliver_due(harness.deps, later + timedelta(minutes=5)).claimed == 0


def test_a_reply_posted_before_a_crash_is_found_in_its_thread_and_not_posted_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.fake.fail_next("chat.postMessage", status=500, times=2)
    harness.message(SIMPLE, ts=TS)
    at = harness.now + timedelta(minutes=1)
    real = repo.record_post
    monkeypatch.setattr(repo, "record_post", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        outbox.deliver_due(replica(harness, "dead"), at)
    monkeypatch.setattr(repo, "record_post", real)
    assert len(landed(harness)) == 1 and reply_ts(harness) is None  # Slack has it, the database does not
    assert outbox.deliver_due(replica(harness, "alive"), at + timedelta(seconds=30)).claimed == 0  # its lease
    report = outbox.deliver_due(replica(harness, "alive"), at + timedelta(seconds=61))
    assert (report.recovered, report.sent) == (1, 0)
    [reply] = landed(harness)
    assert reply_ts(harness) == reply["ts"]
    [lookup] = harness.fake.calls_to("conversations.replies")
    assert lookup.args["ts"] == TS and lookup.args["include_all_metadata"] in ("true", True, "1")


def test_a_thread_that_refuses_the_reply_tells_the_manager_by_dm(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", error="not_in_channel")
    harness.message(SIMPLE, ts=TS)
    [dm] = [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]
    assert "Omar Haddad" in json.dumps(dm.args["blocks"]) and blocks.ACTION_UNDO not in json.dumps(dm.args["blocks"])
    assert owed(harness) == []
    assert outbox.deliver_due(harness.deps, harness.now + timedelta(hours=1)).claimed == 0  # nothing more


def test_questions_slack_fails_to_take_are_asked_later_once(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    pin_reading(monkeypatch, UNSURE, reader.Decision(
        role=None, hired=(), not_selected=(reader.Person("Priya Sharma", "onsite"),), withdrawn=(), manager_id=None,
        confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))
    harness.fake.fail_next("chat.postMessage", status=500, times=4)
    harness.message(UNSURE, ts=TS)  # is this a decision?
    harness.message("", user=None, ts="1700000000.000900", fields={  # an app's post: who is the manager?
        "subtype": "bot_message", "bot_id": "B0ATS", "username": "Greenhouse",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": SIMPLE}}]})
    assert sum(len(v) for v in harness.fake.threads.values()) == 0 and len(owed(harness)) == 2
    harness.message(UNSURE, ts=TS, event_id="Ev-redelivered")  # asked once per message, whatever happens
    assert outbox.deliver_due(harness.deps, harness.now + timedelta(minutes=1)).sent == 2
    assert outbox.deliver_due(harness.deps, harness.now + timedelta(minutes=5)).claimed == 0
    [confirm] = landed(harness, TS)
    [manager] = landed(harness, "1700000000.000900")
    assert "hiring decision" in confirm["text"] and "Who is the hiring manager" in manager["text"]


def test_a_question_the_thread_refuses_is_told_to_its_author_without_names(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_reading(monkeypatch, UNSURE, reader.Decision(
        role=None, hired=(), not_selected=(reader.Person("Priya Sharma", "onsite"),), withdrawn=(), manager_id=None,
        confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))
    harness.fake.fail_next("chat.postMessage", error="is_archived")
    harness.message(UNSURE, ts=TS)
    [dm] = [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]
    assert f"<#{CHANNEL}>" in dm.args["text"] and "is_archived" in dm.args["text"] and "Priya" not in dm.args["text"]
    assert owed(harness) == [] and "Priya" not in stored(harness)
