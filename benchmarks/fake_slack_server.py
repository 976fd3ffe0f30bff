"""The tests' fake Slack Web API (tests/fake_slack.py), run as a process of its own for the benchmarks.

It answers at once: Block Kit validation is off and calls are counted, not kept, so that neither its
CPU nor its memory grows with the load. `POST /api/bench.stats` returns the counts per method,
`POST /api/bench.reset` zeroes them. Prints its base URL on stdout, then serves until killed.

    python benchmarks/fake_slack_server.py
"""

from __future__ import annotations

import collections
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import fake_slack  # noqa: E402


class CountingCalls(list):  # type: ignore[type-arg]
    """Stands in for FakeSlack.calls: counts calls per method instead of keeping them."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()

    def append(self, call: Any) -> None:  # called under the fake's lock
        self.counts[call.method] += 1


class BenchSlack(fake_slack.FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self.calls = CountingCalls()

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "bench.stats":
            with self.lock:
                return {"ok": True, "counts": dict(self.calls.counts)}
        if method == "bench.reset":
            with self.lock:
                self.calls.counts.clear()
            return {"ok": True}
        return super().answer(method, args)


class DeepBacklogServer(fake_slack.ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops connections under load (a 1 s SYN retry)


def main() -> None:
    fake_slack.validate = lambda method, args: None  # answer instantly: no Block Kit validation
    fake_slack.ThreadingHTTPServer = DeepBacklogServer  # type: ignore[misc]
    fake = BenchSlack()
    fake.start()
    print(fake.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
