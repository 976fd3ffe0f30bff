"""A small closed-loop HTTP load generator: N threads, each with one keep-alive connection to
127.0.0.1, sending signed Slack requests one after another and timing each until its answer is read."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slack_sdk.signature import SignatureVerifier


@dataclass(frozen=True)
class Request:
    body: str
    content_type: str


@dataclass
class Result:
    sent: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds

    def extend(self, other: Result) -> None:
        self.sent += other.sent
        self.errors += other.errors
        self.elapsed += other.elapsed
        self.latencies.extend(other.latencies)

    @property
    def throughput(self) -> float:
        return self.sent / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]


def signed_headers(verifier: SignatureVerifier, request: Request) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=request.body),
    }


def run(port: int, requests: Sequence[Request], *, concurrency: int, secret: str, time_limit: float,
        path: str = "/slack/events", expect: Callable[[int], bool] = lambda status: status == 200) -> Result:
    """Send `requests` (each once, in order) over `concurrency` connections; stop early at time_limit."""
    verifier = SignatureVerifier(secret)
    lock = threading.Lock()
    position = iter(range(len(requests)))
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start_gate = threading.Barrier(concurrency + 1)
    deadline: list[float] = [0.0]

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_gate.wait()
        while True:
            with lock:
                index = next(position, None)
            if index is None or time.perf_counter() > deadline[0]:
                break
            request = requests[index]
            body = request.body.encode()
            headers = signed_headers(verifier, request)
            began = time.perf_counter()
            for attempt in (1, 2):
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = expect(response.status)
                    break
                except (OSError, http.client.HTTPException):
                    connection.close()  # the server closed an idle keep-alive connection: reconnect once
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    ok = False
                    if attempt == 2:
                        break
            latencies[slot].append(time.perf_counter() - began)
            if not ok:
                errors[slot] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(slot,), daemon=True) for slot in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + time_limit
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [value for slot in latencies for value in slot]
    return Result(sent=len(flat), errors=sum(errors), elapsed=elapsed, latencies=flat)
