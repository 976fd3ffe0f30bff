"""A local fake of Greenhouse's Harvest v3 API and its OAuth token endpoint, as much as the bot reads.

- `POST /token` (https://harvestdocs.greenhouse.io/docs/authentication): HTTP basic client_id:client_secret, a
  form body with grant_type=client_credentials and an optional sub; answers `access_token`, `token_type` and
  `expires_at` (and `expires_in` when `lifetime_field` says so). Wrong credentials or grant type: 401
  `invalid_client` / 400 `unsupported_grant_type`.
- `GET /v3/job_hiring_managers?job_ids=…` and `GET /v3/users?ids=…`: JSON arrays, `Authorization: Bearer`
  with a token this fake issued and has not expired (else 401).

An http.server thread like tests/fake_slack.py, recording every request (`calls`: method, path, query, the
Authorization header, the form). Knobs: `expire_tokens()` (the next API call gets 401 until a new token),
`fail` (every API call answers that status), `fail_token` (the token endpoint does), `retry_after` (the next
API calls answer 429 with these Retry-After values, one each), `hang` (API calls wait until `close`).
The app is pointed at it through GREENHOUSE_API_URL and GREENHOUSE_AUTH_URL."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JOB = 433343  # the job of tests/fixtures/greenhouse/*.json
HIRING_MANAGER_USER = 84275
CLIENT_ID = "gh-client-id"
CLIENT_SECRET = "gh-client-secret-do-not-log"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    authorization: str
    form: dict[str, str]


def hiring_manager(row_id: int, job_id: int, user_id: int) -> dict[str, Any]:
    return {"id": row_id, "job_id": job_id, "user_id": user_id, "responsible": False,
            "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}


def user(user_id: int, email: str) -> dict[str, Any]:
    return {"id": user_id, "first_name": "Hana", "last_name": "Manager", "primary_email": email,
            "deactivated": False, "site_admin": False, "employee_id": None,
            "created_at": "2025-03-01T09:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}


class FakeHarvest:
    def __init__(self) -> None:
        self.hiring_managers: dict[int, list[dict[str, Any]]] = {JOB: [hiring_manager(1, JOB, HIRING_MANAGER_USER)]}
        self.users: dict[int, dict[str, Any]] = {HIRING_MANAGER_USER: user(HIRING_MANAGER_USER,
                                                                           "hana.manager@example.com")}
        self.calls: list[Call] = []
        self.fail: int | None = None
        self.fail_token: int | None = None
        self.retry_after: list[str] = []
        self.hang = False
        self.lifetime_field = "expires_at"  # or "expires_in"
        self.lifetime = timedelta(hours=1)
        self._valid: set[str] = set()
        self._issued = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = fake._token(self.headers.get("Authorization", ""), form, self.path)
                self._answer(status, body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, body, headers = fake._api(parts.path, query, self.headers.get("Authorization", ""))
                self._answer(status, body, headers)

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{root}/v3/"
        self.auth_url = f"{root}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # --- what the tests look at ---------------------------------------------------------------------

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/token"]

    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path != "/token"]

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (Harvest answers 401 to it)."""
        with self._lock:
            self._valid.clear()

    # --- the endpoints -------------------------------------------------------------------------------

    def _token(self, authorization: str, form: dict[str, str], path: str) -> tuple[int, Any]:
        self.calls.append(Call("POST", path, {}, authorization, form))
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.fail_token:
            return self.fail_token, {"error": "server_error"}
        if authorization != expected:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            self._issued += 1
            token = f"eyJ.fake-access-token-{self._issued}"
            self._valid.add(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.lifetime_field == "expires_in":
            answer["expires_in"] = int(self.lifetime.total_seconds())
        else:
            answer["expires_at"] = (datetime.now(UTC) + self.lifetime).isoformat()
        return 200, answer

    def _api(self, path: str, query: dict[str, str], authorization: str) -> tuple[int, Any, dict[str, str]]:
        self.calls.append(Call("GET", path, query, authorization, {}))
        if self.hang:
            self._released.wait(30)
        token = authorization.removeprefix("Bearer ")
        with self._lock:
            valid = authorization.startswith("Bearer ") and token in self._valid
        if not valid:
            return 401, {"error": "invalid_token"}, {}
        if self.retry_after:
            return 429, {"error": "Too Many Requests"}, {"Retry-After": self.retry_after.pop(0)}
        if self.fail:
            return self.fail, {"error": "Service Unavailable"}, {}
        if path == "/v3/job_hiring_managers":
            jobs = [int(j) for j in query.get("job_ids", "").split(",") if j.isdigit()]
            return 200, [row for j in jobs for row in self.hiring_managers.get(j, [])], {}
        if path == "/v3/users":
            ids = [int(i) for i in query.get("ids", "").split(",") if i.isdigit()]
            return 200, [self.users[i] for i in ids if i in self.users], {}
        return 404, {"error": "Not Found"}, {}

    def close(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
