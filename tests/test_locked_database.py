"""A database held by someone else: what comes before Slack's acknowledgement gives up quickly (503 for an
event, which Slack sends again; a message for a command) and /healthz says why, on both databases, with a
real lock: another connection's BEGIN IMMEDIATE on the SQLite file, a LOCK TABLE ... IN ACCESS EXCLUSIVE
MODE on PostgreSQL. How long each answer takes: benchmarks/locked_database.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from bot.slack import blocks, metadata
from bot.slack.messages import BUSY
from storage.db import make_engine
from storage.models import Followup, InboxEvent, Round
from tests.harness import Harness

DECISION = "Staff Data Engineer: not moving forward with Omar Haddad or Lena Park."


@contextmanager
def locked(h: Harness, *tables: str) -> Iterator[None]:
    """Another connection holds the database (SQLite: its write lock; PostgreSQL: `tables`) until the end."""
    url = h.settings.database_url
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            try:
                yield
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def health(h: Harness) -> tuple[int, dict[str, object]]:
    status, _, body = h.http("GET", "/healthz")
    return status, json.loads(body)


def count(h: Harness, model: type) -> int:
    with h.deps.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def running(harness: Harness) -> Iterator[Harness]:
    harness.runtime.scheduler.start(paused=True)
    yield harness
    harness.runtime.scheduler.shutdown(wait=False)


def test_a_decision_gets_503_while_the_database_is_locked_then_is_recorded_when_sent_again(
    running: Harness,
) -> None:
    h = running
    with locked(h, "inbox"):
        assert h.message(DECISION, event_id="Ev0LOCKED", ts="1700000001.000100") == 503
        status, report = health(h)
        assert status == 503
        assert report == {"ok": False, "scheduler": "ok",
                          "database": "busy: a writer could not start within 0.5 s (the database is locked)"}
    assert count(h, InboxEvent) == count(h, Followup) == 0 and h.fake.calls_to("chat.postMessage") == []

    assert health(h) == (200, {"ok": True, "database": "ok", "scheduler": "ok", "inbox_given_up": 0})
    assert h.message(DECISION, event_id="Ev0LOCKED", ts="1700000001.000100", retry_num=1) == 200
    assert count(h, Followup) == 2 and len(h.fake.calls_to("chat.postMessage")) == 1


def test_a_writer_of_this_process_holding_the_database_also_gives_503_not_a_wait(harness: Harness) -> None:
    h = harness
    with h.deps.sessions.begin() as session:  # a long unit of work of this process (a job, say)
        session.add(Round(team_id="T0TEAM", role="QA", manager_id="U0X", source="command", created_by="U0X",
                          created_at=h.now))
        session.flush()
        if h.settings.database_url.startswith("postgresql"):
            session.connection().exec_driver_sql("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
        assert h.message(DECISION, event_id="Ev0INPROC", ts="1700000001.000100") == 503
    assert h.message(DECISION, event_id="Ev0INPROC", ts="1700000001.000100", retry_num=1) == 200
    assert count(h, Followup) == 2


def test_a_command_that_reads_says_the_database_is_busy_instead_of_timing_out(running: Harness) -> None:
    """What reads answers in the acknowledgement, within the second its engine waits. (What writes is
    acknowledged first and tells its outcome after: tests/test_command_saves.py.)"""
    h = running
    if not h.settings.database_url.startswith("postgresql"):
        pytest.skip("on SQLite a reader never waits for a writer")
    with locked(h, "followups"):
        assert h.command("pending") == {"text": BUSY}
    assert "no open" in h.command("pending")["text"].lower() or "nothing" in h.command("pending")["text"].lower()


def test_a_modal_says_the_database_is_busy_under_its_field(running: Harness) -> None:
    """PostgreSQL: what the decision modal reads before its ack waits behind the lock (SQLite's readers
    never wait for a writer)."""
    h = running
    if not h.settings.database_url.startswith("postgresql"):
        pytest.skip("on SQLite a reader never waits for a writer")
    values = {"role": {"role": {"type": "plain_text_input", "value": "Staff Data Engineer"}},
              "manager": {"manager": {"type": "users_select", "selected_user": "U0MANAGER"}},
              "not_selected": {"not_selected": {"type": "plain_text_input", "value": "Omar Haddad"}}}
    carried = metadata.encode(c="C0HIRING", ts="1700000001.000100", a="U0MANAGER")
    with locked(h, "decisions"):
        status, body = h.submit_view(blocks.VIEW_DECISION, values, private_metadata=carried)
    assert status == 200 and json.loads(body) == {"response_action": "errors", "errors": {"role": BUSY}}
    assert count(h, Followup) == 0
