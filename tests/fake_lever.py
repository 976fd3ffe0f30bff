"""A local fake of Lever's API: an http.server thread, like tests/fake_slack.py, answering GETs of the
opportunities, postings and archive reasons in tests/fixtures/lever (Lever's documented shapes). The app is
pointed at it through LEVER_API_URL. `hang` holds every answer until it is cleared (a Lever that never
answers, for a process killed while it waits)."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.ats_webhooks import fixture as vendor_fixture

OPPORTUNITY = "0b6f2b6e-5c4f-4a0e-9e1d-6f7b2f7f0c11"
HIRED_OPPORTUNITY = "7c2e9a41-3b8d-4f5e-a6c1-2d9f0e8b7a33"


def fixture(name: str) -> dict[str, Any]:
    return vendor_fixture("lever", name)


class FakeLever:
    """Lever's API, as much of it as the bot reads: opportunities, postings, archive reasons (by id). Records
    each request's path and Authorization; `fail` makes every answer that HTTP status; `hang()` holds every
    answer until `answer()`."""

    def __init__(self) -> None:
        opportunity = fixture("api_opportunity")["data"]
        hired = copy.deepcopy(opportunity)
        hired.update(id=HIRED_OPPORTUNITY, name="Omar Haddad", emails=["omar@example.org"], archived=None)
        self.objects: dict[str, dict[str, Any]] = {
            f"/opportunities/{OPPORTUNITY}": opportunity,
            f"/opportunities/{HIRED_OPPORTUNITY}": hired,
            f"/postings/{opportunity['applications'][0]['posting']}": fixture("api_posting")["data"],
        }
        for reason in fixture("api_archive_reasons")["data"]:
            self.objects[f"/archive_reasons/{reason['id']}"] = reason
        self.requests: list[tuple[str, str]] = []
        self.fail: int | None = None
        self.answering = threading.Event()
        self.answering.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, _ = self.path.partition("?")
                fake.requests.append((self.path, self.headers.get("Authorization", "")))
                fake.answering.wait(120)
                found = fake.objects.get(path.removeprefix("/v1"))
                status = fake.fail or (200 if found is not None else 404)
                body = json.dumps({"data": found} if status == 200 else {"code": "Error", "message": "no"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hang(self) -> None:
        self.answering.clear()

    def answer(self) -> None:
        self.answering.set()

    def close(self) -> None:
        self.answer()
        self.server.shutdown()
        self.server.server_close()


