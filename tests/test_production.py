"""Production: exactly one DM per nudge across crashes and replicas, pacing, shutdown, privacy,
permissions, the workspace's lifecycle, health and `check`."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import JsonFormatter
from bot.deps import Deps
from bot.followups import privacy, sweep
from bot.pacing import Pacer, VirtualClock
from bot.slack import blocks
from storage import repo, sweep_store
from storage.models import Candidate, Followup, InboxEvent, Nudge, Workspace
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.harness import ADMIN, MANAGER, MONDAY, OTHER, Harness
from tests.serve_process import EXECUTABLE

DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad and Lena Park."
DUE = MONDAY + timedelta(days=1)
FIRST = ["Omar", "Lena", "Dana", "Marta", "Yusuf", "Grace", "Tomás", "Ines", "Ben", "Ana", "Jean-Luc", "Priya"]
LAST = ["Haddad", "Park", "Whitfield", "Nowak", "Demir", "Kim", "Fernández", "Duarte", "Ode", "Lima", "Moreau"]


def person(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"


class Crash(BaseException):
    """The process dying: nothing after it runs, no except clause catches it."""


def replica(h: Harness, name: str) -> Deps:
    clock = VirtualClock()
    return Deps(settings=h.settings, sessions=h.deps.sessions, client=h.deps.client, replica_id=name,
                team_id=TEAM_ID, pacer=Pacer(clock=clock, sleep=clock.sleep))


def nudges(h: Harness) -> list[tuple[int, int]]:
    with h.deps.sessions.begin() as session:
        return [(n.followup_id, n.seq) for n in session.scalars(select(Nudge).order_by(Nudge.id))]


def dms(h: Harness) -> list[str]:
    return [c.args["text"] for c in h.fake.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]


# --- exactly one DM per nudge -------------------------------------------------------------------------


def test_a_nudge_delivered_before_a_crash_is_found_in_the_dm_and_not_sent_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.message(DECISION)
    real_record = sweep_store.record_nudge  # looked up there by record_nudge_alone, the sweep's path
    monkeypatch.setattr(sweep_store, "record_nudge", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        sweep.sweep(replica(harness, "dead"), DUE)
    monkeypatch.setattr(sweep_store, "record_nudge", real_record)
    assert len(dms(harness)) == 1 and nudges(harness) == []  # Slack has it, the database does not
    # Before the dead replica's lease runs out nobody else touches its batch.
    assert sweep.sweep(replica(harness, "alive"), DUE + timedelta(seconds=30)).claimed == 0
    report = sweep.sweep(replica(harness, "alive"), DUE + timedelta(seconds=61))
    assert (report.recovered, report.sent) == (1, 1)
    assert len(dms(harness)) == 2  # one per candidate, none twice
    assert sorted(seq for _, seq in nudges(harness)) == [1, 1]
    assert harness.fake.calls_to("conversations.history")[0].args["include_all_metadata"] in ("true", True, "1")


def test_a_timeout_with_no_delivery_is_sent_after_looking(harness: Harness) -> None:
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    harness.fake.scripts.setdefault("chat.postMessage", []).clear()
    with harness.deps.sessions.begin() as session:
        [fid] = repo.claim_due(session, now=DUE, claimer="dead", lease=timedelta(seconds=60), limit=10)
        repo.begin_attempt(session, fid, claimer="dead", seq=1, at=DUE, lease=timedelta(seconds=60))
    report = harness.sweep(DUE + timedelta(minutes=2))
    assert (report.recovered, report.sent) == (0, 1)
    assert len(harness.fake.calls_to("conversations.history")) == 1 and len(dms(harness)) == 1


def test_a_failed_history_lookup_keeps_it_due_and_sends_nothing(harness: Harness) -> None:
    harness.message("Decision for Staff Data Engineer: not moving forward with Omar Haddad.")
    with harness.deps.sessions.begin() as session:
        [fid] = repo.claim_due(session, now=DUE, claimer="dead", lease=timedelta(seconds=60), limit=10)
        repo.begin_attempt(session, fid, claimer="dead", seq=1, at=DUE, lease=timedelta(seconds=60))
    harness.fake.fail_next("conversations.history", error="missing_scope")
    report = harness.sweep(DUE + timedelta(minutes=2))
    assert (report.failed, report.sent) == (1, 0) and dms(harness) == []
    assert harness.sweep(DUE + timedelta(minutes=3)).sent == 1


def test_replicas_share_due_nudges_without_overlap(harness: Harness) -> None:
    roles = ["Data Engineer", "Product Designer", "Site Reliability Engineer", "Account Executive", "Recruiter"]
    for i in range(30):
        harness.message(f"Decision for {roles[i % 5]} {i // 5 + 1}: not moving forward with {person(2 * i)} and "
                        f"{person(2 * i + 1)}.", user=f"U0M{i % 5:03d}")
    with harness.deps.sessions.begin() as session:
        assert len(session.scalars(select(Followup)).all()) == 60
    results: list[sweep.SweepReport] = []
    replicas = [replica(harness, f"r{i}") for i in range(3)]
    threads = [threading.Thread(target=lambda d=d: results.append(sweep.sweep(d, DUE))) for d in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 60
    assert len(nudges(harness)) == 60 and len(set(nudges(harness))) == 60
    assert len([c for c in harness.fake.calls_to("chat.postMessage")
                if (c.args.get("metadata") or {}).get("event_type") == sweep.NUDGE_EVENT_TYPE]) == 60


# --- pacing -------------------------------------------------------------------------------------------


def test_a_burst_is_paced_per_channel_and_per_workspace(harness: Harness) -> None:
    for i in range(6):
        harness.message(f"Decision for Support Engineer {i + 1}: not moving forward with {person(i)}.")
    harness.message("Decision for Designer: not moving forward with Ana Lima.", user=OTHER)
    harness.sweep(DUE)
    slept = harness.pace_clock.slept
    assert harness.pace_clock.now >= 5.0  # six DMs to one manager: a second apart
    assert all(s > 0 for s in slept)
    pacer = Pacer(per_workspace_per_minute=240, clock=(clock := VirtualClock()), sleep=clock.sleep)
    for i in range(240):
        pacer.wait(team_id="T", channel=f"D{i}")
    assert 59 <= clock.now <= 60  # 240 different channels still take a minute


# --- shutdown -----------------------------------------------------------------------------------------


def test_shutdown_hands_back_the_rest_of_the_batch(harness: Harness) -> None:
    harness.message(DECISION)
    harness.deps.stopping.set()
    report = harness.sweep(DUE)
    assert (report.claimed, report.sent, report.released) == (2, 0, 2)
    with harness.deps.sessions.begin() as session:
        assert {f.claimed_by for f in session.scalars(select(Followup))} == {None}
    harness.deps.stopping.clear()
    assert sweep.sweep(replica(harness, "next"), DUE).sent == 2


# --- privacy ------------------------------------------------------------------------------------------


def candidates(h: Harness) -> list[Candidate]:
    with h.deps.sessions.begin() as session:
        return list(session.scalars(select(Candidate).order_by(Candidate.id)))


def test_retention_erases_personal_data_and_keeps_counts(harness: Harness) -> None:
    harness.command("Staff Data Engineer: Omar Haddad (onsite; strengths: SQL) omar@example.com, Lena Park, "
                    "Dana Whitfield")
    harness.message("Decision for Staff Data Engineer: offer to Dana Whitfield. Not moving forward with Omar "
                    "Haddad or Lena Park.")
    with harness.deps.sessions.begin() as session:
        omar = session.scalars(select(Followup).join(Candidate).where(Candidate.name == "Omar Haddad")).one()
    harness.click(blocks.ACTION_CONTACTED, str(omar.id))
    assert privacy.retention(harness.deps, MONDAY + timedelta(days=179)) == 0
    assert privacy.retention(harness.deps, MONDAY + timedelta(days=181)) == 2  # Omar (closed) and Dana (hired)
    by_outcome = {c.outcome: c for c in candidates(harness)}
    assert by_outcome["hired"].name is None and by_outcome["hired"].erased_at is not None
    erased = [c for c in candidates(harness) if c.erased_at]
    assert all(c.name is None and c.email is None and c.strengths is None for c in erased)
    assert {c.name for c in candidates(harness)} == {None, "Lena Park"}  # still open: kept
    with harness.deps.sessions.begin() as session:
        stats = repo.stats(session, team_id=TEAM_ID, since=MONDAY - timedelta(days=1))
    assert (stats.decided, stats.closed) == (2, 1)  # the counts survive


def test_forget_asks_first_then_erases_and_updates_the_open_dm(harness: Harness) -> None:
    harness.message(DECISION)
    harness.sweep(DUE)
    reply = harness.command("forget Omar Haddad")
    erase = next(b["accessory"] for b in reply["blocks"] if b.get("accessory"))
    assert erase["action_id"] == blocks.ACTION_FORGET and "Omar Haddad" in json.dumps(reply)
    assert candidates(harness)[0].name == "Omar Haddad"  # nothing yet
    harness.click(blocks.ACTION_FORGET, erase["value"], user=OTHER)  # not theirs
    assert candidates(harness)[0].name == "Omar Haddad"
    harness.click(blocks.ACTION_FORGET, erase["value"])
    omar = candidates(harness)[0]
    assert omar.name is None and omar.erased_at is not None
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Followup.status).where(Followup.candidate_id == omar.id)).one() == "cancelled"
    assert any("erased" in c.args["text"] for c in harness.fake.calls_to("chat.update"))
    assert "Erased" in harness.fake.calls_to("respond")[-1].args["text"]
    assert harness.sweep(MONDAY + timedelta(days=4)).sent == 1  # Lena only
    assert "no record" in harness.command("forget Omar Haddad")["text"]


def test_forget_is_refused_to_others_and_allowed_to_admins(harness: Harness) -> None:
    harness.message(DECISION)
    assert "Only a candidate's hiring manager" in harness.command("forget Lena Park", user=OTHER)["text"]
    reply = harness.command("forget lena park", user=ADMIN)
    assert any(b.get("accessory") for b in reply["blocks"])


def test_uninstall_stops_all_work_for_the_workspace(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL="C0DIGEST")
    harness.message(DECISION)
    harness.event({"type": "app_uninstalled", "event_ts": "1.1"})
    with harness.deps.sessions.begin() as session:
        assert session.get(Workspace, TEAM_ID).active is False
    harness.fake.clear()
    assert harness.sweep(DUE).sent == 0
    from bot.followups import digests

    assert digests.scheduled(harness.deps, MONDAY.replace(hour=9), "weekly") == 0
    assert harness.fake.calls_to("chat.postMessage") == []


# --- operations ---------------------------------------------------------------------------------------


def test_healthz_reports_database_and_scheduler(harness: Harness) -> None:
    status, _, body = harness.http("GET", "/healthz")
    assert status == 503 and json.loads(body)["scheduler"] == "stopped"  # not started in this harness
    harness.runtime.scheduler.start(paused=True)
    try:
        status, _, body = harness.http("GET", "/healthz")
        assert status == 200 and json.loads(body) == {"ok": True, "database": "ok", "scheduler": "ok",
                                                      "inbox_given_up": 0}
    finally:
        harness.runtime.scheduler.shutdown(wait=False)


def test_json_logs_are_one_object_per_line() -> None:
    record = logging.LogRecord("bot.followups.sweep", logging.INFO, __file__, 1, "nudge sent followup=%s", (7,), None)
    line = JsonFormatter().format(record)
    assert json.loads(line)["message"] == "nudge sent followup=7" and "\n" not in line


def test_check_says_what_is_wrong(db_url: str, fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s",
           "SLACK_API_URL": fake_slack.url, "DATABASE_URL": db_url}
    ok = subprocess.run([EXECUTABLE, "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout
    assert "database: ok" in ok.stdout and "slack token: ok" in ok.stdout
    fake_slack.fail_next("auth.test", error="invalid_auth")
    bad = subprocess.run([EXECUTABLE, "check"], env={**env, "DATABASE_URL": "sqlite:///" + str(tmp_path / "new.db")},
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "database: FAILED" in bad.stdout and "db upgrade" in bad.stdout and "invalid_auth" in bad.stdout
    config = subprocess.run([EXECUTABLE, "check"], env={**env, "SLACK_BOT_TOKEN": ""}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert config.returncode == 1 and "SLACK_BOT_TOKEN" in config.stdout


# --- events whose processing fails after the acknowledgement ------------------------------------------


def test_a_decision_whose_processing_failed_after_the_ack_is_processed_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.followups import recording

    real = recording.record_reading

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("the database went away for a moment")

    monkeypatch.setattr(recording, "record_reading", broken)
    assert harness.message(DECISION, ts="1700000000.000900") == 200  # acked: Slack won't retry it
    monkeypatch.setattr(recording, "record_reading", real)
    assert harness.fake.calls_to("chat.postMessage") == []
    harness.inbox.redeliver(MONDAY + timedelta(seconds=30))
    assert harness.fake.calls_to("chat.postMessage") == []  # not yet: it may still be in progress
    assert harness.inbox.redeliver(MONDAY + timedelta(minutes=2)) == 1
    [reply] = harness.fake.calls_to("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000900"
    with harness.deps.sessions.begin() as session:
        assert len(session.scalars(select(Followup)).all()) == 2
        assert session.scalars(select(InboxEvent)).all() == []
    assert harness.inbox.redeliver(MONDAY + timedelta(minutes=5)) == 0


def _envelope(event: dict, event_id: str) -> str:
    return json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
                       "event_id": event_id, "event_time": 1700000000, "event": event})


def test_a_message_event_is_in_the_inbox_when_acknowledged_and_processed_after_the_ack(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.followups import recording

    gate = threading.Event()
    real = recording.record_message

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(recording, "record_message", held)
    event = {"type": "message", "channel": "C0HIRING", "channel_type": "channel", "user": MANAGER,
             "text": DECISION, "ts": "1700000000.000700"}
    status, _ = harness.signed(_envelope(event, "Ev0KEPT"), "application/json")
    assert status == 200
    with harness.deps.sessions.begin() as session:  # committed before the ack
        assert [row.event_id for row in session.scalars(select(InboxEvent))] == ["Ev0KEPT"]
    assert harness.fake.calls_to("chat.postMessage") == []  # processing comes after the ack
    gate.set()
    harness.drain()
    assert len(harness.fake.calls_to("chat.postMessage")) == 1
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(InboxEvent)).all() == []


def test_what_is_kept_before_the_ack_every_channel_message_but_the_bots_own_and_direct_messages() -> None:
    from handlers.events import own_checker, worth_keeping
    from tests.fake_slack import BOT_ID, BOT_USER_ID

    is_own = own_checker(BOT_ID, BOT_USER_ID)

    def kept(**event: object) -> bool:
        return worth_keeping({"type": "event_callback", "event": {"type": "message", "channel_type": "channel",
                                                                  "channel": "C0HIRING", "ts": "1.1",
                                                                  "user": MANAGER, **event}}, is_own)

    assert kept(text=DECISION) and kept(text="Lunch is here!")  # reading it is processing, after the ack
    assert kept(subtype="bot_message", bot_id="B0ATS", text=DECISION)  # an ATS bot's post
    assert not kept(text=DECISION, user=BOT_USER_ID) and not kept(subtype="bot_message", bot_id=BOT_ID, text="x")
    assert not kept(text=DECISION, channel_type="im") and not kept(subtype="channel_join", text="joined")
    assert not kept(text="")
    assert kept(subtype="message_deleted", deleted_ts="1.2")
    assert kept(subtype="message_changed", message={"user": MANAGER, "text": "new", "ts": "1.1"},
                previous_message={"text": "old"})
    assert not kept(subtype="message_changed", message={"user": MANAGER, "text": "same", "ts": "1.1"},
                    previous_message={"text": "same"})
    # an event that names no message to answer is no message (tests/test_message_shapes.py goes through the app)
    assert not kept(text=DECISION, channel=None) and not kept(text=DECISION, ts=None)


def test_when_the_inbox_cannot_be_written_slack_is_asked_to_deliver_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(repo, "inbox_keep_many", down)
    assert harness.message(DECISION, event_id="Ev0DOWN") == 503
    monkeypatch.undo()
    assert harness.message(DECISION, event_id="Ev0DOWN", retry_num=1) == 200
    with harness.deps.sessions.begin() as session:
        assert len(session.scalars(select(Followup)).all()) == 2
