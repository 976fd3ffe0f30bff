"""Decisions straight from an applicant tracking system: one module per vendor, one registry entry each.

A vendor module has `SECRET` (the Settings field holding its webhook secret), `verify(secret, headers, raw)`
(True when the delivery is signed as the vendor documents it), `signed_at(headers, raw)` (the time the
signature covers, or None where the vendor signs none: then a replay is caught by the delivery-id dedupe
only; see `fresh`) and `parse(payload)` -> `AtsEvent` (raises `Malformed` with a one-line reason). A vendor
whose deliveries carry ids only also has
`complete(settings, event, payload)` -> `AtsEvent`: the API lookups, run after the 200 while the delivery is
in the inbox (an exception leaves it there, to be processed again). What an event means for the follow-ups
is decided in bot/ats/record.py.

Which stages count as "reached an interview" (only those rejections get a follow-up): ATS_MIN_STAGE names
the first stage that counts; with it unset, the first stage whose name says interview, screen, onsite,
panel or final counts, and so does any stage after it. A vendor's payload names the stage the candidate
was in when rejected, not the job's whole list of stages, so "after it" is read from the stage's name:
a stage counts when its name says one of those words, or (ATS_MIN_STAGE set) contains that name; stages
named like application review, sourcing, or "new" don't.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from bot.reader import Person
from storage.models import SLACK_ID_LENGTH

REJECTED = "rejected"  # we rejected them: a follow-up for the hiring manager
WITHDRAWN = "withdrawn"  # they rejected us: recorded, no follow-up
HIRED = "hired"
UNREJECTED = "unrejected"  # the rejection was taken back: its open follow-up is cancelled

INTERVIEW_WORDS = re.compile(r"interview|screen|onsite|on-site|on site|panel|final", re.IGNORECASE)


class Malformed(ValueError):
    """The delivery can't be read: answered 400 with this one-line reason, nothing stored."""


class VendorUnavailable(RuntimeError):
    """A vendor's API could not say what a delivery is about: the delivery stays in the inbox."""


API_TIMEOUT = 10  # seconds, per call to a vendor's API
ID_LENGTH = SLACK_ID_LENGTH  # what processed_events.event_id, inbox.event_id and decisions.external_id hold


def delivery_id(vendor: str, key: str) -> str:
    """A delivery's id, `<vendor>:<key>`; one too long for its column is hashed, still one id per delivery."""
    whole = f"{vendor}:{key}"
    return whole if len(whole) <= ID_LENGTH else f"{vendor}:" + hashlib.sha256(whole.encode()).hexdigest()[:40]


def external_id(vendor: str, application: str) -> str:
    """The decision's id in the ATS, `<vendor>:<application id>`, as long as its column holds."""
    return f"{vendor}:{application}"[:ID_LENGTH]


def signed(secret: str, message: bytes, digest: str) -> bool:
    """Whether `digest` is the hex HMAC-SHA256 of `message` with `secret`, compared in constant time."""
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def fresh(signed_at: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """Whether a delivery signed at `signed_at` may be taken at `now`: within `max_age` of our clock either
    way (ATS_SIGNATURE_MAX_AGE, 5 minutes like Slack's request timestamps), or signed with no time at all.
    An older signature is a captured delivery replayed: refused with 401 before anything is stored."""
    return signed_at is None or abs(now - signed_at) <= max_age


def object_at(value: Any, what: str) -> dict[str, Any]:
    """`value`, which a delivery must hold as an object (Malformed, naming `what`, when it does not)."""
    if not isinstance(value, dict):
        raise Malformed(f"{what} is missing or is not an object")
    return value


def text(value: Any) -> str | None:
    """A non-empty string, stripped, or None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def api_json(url: str, key: str, *, body: dict[str, Any] | None = None, what: str) -> Any:
    """One call to a vendor's JSON API with HTTP basic auth, the key as the user name (Lever and Ashby both
    do so): GET, or POST with `body`. VendorUnavailable, naming `what`, when it fails."""
    headers = {"Accept": "application/json", "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = Request(url, data=data, method="POST" if body is not None else "GET", headers=headers)
    try:
        with urlopen(request, timeout=API_TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except HTTPError as error:
        raise VendorUnavailable(f"{what}: HTTP {error.code}") from None
    except (URLError, OSError, ValueError) as error:
        raise VendorUnavailable(f"{what}: {type(error).__name__}") from None


@dataclass(frozen=True)
class AtsEvent:
    """What one ATS delivery says, as a Slack message's reading would (`person`, `role`), plus what the
    recording needs: the delivery's own id (redeliveries share it), the kind of decision, the application's
    id in the ATS (the decision's external id), and the emails of the people the ATS names as owners
    (recruiter, coordinator, credited to), best first."""

    vendor: str
    delivery_id: str
    kind: str | None  # REJECTED, WITHDRAWN, HIRED, UNREJECTED; None: an action this bot ignores
    external_id: str
    role: str | None
    person: Person | None
    email: str | None
    owner_emails: tuple[str, ...]


def reached_interview(stage: str | None, min_stage: str | None) -> bool:
    """Whether a rejection at `stage` gets a follow-up (see the module's docstring)."""
    if not stage:
        return False
    if min_stage:
        return min_stage.strip().lower() in stage.lower() or bool(INTERVIEW_WORDS.search(stage))
    return bool(INTERVIEW_WORDS.search(stage))


def vendors() -> dict[str, ModuleType]:
    """The registry: path segment (POST /ats/<name>) -> vendor module."""
    from bot.ats import ashby, greenhouse, lever

    return {"greenhouse": greenhouse, "lever": lever, "ashby": ashby}
