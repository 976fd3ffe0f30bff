"""/healthz tells the truth: it makes the write the bot needs (an inbox row, rolled back), so a database that
refuses every write is reported, not only one that is locked; and it answers within a second whatever the
database does. Through the real WSGI entry point, on both databases."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from storage.models import InboxEvent
from tests.fake_slack import FakeSlack
from tests.harness import Harness

DECISION = "Staff Data Engineer: not moving forward with Omar Haddad or Lena Park."


def read_only(url: str) -> str:
    """The same database, refusing writes on this test's connections only: PostgreSQL's
    default_transaction_read_only as a connection option, SQLite's file opened read-only."""
    if url.startswith("sqlite:///"):
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = (query.get("options", "") + " -cdefault_transaction_read_only=on").strip()
    return urlunsplit(parts._replace(query=urlencode(query)))


def health(h: Harness) -> tuple[int, dict[str, object]]:
    status, _, body = h.http("GET", "/healthz")
    return status, json.loads(body)


@pytest.fixture
def started(harness: Harness) -> Iterator[Harness]:
    harness.runtime.scheduler.start(paused=True)
    yield harness
    harness.runtime.scheduler.shutdown(wait=False)


def test_a_database_that_refuses_every_write_is_unhealthy_and_a_writable_one_healthy(
    started: Harness, db_url: str, fake_slack: FakeSlack
) -> None:
    assert health(started) == (200, {"ok": True, "database": "ok", "scheduler": "ok", "inbox_given_up": 0})
    refusing = Harness(db_url=read_only(db_url), fake=fake_slack)
    refusing.runtime.scheduler.start(paused=True)
    try:
        assert health(refusing) == (503, {"ok": False, "scheduler": "ok",
                                          "database": "read-only: the database refuses writes"})
        # It tells the truth: every write fails there (a decision event is answered 503, nothing stored).
        assert refusing.message(DECISION, ts="1700000001.000100") == 503
    finally:
        refusing.runtime.scheduler.shutdown(wait=False)
        refusing.close()
    with started.deps.sessions.begin() as session:  # the probe's own row was rolled back
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 0
    assert health(started)[0] == 200


class Silent:
    """A PostgreSQL that accepts connections and never answers (a hung server, a black-holed network)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.accepted:
            connection.close()


def test_health_answers_within_its_deadline_when_the_database_does_not_answer(fake_slack: FakeSlack) -> None:
    silent = Silent()
    hung = Harness(db_url=f"postgresql://postgres@127.0.0.1:{silent.port}/test?connect_timeout=5", fake=fake_slack)
    hung.runtime.scheduler.start(paused=True)
    try:
        for _ in range(2):  # the second request shares the probe still waiting, instead of starting another
            assert health(hung) == (503, {"ok": False, "scheduler": "ok",
                                          "database": "no answer: the database did not answer a write within "
                                                      "0.9 s"})
        assert len(silent.accepted) == 1
    finally:
        hung.runtime.scheduler.shutdown(wait=False)
        silent.close()  # the probe's connection attempt fails now, and its thread ends
        hung.close()
