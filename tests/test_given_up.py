"""Nothing kept in the inbox is given up in silence: a row whose last attempt fails is kept, marked given up,
and told about once (the message's thread and the admins; the admins for an ATS delivery), on one replica or
several; `persona-grata inbox retry` puts it back. Through the real app, the fake Slack, and `now` driven."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from bot import cli
from bot.inbox import REDELIVER_ATTEMPTS, Activity, Inbox
from bot.server import Runtime
from storage import repo
from storage.db import alembic_config, check, make_engine, upgrade
from storage.models import InboxEvent
from tests import ats_webhooks
from tests.ats_webhooks import count, followups
from tests.fake_slack import Call
from tests.harness import ADMIN, CHANNEL, MANAGER, MONDAY, Harness
from tests.test_ats_decisions import empty_url  # noqa: F401  (the fixture: SQLite, and PostgreSQL's own schema)

SECRET = "gh-test-secret"
NAME = "Ines Moreau"
DECISION = "Platform Engineer update: we decided not to move forward with Omar Haddad after the onsite."
TS = "1700000000.000100"


class Down:
    """A service that raises while `down`: the cause of every failure here, fixed by setting it False."""

    def __init__(self, real: Any) -> None:
        self.real, self.down, self.calls = real, True, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.down:
            raise RuntimeError("the service is down")
        return self.real(*args, **kwargs)


def notices(h: Harness) -> list[Call]:
    """The notices Slack took."""
    return [c for c in h.fake.calls_to("chat.postMessage") if c.ok and any(
        words in str(c.args.get("text")) for words in ("gave up", "could not process"))]


def run_out(h: Harness, inbox: Inbox | None = None, *, start: int = 0, times: int = REDELIVER_ATTEMPTS) -> None:
    """The redelivery job, a minute and a half apart (each failure frees the row after REDELIVER_AFTER)."""
    for n in range(start + 1, start + times + 1):
        h.now = MONDAY + timedelta(minutes=2 * n)
        (inbox or h.inbox).redeliver(h.now)


def given_up(h: Harness) -> list[tuple[str, int, bool, bool, str | None]]:
    with h.deps.sessions.begin() as session:
        return [(r.event_id, r.attempts, r.given_up_at is not None, r.told_at is not None, r.last_error)
                for r in session.scalars(select(InboxEvent).order_by(InboxEvent.event_id))]


def replica(h: Harness, name: str) -> Inbox:
    return Inbox(replace(h.deps, replica_id=name, stopping=threading.Event()), h.redeliver,
                 activity=Activity(quiet=0))


def test_a_message_that_always_fails_is_given_up_and_told_once_in_its_thread_and_to_the_admins(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.followups import recording

    caplog.set_level(logging.INFO)
    down = Down(recording.record_message)
    monkeypatch.setattr(recording, "record_message", down)
    assert harness.message(DECISION, user=MANAGER, ts=TS, event_id="Ev0GIVEUP") == 200
    run_out(harness, times=REDELIVER_ATTEMPTS - 1)
    assert notices(harness) == [] and given_up(harness)[0][:3] == ("Ev0GIVEUP", REDELIVER_ATTEMPTS - 1, False)

    run_out(harness, start=REDELIVER_ATTEMPTS - 1, times=1)  # the last attempt fails too
    assert down.calls == REDELIVER_ATTEMPTS + 1  # the first processing, then every redelivery
    assert given_up(harness) == [("Ev0GIVEUP", REDELIVER_ATTEMPTS, True, True, "RuntimeError")]
    thread, dm = notices(harness)
    assert (thread.args["channel"], thread.args["thread_ts"]) == (CHANNEL, TS)
    assert "nothing from it is recorded" in thread.args["text"] and "Record hiring decision" in thread.args["text"]
    assert "/interview-round" in thread.args["text"] and thread.args.get("blocks")
    assert dm.args["channel"] == ADMIN and not dm.args.get("thread_ts")
    assert f"https://example.slack.com/archives/{CHANNEL}/p{TS.replace('.', '')}" in dm.args["text"]

    run_out(harness, start=REDELIVER_ATTEMPTS, times=2)  # the job again: not told twice, not processed again
    other = replica(harness, "replica-b")
    try:
        run_out(harness, other, start=REDELIVER_ATTEMPTS + 2, times=2)  # another replica: neither
    finally:
        other.stop()
    assert len(notices(harness)) == 2 and down.calls == REDELIVER_ATTEMPTS + 1
    assert "Omar" not in caplog.text and "Haddad" not in caplog.text


def test_a_reply_in_a_thread_is_told_about_in_that_thread(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.followups import recording

    monkeypatch.setattr(recording, "record_message", Down(recording.record_message))
    harness.message(DECISION, user=MANAGER, ts="1700000001.000200", fields={"thread_ts": TS})
    run_out(harness)
    assert notices(harness)[0].args["thread_ts"] == TS


def test_an_edit_is_told_about_in_the_edited_message_s_thread(harness: Harness,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.followups import recording

    monkeypatch.setattr(recording, "record_message", Down(recording.record_message))
    edited = {"type": "message", "user": MANAGER, "text": DECISION, "ts": TS}
    harness.message("", user=None, ts="1700000002.000300",
                    fields={"subtype": "message_changed", "message": edited, "previous_message": {**edited,
                                                                                                   "text": "draft"}})
    run_out(harness)
    thread, dm = notices(harness)
    assert thread.args["thread_ts"] == TS and TS.replace(".", "") in dm.args["text"]


def test_two_replicas_telling_at_once_tell_once(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.followups import recording

    monkeypatch.setattr(recording, "record_message", Down(recording.record_message))
    harness.message(DECISION, user=MANAGER, ts=TS)
    run_out(harness, times=REDELIVER_ATTEMPTS - 1)
    with harness.deps.sessions.begin() as session:  # the last attempt spent, by a version that gave nothing up
        session.execute(text("UPDATE inbox SET attempts = :n"), {"n": REDELIVER_ATTEMPTS})
    others = [replica(harness, f"replica-{n}") for n in range(3)]
    later = harness.now + timedelta(minutes=5)
    try:
        threads = [threading.Thread(target=r.tell_given_up, args=(later,)) for r in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        for other in others:
            other.stop()
    assert len(notices(harness)) == 2  # the thread, the admin: once


def test_a_notice_slack_refuses_for_now_is_tried_again_later(harness: Harness,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.followups import recording

    monkeypatch.setattr(recording, "record_message", Down(recording.record_message))
    harness.message(DECISION, user=MANAGER, ts=TS)
    harness.fake.fail_next("chat.postMessage", error="internal_error")
    harness.fake.fail_next("chat.postMessage", error="internal_error")
    run_out(harness)
    assert notices(harness) == [] and given_up(harness)[0][2:4] == (True, False)
    run_out(harness, start=REDELIVER_ATTEMPTS + 3, times=1)  # past TELL_AGAIN_AFTER
    assert len(notices(harness)) == 2 and given_up(harness)[0][2:4] == (True, True)


@pytest.fixture
def gh(harness: Harness) -> Harness:
    harness.reconfigure(GREENHOUSE_WEBHOOK_SECRET=SECRET)
    harness.fake.emails["recruiter@example.com"] = "U0RECRUITER"
    return harness


def post_rejection(h: Harness) -> int:
    raw = json.dumps(ats_webhooks.fixture("greenhouse", "reject_candidate")).encode()
    return ats_webhooks.post(h, "greenhouse", raw, {"Signature": ats_webhooks.greenhouse_signature(raw, SECRET)})[0]


def test_an_ats_delivery_that_always_fails_is_told_to_the_admins_and_retried_by_hand(
    gh: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.ats import record

    caplog.set_level(logging.INFO)
    down = Down(record.handle)
    monkeypatch.setattr(record, "handle", down)
    assert post_rejection(gh) == 200
    gh.drain()
    run_out(gh)
    run_out(gh, start=REDELIVER_ATTEMPTS, times=2)
    [dm] = notices(gh)
    assert dm.args["channel"] == ADMIN and "Greenhouse" in dm.args["text"] and NAME in dm.args["text"]
    assert "persona-grata inbox retry" in dm.args["text"] and dm.args.get("blocks")
    assert count(gh, InboxEvent) == 1 and followups(gh) == {}

    monkeypatch.setenv("DATABASE_URL", gh.settings.database_url)
    monkeypatch.setenv("PYTHON_DOTENV_DISABLED", "1")
    assert cli.main(["inbox", "list"]) == 0
    listed = capsys.readouterr()
    [line] = listed.out.splitlines()
    assert "\tgreenhouse\t" in line and f"attempts={REDELIVER_ATTEMPTS}" in line and "RuntimeError" in line
    assert "Ines" not in listed.out + listed.err and "1 given-up" in listed.err
    assert Runtime.health(gh.runtime)[1]["inbox_given_up"] == 1

    down.down = False  # the cause is fixed
    assert cli.main(["inbox", "retry"]) == 0
    assert capsys.readouterr().out.startswith("1 given-up inbox events put back")
    run_out(gh, start=REDELIVER_ATTEMPTS + 2, times=3)
    assert count(gh, InboxEvent) == 0 and len(followups(gh)) == 1
    assert down.calls == REDELIVER_ATTEMPTS + 2 and len(notices(gh)) == 1
    assert cli.main(["inbox", "retry"]) == 0 and capsys.readouterr().out.startswith("0 given-up")
    assert "Ines" not in caplog.text and "Moreau" not in caplog.text


def test_0010_adds_the_given_up_columns_and_goes_back_down(empty_url: str) -> None:  # noqa: F811
    engine = make_engine(empty_url)
    config = alembic_config(empty_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009")
            connection.execute(text(
                "INSERT INTO inbox (event_id, team_id, body, received_at, attempts) "
                "VALUES ('Ev1', 'T1', '{}', CURRENT_TIMESTAMP, 5)"))
        assert upgrade(engine) == ("0009", "0010")
        check(engine)  # models and migrations agree
        with engine.begin() as connection:
            row = connection.execute(text("SELECT attempts, given_up_at, told_at, last_error FROM inbox")).one()
            assert tuple(row) == (5, None, None, None)
            config.attributes["connection"] = connection
            command.downgrade(config, "0009")
            assert connection.execute(text("SELECT event_id FROM inbox")).scalars().all() == ["Ev1"]
    finally:
        engine.dispose()


def test_given_up_rows_are_forgotten_after_retention_days(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A given-up body names people nobody recorded: it is kept no longer than any candidate's personal data."""
    from bot.followups import privacy, recording

    monkeypatch.setattr(recording, "record_message", Down(recording.record_message))
    assert harness.message(DECISION, user=MANAGER, ts=TS, event_id="Ev0OLDGIVEUP") == 200
    run_out(harness)
    assert [row[:3] for row in given_up(harness)] == [("Ev0OLDGIVEUP", REDELIVER_ATTEMPTS, True)]
    days = harness.deps.settings.retention_days
    privacy.retention(harness.deps, MONDAY + timedelta(days=days - 1))
    assert len(given_up(harness)) == 1  # not yet
    privacy.retention(harness.deps, MONDAY + timedelta(days=days, hours=1))
    assert given_up(harness) == []
    with harness.deps.sessions.begin() as session:
        assert repo.inbox_given_up_count(session) == 0
