"""Signed requests of the wrong shape, for every kind of payload the app handles, through the real app on
both databases: 400 with a short reason, nothing stored, no Slack call, one log line without the body.
An unsigned one of the same shape still gets 401. (Socket Mode: tests/test_socket_mode_e2e.py.)"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from tests.conftest import TABLES
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, SIGNING_SECRET, Harness

NAME = "Omar Haddad"  # in every body: it must never reach the log
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
LONG = 500  # characters: an id no column holds


def envelope(event: Any = None, **fields: Any) -> dict[str, Any]:
    body = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": "Ev0BAD", "event_time": 1700000000,
            "event": {"type": "message", "channel": CHANNEL, "user": MANAGER, "ts": "1700000000.000100",
                      "text": f"Staff Data Engineer: not moving forward with {NAME}."} if event is None else event}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def event_body(event: Any = None, **fields: Any) -> tuple[str, str]:
    return json.dumps(envelope(event, **fields)), JSON


def command(**fields: Any) -> tuple[str, str]:
    form = {"token": "legacy", "team_id": TEAM_ID, "channel_id": CHANNEL, "user_id": MANAGER,
            "command": "/interview-round", "text": f"Staff Data Engineer: {NAME} (onsite)",
            "trigger_id": "1.2.3", "response_url": "http://127.0.0.1:9/respond"}
    form.update(fields)
    return urlencode({k: v for k, v in form.items() if v is not ...}), FORM


def interactive(payload: Any) -> tuple[str, str]:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": raw}), FORM


ACTOR = {"user": {"id": MANAGER}, "team": {"id": TEAM_ID}, "trigger_id": "1.2.3", "api_app_id": "A0APP"}


def block_actions(**fields: Any) -> tuple[str, str]:
    payload = {"type": "block_actions", **ACTOR,
               "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1700000000.000100"},
               "message": {"ts": "1700000000.000100", "text": NAME},
               "actions": [{"action_id": "followup_contacted", "block_id": "b1", "value": "1", "type": "button"}]}
    payload.update(fields)
    return interactive({k: v for k, v in payload.items() if v is not ...})


def view(kind: str = "view_submission", **fields: Any) -> tuple[str, str]:
    the_view = {"id": "V0MODAL", "type": "modal", "callback_id": "round_modal", "private_metadata": "{}",
                "state": {"values": {"role": {"role": {"type": "plain_text_input", "value": NAME}}}}}
    the_view.update(fields)
    return interactive({"type": kind, **ACTOR, "view": {k: v for k, v in the_view.items() if v is not ...}})


CASES = {
    # Events API
    "event body not JSON": ('{"type": "event_callback", "text": "' + NAME, JSON),
    "event body a JSON array": (json.dumps([{"text": NAME}]), JSON),
    "event body a JSON string": (json.dumps(NAME), JSON),
    "event a list": event_body([{"type": "message", "text": NAME}]),
    "event missing": event_body(..., text=NAME),
    "event_id missing": event_body(event_id=...),
    "message_changed whose message is a string": event_body({
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": "1700000000.000200",
        "message": f"not moving forward with {NAME}"}),
    "message_changed without its message": event_body({
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": "1700000000.000200",
        "previous_message": {"ts": "1700000000.000100", "text": NAME}}),
    "message blocks a string": event_body({"type": "message", "channel": CHANNEL, "ts": "1700000000.000100",
                                           "text": NAME, "blocks": f"not moving forward with {NAME}"}),
    "message channel a list": event_body({"type": "message", "channel": [CHANNEL], "ts": "1.2", "text": NAME}),
    "app_home_opened user an object": event_body({"type": "app_home_opened", "user": {"id": MANAGER},
                                                  "tab": "home", "text": NAME}),
    "event_id of 500 characters": event_body(event_id="Ev" + "X" * LONG),
    "team_id of 100 characters": event_body(team_id="T" * 100),
    "channel of 500 characters": event_body({"type": "message", "channel": "C" * LONG, "user": MANAGER,
                                             "ts": "1700000000.000100", "text": NAME}),
    "url_verification without a challenge": (json.dumps({"type": "url_verification", "token": NAME}), JSON),
    # Slash commands
    "command without user_id": command(user_id=...),
    "command team_id of 100 characters": command(team_id="T" * 100),
    "command channel_id of 500 characters": command(channel_id="C" * LONG),
    # block_actions
    "payload not JSON": interactive('{"type": "block_actions", "name": "' + NAME),
    "payload a JSON string": interactive(json.dumps(NAME)),
    "payload without a type": interactive({"user": {"id": MANAGER}, "text": NAME}),
    "actions empty": block_actions(actions=[]),
    "actions a string": block_actions(actions=NAME),
    "an action that is a string": block_actions(actions=[NAME]),
    "block_actions without a user": block_actions(user=...),
    "selected_option a string": block_actions(actions=[{"action_id": "followup_snooze", "type": "static_select",
                                                        "selected_option": NAME}]),
    "message a string": block_actions(message=NAME),
    # view_submission, view_closed
    "view a string": interactive({"type": "view_submission", **ACTOR, "view": NAME}),
    "state.values a list": view(state={"values": [NAME]}),
    "a block of state.values a string": view(state={"values": {"role": NAME}}),
    "a value that is a list": view(state={"values": {"role": {"role": {"type": "x", "value": [NAME]}}}}),
    "selected_user of 100 characters": view(state={"values": {"manager": {"manager": {
        "type": "users_select", "selected_user": "U" * 100}}}}),
    "view without a callback_id": view(callback_id=...),
    "view_closed view a string": interactive({"type": "view_closed", **ACTOR, "view": NAME}),
    # shortcuts, block_suggestion
    "shortcut without a callback_id": interactive({"type": "shortcut", **ACTOR, "text": NAME}),
    "message_action message a string": interactive({"type": "message_action", **ACTOR,
                                                    "callback_id": "record_decision", "message": NAME,
                                                    "channel": {"id": CHANNEL}}),
    "message_action channel a string": interactive({"type": "message_action", **ACTOR,
                                                    "callback_id": "record_decision",
                                                    "message": {"ts": "1.2", "text": NAME}, "channel": CHANNEL}),
    "block_suggestion without an action_id": interactive({"type": "block_suggestion", **ACTOR, "value": NAME}),
}


def rows(h: Harness) -> dict[str, int]:
    with h.engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.mark.parametrize("case", list(CASES))
def test_a_signed_malformed_request_gets_400_and_changes_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, content_type = CASES[case]
    before, calls = rows(harness), len(harness.fake.calls)
    caplog.clear()
    caplog.set_level(logging.DEBUG)

    status, response = harness.signed(body, content_type)
    harness.drain()

    assert status == 400, response
    assert response.startswith(b"Bad request: ") and len(response) < 200 and NAME.encode() not in response
    assert rows(harness) == before and all(n == 0 for n in before.values())
    assert len(harness.fake.calls) == calls  # no Slack call
    records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.WARNING and NAME not in caplog.text and "Haddad" not in caplog.text


@pytest.mark.parametrize("case", ["event a list", "actions empty", "view a string", "command without user_id",
                                  "payload not JSON", "event body not JSON", "event_id of 500 characters"])
def test_an_unsigned_malformed_request_still_gets_401(harness: Harness, case: str) -> None:
    body, content_type = CASES[case]
    status, _ = harness.signed(body, content_type, secret="not-the-secret")
    assert status == 401
    status, _ = harness.signed(body, content_type, timestamp=1)  # signed, but long ago
    assert status == 401
    assert all(n == 0 for n in rows(harness).values())


def test_well_formed_requests_of_every_kind_still_go_through(harness: Harness) -> None:
    assert harness.signed(*event_body())[0] == 200
    challenge = json.dumps({"type": "url_verification", "challenge": "abc"})
    assert harness.signed(challenge, JSON) == (200, b'{"challenge": "abc"}')
    assert harness.signed(*command(text="help"))[0] == 200
    assert harness.signed(*block_actions())[0] == 200  # an out-of-date button: acknowledged
    assert harness.signed(*view())[0] == 200
    assert harness.signed(*interactive({"type": "view_closed", **ACTOR, "view": {"callback_id": "x"}}))[0] == 404
    assert harness.signed(*interactive({"type": "app_rate_limited_unknown", **ACTOR}))[0] == 404  # unhandled
    assert harness.signed("ssl_check=1&token=legacy", FORM)[0] == 200


def test_a_body_that_is_not_utf8_gets_401_not_500(harness: Harness) -> None:
    """Slack signs UTF-8 only (slack_sdk's verifier cannot even read such a body): it is no request of
    Slack's, and no longer a 500."""
    body = b'{"type": "event_callback", "event_id": "Ev0BAD", "x": "\xff\xfe"}'
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, "sha256").hexdigest()
    headers = {"Content-Type": JSON, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
    assert harness.http("POST", "/slack/events", body, headers)[0] == 401
    assert all(n == 0 for n in rows(harness).values())


@pytest.mark.parametrize("text", ["payload engineer: Lena Park (onsite)", "Payments: Lena Park (payload team)",
                                  "payload=1: Lena Park"])
def test_a_command_whose_text_holds_the_word_payload_is_read_as_the_command_it_is(harness: Harness,
                                                                                  text: str) -> None:
    """Bolt took any form holding the word "payload" for an interactive payload, read it as empty and
    answered 404: the user saw Slack's error."""
    reply = harness.command(text)
    assert reply["text"].startswith("Logged ") and "Lena Park" in json.dumps(reply["blocks"])
    assert harness.last_ack == {"text": f"⏳ Logging *{text.split(':')[0]}*…"}
