"""Lever webhooks through the real app: signed POSTs to /ats/lever, the inbox, Lever's API (a local fake,
reached through LEVER_API_URL), the recording, the sweep's DM. Payloads and API answers: tests/fixtures/lever
(Lever's documented shapes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ats import lever
from storage.models import Candidate, Decision, Followup, InboxEvent, ProcessedEvent
from tests import ats_webhooks
from tests.ats_webhooks import count, followups, lever_signed, millis
from tests.fake_lever import HIRED_OPPORTUNITY, OPPORTUNITY, FakeLever
from tests.harness import MANAGER, MONDAY, Harness

TOKEN = "lever-signature-token"
KEY = "lever-api-key"
HIRING_MANAGER = "U0HIRINGMGR"
RECRUITER = "U0RECRUITER"
NAME = "Ines Moreau"
WITHDREW = "8ae1c0d2-0000-4000-8000-0000000000e2"


def fixture(name: str) -> dict[str, Any]:
    """A Lever fixture, sent now (the harness's clock): triggeredAt is signed, and an old one is refused."""
    body = ats_webhooks.fixture("lever", name)
    if "triggeredAt" in body:
        body["triggeredAt"] = millis(MONDAY)
    return body


def sign(body: dict[str, Any], secret: str = TOKEN) -> dict[str, Any]:
    return lever_signed(body, secret)


def post(h: Harness, body: dict[str, Any] | bytes, *, secret: str = TOKEN) -> tuple[int, str]:
    raw = body if isinstance(body, bytes) else json.dumps(sign(body, secret)).encode()
    return ats_webhooks.post(h, "lever", raw)


@pytest.fixture
def api() -> Iterator[FakeLever]:
    fake = FakeLever()
    yield fake
    fake.close()


def configure(h: Harness, api: FakeLever) -> Harness:
    h.reconfigure(LEVER_WEBHOOK_TOKEN=TOKEN, LEVER_API_KEY=KEY, LEVER_API_URL=api.url)
    h.fake.emails.update({"hm@example.com": HIRING_MANAGER, "recruiter@example.com": RECRUITER})
    return h


@pytest.fixture
def lv(harness: Harness, api: FakeLever) -> Harness:
    return configure(harness, api)


def archived(reason: str | None = None, token: str | None = None) -> dict[str, Any]:
    body = fixture("candidateArchiveChange")
    if reason:
        body["data"]["toArchived"]["reason"] = reason
    if token:
        body["token"] = token
    return body


def test_a_rejection_after_an_interview_becomes_a_followup_and_a_dm_at_the_next_sweep(
        lv: Harness, api: FakeLever) -> None:
    assert post(lv, archived()) == (200, "OK")
    [followup] = followups(lv).values()
    assert followup.status == "open" and followup.manager_id == HIRING_MANAGER  # the posting's hiring manager
    with lv.deps.sessions.begin() as session:
        decision = session.scalars(select(Decision)).one()
        candidate = session.scalars(select(Candidate)).one()
        assert (decision.source, decision.external_id, decision.channel_id) == ("lever", f"lever:{OPPORTUNITY}", "")
        assert (candidate.name, candidate.email, candidate.stage) == (NAME, "ines.moreau@example.org",
                                                                       "On-site interview")
    assert count(lv, InboxEvent) == 0
    assert {auth for _, auth in api.requests} == {"Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
    lv.sweep(lv.now + timedelta(days=2))
    dms = [c for c in lv.fake.calls_to("chat.postMessage")
           if c.args["channel"] in (HIRING_MANAGER, "D0HIRINGMGR")]
    assert dms and NAME in json.dumps(dms[0].args.get("blocks")) and dms[0].args.get("text")


def test_without_a_hiring_manager_the_owner_then_a_logged_round(lv: Harness, api: FakeLever) -> None:
    api.objects[f"/postings/{fixture('api_posting')['data']['id']}"]["hiringManager"] = None
    assert post(lv, archived())[0] == 200
    assert followups(lv)[NAME].manager_id == RECRUITER


def test_a_logged_round_for_the_role_names_the_manager(lv: Harness) -> None:
    lv.command("Platform Engineer: Ines Moreau (onsite), Tom Baker (onsite)")
    assert post(lv, archived())[0] == 200
    assert followups(lv)[NAME].manager_id == MANAGER
    assert lv.fake.calls_to("users.lookupByEmail") == []


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(lv: Harness, api: FakeLever) -> None:
    body = archived()
    assert post(lv, body, secret="another-token")[0] == 401
    unsigned = dict(body, signature="")
    assert post(lv, json.dumps(unsigned).encode())[0] == 401
    del unsigned["signature"]
    assert post(lv, json.dumps(unsigned).encode())[0] == 401
    changed = sign(body)
    changed["triggeredAt"] += 1  # signed for another time
    assert post(lv, json.dumps(changed).encode())[0] == 401
    assert post(lv, b"{not json")[0] == 401  # the signature is in the body: none to check
    assert count(lv, InboxEvent) == count(lv, Followup) == count(lv, ProcessedEvent) == 0
    assert api.requests == []


def test_the_endpoint_is_404_while_the_token_is_unset(harness: Harness) -> None:
    assert post(harness, archived())[0] == 404
    assert count(harness, InboxEvent) == 0


def test_a_redelivery_is_one_followup_also_after_a_restart(lv: Harness, api: FakeLever) -> None:
    body = archived()
    assert post(lv, body)[0] == 200
    assert post(lv, body)[0] == 200
    configure(lv, api)
    assert post(lv, body)[0] == 200
    assert len(followups(lv)) == 1 and count(lv, Decision) == 1 and count(lv, InboxEvent) == 0
    assert post(lv, archived(token="another-delivery"))[0] == 200  # archived anew: still one follow-up
    assert len(followups(lv)) == 1


def test_a_signed_body_replayed_with_other_data_is_dropped(lv: Harness, api: FakeLever) -> None:
    assert post(lv, archived())[0] == 200
    asked = len(api.requests)
    forged = sign(archived())
    forged["data"]["opportunityId"] = HIRED_OPPORTUNITY  # Lever signs token + triggeredAt only, not data
    assert post(lv, json.dumps(forged).encode())[0] == 200
    assert len(api.requests) == asked and set(followups(lv)) == {NAME} and count(lv, InboxEvent) == 0


def test_malformed_and_unknown_deliveries(lv: Harness) -> None:
    body = archived()
    del body["data"]["opportunityId"]
    status, reason = post(lv, body)
    assert status == 400 and "\n" not in reason and "opportunityId" in reason
    assert post(lv, dict(archived(), event="candidateStageChange")) == (200, "Ignored")
    assert count(lv, InboxEvent) == count(lv, Decision) == 0


def test_an_early_stage_rejection_gets_no_followup(lv: Harness, api: FakeLever) -> None:
    api.objects[f"/opportunities/{OPPORTUNITY}"]["stage"] = {"id": "s1", "text": "New applicant"}
    assert post(lv, archived())[0] == 200
    assert count(lv, Followup) == count(lv, Decision) == count(lv, InboxEvent) == 0


def test_a_withdrawal_gets_no_followup(lv: Harness) -> None:
    assert post(lv, archived(reason=WITHDREW))[0] == 200
    assert count(lv, Followup) == 0
    with lv.deps.sessions.begin() as session:
        assert session.scalars(select(Candidate.outcome)).one() == "withdrawn"


def test_a_hire_is_recorded_as_a_hire(lv: Harness) -> None:
    lv.command("Platform Engineer: Omar Haddad (onsite), Lena Park (onsite)")
    assert post(lv, fixture("candidateHired"))[0] == 200
    with lv.deps.sessions.begin() as session:
        outcomes = dict(session.execute(select(Candidate.name, Candidate.outcome)).all())
    assert outcomes == {"Omar Haddad": "hired", "Lena Park": "not_selected"}
    assert set(followups(lv)) == {"Lena Park"}


def test_an_unarchive_cancels_the_open_followup(lv: Harness) -> None:
    assert post(lv, archived())[0] == 200
    body = archived(token="unarchive-delivery")
    body["data"]["fromArchived"], body["data"]["toArchived"] = body["data"]["toArchived"], None
    assert post(lv, body)[0] == 200
    assert followups(lv)[NAME].status == "cancelled"


def test_lever_failing_keeps_the_delivery_in_the_inbox_and_it_is_processed_again(
        lv: Harness, api: FakeLever) -> None:
    api.fail = 500
    assert post(lv, archived())[0] == 200
    assert count(lv, Followup) == 0 and count(lv, InboxEvent) == 1  # kept, not lost
    api.fail = None
    lv.now += timedelta(minutes=2)
    assert lv.inbox.redeliver(lv.now) == 1
    assert followups(lv)[NAME].manager_id == HIRING_MANAGER and count(lv, InboxEvent) == 0


def test_no_candidate_name_or_email_in_the_logs(lv: Harness, api: FakeLever,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post(lv, archived())
    api.fail = 500
    post(lv, archived(token="second"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("Ines", "Moreau", "ines.moreau@example.org", "hm@example.com", "recruiter@example.com"):
        assert secret not in logged


def test_verify_is_levers_documented_scheme() -> None:
    body = {"token": "abc", "triggeredAt": 1700000000000}
    digest = hmac.new(b"k", b"abc1700000000000", hashlib.sha256).hexdigest()
    assert lever.verify("k", {}, json.dumps(dict(body, signature=digest)).encode())
    assert not lever.verify("k", {}, json.dumps(dict(body, signature=digest, token="abd")).encode())
    assert not lever.verify("k", {}, json.dumps(body).encode())


def test_a_correctly_signed_but_stale_delivery_is_401_and_stores_nothing(lv: Harness, api: FakeLever) -> None:
    for off in (timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=-400)):  # replayed, or clock games
        body = archived(token=f"stale{off.total_seconds()}")
        body["triggeredAt"] = millis(MONDAY + off)
        assert post(lv, body) == (401, "Stale signature"), off
    forged = archived(token="not-a-time")
    forged["triggeredAt"] = "yesterday"
    assert post(lv, forged)[0] == 401
    assert count(lv, InboxEvent) == count(lv, Followup) == count(lv, ProcessedEvent) == 0 and api.requests == []
    late = archived(token="within-the-window")
    late["triggeredAt"] = millis(MONDAY - timedelta(minutes=4))
    assert post(lv, late) == (200, "OK") and set(followups(lv)) == {NAME}


def test_the_allowed_age_is_ats_signature_max_age(lv: Harness, api: FakeLever) -> None:
    lv.reconfigure(LEVER_WEBHOOK_TOKEN=TOKEN, LEVER_API_KEY=KEY, LEVER_API_URL=api.url, ATS_SIGNATURE_MAX_AGE="2h")
    lv.fake.emails.update({"hm@example.com": HIRING_MANAGER})
    body = archived()
    body["triggeredAt"] = millis(MONDAY - timedelta(minutes=90))  # a retry after an outage, say
    assert post(lv, body) == (200, "OK") and set(followups(lv)) == {NAME}


def test_signed_the_way_another_vendor_signs_is_401(lv: Harness) -> None:
    raw = json.dumps(archived()).encode()  # no signature in the body: Greenhouse's and Ashby's are headers
    for headers in ({"Signature": ats_webhooks.greenhouse_signature(raw, TOKEN)},
                    {"Ashby-Signature": ats_webhooks.ashby_signature(raw, TOKEN)}):
        assert ats_webhooks.post(lv, "lever", raw, headers)[0] == 401
    assert count(lv, InboxEvent) == count(lv, ProcessedEvent) == 0
