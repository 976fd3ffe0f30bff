"""The inbox on its own: group commit before the ack, processing after it, in the gaps between requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
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

    def slow(connection: Any, rows: Any, **claim: Any) -> None:
        groups.append(len(rows))
        time.sleep(0.2)  # the first commit is slow: everyone else arrives meanwhile
        real(connection, rows, **claim)

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
    def down(*_args: Any, **_kw: Any) -> None:
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


# --- one worker at a time: claims under a lease --------------------------------------------------------


DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad."


def envelope(event_id: str, text: str, ts: str) -> str:
    return json.dumps({"token": "legacy", "team_id": "T0TEAM", "api_app_id": "A0APP", "type": "event_callback",
                       "event_id": event_id, "event_time": 1700000000,
                       "event": {"type": "message", "channel": "C0HIRING", "channel_type": "channel",
                                 "user": "U0MANAGER", "text": text, "ts": ts}})


def claims(engine: Engine) -> dict[str, tuple[str | None, int]]:
    with engine.connect() as connection:
        return {row.event_id: (row.claimed_by, row.attempts) for row in connection.execute(select(InboxEvent))}


def other_replica(harness: Harness, name: str, process: Any) -> Inbox:
    return Inbox(replace(harness.deps, replica_id=name, stopping=threading.Event()), process,
                 activity=Activity(quiet=0))


def test_events_held_in_processing_are_not_redelivered_by_this_replica_or_another(
    harness: Harness, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue: with a slow message in processing, the redelivery job picked up the events a processing
    thread still held (one being processed, one waiting behind it in its lane) and processed them again."""
    from handlers import events

    real = events.process
    gate, entered = threading.Event(), threading.Event()
    processed: list[str] = []

    def slow(deps: Any, event_body: dict[str, Any], is_own: Any) -> None:
        processed.append(event_body["event_id"])
        entered.set()
        gate.wait(30)  # a slow message: the reader, Slack answering slowly, a 429 with Retry-After
        real(deps, event_body, is_own)

    monkeypatch.setattr(events, "process", slow)
    for n in (1, 2):  # one channel, one lane: the second waits behind the first
        status, _ = harness.signed(envelope(f"Ev0SLOW{n}", DECISION.replace("Omar", f"Omar{n}"),
                                            f"1700000000.00010{n}"), "application/json")
        assert status == 200
    assert entered.wait(10)
    assert claims(engine) == {"Ev0SLOW1": ("test-replica", 0), "Ev0SLOW2": ("test-replica", 0)}

    later = MONDAY + timedelta(minutes=2)  # past REDELIVER_AFTER and past the lease they were born with
    assert harness.inbox.redeliver(later) == 0  # this replica's job: they are held here
    harness.inbox.renew(later + timedelta(minutes=1))  # the lease keeper's tick, as time goes on
    elsewhere = other_replica(harness, "replica-b", harness.redeliver)
    try:
        assert elsewhere.redeliver(later + timedelta(minutes=1, seconds=30)) == 0  # another replica's job
    finally:
        elsewhere.stop()
    assert processed == ["Ev0SLOW1"]

    gate.set()
    harness.drain()
    assert processed == ["Ev0SLOW1", "Ev0SLOW2"]  # each once
    assert len(harness.fake.calls_to("chat.postMessage")) == 2 and claims(engine) == {}


def test_the_rows_of_a_replica_that_died_are_taken_once_its_lease_runs_out(
    harness: Harness, engine: Engine, recorder: Recorder
) -> None:
    with harness.deps.sessions.begin() as session:  # kept by a replica that died before processing them
        repo.inbox_keep_many(session.connection(), [
            {"event_id": f"Ev{n:06d}", "team_id": "T0TEAM", "body": json.dumps(body(n)), "received_at": MONDAY}
            for n in range(3)], claimer="dead-replica", expires=MONDAY + timedelta(minutes=3))
    alive = other_replica(harness, "alive", recorder)
    try:
        assert alive.redeliver(MONDAY + timedelta(minutes=2)) == 0  # its lease runs: it may be slow, not dead
        assert alive.redeliver(MONDAY + timedelta(minutes=3, seconds=1)) == 3
    finally:
        alive.stop()
    assert recorder.seen == ["Ev000000", "Ev000001", "Ev000002"]
    assert claims(engine) == {f"Ev{n:06d}": ("alive", 1) for n in range(3)}  # this recorder leaves them


def test_two_replicas_redelivering_at_once_process_each_row_once(
    harness: Harness, engine: Engine, recorder: Recorder
) -> None:
    rows = [{"event_id": f"Ev{n:06d}", "team_id": "T0TEAM", "body": json.dumps(body(n, f"C{n}")),
             "received_at": MONDAY} for n in range(40)]
    with harness.deps.sessions.begin() as session:  # handed back after failures: free for anyone
        repo.inbox_keep_many(session.connection(), rows)

    def slow(event_body: dict[str, Any]) -> None:
        time.sleep(0.005)
        recorder(event_body)

    replicas = [other_replica(harness, f"replica-{n}", slow) for n in range(3)]
    try:
        threads = [threading.Thread(target=r.redeliver, args=(MONDAY + timedelta(minutes=2),)) for r in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for r in replicas:
            r.stop()
    assert sorted(recorder.seen) == sorted(r["event_id"] for r in rows)  # every one, none twice


def test_a_failed_event_is_handed_back_and_redelivered_after_a_minute_once_stopped_what_waits_is_too(
    harness: Harness, engine: Engine, recorder: Recorder
) -> None:
    recorder.fail.add("Ev000001")
    inbox = Inbox(harness.deps, recorder, activity=Activity(quiet=0))
    try:
        inbox.keep(body(1))
        inbox.drain()
        assert claims(engine) == {"Ev000001": (None, 0)}  # handed back, free in a minute
        recorder.fail.clear()
        assert inbox.redeliver(MONDAY + timedelta(seconds=59)) == 0
        assert inbox.redeliver(MONDAY + timedelta(minutes=1, seconds=1)) == 1
    finally:
        inbox.stop()
    activity = Activity(quiet=0.05)
    stopping = Inbox(harness.deps, recorder, activity=activity, max_delay=30)
    with activity.request():
        stopping.keep(body(2))  # waits for a quiet moment that has not come when it stops
        stopping.stop(timeout=1)
    assert claims(engine)["Ev000002"] == (None, 0)  # handed back: the next replica need not wait for the lease


def test_one_channels_slow_message_holds_up_no_other_channel(harness: Harness, recorder: Recorder) -> None:
    gate = threading.Event()
    others = threading.Event()

    def process(event_body: dict[str, Any]) -> None:
        if event_body["event_id"] == "Ev000001":
            gate.wait(10)  # a 40,000-character message, or a Slack call that times out
        recorder(event_body)
        if {"Ev000003", "Ev000004", "Ev000005", "Ev000006"} <= set(recorder.seen):
            others.set()

    inbox = Inbox(harness.deps, process, activity=Activity(quiet=0), lanes=2)
    try:
        inbox.keep(body(1, "C0SLOW"))
        inbox.keep(body(2, "C0SLOW"))  # waits for its own channel's first message only
        for n, channel in ((3, "C0A"), (4, "C0B"), (5, "C0C"), (6, "C0D")):
            inbox.keep(body(n, channel))
        assert others.wait(10)  # every other channel's, on the one lane the slow message leaves free
        assert "Ev000002" not in recorder.seen
        gate.set()
        inbox.drain()
        assert recorder.seen.index("Ev000001") < recorder.seen.index("Ev000002")
    finally:
        gate.set()
        inbox.stop()
