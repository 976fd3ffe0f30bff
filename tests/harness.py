"""Drive the real app the way Slack does: signed HTTP requests into the WSGI entry point."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.config import Settings, load_settings
from bot.deps import Deps, make_client, with_ack_path
from bot.followups import sweep
from bot.inbox import Activity, Inbox
from bot.pacing import Pacer, VirtualClock
from bot.scheduler import build_scheduler
from bot.server import Runtime, build_runtime, processor, wsgi_application
from storage.db import ACK_LOCK_WAIT, make_engine, make_read_sessions, make_sessions
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlack

SIGNING_SECRET = "test-signing-secret"
MANAGER = "U0MANAGER"
OTHER = "U0OTHER"
ADMIN = "U0ADMIN"
CHANNEL = "C0HIRING"
# A Monday, 10:00 UTC: inside the default working hours for a manager in UTC.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class DrainableExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, with a way for a test to wait until every listener has finished."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def drain(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError("listeners still running")
            time.sleep(0.005)


def test_settings(db_url: str, fake: FakeSlack, **overrides: str) -> Settings:
    environ = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": db_url,
        "ADMIN_USERS": ADMIN,
    }
    environ.update(overrides)
    return load_settings(environ)


class Harness:
    def __init__(self, *, db_url: str, fake: FakeSlack, **env: str) -> None:
        self.fake = fake
        self.now = MONDAY
        self.pace_clock = VirtualClock()  # pacing waits are recorded, never slept
        self.settings = test_settings(db_url, fake, **env)
        self.executor = DrainableExecutor()
        self.engine = make_engine(self.settings.database_url)
        self.ack_engine = make_engine(self.settings.database_url, lock_wait=ACK_LOCK_WAIT)
        deps = Deps(
            settings=self.settings,
            sessions=make_sessions(self.engine),
            reads=make_read_sessions(self.engine),
            client=make_client(self.settings),
            sweep_client=make_client(self.settings, retry_rate_limits=False),
            clock=lambda: self.now,
            replica_id="test-replica",
            team_id=TEAM_ID,
            bot_id=BOT_ID,
            bot_user_id=BOT_USER_ID,
            pacer=Pacer(clock=self.pace_clock, sleep=self.pace_clock.sleep),
        )
        self.deps = with_ack_path(deps, self.ack_engine)  # the work before the ack gives up on a lock quickly
        from bot.app import create_app

        self.redeliver = processor(self.deps)
        self.inbox = Inbox(self.deps, self.redeliver, activity=Activity(quiet=0))
        self.app = create_app(self.deps, self.inbox, listener_executor=self.executor)
        self.runtime = Runtime(engine=self.engine, deps=self.deps, app=self.app,
                               scheduler=build_scheduler(self.deps, inbox=self.inbox), inbox=self.inbox,
                               ack_engine=self.ack_engine)
        self.wsgi = wsgi_application(self.runtime)
        self._event_seq = 0
        self._command_seq = 0
        self.last_ack: dict[str, Any] = {}
        self.last_response_url = ""

    def reconfigure(self, **env: str) -> None:
        """Rebuild on the same database and fake Slack with other settings (a restart, in effect)."""
        db_url = self.settings.database_url
        self.close()
        self.__init__(db_url=db_url, fake=self.fake, **env)  # type: ignore[misc]

    def close(self) -> None:
        self.drain()
        self.inbox.stop()
        self.executor.shutdown(wait=True)
        self.engine.dispose()
        self.ack_engine.dispose()
        if self.runtime.probe is not None:
            self.runtime.probe.close()

    # --- raw HTTP ----------------------------------------------------------------------------------

    def http(self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
             ) -> tuple[int, dict[str, str], bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "3000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in (headers or {}).items():
            if key.lower() == "content-type":
                environ["CONTENT_TYPE"] = value
            else:
                environ["HTTP_" + key.upper().replace("-", "_")] = value
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = dict(response_headers)

        chunks = self.wsgi(environ, start_response)
        return captured["status"], captured["headers"], b"".join(chunks)

    def signed(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET,
               extra: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
            **(extra or {}),
        }
        status, _, response = self.http("POST", "/slack/events", body.encode(), headers)
        return status, response

    # --- what Slack sends --------------------------------------------------------------------------

    def command_form(self, text: str, *, user: str = MANAGER, channel: str = CHANNEL) -> dict[str, str]:
        """A slash command as Slack sends it, with a response_url of its own."""
        self._command_seq += 1
        return {
            "token": "legacy", "team_id": TEAM_ID, "team_domain": "example", "channel_id": channel,
            "channel_name": "hiring", "user_id": user, "user_name": user.lower(), "command": "/interview-round",
            "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"command-{self._command_seq}"), "trigger_id": "1.2.3",
        }

    def command(self, text: str, *, user: str = MANAGER, channel: str = CHANNEL, **kw: Any) -> dict[str, Any]:
        """Send a slash command and return what its user is shown last: the acknowledgement, or what was sent to
        its response_url after it (a write's outcome). The acknowledgement is kept in `last_ack`."""
        form = self.command_form(text, user=user, channel=channel)
        status, body = self.signed(urlencode(form), "application/x-www-form-urlencoded", **kw)
        assert status == 200, (status, body)
        self.drain()
        self.last_ack = ack_of(body)
        self.last_response_url = form["response_url"]
        later = self.responses(form["response_url"])
        return later[-1] if later else self.last_ack

    def responses(self, response_url: str) -> list[dict[str, Any]]:
        """What was sent to a response_url, oldest first."""
        return [c.args for c in self.responded(response_url)]

    def responded(self, response_url: str | None = None) -> list[Call]:
        """The calls to a response_url: by default the one buttons and forms carry (`click`), not a command's."""
        path = (response_url or self.fake.response_url()).split(str(self.fake.server.server_address[1]), 1)[1]
        return [c for c in self.fake.calls_to("respond") if c.path == path]

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None,
              drain: bool = True, **kw: Any) -> int:
        """Post an event and return the app's HTTP status; `drain=False` returns at the ack, while the work
        after it may still be running (for a test of what the ack does not wait for)."""
        self._event_seq += 1
        envelope = {
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": event_id or f"Ev{self._event_seq:08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
            "event": event,
        }
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        status, _ = self.signed(json.dumps(envelope), "application/json", extra=extra, **kw)
        if drain:
            self.drain()
        return status

    def message(self, text: str, *, user: str | None = MANAGER, channel: str = CHANNEL, ts: str | None = None,
                **kw: Any) -> int:
        event: dict[str, Any] = {
            "type": "message", "channel": channel, "text": text, "ts": ts or f"{time.time():.6f}",
            "event_ts": ts or f"{time.time():.6f}", "channel_type": "channel", "team": TEAM_ID,
        }
        if user:
            event["user"] = user
        event.update(kw.pop("fields", {}))
        return self.event(event, **kw)

    def interact(self, payload: dict[str, Any], **kw: Any) -> tuple[int, bytes]:
        status, body = self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                                   **kw)
        self.drain()
        return status, body

    def click(self, action_id: str, value: str | None = None, *, user: str = MANAGER,
              channel: str = "D0MANAGER", message_ts: str = "1700000001.000100",
              selected: str | None = None, container_type: str = "message") -> tuple[int, bytes]:
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "type": "button",
                                  "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        if selected is not None:
            action["type"] = "static_select"
            action["selected_option"] = {"text": {"type": "plain_text", "text": selected}, "value": selected}
        container: dict[str, Any] = {"type": container_type}
        if container_type == "message":
            container.update({"message_ts": message_ts, "channel_id": channel, "is_ephemeral": False})
        else:
            container.update({"view_id": "V0HOME"})
        payload = {
            "type": "block_actions", "team": {"id": TEAM_ID, "domain": "example"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "A0APP",
            "token": "legacy", "container": container, "trigger_id": "1.2.3",
            "channel": {"id": channel, "name": "directmessage"}, "message": {"ts": message_ts, "blocks": []},
            "response_url": self.fake.response_url(), "actions": [action],
        }
        return self.interact(payload)

    def submit_view(self, callback_id: str, values: dict[str, Any], *, private_metadata: str = "",
                    user: str = MANAGER) -> tuple[int, bytes]:
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID, "domain": "example"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "A0APP",
            "token": "legacy", "trigger_id": "1.2.3",
            "view": {"id": "V0MODAL", "type": "modal", "callback_id": callback_id,
                     "private_metadata": private_metadata, "state": {"values": values}},
        }
        return self.interact(payload)

    # --- jobs --------------------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> sweep.SweepReport:
        if now is not None:
            self.now = now
        return sweep.sweep(self.deps, self.now)

    def drain(self) -> None:
        self.executor.drain()
        self.inbox.drain()


def ack_of(body: bytes) -> dict[str, Any]:
    """What an acknowledgement says: its JSON, or its plain text (Bolt answers a text-only ack as plain text,
    which Slack shows ephemerally)."""
    if not body:
        return {}
    try:
        return dict(json.loads(body))
    except ValueError:
        return {"text": body.decode()}


def pin_reading(monkeypatch: Any, text: str, reading: Any) -> None:
    """Make the reader read `text` as `reading` (a bot.reader.Decision), whatever the reader does today:
    for tests of what the app does with a reading (an unsure one, say), not of the reader."""
    from bot import reader

    real = reader.read

    def read(message_text: str, **kw: Any) -> Any:
        return reading if message_text.strip() == text else real(message_text, **kw)

    monkeypatch.setattr(reader, "read", read)


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


__all__ = ["ADMIN", "CHANNEL", "MANAGER", "MONDAY", "OTHER", "Harness", "build_runtime", "make_client"]
