"""Ashby webhooks through the real app: signed POSTs to /ats/ashby, the inbox, Ashby's API (a fake HTTP server,
tests/fake_ashby.py, reached through ASHBY_API_URL), the recording, the sweep's DM. Payloads: tests/fixtures/ashby
(Ashby's documented shapes). The shared parts (inbox, dedupe, manager lookup, admin picker, one follow-up per
candidate and role) are tested at length in tests/test_ats_greenhouse.py; these check Ashby's own."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ats import ashby
from storage.models import Candidate, Decision, Followup, InboxEvent, ProcessedEvent, Round
from tests import ats_webhooks
from tests.ats_webhooks import count, followups
from tests.fake_ashby import FakeAshby
from tests.harness import ADMIN, MANAGER, Harness

SECRET = "ashby-test-secret"
API_KEY = "ashby-test-key"
HIRING_MANAGER, RECRUITER = "U0HIRINGMGR", "U0RECRUITER"
NAME = "Ines Moreau"
APP = "c4a9b5e0-3f6d-4d1a-9a55-7e1b2f0c8d31"
HIRE_APP = "d7e8f9a0-1b2c-4d3e-8f4a-5b6c7d8e9f01"
CANDIDATE = "f2d8c1a7-9b4e-4e3a-8c6f-1a2b3c4d5e6f"
JOB = "3c2b1a09-8f7e-4d6c-5b4a-392817f6e5d4"
ARCHIVED_STAGE = "0e7c6b9a-2d1f-4a8b-b3c5-9f0e1d2c3b4a"
TEAM = [
    {"email": "recruiter@example.com", "firstName": "Rae", "lastName": "Cruiter", "role": "Recruiter",
     "userId": "11111111-1111-4111-8111-111111111111"},
    {"email": "manager@example.com", "firstName": "Max", "lastName": "Anager", "role": "Hiring Manager",
     "userId": "22222222-2222-4222-8222-222222222222"},
]


def fixture(name: str) -> dict[str, Any]:
    return ats_webhooks.fixture("ashby", name)


def sign(raw: bytes, secret: str = SECRET) -> str:
    return ats_webhooks.ashby_signature(raw, secret)


def post(h: Harness, payload: dict[str, Any] | bytes, *, signature: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Ashby-Signature": sign(raw) if signature is None else signature, **(headers or {})}
    return ats_webhooks.post(h, "ashby", raw, sent)


def history(*titles: str) -> list[dict[str, Any]]:
    entries = [{"id": f"h{n}", "stageId": f"s{n}", "title": title, "stageNumber": n,
                "enteredStageAt": f"2026-11-{10 + n:02d}T10:00:00.000Z", "actorId": None}
               for n, title in enumerate(titles)]
    entries.append({"id": "hx", "stageId": ARCHIVED_STAGE, "title": "Archived", "stageNumber": len(titles),
                    "enteredStageAt": "2026-11-23T09:55:12.000Z", "actorId": None})
    return entries


@pytest.fixture
def fake_ashby() -> Iterator[FakeAshby]:
    fake = FakeAshby().start()
    application = copy.deepcopy(fixture("application_update_archived")["data"]["application"])
    application["hiringTeam"] = TEAM
    fake.answers["application.info"][APP] = application
    hired = copy.deepcopy(fixture("candidate_hire")["data"]["application"])
    hired["hiringTeam"] = TEAM
    fake.answers["application.info"][HIRE_APP] = hired
    fake.answers["application.listHistory"][APP] = history("Application Review", "Phone Screen", "Onsite Interview")
    fake.answers["candidate.info"][CANDIDATE] = {
        "id": CANDIDATE, "name": NAME, "primaryEmailAddress": {"value": "ines.moreau@example.org",
                                                               "type": "Personal", "isPrimary": True}}
    fake.answers["job.info"][JOB] = {"id": JOB, "title": "Platform Engineer", "status": "Open", "hiringTeam": TEAM}
    yield fake
    fake.stop()


@pytest.fixture
def ab(harness: Harness, fake_ashby: FakeAshby) -> Harness:
    configure(harness, fake_ashby)
    return harness


def configure(h: Harness, fake: FakeAshby) -> None:
    h.reconfigure(ASHBY_WEBHOOK_SECRET=SECRET, ASHBY_API_KEY=API_KEY, ASHBY_API_URL=fake.url)
    h.fake.emails["manager@example.com"] = HIRING_MANAGER
    h.fake.emails["recruiter@example.com"] = RECRUITER


def test_a_rejection_after_an_interview_becomes_a_followup_and_a_dm_at_the_next_sweep(
        ab: Harness, fake_ashby: FakeAshby) -> None:
    assert post(ab, fixture("application_update_archived")) == (200, "OK")
    [followup] = followups(ab).values()
    assert followup.status == "open" and followup.manager_id == HIRING_MANAGER  # the hiring manager, by email
    with ab.deps.sessions.begin() as session:
        decision = session.scalars(select(Decision)).one()
        candidate = session.scalars(select(Candidate)).one()
        assert (decision.source, decision.external_id, decision.channel_id) == ("ashby", f"ashby:{APP}", "")
        # the stage reached before the archive, from application.listHistory
        assert (candidate.name, candidate.email, candidate.stage) == (NAME, "ines.moreau@example.org",
                                                                       "Onsite Interview")
    assert count(ab, InboxEvent) == 0
    [info] = fake_ashby.calls_to("application.info")
    assert info.args == {"applicationId": APP}
    assert info.authorization == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    ab.sweep(ab.now + timedelta(days=2))
    dms = [c for c in ab.fake.calls_to("chat.postMessage") if c.args["channel"] in (HIRING_MANAGER, "D0HIRINGMGR")]
    assert dms and NAME in json.dumps(dms[0].args.get("blocks")) and dms[0].args.get("text")


def test_a_hiring_manager_without_a_slack_account_falls_to_the_recruiter(ab: Harness) -> None:
    del ab.fake.emails["manager@example.com"]  # the hiring manager has no Slack account: the recruiter
    assert post(ab, fixture("application_update_archived"))[0] == 200
    assert followups(ab)[NAME].manager_id == RECRUITER


def test_a_logged_round_for_the_role_names_the_manager(ab: Harness) -> None:
    ab.command("Platform Engineer: Ines Moreau (onsite), Tom Baker (onsite)")
    assert post(ab, fixture("application_update_archived"))[0] == 200
    assert followups(ab)[NAME].manager_id == MANAGER
    assert ab.fake.calls_to("users.lookupByEmail") == []


def test_what_the_payload_lacks_is_fetched(ab: Harness, fake_ashby: FakeAshby) -> None:
    payload = fixture("application_update_archived")
    application = payload["data"]["application"]
    del application["candidate"]["primaryEmailAddress"]
    del application["job"]["title"]
    fake_ashby.answers["application.info"][APP] = {"id": APP, "candidate": {"id": CANDIDATE, "name": NAME},
                                                   "job": {"id": JOB}, "status": "Archived"}
    assert post(ab, payload)[0] == 200
    assert [c.args for c in fake_ashby.calls_to("candidate.info")] == [{"id": CANDIDATE}]
    assert [c.args for c in fake_ashby.calls_to("job.info")] == [{"id": JOB}]
    assert followups(ab)[NAME].manager_id == HIRING_MANAGER  # the job's hiring team
    with ab.deps.sessions.begin() as session:
        assert session.scalars(select(Candidate.email)).one() == "ines.moreau@example.org"
        assert session.scalars(select(Round.role)).one() == "Platform Engineer"


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(ab: Harness) -> None:
    raw = json.dumps(fixture("application_update_archived")).encode()
    for signature in ("", "sha256=" + "0" * 64, sign(raw, "another-secret"), sign(raw).replace("sha256=", "sha1="),
                      "sha256 " + sign(raw).split("=")[1]):
        assert post(ab, raw, signature=signature)[0] == 401, signature
    assert post(ab, raw + b" ", signature=sign(raw))[0] == 401  # the body changed after signing
    assert count(ab, InboxEvent) == count(ab, Followup) == count(ab, ProcessedEvent) == 0


def test_the_endpoint_is_404_while_the_secret_is_unset(harness: Harness) -> None:
    assert post(harness, fixture("application_update_archived"))[0] == 404
    assert count(harness, InboxEvent) == 0


def test_one_action_under_two_webhook_types_and_a_redelivery_is_one_followup(
        ab: Harness, fake_ashby: FakeAshby) -> None:
    assert post(ab, fixture("application_update_archived"))[0] == 200
    assert post(ab, fixture("candidate_stage_change_archived"))[0] == 200  # same webhookActionId
    assert post(ab, fixture("application_update_archived"))[0] == 200  # Ashby's retry
    configure(ab, fake_ashby)  # a restart
    assert post(ab, fixture("candidate_stage_change_archived"))[0] == 200
    assert len(followups(ab)) == 1 and count(ab, Decision) == 1 and count(ab, InboxEvent) == 0
    assert len(fake_ashby.calls_to("application.info")) == 1


def test_an_early_stage_rejection_gets_no_followup(ab: Harness, fake_ashby: FakeAshby) -> None:
    fake_ashby.answers["application.listHistory"][APP] = history("Application Review")
    assert post(ab, fixture("application_update_archived"))[0] == 200
    assert count(ab, Followup) == 0 and count(ab, Decision) == 0 and count(ab, InboxEvent) == 0


def test_a_withdrawal_is_recorded_with_no_followup(ab: Harness) -> None:
    payload = fixture("application_update_archived")
    payload["data"]["application"]["archiveReason"]["reasonType"] = "RejectedByCandidate"
    assert post(ab, payload)[0] == 200
    assert count(ab, Followup) == 0
    with ab.deps.sessions.begin() as session:
        assert session.scalars(select(Candidate.outcome)).one() == "withdrawn"


def test_a_hire_is_recorded_as_a_hire(ab: Harness) -> None:
    ab.command("Platform Engineer: Omar Haddad (onsite), Lena Park (onsite)")
    assert post(ab, fixture("candidate_hire"))[0] == 200
    with ab.deps.sessions.begin() as session:
        outcomes = dict(session.execute(select(Candidate.name, Candidate.outcome)).all())
    assert outcomes == {"Omar Haddad": "hired", "Lena Park": "not_selected"}
    assert set(followups(ab)) == {"Lena Park"}


def test_other_updates_and_the_ping_are_200_and_ignored(ab: Harness, fake_ashby: FakeAshby) -> None:
    assert post(ab, fixture("ping")) == (200, "Ignored")
    active = fixture("application_update_archived")
    active["data"]["application"]["status"] = "Active"
    del active["data"]["application"]["archiveReason"]
    assert post(ab, active) == (200, "Ignored")
    assert count(ab, InboxEvent) == count(ab, Decision) == 0 and fake_ashby.calls == []


def test_malformed_deliveries_are_400_with_a_reason_and_store_nothing(ab: Harness) -> None:
    assert post(ab, b"{not json") == (400, "Bad request: the body is not JSON")
    assert post(ab, {"action": "applicationUpdate", "data": {}}) == (
        400, "Bad request: data.application is missing or is not an object")
    no_action_id = fixture("application_update_archived")
    del no_action_id["webhookActionId"]
    assert post(ab, no_action_id) == (400, "Bad request: webhookActionId is missing")
    nameless = fixture("application_update_archived")
    del nameless["data"]["application"]["candidate"]["name"]
    assert post(ab, nameless) == (400, "Bad request: the candidate has no name")
    assert count(ab, InboxEvent) == count(ab, Followup) == 0


def test_ashbys_api_failing_keeps_the_delivery_in_the_inbox_until_it_answers(
        ab: Harness, fake_ashby: FakeAshby) -> None:
    fake_ashby.fail_next("application.info", status=500)
    assert post(ab, fixture("application_update_archived")) == (200, "OK")  # kept before the 200
    assert count(ab, Followup) == 0 and count(ab, InboxEvent) == 1 and count(ab, ProcessedEvent) == 0
    ab.now += timedelta(minutes=2)
    assert ab.inbox.redeliver(ab.now) == 1
    assert followups(ab)[NAME].manager_id == HIRING_MANAGER and count(ab, InboxEvent) == 0


def test_an_unmatched_hiring_team_asks_the_admins(ab: Harness) -> None:
    ab.fake.emails.clear()
    assert post(ab, fixture("application_update_archived"))[0] == 200
    assert count(ab, Followup) == 0 and count(ab, InboxEvent) == 0
    [ask] = [c for c in ab.fake.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    assert ask.args["text"] and "users_select" in json.dumps(ask.args["blocks"])
    assert len(ab.fake.calls_to("users.lookupByEmail")) == 2  # hiring manager, then recruiter


def test_no_candidate_name_or_email_in_the_logs(ab: Harness, fake_ashby: FakeAshby,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake_ashby.fail_next("application.listHistory", status=500)
    post(ab, fixture("application_update_archived"))
    post(ab, b"{bad")
    ab.now += timedelta(minutes=2)
    ab.inbox.redeliver(ab.now)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for secret in ("Ines", "Moreau", "ines.moreau@example.org", "manager@example.com", API_KEY):
        assert secret not in logged


def test_verify_is_ashbys_documented_scheme() -> None:
    raw = b'{"action":"ping"}'
    digest = hmac.new(b"k", raw, hashlib.sha256).hexdigest()
    assert ashby.verify("k", {"ashby-signature": f"sha256={digest}"}, raw)
    assert not ashby.verify("k", {"ashby-signature": f"sha256={digest}"}, raw + b"\n")
    assert not ashby.verify("k", {}, raw)


def test_signed_the_way_another_vendor_signs_is_401(ab: Harness) -> None:
    raw = json.dumps(fixture("application_update_archived")).encode()
    assert post(ab, raw, signature="", headers={"Signature": ats_webhooks.greenhouse_signature(raw, SECRET)})[0] == 401
    assert post(ab, raw, signature=ats_webhooks.greenhouse_signature(raw, SECRET))[0] == 401  # "sha256 <hex>"
    lever_style = json.dumps(dict(fixture("application_update_archived"), token="t", triggeredAt=1,
                                  signature=ats_webhooks.hex_hmac(SECRET, b"t1"))).encode()
    assert post(ab, lever_style, signature="")[0] == 401
    assert count(ab, InboxEvent) == count(ab, ProcessedEvent) == 0


def test_ashby_signs_no_time_so_a_replay_is_dropped_as_a_redelivery(ab: Harness) -> None:
    assert ashby.signed_at({"ashby-signature": "sha256=x"}, b"{}") is None
    raw = json.dumps(fixture("application_update_archived")).encode()
    assert post(ab, raw)[0] == 200
    ab.now += timedelta(days=3)  # a captured delivery, replayed days later
    assert post(ab, raw)[0] == 200
    assert len(followups(ab)) == 1 and count(ab, Decision) == 1 and count(ab, InboxEvent) == 0
