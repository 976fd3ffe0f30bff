"""ATS webhooks: `POST /ats/<vendor>` (bot.ats has one module per vendor), and the admins' manager picker.

The request path only checks and keeps: 404 while the vendor's secret is unset; 401 for a missing or bad
signature, or one whose signed time is older than ATS_SIGNATURE_MAX_AGE (a replay; bot.ats.fresh);
400 (one line) for a body that is no JSON or lacks what is needed; else the delivery is written to
the inbox (bot.inbox) and answered 200 once it is committed (503 when it could not be: the vendor retries).
A redelivery (the same delivery id) is left out of the inbox, also after a restart (processed_events).
Processing (bot.ats.record) comes after the answer, from the inbox. Nothing logged names a candidate.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import inbox
from bot.ats import Malformed, fresh, vendors
from bot.ats import record as ats_record
from bot.deps import Deps
from bot.domain.errors import OutOfDate
from bot.inbox import Inbox, InboxUnavailable
from bot.slack import blocks
from bot.slack.payloads import team_id_of
from handlers.replies import listener

logger = logging.getLogger(__name__)
PREFIX = "/ats/"
MAX_BODY = 1_000_000  # bytes; an ATS application payload is a few kilobytes


def is_ats_path(path: str | None) -> bool:
    return bool(path) and str(path).startswith(PREFIX)


def receive(deps: Deps, inbox: Inbox, environ: dict[str, Any]) -> tuple[int, str]:
    """One webhook request: (HTTP status, one-line answer)."""
    name = str(environ.get("PATH_INFO"))[len(PREFIX):]
    vendor = vendors().get(name)
    secret = getattr(deps.settings, vendor.SECRET, None) if vendor else None
    if vendor is None or not secret:
        return 404, "Not found"
    if environ.get("REQUEST_METHOD") != "POST":
        return 405, "Method not allowed: POST the webhook here"
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 400, "Bad request: Content-Length is not a number"
    if length > MAX_BODY:
        return 413, "Payload too large"
    raw = environ["wsgi.input"].read(length) if length else b""
    headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
               if key.startswith("HTTP_")}
    if not vendor.verify(secret, headers, raw):
        logger.warning("ats %s: refused a delivery with a missing or bad signature (401)", name)
        return 401, "Invalid signature"
    if not fresh(vendor.signed_at(headers, raw), deps.clock(), deps.settings.ats_signature_max_age.as_timedelta()):
        logger.warning("ats %s: refused a delivery signed too long ago, a replay (401)", name)
        return 401, "Stale signature"
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        logger.warning("ats %s: refused a signed delivery that is not JSON (400)", name)
        return 400, "Bad request: the body is not JSON"
    try:
        event = vendor.parse(payload)
    except Malformed as problem:
        logger.warning("ats %s: refused a signed delivery (400): %s", name, problem)
        return 400, f"Bad request: {problem}"
    if event.kind is None:
        logger.info("ats %s: action not used by this bot: ignored", name)
        return 200, "Ignored"
    body = {"event_id": event.delivery_id, "team_id": deps.team_id or "", "ats": name, "payload": payload}
    try:
        inbox.keep(body, raw=json.dumps(body, separators=(",", ":")))
    except InboxUnavailable as error:
        logger.error("ats %s: delivery %s could not be kept (%s): answered 503, to be sent again", name,
                     event.delivery_id, error)
        return 503, "Busy: send it again"
    logger.info("ats %s: delivery %s kept", name, event.delivery_id)
    return 200, "OK"


def process(deps: Deps, body: dict[str, Any]) -> None:
    """One kept delivery (from the inbox, or redelivered): act on it, then take it out of the inbox."""
    vendor = vendors().get(str(body.get("ats")))
    event_id = str(body.get("event_id"))
    if vendor is not None:
        try:
            event = vendor.parse(body.get("payload"))
        except Malformed as problem:  # kept by an older version, say
            logger.warning("ats delivery %s can no longer be read (%s): dropped", event_id, problem)
        else:
            complete = getattr(vendor, "complete", None)
            if complete is not None and event.kind is not None:  # ids only: the vendor's API says the rest
                if inbox.seen(deps, event.delivery_id):
                    event = None  # a redelivery: dropped before asking the vendor's API
                    logger.info("ats delivery %s: a redelivery: dropped", event_id)
                else:
                    event = complete(deps.settings, event, body.get("payload"))
            if event is not None:
                team_id = team_id_of(body) or deps.team_id or ""
                what = ats_record.handle(deps, event, team_id=team_id, now=deps.clock())
                logger.info("ats delivery %s: %s", event_id, what)
    inbox.done(deps, event_id)


def register(app: App, deps: Deps) -> None:
    app.action(blocks.ACTION_ATS_ASSIGN)(listener(deps, handle_ats_assign))
    app.action(blocks.ACTION_ATS_CLAIM)(listener(deps, handle_ats_claim))


def handle_ats_assign(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    manager = action.get("selected_user")
    if not manager:
        raise OutOfDate("Pick someone from the list.")
    assign(deps, body, str(manager), respond)


def handle_ats_claim(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    assign(deps, body, str(body["user"]["id"]), respond)


def assign(deps: Deps, body: dict[str, Any], manager: str, respond: Respond) -> None:
    """Give an ATS decision nobody owned to `manager`, and say so in place of the question."""
    value = blocks.button_value((body.get("message") or {}).get("blocks"), blocks.ACTION_ATS_CLAIM)
    if value is None:
        raise OutOfDate("That question is out of date.")
    actor = body["user"]["id"]
    event, recorded = ats_record.assign(deps, value, manager_id=manager, actor=actor, team_id=team_id_of(body),
                                        now=deps.clock())
    names = [event.person.name] if event.person else []
    respond(replace_original=True,
            **blocks.ats_assigned(manager_id=manager, actor=actor, names=names, already=recorded is None))
