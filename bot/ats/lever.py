"""Lever webhooks: candidateArchiveChange and candidateHired.

Signature, as Lever documents it (https://hire.lever.co/developer/documentation, "Webhooks", "Verifying
webhook signatures"): the body carries `token`, `triggeredAt` and `signature`; `signature` is the hex
HMAC-SHA256 of `token + triggeredAt` (the string, then the number as written) keyed with the webhook's
signature token (Settings → Integrations and API → Webhooks). Compared in constant time. The token is unique
to a delivery, so it (with triggeredAt: exactly what is signed) is the delivery's id: a redelivery is dropped.
`triggeredAt` (milliseconds since the epoch) is inside the signed material, so a delivery whose triggeredAt
is further from our clock than ATS_SIGNATURE_MAX_AGE is a replay and is refused (bot.ats.fresh).

A delivery carries ids only (`data.opportunityId`, and for an archive change `toArchived.reason`, an archive
reason id). Who, for which role, at which stage, and why are read from Lever's API (LEVER_API_URL, HTTP basic
auth with LEVER_API_KEY as the user name) after the 200, while the delivery is in the inbox (`complete`): a
failing API leaves it there, to be processed again. Archive reasons have a `type`, "hired" or "non-hired";
a non-hired reason whose text says the candidate withdrew is a withdrawal, any other is a rejection. An
archive change to not archived (`toArchived` null) is an unarchive: the open follow-up is cancelled.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.ats import (
    HIRED,
    REJECTED,
    UNREJECTED,
    WITHDRAWN,
    AtsEvent,
    Malformed,
    VendorUnavailable,
    api_json,
    external_id,
    signed,
)
from bot.ats import text as _text
from bot.reader import Person

NAME = "lever"
SECRET = "lever_webhook_token"
EVENTS = {"candidateArchiveChange": "ac", "candidateHired": "hi"}  # codes in delivery ids
WITHDREW = re.compile(r"withdr[ae]w|withdrawn|declined|not interested|accepted another|took another",
                      re.IGNORECASE)


class LeverUnavailable(VendorUnavailable):
    """Lever's API could not say what a delivery is about: the delivery stays in the inbox."""


def _body(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def verify(secret: str, headers: Mapping[str, str], raw: bytes) -> bool:
    """True when the body's `signature` is the hex HMAC-SHA256 of `token + triggeredAt` with the signature token."""
    body = _body(raw)
    if body is None:
        return False
    token, triggered, signature = body.get("token"), body.get("triggeredAt"), body.get("signature")
    if not isinstance(token, str) or not isinstance(signature, str) or isinstance(triggered, bool):
        return False
    if not isinstance(triggered, int | str):
        return False
    return signed(secret, f"{token}{triggered}".encode(), signature)


def signed_at(headers: Mapping[str, str], raw: bytes) -> datetime | None:
    """When Lever says it sent the delivery: the signed `triggeredAt` (epoch milliseconds). A signed body
    with a triggeredAt that is no time reads as the epoch: stale, refused."""
    body = _body(raw) or {}
    triggered: Any = body.get("triggeredAt")  # any JSON: int() of what is no time raises, caught below
    try:
        millis = int(triggered) if not isinstance(triggered, bool) else 0
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=UTC)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _email(user: Any) -> str | None:
    email = _text(user.get("email")) if isinstance(user, dict) else None
    return email.lower() if email and "@" in email else None


def parse(body: Any) -> AtsEvent:
    """The delivery as an AtsEvent carrying ids only (`complete` fills it in); Malformed when it lacks them."""
    if not isinstance(body, dict):
        raise Malformed("the body is not an object")
    event = body.get("event")
    if not isinstance(event, str) or not event:
        raise Malformed("no event")
    if event not in EVENTS:  # stage changes, deletions, Lever's test delivery: answered 200 and ignored
        return AtsEvent(NAME, f"{NAME}:ignored", None, "", None, None, None, ())
    token = _text(body.get("token"))
    if token is None:
        raise Malformed("no token")
    data = body.get("data")
    if not isinstance(data, dict):
        raise Malformed("data is missing or is not an object")
    opportunity = _text(data.get("opportunityId"))
    if opportunity is None:
        raise Malformed("data.opportunityId is missing")
    kind = HIRED
    if event == "candidateArchiveChange":
        if "toArchived" not in data:
            raise Malformed("data.toArchived is missing")
        kind = REJECTED if isinstance(data.get("toArchived"), dict) else UNREJECTED  # REJECTED: until `complete`
    # The id is what Lever signs (token, triggeredAt), nothing else: Lever's signature does not cover `data`,
    # so a signed body replayed with another opportunity or event has the same id as the original, and is dropped.
    delivery = f"{NAME}:" + hashlib.sha256(f"{token}:{body.get('triggeredAt')}".encode()).hexdigest()[:40]
    return AtsEvent(vendor=NAME, delivery_id=delivery, kind=kind,
                    external_id=external_id(NAME, opportunity), role=None, person=None, email=None,
                    owner_emails=())


def complete(settings: Any, event: AtsEvent, body: dict[str, Any]) -> AtsEvent:
    """The event with what Lever's API says: the candidate, their stage, the posting, the archive reason's
    meaning, and the hiring manager, owner and posting owner's emails (best first). LeverUnavailable when
    the API can't be asked or fails."""
    key = settings.lever_api_key
    if not key:
        raise LeverUnavailable("LEVER_API_KEY is unset: a Lever delivery can't be read without it")
    base = settings.lever_api_url
    data = body["data"]
    opportunity_id = str(data["opportunityId"])
    opportunity = _get(base, key, f"/opportunities/{quote(opportunity_id, safe='')}",
                       ("owner", "stage", "applications"))
    name = _text(opportunity.get("name"))
    if name is None:
        raise LeverUnavailable("the opportunity has no name")
    emails = opportunity.get("emails")
    email = next((_text(e) for e in emails if _text(e)), None) if isinstance(emails, list) else None
    stage = opportunity.get("stage")
    stage_text = _text(stage.get("text")) if isinstance(stage, dict) else None
    role, owners = None, [_email(opportunity.get("owner"))]
    posting_id = None
    applications = opportunity.get("applications")
    if isinstance(applications, list) and applications and isinstance(applications[0], dict):
        posting_id = _id(applications[0].get("posting"))
    if posting_id:
        posting = _get(base, key, f"/postings/{quote(posting_id, safe='')}", ("hiringManager", "owner"))
        role = _text(posting.get("text"))
        owners = [_email(posting.get("hiringManager")), *owners, _email(posting.get("owner"))]
    kind = event.kind
    if kind == REJECTED:
        reason_id = _id((data.get("toArchived") or {}).get("reason")) or _id(
            (opportunity.get("archived") or {}).get("reason"))
        reason: dict[str, Any] = {}
        if reason_id:
            reason = _get(base, key, f"/archive_reasons/{quote(reason_id, safe='')}", ())
        if str(reason.get("type") or "").lower() == "hired":
            kind = HIRED
        elif WITHDREW.search(str(reason.get("text") or "")):
            kind = WITHDRAWN
    return replace(event, kind=kind, role=role, person=Person(name, stage_text),
                   email=email.lower() if email else None,
                   owner_emails=tuple(dict.fromkeys(e for e in owners if e)))


def _get(base: str, key: str, path: str, expand: tuple[str, ...]) -> dict[str, Any]:
    """GET one object from Lever's API (its `data`)."""
    query = "&".join(f"expand={name}" for name in expand)
    try:
        answer = api_json(f"{base}{path}" + (f"?{query}" if query else ""), key,
                          what=f"Lever's API, {path.split('/')[1]}")
    except VendorUnavailable as error:
        raise LeverUnavailable(str(error)) from None
    found = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(found, dict):
        raise LeverUnavailable(f"Lever's API gave no data for {path.split('/')[1]}")
    return found
