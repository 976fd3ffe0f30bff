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

The payload names the recruiter, coordinator and credited-to user, not the job's hiring managers. With
Harvest v3 credentials set (GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET; v1 API keys were retired on
2026-08-31), `complete` asks Harvest v3 for them after the 200: the token and the calls are bot.ats.harvest's,
the endpoints and fields `hiring_manager_emails`'s. Their emails come first among the owners; the payload's
people follow. When Harvest can't be asked (down, refused after a fresh token, no such job), the payload's
people are used: the payload alone is a whole decision, so the follow-up is recorded now rather than held for
a lookup that may never answer. Only a rate limit asking for a long wait holds the delivery in the inbox
(bot.ats.harvest.HarvestBusy), as Greenhouse will answer once the wait is over.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.ats import (
    HIRED,
    REJECTED,
    UNREJECTED,
    WITHDRAWN,
    AtsEvent,
    Malformed,
    VendorUnavailable,
    delivery_id,
    external_id,
    harvest,
    signed,
)
from bot.ats import object_at as _object
from bot.ats import text as _text
from bot.reader import Person

logger = logging.getLogger(__name__)

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
        external_id=external_id(NAME, str(app_id)),
        role=role,
        person=Person(name, stage),
        email=email,
        owner_emails=owners,
    )


# --- the job's hiring managers, from Harvest v3 ---------------------------------------------------------


def credentials(settings: Any) -> harvest.Credentials | None:
    """The Harvest v3 client credentials, or None when GREENHOUSE_CLIENT_ID (and so the secret) is unset."""
    if not settings.greenhouse_client_id or not settings.greenhouse_client_secret:
        return None
    return harvest.Credentials(settings.greenhouse_client_id, settings.greenhouse_client_secret,
                               settings.greenhouse_user_id, settings.greenhouse_auth_url)


def complete(settings: Any, event: AtsEvent, body: Any) -> AtsEvent:
    """The event with the job's hiring managers' emails first among its owners (see the module's docstring).
    Without Harvest credentials, or for an unreject (no manager needed), the event as it is. HarvestBusy
    (rate limited for longer than is waited here) passes through, so the delivery is processed again later,
    HOLD_TIMES times at most; then the payload's people are used."""
    found = credentials(settings)
    if event.kind in (None, UNREJECTED) or found is None:
        return event
    job_id = _job_id(body)
    if job_id is None:
        return event
    try:
        managers = hiring_manager_emails(settings.greenhouse_api_url, found, job_id)
    except harvest.HarvestBusy as error:
        if not _hold(event.delivery_id):
            raise
        logger.warning("ats greenhouse: delivery %s: the Harvest API is still rate limited (%s): the payload's "
                       "people are used", event.delivery_id, error)
        return event
    except VendorUnavailable as error:
        _release(event.delivery_id)
        logger.warning("ats greenhouse: delivery %s: the Harvest API could not name the hiring manager (%s): "
                       "the payload's people are used", event.delivery_id, error)
        return event
    _release(event.delivery_id)
    return dataclasses.replace(event, owner_emails=tuple(dict.fromkeys((*managers, *event.owner_emails))))


# A delivery held back for a rate limit is processed again by the inbox's redelivery, which gives up after
# bot.inbox.REDELIVER_ATTEMPTS; so a delivery is held at most HOLD_TIMES times by this process, then the
# payload's people are used, well before the inbox would stop trying (two replicas: twice each, still fewer).
HOLD_TIMES = 2
_held: dict[str, int] = {}
_held_lock = threading.Lock()


def _hold(delivery: str) -> bool:
    """Whether this delivery has been held back for a rate limit HOLD_TIMES times already (then it is not
    held again: True); else counts one more hold (False: the caller raises)."""
    with _held_lock:
        times = _held.get(delivery, 0)
        if times >= HOLD_TIMES:
            _held.pop(delivery, None)
            return True
        if len(_held) > 1000:  # deliveries another replica finished: forget the oldest
            _held.pop(next(iter(_held)))
        _held[delivery] = times + 1
        return False


def _release(delivery: str) -> None:
    with _held_lock:
        _held.pop(delivery, None)


def _job_id(body: Any) -> str | None:
    payload = body.get("payload") if isinstance(body, dict) else None
    application = payload.get("application") if isinstance(payload, dict) else None
    jobs = application.get("jobs") if isinstance(application, dict) else None
    job = jobs[0] if isinstance(jobs, list) and jobs and isinstance(jobs[0], dict) else {}
    job_id = job.get("id")
    return str(job_id) if isinstance(job_id, int | str) and not isinstance(job_id, bool) and str(job_id) else None


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) and str(value) else None


def _rows(answer: Any) -> list[dict[str, Any]]:
    """A v3 list endpoint's rows (a JSON array of objects); anything else reads as none."""
    return [row for row in answer if isinstance(row, dict)] if isinstance(answer, list) else []


def hiring_manager_emails(base: str, found: harvest.Credentials, job_id: str) -> tuple[str, ...]:
    """The emails of the job's hiring managers, as Harvest v3 lists them. VendorUnavailable when it fails.

    v1's `jobs/{id}` `hiring_team.hiring_managers` is `GET /v3/job_hiring_managers` in v3, filtered by the
    parent resource (`job_ids`), each row naming its `user_id`; v1's `users/{id}` is `GET /v3/users`
    filtered by `ids`, whose `primary_email_address` is `primary_email` and `disabled` is `deactivated`
    (https://harvestdocs.greenhouse.io/docs/step-by-step-migration-instructions, "Jobs", "Users";
    filters: https://harvestdocs.greenhouse.io/docs/list-endpoints). Scopes: harvest:job_hiring_managers:list
    and harvest:users:list. A job has a handful of hiring managers, within one page (per_page 100): the
    `Link: rel="next"` of https://harvestdocs.greenhouse.io/docs/pagination is not followed.
    """
    rows = _rows(harvest.get(base, found, "job_hiring_managers", {"job_ids": job_id, "per_page": "100"}))
    user_ids = list(dict.fromkeys(
        uid for uid in (_id(row.get("user_id")) or _id((row.get("user") or {}).get("id") if isinstance(
            row.get("user"), dict) else None) for row in rows) if uid))
    if not user_ids:
        return ()
    users = {_id(u.get("id")): u for u in _rows(harvest.get(base, found, "users", {"ids": ",".join(user_ids[:50])}))}
    emails: list[str] = []
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None or user.get("deactivated") is True:
            continue
        email = _text(user.get("primary_email"))
        if email and "@" in email:
            emails.append(email.lower())
    return tuple(emails)
