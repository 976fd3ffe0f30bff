"""End to end: the real `persona-grata serve` process takes a Lever webhook, answers 200 with the delivery in
the inbox, and is killed (SIGKILL) while Lever's API (tests/fake_lever.py) keeps it waiting; the next process
processes the kept delivery once, and drops the same webhook delivered again."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import Decision, Followup, InboxEvent, ProcessedEvent
from tests.ats_webhooks import fixture, lever_signed
from tests.fake_lever import OPPORTUNITY, FakeLever
from tests.fake_slack import FakeSlack
from tests.serve_process import Serve

pytestmark = pytest.mark.e2e
TOKEN = "lever-e2e-token"
HIRING_MANAGER = "U0HIRINGMGR"


@pytest.fixture
def api() -> Iterator[FakeLever]:
    fake = FakeLever()
    yield fake
    fake.close()


def rows(db_url: str, model: type) -> int:
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            return int(connection.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()


def wait_until(what: Callable[[], bool], seconds: float, log: Path) -> None:
    """Poll until `what` holds, or fail after `seconds` showing the server's log."""
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_a_process_killed_between_the_200_and_processing_loses_nothing_and_records_once(
    serve_env: dict[str, str], fake_slack: FakeSlack, db_url: str, tmp_path: Path, servers: list[Serve],
    api: FakeLever,
) -> None:
    env = {**serve_env, "LEVER_WEBHOOK_TOKEN": TOKEN, "LEVER_API_KEY": "lever-key", "LEVER_API_URL": api.url,
           "CLAIM_LEASE": "2s"}
    fake_slack.emails["hm@example.com"] = HIRING_MANAGER
    body = fixture("lever", "candidateArchiveChange")
    body["triggeredAt"] = int(time.time() * 1000)  # signed, and checked against the server's clock
    raw = json.dumps(lever_signed(body, TOKEN)).encode()

    api.hang()  # Lever's API keeps the first process waiting: the delivery is answered, not processed
    first = Serve(env, tmp_path).start()
    servers.append(first)
    assert first.post("/ats/lever", raw, {}) == (200, b"OK")
    assert rows(db_url, InboxEvent) == 1  # kept before the 200
    wait_until(lambda: any(OPPORTUNITY in path for path, _ in api.requests), 20, first.log)  # it is waiting
    first.kill()
    assert rows(db_url, InboxEvent) == 1 and rows(db_url, Decision) == 0

    api.answer()
    second = Serve(env, tmp_path).start()
    servers.append(second)
    # the redelivery job (once a minute) takes rows kept at least a minute ago whose lease ran out
    wait_until(lambda: rows(db_url, Followup) == 1 and rows(db_url, InboxEvent) == 0, 150, second.log)
    asked = len(api.requests)

    assert second.post("/ats/lever", raw, {}) == (200, b"OK")  # Lever retrying after the restart
    wait_until(lambda: rows(db_url, InboxEvent) == 0, 20, second.log)
    assert rows(db_url, Followup) == rows(db_url, Decision) == 1 and len(api.requests) == asked
    assert rows(db_url, ProcessedEvent) == 1
    dms = lambda: [c for c in fake_slack.calls_to("chat.postMessage")  # noqa: E731
                   if c.args.get("channel") in (HIRING_MANAGER, "D0HIRINGMGR")]
    wait_until(lambda: len(dms()) >= 1, 30, second.log)  # NUDGE_SCHEDULE 4s: the follow-up's nudge
    assert second.terminate() == 0
    assert len(dms()) == 1
    logs = first.log.read_text()
    for secret in ("Ines", "Moreau", "ines.moreau@example.org", "hm@example.com"):
        assert secret not in logs
