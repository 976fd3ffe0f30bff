"""Socket Mode end to end: `serve` with SLACK_APP_TOKEN gets its websocket URL from
apps.connections.open on SLACK_API_URL, and handles envelopes sent over a local websocket server."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from websockets.exceptions import ConnectionClosedError
from websockets.sync.server import Server, ServerConnection, serve

from storage.db import make_engine
from tests.conftest import TABLES
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.harness import CHANNEL, MANAGER
from tests.serve_process import Serve

pytestmark = pytest.mark.e2e


class SocketModeServer:
    """Plays Slack's side of a Socket Mode connection: sends envelopes, collects the app's acks."""

    def __init__(self) -> None:
        self.connections: queue.Queue[ServerConnection] = queue.Queue()
        self.acks: dict[str, dict[str, Any]] = {}
        self.opened = 0
        self.server: Server = serve(self._handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link/?ticket=test"

    def _handle(self, connection: ServerConnection) -> None:
        self.opened += 1
        self.connections.put(connection)
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
        for raw in connection:
            message = json.loads(raw)
            if "envelope_id" in message:
                self.acks[message["envelope_id"]] = message

    def latest(self, timeout: float = 20) -> ServerConnection:
        """The newest connection (waiting for one if there is none yet)."""
        connection = self.connections.get(timeout=timeout)
        while not self.connections.empty():
            connection = self.connections.get_nowait()
        self.connections.put(connection)
        return connection

    def send(self, envelope: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
        self.latest(timeout).send(json.dumps(envelope))
        deadline = time.monotonic() + timeout
        while envelope["envelope_id"] not in self.acks:
            assert time.monotonic() < deadline, "no ack for the envelope"
            time.sleep(0.02)
        return self.acks[envelope["envelope_id"]]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def socket_server(fake_slack: FakeSlack) -> Iterator[SocketModeServer]:
    server = SocketModeServer()
    fake_slack.socket_mode_url = server.url
    yield server
    server.close()


def test_socket_mode_connects_through_slack_api_url_and_handles_events(
    serve_env: dict[str, str], fake_slack: FakeSlack, socket_server: SocketModeServer, tmp_path: Path,
    servers: list[Serve],
) -> None:
    env = {**serve_env, "SLACK_APP_TOKEN": "xapp-1-test"}
    server = Serve(env, tmp_path)
    servers.append(server)
    server.start_process()
    [opened] = fake_slack.wait_for("apps.connections.open", timeout=20)
    assert opened.headers.get("Authorization") == "Bearer xapp-1-test"

    ack = socket_server.send({
        "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {"team_id": TEAM_ID, "channel_id": CHANNEL, "user_id": MANAGER, "command": "/interview-round",
                    "text": "Staff Data Engineer: Omar Haddad (onsite), Lena Park", "trigger_id": "1.2.3",
                    "response_url": fake_slack.response_url(), "api_app_id": "A0APP"},
    })
    assert "Logging *Staff Data Engineer*" in json.dumps(ack.get("payload"))  # acknowledged first
    [answer] = fake_slack.wait_for("respond", timeout=20)  # then saved, and told through the response_url
    assert "Omar Haddad" in json.dumps(answer.args["blocks"])

    socket_server.send({
        "envelope_id": "env-2", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
        "retry_reason": "",
        "payload": {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0APP", "event_id": "Ev0SOCKET",
                    "event_time": int(time.time()),
                    "event": {"type": "message", "channel": CHANNEL, "user": MANAGER, "ts": "1700000000.000300",
                              "channel_type": "channel",
                              "text": "Staff Data Engineer: not moving forward with Omar Haddad or Lena Park."}},
    })
    [reply] = fake_slack.wait_for("chat.postMessage", timeout=20)
    assert reply.args["thread_ts"] == "1700000000.000300" and "Omar Haddad" in json.dumps(reply.args["blocks"])
    assert server.terminate() == 0


def test_socket_mode_reconnects_after_slack_drops_the_connection(
    serve_env: dict[str, str], fake_slack: FakeSlack, socket_server: SocketModeServer, tmp_path: Path,
    servers: list[Serve],
) -> None:
    server = Serve({**serve_env, "SLACK_APP_TOKEN": "xapp-1-test"}, tmp_path)
    servers.append(server)
    server.start_process()
    first = socket_server.latest()
    with contextlib.suppress(ConnectionClosedError):
        first.close()  # Slack drops it (as it does on refresh, every few hours)
    fake_slack.wait_for("apps.connections.open", 2, timeout=30)
    deadline = time.monotonic() + 20
    while socket_server.opened < 2:
        assert time.monotonic() < deadline, "no new connection"
        time.sleep(0.05)
    socket_server.send({
        "envelope_id": "env-after", "type": "events_api", "accepts_response_payload": False,
        "payload": {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0APP", "event_id": "Ev0AGAIN",
                    "event_time": int(time.time()),
                    "event": {"type": "message", "channel": CHANNEL, "user": MANAGER, "ts": "1700000000.000400",
                              "channel_type": "channel",
                              "text": "Decision for Designer: not moving forward with Ana Lima."}},
    })
    [reply] = fake_slack.wait_for("chat.postMessage", timeout=20)
    assert reply.args["thread_ts"] == "1700000000.000400"
    assert server.terminate() == 0


MALFORMED_ENVELOPES = {
    "events_api payload a list": ("events_api", [{"text": "Omar Haddad"}]),
    "events_api payload a string": ("events_api", "not moving forward with Omar Haddad"),
    "events_api event a list": ("events_api", {"type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev0BAD",
                                               "event": [{"text": "Omar Haddad"}]}),
    "events_api message_changed whose message is a string": ("events_api", {
        "type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev0BAD2",
        "event": {"type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": "1700000000.000200",
                  "message": "not moving forward with Omar Haddad"}}),
    "events_api event_id of 500 characters": ("events_api", {
        "type": "event_callback", "team_id": TEAM_ID, "event_id": "E" * 500,
        "event": {"type": "message", "channel": CHANNEL, "user": MANAGER, "ts": "1700000000.000300",
                  "text": "Staff Data Engineer: not moving forward with Omar Haddad."}}),
    "interactive actions empty": ("interactive", {"type": "block_actions", "user": {"id": MANAGER}, "actions": [],
                                                  "text": "Omar Haddad"}),
    "interactive view a string": ("interactive", {"type": "view_submission", "user": {"id": MANAGER},
                                                  "view": "Omar Haddad"}),
    "slash_commands without user_id": ("slash_commands", {"team_id": TEAM_ID, "channel_id": CHANNEL,
                                                          "command": "/interview-round", "trigger_id": "1.2.3",
                                                          "text": "Staff Data Engineer: Omar Haddad"}),
}


def test_socket_mode_acknowledges_and_drops_malformed_envelopes(
    serve_env: dict[str, str], fake_slack: FakeSlack, socket_server: SocketModeServer, tmp_path: Path,
    servers: list[Serve],
) -> None:
    server = Serve({**serve_env, "SLACK_APP_TOKEN": "xapp-1-test"}, tmp_path)
    servers.append(server)
    server.start_process()
    fake_slack.wait_for("apps.connections.open", timeout=20)
    fake_slack.clear()
    for n, (kind, payload) in enumerate(MALFORMED_ENVELOPES.values()):
        ack = socket_server.send({"envelope_id": f"bad-{n}", "type": kind, "accepts_response_payload": True,
                                  "payload": payload})
        assert ack == {"envelope_id": f"bad-{n}"}  # acknowledged, so Slack does not send it again

    ack = socket_server.send({  # and the connection still works
        "envelope_id": "good", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {"team_id": TEAM_ID, "channel_id": CHANNEL, "user_id": MANAGER, "command": "/interview-round",
                    "text": "help", "trigger_id": "1.2.3", "response_url": fake_slack.response_url()},
    })
    assert "Log an interview round" in json.dumps(ack.get("payload"))
    assert server.process is not None and server.process.poll() is None
    assert {c.method for c in fake_slack.calls} <= {"auth.test"}  # Bolt's identity lookup: nothing was said
    assert server.terminate() == 0
    log = server.log.read_text()
    assert log.count("dropped a malformed Socket Mode envelope") == len(MALFORMED_ENVELOPES), log
    assert "Traceback" not in log and "Omar" not in log and "Haddad" not in log
    engine = make_engine(serve_env["DATABASE_URL"])
    with engine.connect() as connection:
        assert all(connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() == 0 for t in TABLES)
    engine.dispose()


class SilentServer:
    """Accepts the websocket handshake, then never answers anything: not even a pong."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.sock.getsockname()[1]}/link/?ticket=silent"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._handshake_then_silence, args=(connection,), daemon=True).start()

    def _handshake_then_silence(self, connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key"))
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        with contextlib.suppress(OSError):
            while connection.recv(4096):  # read the pings, answer none of them
                pass

    def close(self) -> None:
        self.sock.close()


def test_socket_mode_watchdog_replaces_a_silent_connection(
    serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path, servers: list[Serve]
) -> None:
    silent = SilentServer()
    fake_slack.socket_mode_url = silent.url
    try:
        server = Serve({**serve_env, "SLACK_APP_TOKEN": "xapp-1-test"}, tmp_path)
        servers.append(server)
        server.start_process()
        fake_slack.wait_for("apps.connections.open", 1, timeout=20)
        # No pong for four pings (5 s apart): the connection is dropped and a new one opened.
        fake_slack.wait_for("apps.connections.open", 2, timeout=60)
        assert silent.accepted >= 2 or len(fake_slack.calls_to("apps.connections.open")) >= 2
        assert "stale" in server.log.read_text()
    finally:
        silent.close()
