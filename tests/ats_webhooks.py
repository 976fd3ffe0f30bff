"""What the ATS webhook tests share: the vendors' fixtures (tests/fixtures/<vendor>), signing a delivery as
each vendor documents it, posting it to the real app, and reading back what was stored."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.models import Candidate, Followup
from tests.harness import Harness

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(vendor: str, name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / vendor / f"{name}.json").read_text()))


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def greenhouse_signature(raw: bytes, secret: str) -> str:
    """Greenhouse's `Signature` header: `sha256 <hex>`."""
    return "sha256 " + hex_hmac(secret, raw)


def ashby_signature(raw: bytes, secret: str) -> str:
    """Ashby's `Ashby-Signature` header: `sha256=<hex>`."""
    return "sha256=" + hex_hmac(secret, raw)


def millis(when: datetime) -> int:
    """A time as Lever writes triggeredAt: milliseconds since the epoch."""
    return int(when.timestamp() * 1000)


def lever_signed(body: dict[str, Any], secret: str) -> dict[str, Any]:
    """The body with Lever's `signature`: hex HMAC of token + triggeredAt."""
    return dict(body, signature=hex_hmac(secret, f"{body['token']}{body['triggeredAt']}".encode()))


def post(h: Harness, vendor: str, raw: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST a delivery to /ats/<vendor> and wait for what it set off: (status, the one-line answer)."""
    status, _, answer = h.http("POST", f"/ats/{vendor}", raw, {"Content-Type": "application/json", **(headers or {})})
    h.drain()
    return status, answer.decode()


def followups(h: Harness) -> dict[str, Followup]:
    """Every follow-up, by its candidate's name."""
    with h.deps.sessions.begin() as session:
        found = session.execute(select(Followup, Candidate).join(Candidate)).all()
        session.expunge_all()
        return {candidate.name: followup for followup, candidate in found}


def count(h: Harness, model: type) -> int:
    with h.deps.sessions.begin() as session:
        return len(list(session.scalars(select(model))))
