"""Does a slow message hold anyone up? The hardening issue's attack, measured through the real app.

Four 40,000-character messages built to be hard for the reader ("Not moving forward with Mr. Mr. Mr. …")
arrive in four channels; meanwhile `/interview-round help` is sent 40 times and an ordinary decision is
posted in a fifth channel. Prints the acknowledgement times of the command (median and worst, while the
slow messages are being read, and alone for comparison) and how long the ordinary decision waited for
its thread reply. The app is the tests' harness (signed requests into the WSGI app, a fresh SQLite
database, the tests' fake Slack); nothing reads the working directory's `.env`.

    python benchmarks/slow_reader_ack.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("PYTHON_DOTENV_DISABLED", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.db import make_engine, upgrade  # noqa: E402
from tests.fake_slack import TEAM_ID, FakeSlack  # noqa: E402
from tests.harness import MANAGER, Harness  # noqa: E402

SLOW = "Not moving forward with " + "Mr. " * 9990
ORDINARY = "Decision for Staff Data Engineer: not moving forward with Omar Haddad (onsite)."


def post(harness: Harness, text: str, channel: str, ts: str) -> None:
    """A signed message event, acknowledged; not waited for (Harness.message waits for its processing)."""
    harness._event_seq += 1
    envelope = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
                "event_id": f"EvSlow{harness._event_seq:06d}", "event_time": int(time.time()),
                "event": {"type": "message", "channel": channel, "text": text, "ts": ts, "event_ts": ts,
                          "channel_type": "channel", "team": TEAM_ID, "user": MANAGER}}
    status, _ = harness.signed(json.dumps(envelope), "application/json")
    assert status == 200, status


def acks(harness: Harness, count: int) -> list[float]:
    times = []
    for _ in range(count):
        form = harness.command_form("help")
        start = time.perf_counter()
        status, _ = harness.signed(urlencode(form), "application/x-www-form-urlencoded")
        times.append(time.perf_counter() - start)
        assert status == 200
    return times


def main() -> int:
    folder = tempfile.mkdtemp(prefix="pg-slow-")
    url = f"sqlite:///{folder}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    fake = FakeSlack()
    fake.start()
    harness = Harness(db_url=url, fake=fake)
    try:
        alone = acks(harness, 40)
        for n in range(4):
            post(harness, SLOW, f"C0SLOW{n}", f"1700000000.00010{n}")
        posted = time.perf_counter()
        post(harness, ORDINARY, "C0ORDINARY", "1700000000.000200")
        loaded = acks(harness, 40)
        while not [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "C0ORDINARY"]:
            if time.perf_counter() - posted > 120:
                raise SystemExit("the ordinary decision got no thread reply within 120 s")
            time.sleep(0.01)
        replied = time.perf_counter() - posted
        harness.drain()
    finally:
        harness.close()
        fake.stop()
    print("| `/interview-round help` acknowledged | median | worst |")
    print("|---|---|---|")
    print(f"| alone | {statistics.median(alone) * 1000:.0f} ms | {max(alone) * 1000:.0f} ms |")
    print(f"| while four 40,000-character adversarial messages are read | {statistics.median(loaded) * 1000:.0f} ms | "
          f"{max(loaded) * 1000:.0f} ms |")
    print(f"\nthe ordinary decision's thread reply, in its own channel: {replied:.2f} s after it was posted")
    print(f"threads alive at the end: {threading.active_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
