"""A local fake of Ashby's API (POST-based JSON RPC): an http.server thread, like tests/fake_slack.py, that
records every call (endpoint, JSON body, Authorization header) and answers `{"success": true, "results": ...}`
from what the test put in `answers` (endpoint -> {id -> results}); `fail_next` answers the next call of an
endpoint with an HTTP error. The app is pointed at it through ASHBY_API_URL."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ID_FIELDS = {"application.info": "applicationId", "application.listHistory": "applicationId",
             "candidate.info": "id", "job.info": "id"}


@dataclass
class Call:
    endpoint: str
    args: dict[str, Any]
    authorization: str


class FakeAshby:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.answers: dict[str, dict[str, Any]] = {endpoint: {} for endpoint in ID_FIELDS}
        self.failures: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeAshby:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, endpoint: str, *, status: int = 500, times: int = 1) -> None:
        with self.lock:
            self.failures.setdefault(endpoint, []).extend([status] * times)

    def calls_to(self, endpoint: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.endpoint == endpoint]

    def _answer(self, endpoint: str, args: dict[str, Any], authorization: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append(Call(endpoint, args, authorization))
            failures = self.failures.get(endpoint)
            if failures:
                return failures.pop(0), {"success": False, "errors": ["internal_error"]}
        field = ID_FIELDS.get(endpoint)
        if field is None:
            return 404, {"success": False, "errors": ["unknown_endpoint"]}
        found = self.answers[endpoint].get(str(args.get(field)))
        if found is None:
            return 200, {"success": False, "errors": ["not_found"]}
        return 200, {"success": True, "results": found}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    args = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    args = {}
                status, body = fake._answer(self.path.strip("/"), args if isinstance(args, dict) else {},
                                            self.headers.get("Authorization") or "")
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
