"""The inbox on its own: group commit before the ack, processing after it, in the gaps between requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from bot.inbox import Activity, Inbox, InboxUnavailable
from storage import repo
from storage.db import make_engine
from storage.models import InboxEvent
from tests.harness import MONDAY, Harness


def body(n: int, channel: str = "C0HIRING") -> dict[str, Any]:
    return {"type": "event_callback", "team_id": "T0TEAM", "event_id": f"Ev{n:06d}",
            "event": {"type": "message", "channel": channel, "text": f"message {n}", "ts": f"1700000000.{n:06d}"}}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.fail: set[str] = set()

    def __call__(self, event_body: dict[str, Any]) -> None:
        if event_body["event_id"] in self.fail:
            raise RuntimeError("processing failed")
        with self.lock:
            self.seen.append(event_body["event_id"])


@pytest.fixture
def engine(harness: Harness) -> Iterator[Engine]:
    engine = make_engine(harness.settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def inbox(harness: Harness, recorder: Recorder) -> Iterator[Inbox]:
    inbox = Inbox(harness.deps, recorder, activity=Activity(quiet=0))
    yield inbox
    inbox.stop()


def kept(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(select(InboxEvent.event_id)))


def test_a_kept_event_is_in_the_table_when_keep_returns_and_leaves_it_once_processed(
    engine: Engine, harness: Harness, recorder: Recorder
) -> None:
    gate = threading.Event()

    def slow(event_body: dict[str, Any]) -> None:
        gate.wait(5)
        recorder(event_body)

    inbox = Inbox(harness.deps, slow, activity=Activity(quiet=0))
    try:
        inbox.keep(body(1))
        assert kept(engine) == ["Ev000001"]  # committed before keep returned: before the ack
        gate.set()
        inbox.drain()
        assert recorder.seen == ["Ev000001"]
    finally:
        inbox.stop()


def test_requests_arriving_together_share_commits(engine: Engine, inbox: Inbox, recorder: Recorder,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = repo.inbox_keep_many
    groups: list[int] = []

    def slow(connection: Any, rows: Any) -> None:
        groups.append(len(rows))
        time.sleep(0.2)  # the first commit is slow: everyone else arrives meanwhile
        real(connection, rows)

    monkeypatch.setattr(repo, "inbox_keep_many", slow)
    threads = [threading.Thread(target=inbox.keep, args=(body(n),)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    inbox.drain()
    assert sum(groups) == 20 and len(groups) < 20, groups
    assert sorted(recorder.seen) == sorted(f"Ev{n:06d}" for n in range(20))
    # processed events were left in the table by this fake processor; every one was kept exactly once
    assert kept(engine) == sorted(f"Ev{n:06d}" for n in range(20))


def test_a_failed_commit_fails_every_request_it_carried_and_the_next_one_works(
    engine: Engine, inbox: Inbox, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(repo, "inbox_keep_many", down)
    with pytest.raises(InboxUnavailable):
        inbox.keep(body(1))
    monkeypatch.undo()
    inbox.keep(body(2))
    inbox.drain()
    assert recorder.seen == ["Ev000002"] and kept(engine) == ["Ev000002"]


def test_a_retry_or_a_duplicate_is_kept_once_and_an_event_already_handled_not_at_all(
    engine: Engine, harness: Harness, inbox: Inbox
) -> None:
    with harness.deps.sessions.begin() as session:
        assert repo.claim_event(session, event_id="Ev000009", team_id="T0TEAM", now=MONDAY)
    inbox.keep(body(1))
    inbox.keep(body(1))
    inbox.keep(body(9))
    inbox.drain()
    assert kept(engine) == ["Ev000001"]


def test_processing_waits_for_a_quiet_moment_but_not_longer_than_max_delay(
    engine: Engine, harness: Harness, recorder: Recorder
) -> None:
    activity = Activity(quiet=0.05)
    inbox = Inbox(harness.deps, recorder, activity=activity, max_delay=0.5)
    try:
        with activity.request():  # a request in flight: the ack path comes first
            inbox.keep(body(1))
            time.sleep(0.2)
            assert recorder.seen == []
        deadline = time.monotonic() + 2
        while not recorder.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert recorder.seen == ["Ev000001"]  # processed once the requests stopped

        with activity.request():  # requests never stop: processed anyway after max_delay
            inbox.keep(body(2))
            began = time.monotonic()
            while len(recorder.seen) < 2 and time.monotonic() - began < 3:
                time.sleep(0.01)
            assert recorder.seen == ["Ev000001", "Ev000002"]
            assert 0.4 <= time.monotonic() - began < 2.5
    finally:
        inbox.stop()


def test_events_of_one_channel_are_processed_in_order(inbox: Inbox, recorder: Recorder) -> None:
    for n in range(30):
        inbox.keep(body(n, channel="C0ONE"))
    inbox.drain()
    assert recorder.seen == [f"Ev{n:06d}" for n in range(30)]


def test_a_failure_while_processing_leaves_the_event_for_redelivery(
    engine: Engine, inbox: Inbox, recorder: Recorder
) -> None:
    recorder.fail.add("Ev000001")
    inbox.keep(body(1))
    inbox.keep(body(2))
    inbox.drain()
    assert recorder.seen == ["Ev000002"]
    assert "Ev000001" in kept(engine)


def test_once_stopped_it_takes_nothing_new_and_leaves_what_it_had_not_processed(
    engine: Engine, harness: Harness, recorder: Recorder
) -> None:
    activity = Activity(quiet=0.05)
    inbox = Inbox(harness.deps, recorder, activity=activity, max_delay=30)
    with activity.request():
        inbox.keep(body(1))  # waits for a quiet moment that has not come when we stop
        inbox.stop(timeout=1)
    with pytest.raises(InboxUnavailable):
        inbox.keep(body(2))
    assert recorder.seen == [] and kept(engine) == ["Ev000001"]


def test_one_statement_writes_are_atomic_and_take_no_explicit_transaction(engine: Engine) -> None:
    from storage.db import one_statement

    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def log(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement.split()[0].upper())

    with one_statement(engine) as connection:
        repo.inbox_keep_many(connection, [
            {"event_id": "EvONE", "team_id": "T", "body": "{}", "received_at": MONDAY},
            {"event_id": "EvTWO", "team_id": "T", "body": "{}", "received_at": MONDAY},
        ])
    assert statements == ["WITH"]  # no BEGIN, no separate COMMIT statement
    assert kept(engine) == ["EvONE", "EvTWO"]
