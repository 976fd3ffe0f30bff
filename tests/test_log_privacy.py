"""No body reaches the log, from Bolt, slack_sdk or us, at any level LOG_LEVEL allows: every payload type the
app handles and some it does not, each naming a distinctive candidate, signed and forged, and Web API answers
that name them too, with the log at DEBUG; every log record is scanned."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.cli import JsonFormatter, configure_logging
from bot.log_filters import PrivateFormatter, WithoutBodies
from bot.slack import blocks, metadata
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, Harness

NAME = "Zanele Okonkwo-Brightwater"
EMAIL = "zanele.okonkwo@example.org"
TRACES = ("zanele", "okonkwo", "brightwater")  # each survives URL- and JSON-encoding as it is
TS = "1700000000.000100"
FORM = "application/x-www-form-urlencoded"


def leaks(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        text += record.stack_info or ""
        if any(trace in text.lower() for trace in TRACES):
            found.append(f"{record.name} {record.levelname}: {text[:200]}")
    return found


def event(harness: Harness, inner: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": inner,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}]}


def interactive(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "team": {"id": TEAM_ID, "domain": "example"},
            "user": {"id": MANAGER, "username": "zanele", "name": NAME, "team_id": TEAM_ID},
            "api_app_id": "A0APP", "token": "legacy", "trigger_id": "1.2.3", **fields}


def command(harness: Harness, text: str) -> dict[str, str]:
    return {"token": "legacy", "team_id": TEAM_ID, "team_domain": "example", "channel_id": CHANNEL,
            "channel_name": "hiring", "user_id": MANAGER, "user_name": "zanele.okonkwo",
            "command": "/interview-round", "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": harness.fake.response_url(), "trigger_id": "1.2.3"}


def requests(harness: Harness) -> list[tuple[str, str, str]]:
    """(what, body, content type) for every payload type the app handles, and some it does not."""
    decision = f"Decision for Staff Data Engineer: not moving forward with {NAME} ({EMAIL})."
    message = {"type": "message", "channel": CHANNEL, "channel_type": "channel", "user": MANAGER, "text": decision,
               "ts": TS, "team": TEAM_ID,
               "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": decision}}]}
    reply = {**message, "text": "it's a no from me too", "ts": "1700000000.000300", "thread_ts": "1700000000.000200"}
    events = [
        ("message", event(harness, message, "Ev0LOG1")),
        ("message_changed", event(harness, {"type": "message", "subtype": "message_changed", "channel": CHANNEL,
                                            "channel_type": "channel", "ts": "1700000000.000150",
                                            "message": {**message, "text": decision + " Final."},
                                            "previous_message": message}, "Ev0LOG2")),
        ("thread reply", event(harness, reply, "Ev0LOG3")),
        ("message_deleted", event(harness, {"type": "message", "subtype": "message_deleted", "channel": CHANNEL,
                                            "channel_type": "channel", "deleted_ts": TS, "ts": "1700000000.000400",
                                            "previous_message": message}, "Ev0LOG4")),
        ("app_home_opened", event(harness, {"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER",
                                            "tab": "home", "event_ts": "1700000000.000500"}, "Ev0LOG5")),
        ("reaction_added (unhandled)", event(harness, {"type": "reaction_added", "user": MANAGER, "reaction": "tada",
                                                       "item": {"type": "message", "channel": CHANNEL, "ts": TS,
                                                                "note": f"{NAME} <mailto:{EMAIL}|{EMAIL}>"}},
                                             "Ev0LOG6")),
        ("url_verification", {"type": "url_verification", "token": "legacy", "challenge": NAME}),
    ]
    forms = [
        (f"command {text[:20]}", command(harness, text)) for text in (
            f"Staff Data Engineer: {NAME} (onsite; strengths: calm) <mailto:{EMAIL}|{EMAIL}>",
            f"Staff Data Engineer: {NAME} (", "pending", f"forget {NAME}", "channel-manager <@U0CHANMGR|zanele>",
            "digest", "help", f"payload engineer: {NAME}",
        )
    ]
    state = {"role": {"role": {"type": "plain_text_input", "value": "Staff Data Engineer"}},
             "manager": {"manager": {"type": "users_select", "selected_user": MANAGER}},
             "not_selected": {"not_selected": {"type": "plain_text_input", "value": NAME}},
             "candidates": {"candidates": {"type": "plain_text_input", "value": f"{NAME} (onsite) {EMAIL}"}},
             "note": {"note": {"type": "plain_text_input", "value": f"Dear {NAME}, ..."}}}
    container = {"type": "message", "message_ts": TS, "channel_id": CHANNEL, "is_ephemeral": False}
    payloads = [
        ("block_actions", interactive("block_actions", container=container, channel={"id": CHANNEL},
                                      message={"ts": TS, "text": decision, "blocks": []},
                                      response_url=harness.fake.response_url(),
                                      actions=[{"action_id": blocks.ACTION_CONTACTED, "block_id": "b1",
                                                "type": "button", "value": "1", "action_ts": TS}])),
        ("block_actions, an action nobody knows", interactive(
            "block_actions", container=container, channel={"id": CHANNEL}, response_url=harness.fake.response_url(),
            actions=[{"action_id": "old_button", "block_id": "b1", "type": "button", "value": NAME,
                      "action_ts": TS}])),
        ("view_submission decision", interactive("view_submission", view={
            "id": "V1", "type": "modal", "callback_id": blocks.VIEW_DECISION, "state": {"values": state},
            "private_metadata": metadata.encode(c=CHANNEL, ts=TS, a=MANAGER)})),
        ("view_submission round", interactive("view_submission", view={
            "id": "V2", "type": "modal", "callback_id": blocks.VIEW_ROUND, "state": {"values": state},
            "private_metadata": metadata.encode(c=CHANNEL)})),
        ("view_submission note", interactive("view_submission", view={
            "id": "V3", "type": "modal", "callback_id": blocks.VIEW_NOTE, "state": {"values": state},
            "private_metadata": json.dumps({"f": 1})})),
        ("view_closed", interactive("view_closed", view={"id": "V4", "type": "modal", "callback_id": "decision_modal",
                                                         "private_metadata": NAME, "state": {"values": state}})),
        ("message_action", interactive("message_action", callback_id=blocks.SHORTCUT_RECORD,
                                       channel={"id": CHANNEL}, message={"ts": TS, "text": decision,
                                                                         "user": MANAGER},
                                       response_url=harness.fake.response_url())),
        ("block_suggestion (unhandled)", interactive("block_suggestion", action_id="x", block_id="y", value=NAME,
                                                     view={"id": "V5", "type": "modal", "callback_id": "z"})),
        ("dialog_submission (an old button's catch-all)", interactive("dialog_submission", callback_id="legacy_dialog",
                                                      submission={"name": NAME, "email": EMAIL},
                                                      channel={"id": CHANNEL}, state=NAME,
                                                      response_url=harness.fake.response_url())),
        ("interactive_message (an old button's catch-all)", interactive("interactive_message", callback_id="legacy",
                                                        actions=[{"name": "who", "value": NAME, "type": "button"}],
                                                        channel={"id": CHANNEL},
                                                        original_message={"text": decision})),
        ("shortcut (unhandled)", interactive("shortcut", callback_id=f"global {NAME}")),
        ("block_actions of the wrong shape", interactive("block_actions", actions=f"{NAME} {EMAIL}")),
    ]
    return ([(what, json.dumps(body), "application/json") for what, body in events]
            + [(what, urlencode(body), FORM) for what, body in forms]
            + [(what, urlencode({"payload": json.dumps(body)}), FORM) for what, body in payloads])


def test_no_name_or_email_reaches_any_log_record_at_debug(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    fake = harness.fake
    real_answer = fake.answer

    def answer(method: str, args: dict[str, Any]) -> dict[str, Any]:  # Slack's answers name people too
        answered = real_answer(method, args)
        if method == "users.info":
            answered["user"].update(real_name=NAME, profile={"display_name": NAME, "email": EMAIL})
        return answered

    monkeypatch.setattr(fake, "answer", answer)
    fake.remember(CHANNEL, {"ts": "1700000000.000200", "user": MANAGER,
                            "text": f"How did it go with {NAME} ({EMAIL})?"})
    statuses = {}
    for what, body, content_type in requests(harness):
        statuses[what] = harness.signed(body, content_type)[0]
        harness.drain()
        assert harness.signed(body, content_type, secret="forged")[0] == 401, what
        assert harness.signed(body, content_type, timestamp=int(time.time()) - 3600)[0] == 401, what
    harness.fake.fail_next("chat.postMessage", status=500, times=2)  # retried: slack_sdk logs the retry
    harness.signed(json.dumps(event(harness, {"type": "message", "channel": "C0OTHER", "channel_type": "channel",
                                              "user": MANAGER, "ts": "1700000000.000900",
                                              "text": f"Not moving forward with {NAME} for the QA Lead role."},
                                    "Ev0LOG9")), "application/json")
    harness.drain()

    assert statuses["block_actions of the wrong shape"] == 400 and statuses["view_closed"] == 404
    assert fake.calls_to("chat.postMessage") and fake.calls_to("users.info")  # the names went out and came back
    assert leaks(caplog.records) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "nothing handles a request of type reaction_added" in logged  # the lines are still there, without
    assert "Invalid request signature detected (details not logged" in logged


@pytest.mark.parametrize("line", [
    "Unhandled request ({'type': 'dialog_submission', 'submission': {'name': 'Zanele'}})",
    "Invalid request signature detected (signature: v0=1, timestamp: 1, body: payload=%7B%22Zanele%22)",
    "Unsuccessful Bolt execution result (status: 404, body: {\"text\": \"Zanele\"})",
    "Failed to decode Slack API response: {\"ok\": true, \"real_name\": \"Zanele\"}",
    "A global middleware (keep_then_ack) skipped calling next() ({'text': 'Zanele'})",
])
def test_the_libraries_lines_keep_their_opening_not_what_they_quote(line: str) -> None:
    record = logging.LogRecord("slack_bolt.App", logging.WARNING, __file__, 1, "%s", (line,), None)
    assert WithoutBodies().filter(record)
    assert "Zanele" not in record.getMessage() and record.getMessage().endswith("(details not logged: they may "
                                                                                 "carry personal data)")
    debug = logging.LogRecord("slack_sdk.web.base_client", logging.DEBUG, __file__, 1, "Sending a request", (), None)
    assert not WithoutBodies().filter(debug)
    ours = logging.LogRecord("bot.followups.sweep", logging.DEBUG, __file__, 1, "nudge sent followup=%s", (7,), None)
    assert WithoutBodies().filter(ours) and ours.getMessage() == "nudge sent followup=7"


@pytest.mark.parametrize("formatter", [PrivateFormatter("%(message)s"), JsonFormatter()], ids=["text", "json"])
def test_an_exception_is_logged_by_its_type_and_frames_not_its_message(formatter: logging.Formatter) -> None:
    def record_decision(name: str) -> None:
        raise KeyError(f"{name} <{EMAIL}>")

    try:
        try:
            record_decision(NAME)
        except KeyError as error:
            raise ValueError(f"could not record {NAME}\nsecond line {EMAIL}") from error
    except ValueError:
        record = logging.LogRecord("bot.inbox", logging.ERROR, __file__, 1, "event %s failed", ("Ev1",),
                                   sys.exc_info())
    written = formatter.format(record)
    assert NAME not in written and EMAIL not in written
    for shown in ("event Ev1 failed", "Traceback (most recent call last)", "record_decision", "KeyError",
                  "ValueError", "The above exception was the direct cause"):
        assert shown in written, shown
