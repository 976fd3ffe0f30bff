"""Several real `serve` processes on one database: no nudge twice, none lost, none skipped, across
SIGKILL mid-send and SIGTERM mid-sweep."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.followups.sweep import NUDGE_EVENT_TYPE
from storage.db import make_engine, make_sessions
from storage.models import Followup, Nudge
from tests.fake_slack import FakeSlack
from tests.harness import CHANNEL
from tests.serve_process import Serve, free_port

pytestmark = pytest.mark.e2e
NAMES = ["Omar Haddad", "Lena Park", "Dana Whitfield", "Marta Nowak", "Yusuf Demir", "Grace Kim", "Tomás Fernández",
         "Ines Duarte", "Ben Ode", "Ana Lima", "Jean-Luc Moreau", "Priya Raman", "Tom O'Brien", "Sara Ali",
         "Kofi Mensah", "Mei Chen", "Lars Berg", "Nadia Haddad", "Felix Wagner", "Aiko Sato"]


def fast(env: dict[str, str], **more: str) -> dict[str, str]:
    return {**env, "NUDGE_SCHEDULE": "3s,1h", "CLAIM_LEASE": "4s", "SWEEP_INTERVAL": "1s", **more}


def decide(server: Serve, i: int, names: list[str], manager: str) -> None:
    event = {"type": "message", "channel": CHANNEL, "user": manager, "channel_type": "channel",
             "ts": f"1700000{i:03d}.000100",
             "text": f"Decision for Support Engineer {i}: not moving forward with {' and '.join(names)}."}
    assert server.post_event(event, f"Ev0R{i:04d}") == 200


def sent_nudges(fake: FakeSlack) -> list[tuple[str, str]]:
    keys = []
    for call in fake.calls_to("chat.postMessage"):
        metadata = call.args.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == NUDGE_EVENT_TYPE:
            keys.append((str(payload["followup_id"]), str(payload["seq"])))
    return keys


def wait_until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def recorded(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with make_sessions(engine).begin() as session:
            nudges = session.scalar(select(func.count()).select_from(Nudge))
            claimed = session.scalar(select(func.count()).select_from(Followup).where(Followup.claimed_by.is_not(None)))
            return int(nudges or 0), int(claimed or 0)
    finally:
        engine.dispose()


def test_two_replicas_share_due_nudges(serve_env: dict[str, str], fake_slack: FakeSlack, db_url: str,
                                       tmp_path: Path, servers: list[Serve]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Serve(fast(serve_env), tmp_path / "a").start()
    b = Serve(fast(serve_env, PORT=str(free_port())), tmp_path / "b").start()
    servers.extend([a, b])
    for i in range(10):
        decide((a, b)[i % 2], i, NAMES[2 * i: 2 * i + 2], f"U0M{i:03d}")
    wait_until(lambda: len(sent_nudges(fake_slack)) >= 20, 60)
    time.sleep(3)  # more sweeps on both: nothing may go out twice
    counts = Counter(sent_nudges(fake_slack))
    assert len(counts) == 20 and set(counts.values()) == {1}, counts
    assert recorded(db_url) == (20, 0)
    logs = a.log.read_text() + b.log.read_text()
    assert logs.count("nudge sent") == 20


def test_sigkill_while_slack_holds_its_answer_sends_the_nudge_once(
    serve_env: dict[str, str], fake_slack: FakeSlack, db_url: str, tmp_path: Path, servers: list[Serve]
) -> None:
    first = Serve(fast(serve_env), tmp_path).start()
    servers.append(first)
    decide(first, 1, ["Omar Haddad"], "U0MANAGER")
    fake_slack.wait_for("chat.postMessage", 1, timeout=10)  # the thread reply
    release = fake_slack.hold_next("chat.postMessage")
    wait_until(lambda: len(sent_nudges(fake_slack)) == 1, 20)  # Slack has the DM; its answer is held
    first.kill()
    release.set()
    assert recorded(db_url)[0] == 0
    second = Serve(fast(serve_env), tmp_path).start()
    servers.append(second)
    wait_until(lambda: recorded(db_url)[0] == 1, 30)
    time.sleep(2)
    assert len(sent_nudges(fake_slack)) == 1  # found in the DM's history, not sent again
    assert "found in the DM history" in second.log.read_text()
    assert second.terminate() == 0


def test_sigterm_mid_sweep_finishes_or_hands_back_and_exits_0(
    serve_env: dict[str, str], fake_slack: FakeSlack, db_url: str, tmp_path: Path, servers: list[Serve]
) -> None:
    server = Serve(fast(serve_env), tmp_path).start()
    servers.append(server)
    for i in range(3):  # nine DMs to one manager: paced a second apart, the sweep takes ~9 s
        decide(server, i, NAMES[3 * i: 3 * i + 3], "U0MANAGER")
    wait_until(lambda: len(sent_nudges(fake_slack)) >= 2, 30)
    began = time.monotonic()
    assert server.terminate() == 0
    assert time.monotonic() - began < 10
    sent_before, claimed = recorded(db_url)
    assert claimed == 0 and sent_before == len(sent_nudges(fake_slack)) < 9
    again = Serve(fast(serve_env), tmp_path).start()
    servers.append(again)
    wait_until(lambda: recorded(db_url)[0] == 9, 40)
    counts = Counter(sent_nudges(fake_slack))
    assert len(counts) == 9 and set(counts.values()) == {1}
