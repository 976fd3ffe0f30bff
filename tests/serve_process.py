"""The real `persona-grata serve` process, for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

from tests.fake_slack import TEAM_ID
from tests.harness import SIGNING_SECRET

EXECUTABLE = str(Path(sys.executable).with_name("persona-grata"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.port = int(env["PORT"])
        self.process: subprocess.Popen[bytes] | None = None
        self.log = cwd / "serve.log"

    def start_process(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [EXECUTABLE, "serve"], env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> Serve:
        self.start_process()
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not become healthy:\n" + self.log.read_text())

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post_event(self, event: dict, event_id: str) -> int:
        body = json.dumps({
            "type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0APP", "event_id": event_id,
            "event_time": int(time.time()), "event": event,
        })
        ts = str(int(time.time()))
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), method="POST",
            headers={
                "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def post(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST raw bytes (an ATS webhook, say): (status, body)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=raw, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read()

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        return self.process.wait(30)
