"""A local fake of Greenhouse's Harvest API, as much as the bot reads: `GET jobs/{id}` (the job's
`hiring_team`) and `GET users/{id}` (`primary_email_address`, `emails`), shaped as Harvest documents them
(https://developers.greenhouse.io/harvest.html, "Retrieve job", "Retrieve user"). An http.server thread,
like tests/fake_slack.py, recording each request's path and Authorization; `fail` answers every request
with that HTTP status. The app is pointed at it through GREENHOUSE_API_URL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JOB = 433343  # the job of tests/fixtures/greenhouse/*.json
HIRING_MANAGER_USER = 84275


def job(job_id: int, manager_ids: list[int]) -> dict[str, Any]:
    return {
        "id": job_id, "name": "Platform Engineer", "requisition_id": "abc-123", "status": "open",
        "hiring_team": {
            "hiring_managers": [{"id": m, "first_name": "Hana", "last_name": "Manager", "name": "Hana Manager",
                                 "employee_id": None, "responsible": False} for m in manager_ids],
            "recruiters": [{"id": 92120, "first_name": "Greg", "last_name": "Recruiter", "name": "Greg Recruiter",
                            "employee_id": None, "responsible": True}],
            "coordinators": [], "sourcers": [],
        },
    }


def user(user_id: int, email: str) -> dict[str, Any]:
    return {"id": user_id, "name": "Hana Manager", "first_name": "Hana", "last_name": "Manager",
            "primary_email_address": email, "emails": [email], "disabled": False, "site_admin": False,
            "employee_id": None, "linked_candidate_ids": [], "offices": [], "departments": []}


class FakeHarvest:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {
            f"/jobs/{JOB}": job(JOB, [HIRING_MANAGER_USER]),
            f"/users/{HIRING_MANAGER_USER}": user(HIRING_MANAGER_USER, "hana.manager@example.com"),
        }
        self.requests: list[tuple[str, str]] = []
        self.fail: int | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.partition("?")[0].removeprefix("/v1")
                fake.requests.append((path, self.headers.get("Authorization", "")))
                found = fake.objects.get(path)
                status = fake.fail or (200 if found is not None else 404)
                body = json.dumps(found if status == 200 else {"message": "Resource not found"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
