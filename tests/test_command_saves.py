"""`/interview-round ROLE: …` acknowledges first, then saves, then says how it went through the response_url.

The issue: with the database locked, the command wrote before it acknowledged, Slack showed the user an
error after 3 s (Bolt's 404), and the round was stored afterwards. Now the acknowledgement comes at once
("⏳ Logging …") while the lock is still held, and the user is told "Logged" only for what was saved, "nothing
was saved" only for what was not, and, when the commit itself failed and the database cannot say, that it
may have been. Real locks on both databases (another connection's BEGIN IMMEDIATE on the SQLite file; LOCK
TABLE … IN ACCESS EXCLUSIVE MODE on PostgreSQL); commit failures simulated in the driver's commit."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import default

from bot.followups import saving
from bot.slack.messages import BUSY, GENERIC_ERROR, UNSURE
from storage.models import ChannelManager, DigestSubscription, Round
from tests.harness import MANAGER, Harness
from tests.test_locked_database import locked

ROUND = "Staff Data Engineer: Omar Haddad (onsite), Lena Park"
FORM = "application/x-www-form-urlencoded"


def rounds(h: Harness) -> int:
    with h.deps.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(Round)) or 0)


def texts(h: Harness, response_url: str) -> list[str]:
    return [r["text"] for r in h.responses(response_url)]


@pytest.fixture
def running(harness: Harness) -> Iterator[Harness]:
    harness.runtime.scheduler.start(paused=True)
    yield harness
    harness.runtime.scheduler.shutdown(wait=False)


def test_acknowledged_while_the_database_is_locked_and_logged_once_the_lock_is_gone(
    running: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = running
    tried = threading.Event()
    release = threading.Event()

    def wait_for_the_lock(seconds: float) -> None:  # the save tried once, found the lock, and waits: let go
        tried.set()
        release.wait(10)

    monkeypatch.setattr(saving, "pause", wait_for_the_lock)
    form = h.command_form(ROUND)
    with locked(h, "rounds", "candidates"):
        status, body = h.signed(urlencode(form), FORM)  # answered while the lock is still held
        assert status == 200 and body.decode() == "⏳ Logging *Staff Data Engineer*…"
        assert tried.wait(10)  # the save found the database locked, and rolled back
        assert h.responses(form["response_url"]) == []
    release.set()
    h.drain()
    [logged] = h.responses(form["response_url"])
    assert logged["text"].startswith("Logged Staff Data Engineer with 2 candidates")
    assert logged["response_type"] == "ephemeral" and rounds(h) == 1  # once: the try that failed left nothing


def test_a_lock_held_longer_than_the_patience_is_told_as_busy_and_nothing_is_saved(
    running: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = running
    monkeypatch.setattr(saving, "PATIENCE", 0.0)  # one try, which gives up on its lock within a second
    form = h.command_form(ROUND)
    with locked(h, "rounds", "candidates"):
        status, body = h.signed(urlencode(form), FORM)
        assert status == 200 and body.decode().startswith("⏳")
        h.drain()
    assert texts(h, form["response_url"]) == [BUSY] and rounds(h) == 0
    assert h.command(ROUND)["text"].startswith("Logged Staff Data Engineer") and rounds(h) == 1


def test_channel_settings_are_acknowledged_first_and_told_as_saved_or_busy(
    running: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = running
    monkeypatch.setattr(saving, "PATIENCE", 0.0)
    with locked(h, "digest_subscriptions", "channel_managers"):
        assert h.command("digest weekly") == {"text": BUSY, "response_type": "ephemeral", "replace_original": False}
        assert h.last_ack == {"text": "⏳ Saving <#C0HIRING>'s digest setting…"}
        assert h.command("channel-manager <@U0CHANMGR>")["text"] == BUSY
    with h.deps.sessions.begin() as session:
        assert session.scalars(select(DigestSubscription)).all() == []
        assert session.scalars(select(ChannelManager)).all() == []
    assert "will get a weekly digest" in h.command("digest weekly")["text"]
    assert h.command("channel-manager <@U0CHANMGR>")["text"].startswith("Done: <@U0CHANMGR> is the hiring manager")


def failing_commit(monkeypatch: pytest.MonkeyPatch, *, after: bool, then: Callable[[], None] = lambda: None) -> None:
    """The next commit fails as a dropped connection does: before it reached the database (`after` False), or
    after the database committed it (`after` True: the answer was lost)."""
    real = default.DefaultDialect.do_commit
    armed = [True]

    def do_commit(self: Any, dbapi_connection: Any) -> None:
        if not armed[0]:
            return real(self, dbapi_connection)
        armed[0] = False
        if after:
            real(self, dbapi_connection)
        then()
        raise self.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(default.DefaultDialect, "do_commit", do_commit)


@pytest.mark.parametrize(("after", "told", "stored"), [
    (True, "Logged Staff Data Engineer", 1),  # committed, answer lost: the database says it was saved
    (False, GENERIC_ERROR, 0),  # never committed: the database says it was not
])
def test_a_commit_that_fails_is_told_as_what_the_database_shows(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, after: bool, told: str, stored: int
) -> None:
    failing_commit(monkeypatch, after=after)
    assert harness.command(ROUND)["text"].startswith(told)
    assert rounds(harness) == stored


def test_a_commit_that_fails_with_the_database_gone_says_it_cannot_tell(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone() -> None:  # the database is unreachable when asked afterwards
        def refuse(*_args: Any, **_kw: Any) -> None:
            raise OSError("connection refused")

        monkeypatch.setattr(harness.deps.ack_path.reads, "begin", refuse)  # type: ignore[union-attr]

    failing_commit(monkeypatch, after=True, then=gone)
    assert harness.command(ROUND)["text"] == UNSURE


def test_when_the_response_url_fails_the_outcome_goes_by_dm(harness: Harness) -> None:
    harness.fake.fail_next("respond", status=500, times=3)  # the first try and both retries
    harness.command(ROUND)
    [dm] = harness.fake.calls_to("chat.postMessage")
    assert dm.args["channel"] == MANAGER and dm.args["text"].startswith("Logged Staff Data Engineer")
    assert rounds(harness) == 1
    assert json.dumps(dm.args["blocks"]).count("Omar Haddad") >= 1
