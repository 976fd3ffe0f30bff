"""Greenhouse Recruiting web hooks: reject_candidate, hire_candidate, unreject_candidate.

Signature, as Greenhouse documents it (https://developers.greenhouse.io/webhooks.html, "Authentication"):
the `Signature` header is the algorithm, a space, and the hex HMAC-SHA256 digest of the whole raw request
body keyed with the web hook's secret key (`Signature: sha256 37d2…`). It is checked on the raw bytes,
before any JSON is read, with a constant-time comparison. Each delivery also carries a
`Greenhouse-Event-ID` header, documented as unique to the delivery; whether a retry keeps it is not said,
so a redelivery is recognised by what it is about instead: the application, the action, and when it
happened (the payload's rejected_at / hired_at / last_activity_at).

Greenhouse signs no time: the signature covers the body only, and the documented headers are `Signature`
and `Greenhouse-Event-ID` (same page, "Introduction" and "Authentication"); the payload's times
(rejected_at...) say when the candidate was moved, not when the delivery was sent, so a retry a day later
carries the same ones. A replayed delivery is therefore not refused as stale: it has the id of the original
and is dropped as a redelivery (processed_events), which is all a replay of a signed body can do here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.ats import HIRED, REJECTED, UNREJECTED, WITHDRAWN, AtsEvent, Malformed, delivery_id, external_id, signed
from bot.ats import object_at as _object
from bot.ats import text as _text
from bot.reader import Person

NAME = "greenhouse"
SECRET = "greenhouse_webhook_secret"
CODES = {"reject_candidate": "rj", "hire_candidate": "hi", "unreject_candidate": "ur"}  # in delivery ids
ACTIONS = tuple(CODES)
THEY_REJECTED_US = "they rejected us"


def verify(secret: str, headers: Mapping[str, str], raw: bytes) -> bool:
    """True when the `Signature` header is `sha256 <hex HMAC-SHA256 of raw with secret>`."""
    given = headers.get("signature") or ""
    algorithm, _, digest = given.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        return False
    return signed(secret, raw, digest)


def signed_at(headers: Mapping[str, str], raw: bytes) -> datetime | None:
    """None: Greenhouse signs no time (see the module's docstring)."""
    return None


def _email(person: Any) -> str | None:
    if not isinstance(person, dict):
        return None
    email = _text(person.get("email"))
    return email.lower() if email and "@" in email else None


def parse(body: Any) -> AtsEvent:
    """The delivery as an AtsEvent; Malformed (one line) when it lacks what is needed."""
    body = _object(body, "the body")
    action = body.get("action")
    if not isinstance(action, str) or not action:
        raise Malformed("no action")
    if action not in ACTIONS:  # answered 200 and ignored (the "ping" Greenhouse sends when a web hook is saved)
        return AtsEvent(NAME, f"{NAME}:ignored", None, "", None, None, None, ())
    payload = _object(body.get("payload"), "payload")
    application = _object(payload.get("application"), "payload.application")
    app_id = application.get("id")
    if not isinstance(app_id, int | str) or isinstance(app_id, bool) or not str(app_id):
        raise Malformed("payload.application.id is missing")
    candidate = _object(application.get("candidate") or payload.get("candidate"), "payload.application.candidate")
    first, last = _text(candidate.get("first_name")), _text(candidate.get("last_name"))
    name = " ".join(part for part in (first, last) if part)
    if not name:
        raise Malformed("the candidate has no first_name or last_name")
    jobs = application.get("jobs")
    role = None
    if isinstance(jobs, list) and jobs and isinstance(jobs[0], dict):
        role = _text(jobs[0].get("name"))
    stage_obj = application.get("current_stage")
    stage = _text(stage_obj.get("name")) if isinstance(stage_obj, dict) else None
    emails = candidate.get("email_addresses")
    email = None
    if isinstance(emails, list):
        email = next((_text(e.get("value")) for e in emails if isinstance(e, dict) and _text(e.get("value"))), None)
    owners = tuple(dict.fromkeys(
        e for e in (_email(candidate.get("recruiter")), _email(candidate.get("coordinator")),
                    _email(application.get("credited_to"))) if e
    ))
    if action == "reject_candidate":
        reason = application.get("rejection_reason")
        reason_type = reason.get("type") if isinstance(reason, dict) else None
        type_name = _text(reason_type.get("name")) if isinstance(reason_type, dict) else None
        kind = WITHDRAWN if type_name and type_name.lower() == THEY_REJECTED_US else REJECTED
        when = application.get("rejected_at")
    elif action == "hire_candidate":
        kind, when = HIRED, application.get("hired_at")
    else:
        kind, when = UNREJECTED, application.get("last_activity_at")
    when = when if isinstance(when, str) else ""
    delivery = delivery_id(NAME, f"{app_id}:{CODES[action]}:{when}")
    return AtsEvent(
        vendor=NAME,
        delivery_id=delivery,
        kind=kind,
        external_id=external_id(NAME, app_id),
        role=role,
        person=Person(name, stage),
        email=email,
        owner_emails=owners,
    )
