"""The shape a request from Slack must have before the app reads it.

Bolt and the listeners index what Slack sends (`body["actions"][0]`, `view["state"]["values"]`,
`event.get(...)`): a payload of the wrong shape (`actions` empty or a string, `view` a string, `event` a
list, `message` a string in an edit) used to raise deep inside and answer 500. Each kind of payload is
checked here against a JSON Schema first, with the lengths of the ids it carries (storage.models): a
request that fails is refused with 400 and a short reason, before anything runs (bot/server.py, over HTTP
after its signature is checked, and in Socket Mode).

The schemas ask for what the app reads and no more: a field that is present must have the type the app
expects; what the app does not read is not looked at, so Slack adding fields never breaks anything.
The reasons name the field and the rule, never the value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import fastjsonschema

from bot.domain.lengths import SLACK_ID_LENGTH

Schema = dict[str, Any]

ID: Schema = {"type": "string", "maxLength": SLACK_ID_LENGTH}  # a Slack id or message ts
MAYBE_ID: Schema = {"type": ["string", "null"], "maxLength": SLACK_ID_LENGTH}
TEXT: Schema = {"type": ["string", "null"]}
OBJECTS: Schema = {"type": "array", "items": {"type": "object"}}
BLOCK_ID: Schema = {"type": "string", "maxLength": 255}  # action_id, block_id, callback_id (Block Kit)


def _object(properties: Schema, *required: str, **more: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), **more}


MESSAGE = _object({
    "ts": ID, "thread_ts": ID, "user": ID, "bot_id": ID, "team": ID, "subtype": {"type": "string"},
    "text": TEXT, "blocks": OBJECTS, "attachments": OBJECTS,
})

# --- Events API (JSON, or an events_api envelope) -------------------------------------------------------

MESSAGE_EVENT = _object(
    {
        "channel": ID, "user": ID, "ts": ID, "event_ts": ID, "thread_ts": ID, "deleted_ts": ID, "bot_id": ID,
        "team": ID, "subtype": {"type": "string"}, "channel_type": {"type": "string"}, "text": TEXT,
        "blocks": OBJECTS, "attachments": OBJECTS, "message": MESSAGE, "previous_message": MESSAGE,
    },
    "type",
    allOf=[{
        "if": _object({"subtype": {"const": "message_changed"}}, "subtype"),
        "then": {"required": ["message"]},
    }],
)
EVENT = {
    "type": "object",
    "properties": {"type": {"type": "string"}},
    "required": ["type"],
    "allOf": [
        {"if": _object({"type": {"const": "message"}}, "type"), "then": MESSAGE_EVENT},
        {"if": _object({"type": {"const": "app_home_opened"}}, "type"),
         "then": _object({"user": ID, "tab": {"type": "string"}}, "user")},
    ],
}
EVENT_CALLBACK = _object(
    {"team_id": ID, "api_app_id": ID, "event_id": ID, "authorizations": OBJECTS, "event": EVENT},
    "team_id", "event_id", "event",
)
URL_VERIFICATION = _object({"challenge": {"type": "string"}}, "challenge")

# --- Slash commands (a form, or a slash_commands envelope) ---------------------------------------------

COMMAND = _object(
    {"command": {"type": "string"}, "text": TEXT, "team_id": ID, "user_id": ID, "channel_id": ID,
     "trigger_id": {"type": "string"}, "response_url": {"type": "string"}},
    "command", "team_id", "user_id", "channel_id", "trigger_id",
)

# --- Interactivity (a form's `payload=` JSON, or an interactive envelope) -------------------------------

ACTOR: Schema = {
    "user": _object({"id": ID}, "id"),
    "team": {"type": ["object", "null"], "properties": {"id": ID}},
    "trigger_id": {"type": "string"},
    "response_url": {"type": "string"},
}
STATE_VALUE = _object({  # view.state.values[block_id][action_id]
    "type": {"type": "string"}, "value": TEXT, "selected_user": MAYBE_ID,
    "selected_option": {"type": ["object", "null"], "properties": {"value": {"type": "string"}}},
})
VIEW = _object(
    {"id": ID, "callback_id": BLOCK_ID, "private_metadata": {"type": "string"},
     "state": _object({"values": {"type": "object", "additionalProperties": {
         "type": "object", "additionalProperties": STATE_VALUE}}})},
)
ACTION = _object(
    {"action_id": BLOCK_ID, "block_id": BLOCK_ID, "type": {"type": "string"}, "value": {"type": "string"},
     "selected_user": MAYBE_ID,
     "selected_option": {"type": ["object", "null"], "properties": {"value": {"type": "string"}}}},
    "action_id",
)
CONTAINER = _object({"type": {"type": "string"}, "channel_id": ID, "message_ts": ID, "view_id": ID})
CHANNEL = {"type": ["object", "null"], "properties": {"id": ID}}

BLOCK_ACTIONS = _object(
    {**ACTOR, "actions": {"type": "array", "minItems": 1, "items": ACTION}, "container": CONTAINER,
     "channel": CHANNEL, "message": MESSAGE, "view": VIEW},
    "user", "actions",
)
VIEW_SUBMISSION = _object({**ACTOR, "view": _object(VIEW["properties"], "callback_id")}, "user", "view")
VIEW_CLOSED = VIEW_SUBMISSION
SHORTCUT = _object({**ACTOR, "callback_id": BLOCK_ID}, "user", "callback_id", "trigger_id")
MESSAGE_ACTION = _object(
    {**ACTOR, "callback_id": BLOCK_ID, "message": MESSAGE, "channel": CHANNEL},
    "user", "callback_id", "trigger_id", "message",
)
BLOCK_SUGGESTION = _object({**ACTOR, "action_id": BLOCK_ID, "block_id": BLOCK_ID, "value": {"type": "string"}},
                           "user", "action_id")

INTERACTIVE = {
    "block_actions": BLOCK_ACTIONS,
    "view_submission": VIEW_SUBMISSION,
    "view_closed": VIEW_CLOSED,
    "shortcut": SHORTCUT,
    "message_action": MESSAGE_ACTION,
    "block_suggestion": BLOCK_SUGGESTION,
}
EVENTS = {"event_callback": EVENT_CALLBACK, "url_verification": URL_VERIFICATION}

# How a request arrived, which says which payloads it may carry.
EVENTS_API, INTERACTIVITY, SLASH_COMMAND = "events", "interactive", "command"
ENVELOPE_TRANSPORTS = {"events_api": EVENTS_API, "interactive": INTERACTIVITY, "slash_commands": SLASH_COMMAND}


@functools.cache
def _validator(kind: str) -> Callable[[Any], Any]:
    schema = COMMAND if kind == SLASH_COMMAND else {**INTERACTIVE, **EVENTS}[kind]
    return fastjsonschema.compile(schema)


def problem(body: Any, transport: str | None) -> str | None:
    """What is wrong with a payload that came by `transport` (EVENTS_API, INTERACTIVITY, SLASH_COMMAND;
    None: a form that is neither, such as Slack's SSL check), or None when the app can read it.

    A payload type the app does not know is no problem here: Bolt answers it as unhandled."""
    if transport is None:
        return None
    if not isinstance(body, dict):
        return f"the payload is a JSON {_json_type(body)}, not an object"
    if transport == SLASH_COMMAND:
        kind = SLASH_COMMAND
    else:
        declared = body.get("type")
        if not isinstance(declared, str):
            return "the payload has no type" if declared is None else "type must be string"
        if declared not in (INTERACTIVE if transport == INTERACTIVITY else EVENTS):
            return None
        kind = declared
    try:
        _validator(kind)(body)
    except fastjsonschema.JsonSchemaValueException as error:
        return f"{kind}: {_reason(error)}"
    return None


def envelope_problem(envelope: dict[str, Any]) -> str | None:
    """What is wrong with a Socket Mode envelope's payload, or None (also for messages that are no
    envelope: hello, disconnect)."""
    transport = ENVELOPE_TRANSPORTS.get(str(envelope.get("type")))
    if transport is None or "envelope_id" not in envelope:
        return None
    return problem(envelope.get("payload"), transport)


def http_transport(raw_body: str, content_type: str | None, body: dict[str, Any]) -> str | None:
    """How an HTTP request came, read the way Bolt parses it (slack_bolt.request.internals.parse_body), as
    corrected by `misread_form`."""
    if content_type == "application/json" or raw_body.startswith("{"):
        return EVENTS_API
    fields = misread_form(raw_body, content_type)
    if fields is not None:
        body = fields
    elif "payload" in raw_body:  # Bolt reads the form's `payload` field as JSON
        return INTERACTIVITY
    return SLASH_COMMAND if "command" in body else None


def misread_form(raw_body: str, content_type: str | None) -> dict[str, str] | None:
    """The fields of a form Bolt misreads, else None. Bolt takes any form whose body holds the word "payload"
    anywhere (`/interview-round payload engineer: …`, the word in the command's text) for an interactive
    payload, finds no `payload` field and reads the request as empty: nothing handles it (404)."""
    if content_type == "application/json" or raw_body.startswith("{") or "payload" not in raw_body:
        return None
    fields = dict(parse_qsl(raw_body, keep_blank_values=True))
    return None if "payload" in fields else fields


def unreadable(raw_body: str, content_type: str | None) -> str:
    """Why Bolt could not read a request body at all (it raised while parsing it)."""
    transport = http_transport(raw_body, content_type, {})
    text = (dict(parse_qsl(raw_body, keep_blank_values=True)).get("payload") or ""
            if transport == INTERACTIVITY else raw_body)
    try:
        value = json.loads(text)
    except ValueError:
        return "the payload field is not JSON" if transport == INTERACTIVITY else "the body is not JSON"
    return problem(value, transport) or "the payload could not be read"


def _reason(error: fastjsonschema.JsonSchemaValueException) -> str:
    """fastjsonschema's message ("data.view.state.values must be object"), from the payload's root and
    without the value."""
    message = error.message
    return message[len("data."):] if message.startswith("data.") else message.replace("data ", "the payload ", 1)


def _json_type(value: Any) -> str:
    return {str: "string", list: "array", bool: "boolean", type(None): "null"}.get(type(value), "number")
