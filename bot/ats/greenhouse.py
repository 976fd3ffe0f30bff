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
GREENHOUSE_API_KEY set, `complete` asks the Harvest API for them after the 200 (GREENHOUSE_API_URL, HTTP
basic auth with the key as the user name, https://developers.greenhouse.io/harvest.html#authentication):
"Retrieve job", `GET jobs/{id}`, answers the job with `hiring_team.hiring_managers[]`, each with the user's
`id` (#get-retrieve-job); "Retrieve user", `GET users/{id}`, answers `primary_email_address` and `emails[]`
(#get-retrieve-user). Their emails come first among the owners; the payload's people follow. When Harvest
can't be asked (down, refused, no such job), the payload's people are used: the payload alone is a whole
decision, so the follow-up is recorded now rather than held for a lookup that may never answer.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
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
    delivery_id,
    external_id,
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


# --- the job's hiring managers, from the Harvest API ------------------------------------------------------


def complete(settings: Any, event: AtsEvent, body: Any) -> AtsEvent:
    """The event with the job's hiring managers' emails first among its owners (see the module's docstring).
    Without GREENHOUSE_API_KEY, or for an unreject (no manager needed), the event as it is."""
    if event.kind in (None, UNREJECTED) or not settings.greenhouse_api_key:
        return event
    job_id = _job_id(body)
    if job_id is None:
        return event
    try:
        managers = hiring_manager_emails(settings.greenhouse_api_url, settings.greenhouse_api_key, job_id)
    except VendorUnavailable as error:
        logger.warning("ats greenhouse: delivery %s: the Harvest API could not name the hiring manager (%s): "
                       "the payload's people are used", event.delivery_id, error)
        return event
    return dataclasses.replace(event, owner_emails=tuple(dict.fromkeys((*managers, *event.owner_emails))))


def _job_id(body: Any) -> str | None:
    payload = body.get("payload") if isinstance(body, dict) else None
    application = payload.get("application") if isinstance(payload, dict) else None
    jobs = application.get("jobs") if isinstance(application, dict) else None
    job = jobs[0] if isinstance(jobs, list) and jobs and isinstance(jobs[0], dict) else {}
    job_id = job.get("id")
    return str(job_id) if isinstance(job_id, int | str) and not isinstance(job_id, bool) and str(job_id) else None


def hiring_manager_emails(base: str, key: str, job_id: str) -> tuple[str, ...]:
    """The emails of the job's hiring managers, as Harvest lists them. VendorUnavailable when Harvest fails."""
    url = base.rstrip("/") + "/"
    job = api_json(f"{url}jobs/{quote(job_id, safe='')}", key, what="Greenhouse Harvest, jobs")
    team = job.get("hiring_team") if isinstance(job, dict) else None
    managers = team.get("hiring_managers") if isinstance(team, dict) else None
    found: list[str] = []
    for manager in managers if isinstance(managers, list) else []:
        user_id = manager.get("id") if isinstance(manager, dict) else None
        if not isinstance(user_id, int | str) or isinstance(user_id, bool):
            continue
        user = api_json(f"{url}users/{quote(str(user_id), safe='')}", key, what="Greenhouse Harvest, users")
        if not isinstance(user, dict):
            continue
        listed = user.get("emails")
        emails = [user.get("primary_email_address"), *(listed if isinstance(listed, list) else [])]
        email = next((e.lower() for e in (_text(v) for v in emails) if e and "@" in e), None)
        if email:
            found.append(email)
    return tuple(found)
