"""Ashby webhooks: applicationUpdate / candidateStageChange into the archived stage, and candidateHire.

Signature, as Ashby documents it (https://developers.ashbyhq.com/docs/setting-up-webhooks, "Secret Token"):
the `Ashby-Signature` header is `sha256=<hex HMAC-SHA256 of the raw body keyed with the webhook's secret
token>`. It is checked on the raw bytes, before any JSON is read, with a constant-time comparison.
Ashby signs no time: the digest covers the body only and `Ashby-Signature` is the one header the
documentation names (https://developers.ashbyhq.com/docs/authenticating-webhooks), so a replay can't be
refused as stale; it carries the original's webhookActionId and is dropped as a redelivery.

Ashby sends one action (an application archived, say) under several webhook types (applicationUpdate and
candidateStageChange), and a retry again; all of them carry the action's `webhookActionId`, which is the
delivery id here: the action is recorded once, whichever type comes first.

A webhook names the application, its candidate and (often) the job, not always the candidate's email, the
job's title or its hiring team, and an archived application's current stage is "Archived", not the stage
the candidate reached. `complete` fetches those from Ashby's API (POST-based JSON RPC at ASHBY_API_URL,
basic auth with ASHBY_API_KEY as the user name): application.info, candidate.info and job.info when
something is missing, application.listHistory for the last stage before the archive. It runs while the
delivery is processed, after the 200: when Ashby's API fails, the delivery stays in the inbox and is
processed again later.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.ats import (
    HIRED,
    REJECTED,
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
from bot.config import Settings
from bot.reader import Person

logger = logging.getLogger(__name__)

NAME = "ashby"
SECRET = "ashby_webhook_secret"
ARCHIVE_ACTIONS = ("applicationUpdate", "candidateStageChange")
HIRE_ACTION = "candidateHire"
REJECTED_BY_CANDIDATE = "rejectedbycandidate"  # archiveReason.reasonType: they withdrew
ARCHIVED, HIRED_STATUS = "archived", "hired"  # application.status
MANAGER_ROLES = ("hiring manager", "recruiter")  # hiringTeam[].role, best first


class AshbyUnavailable(VendorUnavailable):
    """Ashby's API could not answer (HTTP error, network, success false): the delivery stays in the inbox.
    The message names the endpoint and the status only, never a candidate."""


def verify(secret: str, headers: Mapping[str, str], raw: bytes) -> bool:
    """True when the `Ashby-Signature` header is `sha256=<hex HMAC-SHA256 of raw with secret>`."""
    given = (headers.get("ashby-signature") or "").strip()
    algorithm, _, digest = given.partition("=")
    if algorithm.lower() != "sha256" or not digest:
        return False
    return signed(secret, raw, digest)


def signed_at(headers: Mapping[str, str], raw: bytes) -> datetime | None:
    """None: Ashby signs no time (see the module's docstring)."""
    return None


def _email(value: Any) -> str | None:
    email = _text(value)
    return email.lower() if email and "@" in email else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ignored() -> AtsEvent:
    return AtsEvent(NAME, f"{NAME}:ignored", None, "", None, None, None, ())


def _candidate_email(candidate: Mapping[str, Any]) -> str | None:
    primary = candidate.get("primaryEmailAddress")
    if isinstance(primary, dict) and _email(primary.get("value")):
        return _email(primary.get("value"))
    others = candidate.get("emailAddresses")
    if isinstance(others, list):
        return next((_email(e.get("value")) for e in others if isinstance(e, dict) and _email(e.get("value"))), None)
    return None


def _owners(team: Any) -> tuple[str, ...]:
    """The hiring team's emails: hiring managers first, then recruiters."""
    if not isinstance(team, list):
        return ()
    found: list[str] = []
    for role in MANAGER_ROLES:
        for member in team:
            if isinstance(member, dict) and (_text(member.get("role")) or "").lower() == role:
                email = _email(member.get("email"))
                if email:
                    found.append(email)
    return tuple(dict.fromkeys(found))


def parse(body: Any) -> AtsEvent:
    """The delivery as an AtsEvent; Malformed (one line) when it lacks what is needed."""
    body = _object(body, "the body")
    action = body.get("action")
    if not isinstance(action, str) or not action:
        raise Malformed("no action")
    if action not in (*ARCHIVE_ACTIONS, HIRE_ACTION):  # "ping" (sent when a webhook is saved), other types
        return _ignored()
    data = _object(body.get("data"), "data")
    application = _object(data.get("application"), "data.application")
    status = (_text(application.get("status")) or "").lower()
    reason = application.get("archiveReason")
    if action == HIRE_ACTION or status == HIRED_STATUS:
        kind = HIRED
    elif status == ARCHIVED and isinstance(reason, dict):
        reason_type = (_text(reason.get("reasonType")) or "").lower()
        kind = WITHDRAWN if reason_type == REJECTED_BY_CANDIDATE else REJECTED
    else:  # any other update of an application: not a decision
        return _ignored()
    app_id = _text(application.get("id"))
    if not app_id:
        raise Malformed("data.application.id is missing")
    action_id = _text(body.get("webhookActionId"))
    if not action_id:
        raise Malformed("webhookActionId is missing")
    candidate = _object(application.get("candidate"), "data.application.candidate")
    name = _text(candidate.get("name"))
    if not name:
        raise Malformed("the candidate has no name")
    job = application.get("job")
    role = _text(job.get("title")) if isinstance(job, dict) else None
    stage_obj = application.get("currentInterviewStage")
    stage = _text(stage_obj.get("title")) if isinstance(stage_obj, dict) else None
    delivery = delivery_id(NAME, action_id)
    return AtsEvent(
        vendor=NAME,
        delivery_id=delivery,
        kind=kind,
        external_id=external_id(NAME, app_id),
        role=role,
        person=Person(name, stage),
        email=_candidate_email(candidate),
        owner_emails=_owners(application.get("hiringTeam")),
    )


# --- what the webhook lacks, from Ashby's API ------------------------------------------------------------


def call(settings: Settings, endpoint: str, args: dict[str, Any]) -> dict[str, Any]:
    """One API call (`POST <ASHBY_API_URL>/<endpoint>` with a JSON body); its `results`. AshbyUnavailable
    when it fails."""
    url = settings.ashby_api_url.rstrip("/") + "/" + endpoint
    try:
        answer = api_json(url, settings.ashby_api_key or "", body=args, what=f"ashby {endpoint}")
    except VendorUnavailable as error:
        raise AshbyUnavailable(str(error)) from None
    if not isinstance(answer, dict) or answer.get("success") is not True:
        raise AshbyUnavailable(f"ashby {endpoint}: the answer says no success")
    results = answer.get("results")
    return results if isinstance(results, dict) else {"list": results if isinstance(results, list) else []}


def _stage_before_archive(settings: Settings, app_id: str, archived_stage_id: str | None) -> str | None:
    """The title of the last stage the application entered before the archived one."""
    history = call(settings, "application.listHistory", {"applicationId": app_id}).get("list") or []
    entries = [h for h in history if isinstance(h, dict) and _text(h.get("title"))
               and (archived_stage_id is None or h.get("stageId") != archived_stage_id)
               and (_text(h.get("title")) or "").lower() != ARCHIVED]
    entries.sort(key=lambda h: (str(h.get("enteredStageAt") or ""), h.get("stageNumber") or 0))
    return _text(entries[-1].get("title")) if entries else None


def complete(settings: Settings, event: AtsEvent, body: Any) -> AtsEvent:
    """The event with what the webhook lacked filled in from Ashby's API (see the module's docstring).
    Without ASHBY_API_KEY, the webhook's own fields only."""
    if event.kind is None or event.person is None or not settings.ashby_api_key:
        if event.kind is not None and not settings.ashby_api_key:
            logger.warning("ats ashby: delivery %s: ASHBY_API_KEY is unset, only the webhook's fields are used",
                           event.delivery_id)
        return event
    sent = _dict(_dict(_dict(body).get("data")).get("application"))
    app_id = event.external_id.removeprefix(f"{NAME}:")
    application = call(settings, "application.info", {"applicationId": app_id})
    candidate, job = _dict(application.get("candidate")), _dict(application.get("job"))
    email = event.email or _candidate_email(candidate)
    candidate_id = _text(candidate.get("id")) or _text(_dict(sent.get("candidate")).get("id"))
    if email is None and candidate_id:
        email = _candidate_email(call(settings, "candidate.info", {"id": candidate_id}))
    role = event.role or _text(job.get("title"))
    owners = event.owner_emails or _owners(application.get("hiringTeam"))
    job_id = _text(job.get("id")) or _text(application.get("jobId")) or _text(_dict(sent.get("job")).get("id"))
    if (role is None or not owners) and job_id:
        job_info = call(settings, "job.info", {"id": job_id})
        role = role or _text(job_info.get("title"))
        owners = owners or _owners(job_info.get("hiringTeam"))
    stage = event.person.stage
    if event.kind in (REJECTED, WITHDRAWN):
        current = _dict(sent.get("currentInterviewStage")) or _dict(application.get("currentInterviewStage"))
        archived_id = _text(current.get("id"))
        stage = _stage_before_archive(settings, app_id, archived_id) or (
            None if (stage or "").lower() == ARCHIVED else stage)
    return dataclasses.replace(event, email=email, role=role, owner_emails=owners,
                               person=Person(event.person.name, stage))
