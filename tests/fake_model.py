"""A local OpenAI-compatible chat-completions server for the model reader's tests and benchmarks: a thread
with http.server, like tests/fake_slack.py. It records every request and answers what a test scripts:
good JSON, content that is no JSON, an invented name, a reply held past the client's timeout or until the test
releases it, an answer trickled a byte at a time, a 429, a 5xx, a 400 refusing a response_format."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOT_A_DECISION = {"is_decision": False, "final": True, "role": None, "people": []}
USAGE = {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}


@dataclass
class Reply:
    """One scripted answer: a completion whose content is `content`, or a raw `status` and `body`."""

    content: str | None = None
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: float = 0.0  # seconds to wait before answering (a slow server)
    until: threading.Event | None = None  # answer only once the test sets it (a server that hangs till then)
    trickle: float = 0.0  # seconds between the bytes of the whole answer, status line included
    usage: dict[str, int] | None = field(default_factory=lambda: dict(USAGE))


def answer(is_decision: bool = True, *, final: bool = True, role: str | None = None,
           people: list[tuple[str, str, str | None]] = ()) -> Reply:  # type: ignore[assignment]
    """A good answer: people as (name, outcome, stage)."""
    return Reply(json.dumps({"is_decision": is_decision, "final": final, "role": role,
                             "people": [{"name": n, "outcome": o, "stage": s} for n, o, s in people]}))


def refusing_format(kind: str) -> Reply:
    message = f"response_format type {kind} is not supported by this model"
    return Reply(status=400, body=json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
                 .encode())


class FakeModel:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []
        self.respond: Callable[[dict[str, Any]], Reply] = lambda _request: Reply(json.dumps(NOT_A_DECISION))
        self.refused_formats: set[str] = set()  # response_format types answered with a 400
        self.lock = threading.Lock()
        self.released = threading.Event()  # set on stop: a held reply stops waiting
        self.answered = 0  # answers written whole
        self.cut_off = 0  # answers the client stopped reading before their end (it hung up)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeModel:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then `respond`."""
        with self.lock:
            self.replies.extend(replies)

    @property
    def calls(self) -> int:
        with self.lock:
            return len(self.requests)

    def _count(self, whole: bool) -> None:
        with self.lock:
            if whole:
                self.answered += 1
            else:
                self.cut_off += 1

    def _wait(self, reply: Reply) -> None:
        if reply.hold:
            self.released.wait(reply.hold)
        if reply.until is not None:
            while not (reply.until.wait(0.05) or self.released.is_set()):
                pass

    def _next(self, request: dict[str, Any]) -> Reply:
        form = (request.get("response_format") or {}).get("type")
        with self.lock:
            self.requests.append(request)
            if form in self.refused_formats:
                return refusing_format(form)
            if self.replies:
                return self.replies.pop(0)
        return self.respond(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = json.loads(raw)
                request["_headers"] = {k.lower(): v for k, v in self.headers.items()}
                reply = fake._next(request)
                fake._wait(reply)
                body = reply.body
                if body is None:
                    completion: dict[str, Any] = {
                        "id": "chatcmpl-fake", "object": "chat.completion", "model": request.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply.content}}],
                    }
                    if reply.usage is not None:
                        completion["usage"] = reply.usage
                    body = json.dumps(completion).encode()
                headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **reply.headers}
                try:
                    if reply.trickle:
                        self._trickle(reply.status, headers, body, reply.trickle)
                    else:
                        self.send_response(reply.status)
                        for key, value in headers.items():
                            self.send_header(key, value)
                        self.end_headers()
                        self.wfile.write(body)
                except OSError:  # the client gave up waiting (a timeout test)
                    fake._count(whole=False)
                    return
                fake._count(whole=True)

            def _trickle(self, status: int, headers: dict[str, str], body: bytes, interval: float) -> None:
                """The whole answer a byte at a time, each within any per-read timeout of the client's."""
                head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
                for byte in head.encode() + body:
                    if fake.released.wait(interval):
                        raise OSError("the fake was stopped")
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

        return Handler
