"""End to end: the real `persona-grata serve` process, driven over HTTP, killed and restarted."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fake_slack import FakeSlack
from tests.harness import CHANNEL, MANAGER
from tests.serve_process import EXECUTABLE, Serve

pytestmark = pytest.mark.e2e
DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad (onsite) and Lena Park."


def dms(fake: FakeSlack) -> list[str]:
    return [c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == MANAGER]


def test_decision_survives_sigkill_and_is_nudged_once_after_restart(
    serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path, servers: list[Serve]
) -> None:
    first = Serve(serve_env, tmp_path).start()
    servers.append(first)
    assert first.get("/healthz") == (200, b'{"ok": true, "database": "ok", "scheduler": "ok", "inbox_given_up": 0}')
    event = {"type": "message", "channel": CHANNEL, "user": MANAGER, "text": DECISION,
             "ts": "1700000000.000100", "channel_type": "channel"}
    assert first.post_event(event, "Ev0E2E") == 200
    fake_slack.wait_for("chat.postMessage", 1, timeout=10)  # the thread reply: the decision is committed
    first.kill()
    assert dms(fake_slack) == []

    second = Serve(serve_env, tmp_path).start()
    servers.append(second)
    assert second.post_event(event, "Ev0E2E") == 200  # Slack retrying the same event after the restart
    deadline = time.monotonic() + 20
    while len(dms(fake_slack)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # a couple more sweeps: nothing may be sent twice
    texts = dms(fake_slack)
    assert sorted(t.split(" (")[0] for t in texts) == [
        "Time to close the loop with Lena Park", "Time to close the loop with Omar Haddad",
    ], second.log.read_text()
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]) == 1
    assert second.terminate() == 0
    logs = first.log.read_text()
    assert "nudge sent" in logs
    for name in ("Omar", "Haddad", "Lena", "Park"):
        assert name not in logs


def test_forged_request_is_refused_by_the_server(
    serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path, servers: list[Serve]
) -> None:
    server = Serve(serve_env, tmp_path).start()
    servers.append(server)
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/slack/events", data=b'{"type":"event_callback"}', method="POST",
        headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time())),
                 "X-Slack-Signature": "v0=" + "0" * 64},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert server.get("/nowhere")[0] == 404


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"PORT": "eighty"}, "PORT"),
        ({"NUDGE_SCHEDULE": "3d,1d"}, "NUDGE_SCHEDULE"),
        ({"WORK_HOURS": "9-5"}, "WORK_HOURS"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
    ],
)
def test_bad_configuration_stops_serve_with_one_clear_line(
    serve_env: dict[str, str], tmp_path: Path, change: dict[str, str], variable: str
) -> None:
    env = {**serve_env, **change}
    result = subprocess.run([EXECUTABLE, "serve"], env=env, cwd=tmp_path, capture_output=True, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], lines


def test_rejected_token_stops_serve(serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path) -> None:
    fake_slack.fail_next("auth.test", error="invalid_auth")
    result = subprocess.run([EXECUTABLE, "serve"], env=serve_env, cwd=tmp_path, capture_output=True, timeout=30)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr.decode() and "invalid_auth" in result.stderr.decode()


def test_manifest_is_valid_yaml_with_what_the_app_needs(tmp_path: Path) -> None:
    import yaml

    result = subprocess.run([EXECUTABLE, "manifest"], cwd=tmp_path, capture_output=True, timeout=30, check=True)
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["slash_commands"][0]["command"] == "/interview-round"
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.channels", "message.groups", "app_home_opened", "app_uninstalled", "tokens_revoked",
    }
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write", "commands", "im:write", "im:history", "users:read", "users:read.email", "channels:history",
        "groups:history",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
