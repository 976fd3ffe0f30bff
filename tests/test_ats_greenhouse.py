"""Greenhouse web hooks through the real app: signed POSTs to /ats/greenhouse, the inbox, the recording, the
sweep's DM; the fake Slack answers users.lookupByEmail. Payloads: tests/fixtures/greenhouse (Greenhouse's
documented shapes)."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ats import greenhouse, reached_interview
from bot.ats import harvest as harvest_client
from bot.config import ConfigError, load_settings
from bot.inbox import REDELIVER_ATTEMPTS
from storage.models import Candidate, Decision, Followup, InboxEvent, ProcessedEvent
from tests import ats_webhooks
from tests.ats_webhooks import count, followups
from tests.fake_greenhouse import CLIENT_ID, CLIENT_SECRET, HIRING_MANAGER_USER, JOB, FakeHarvest
from tests.harness import ADMIN, MANAGER, Harness

SECRET = "gh-test-secret"
RECRUITER = "U0RECRUITER"
HIRING_MANAGER = "U0HIRINGMGR"
NAME = "Ines Moreau"


def fixture(name: str) -> dict[str, Any]:
    return ats_webhooks.fixture("greenhouse", name)


def sign(raw: bytes, secret: str = SECRET) -> str:
    return ats_webhooks.greenhouse_signature(raw, secret)


def post(h: Harness, payload: dict[str, Any] | bytes, *, signature: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Greenhouse-Event-ID": "3ce5180d-9119-4ddc-9ef6-21edb6e76f8a",
            "Signature": sign(raw) if signature is None else signature, **(headers or {})}
    return ats_webhooks.post(h, "greenhouse", raw, sent)


@pytest.fixture
def gh(harness: Harness) -> Harness:
    harness.reconfigure(GREENHOUSE_WEBHOOK_SECRET=SECRET)
    harness.fake.emails["recruiter@example.com"] = RECRUITER
    return harness


@pytest.fixture
def harvest() -> Iterator[FakeHarvest]:
    fake = FakeHarvest()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def fresh_tokens() -> Iterator[None]:
    """Each test starts with no cached Harvest token (the cache is per process)."""
    harvest_client._caches.clear()
    greenhouse._held.clear()
    yield
    harvest_client._caches.clear()
    greenhouse._held.clear()


def harvest_env(harvest: FakeHarvest) -> dict[str, str]:
    return {"GREENHOUSE_WEBHOOK_SECRET": SECRET, "GREENHOUSE_CLIENT_ID": CLIENT_ID,
            "GREENHOUSE_CLIENT_SECRET": CLIENT_SECRET, "GREENHOUSE_API_URL": harvest.url,
            "GREENHOUSE_AUTH_URL": harvest.auth_url}


@pytest.fixture
def gh_api(harness: Harness, harvest: FakeHarvest) -> Harness:
    """Greenhouse with Harvest v3 credentials: the job's hiring manager is asked for."""
    harness.reconfigure(**harvest_env(harvest))
    harness.fake.emails.update({"recruiter@example.com": RECRUITER, "hana.manager@example.com": HIRING_MANAGER})
    return harness


def stage(payload: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed["payload"]["application"]["current_stage"]["name"] = name
    return changed


def test_a_rejection_after_an_interview_becomes_a_followup_and_a_dm_at_the_next_sweep(gh: Harness) -> None:
    assert post(gh, fixture("reject_candidate")) == (200, "OK")
    [followup] = followups(gh).values()
    assert followup.status == "open" and followup.manager_id == RECRUITER
    with gh.deps.sessions.begin() as session:
        decision = session.scalars(select(Decision)).one()
        candidate = session.scalars(select(Candidate)).one()
        assert (decision.source, decision.external_id, decision.channel_id) == ("greenhouse", "greenhouse:71980812", "")
        assert (candidate.name, candidate.email, candidate.stage) == (NAME, "ines.moreau@example.org",
                                                                       "Face to Face Interview")
    assert count(gh, InboxEvent) == 0  # processed and taken out
    gh.sweep(gh.now + timedelta(days=2))
    dms = [c for c in gh.fake.calls_to("chat.postMessage") if c.args["channel"] in (RECRUITER, "D0RECRUITER")]
    assert dms and NAME in json.dumps(dms[0].args.get("blocks")) and dms[0].args.get("text")


def test_a_logged_round_for_the_role_names_the_manager(gh: Harness) -> None:
    gh.command("Platform Engineer: Ines Moreau (onsite), Tom Baker (onsite)")
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert followups(gh)[NAME].manager_id == MANAGER
    assert gh.fake.calls_to("users.lookupByEmail") == []


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(gh: Harness) -> None:
    raw = json.dumps(fixture("reject_candidate")).encode()
    for signature in ("", "sha256 " + "0" * 64, sign(raw, "another-secret"), sign(raw).replace("sha256 ", "sha1 "),
                      "sha256=" + sign(raw).split()[1]):
        assert post(gh, raw, signature=signature)[0] == 401, signature
    assert post(gh, raw + b" ", signature=sign(raw))[0] == 401  # the body changed after signing
    assert count(gh, InboxEvent) == count(gh, Followup) == count(gh, ProcessedEvent) == 0


def test_the_endpoint_is_404_while_the_secret_is_unset(harness: Harness) -> None:
    assert post(harness, fixture("reject_candidate"))[0] == 404
    assert count(harness, InboxEvent) == 0


def test_a_redelivery_is_one_followup_also_after_a_restart(gh: Harness) -> None:
    payload = fixture("reject_candidate")
    assert post(gh, payload)[0] == 200
    assert post(gh, payload)[0] == 200
    gh.reconfigure(GREENHOUSE_WEBHOOK_SECRET=SECRET)
    assert post(gh, payload)[0] == 200
    assert len(followups(gh)) == 1 and count(gh, Decision) == 1
    assert count(gh, InboxEvent) == 0


def test_malformed_deliveries_are_400_with_a_reason_and_store_nothing(gh: Harness) -> None:
    assert post(gh, b"{not json") == (400, "Bad request: the body is not JSON")
    no_application = {"action": "reject_candidate", "payload": {}}
    assert post(gh, no_application) == (400, "Bad request: payload.application is missing or is not an object")
    nameless = fixture("reject_candidate")
    del nameless["payload"]["application"]["candidate"]["first_name"]
    del nameless["payload"]["application"]["candidate"]["last_name"]
    status, reason = post(gh, nameless)
    assert status == 400 and "\n" not in reason and "first_name" in reason
    assert count(gh, InboxEvent) == count(gh, Followup) == 0


def test_an_unknown_action_is_200_and_ignored(gh: Harness) -> None:
    assert post(gh, {"action": "candidate_stage_change", "payload": {"application": {"id": 1}}}) == (200, "Ignored")
    assert post(gh, {"action": "ping", "payload": {"web_hook_id": 1}}) == (200, "Ignored")  # sent on saving a hook
    assert post(gh, {"action": "ping"}) == (200, "Ignored")
    assert count(gh, InboxEvent) == count(gh, Decision) == 0


def test_an_early_stage_rejection_gets_no_followup(gh: Harness) -> None:
    assert post(gh, stage(fixture("reject_candidate"), "Application Review"))[0] == 200
    assert count(gh, Followup) == 0 and count(gh, Decision) == 0 and count(gh, InboxEvent) == 0


def test_ats_min_stage_decides_which_stages_count() -> None:
    assert reached_interview("Phone Screen", None) and reached_interview("Panel", None)
    assert not reached_interview("Application Review", None) and not reached_interview(None, None)
    assert reached_interview("Take Home Test", "take home")
    assert not reached_interview("Application Review", "take home")


def test_they_rejected_us_is_a_withdrawal_with_no_followup(gh: Harness) -> None:
    payload = fixture("reject_candidate")
    payload["payload"]["application"]["rejection_reason"]["type"]["name"] = "They rejected us"
    assert post(gh, payload)[0] == 200
    assert count(gh, Followup) == 0
    with gh.deps.sessions.begin() as session:
        assert session.scalars(select(Candidate.outcome)).one() == "withdrawn"


def test_a_hire_is_recorded_as_a_hire(gh: Harness) -> None:
    gh.command("Platform Engineer: Omar Haddad (onsite), Lena Park (onsite)")
    assert post(gh, fixture("hire_candidate"))[0] == 200
    with gh.deps.sessions.begin() as session:
        outcomes = dict(session.execute(select(Candidate.name, Candidate.outcome)).all())
    assert outcomes == {"Omar Haddad": "hired", "Lena Park": "not_selected"}
    assert set(followups(gh)) == {"Lena Park"}


def test_unreject_cancels_the_open_followup(gh: Harness) -> None:
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert post(gh, fixture("unreject_candidate"))[0] == 200
    assert followups(gh)[NAME].status == "cancelled"
    gh.sweep(gh.now + timedelta(days=2))
    assert [c for c in gh.fake.calls_to("chat.postMessage") if NAME in json.dumps(c.args)] == []


def test_announced_in_slack_and_rejected_in_greenhouse_is_one_followup(gh: Harness) -> None:
    gh.message("Platform Engineer update: we decided not to move forward with Ines Moreau after the onsite.",
               user=MANAGER)
    assert set(followups(gh)) == {NAME}
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert len(followups(gh)) == 1 and followups(gh)[NAME].manager_id == MANAGER


def test_an_unmatched_recruiter_asks_the_admins_with_a_picker_and_the_pick_assigns(gh: Harness) -> None:
    gh.fake.emails.clear()
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert count(gh, Followup) == 0 and count(gh, InboxEvent) == 0  # asked, not lost: the question carries it
    [ask] = [c for c in gh.fake.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    blocks = ask.args["blocks"]
    assert ask.args["text"] and "users_select" in json.dumps(blocks)
    assert len(gh.fake.calls_to("users.lookupByEmail")) == 3  # recruiter, coordinator, credited to
    status, _ = pick(gh, blocks, "U0PICKED")
    assert status == 200
    assert followups(gh)[NAME].manager_id == "U0PICKED"
    pick(gh, blocks, "U0SOMEONE")  # a second admin, or a second click: still one follow-up, the first pick's
    assert len(followups(gh)) == 1 and followups(gh)[NAME].manager_id == "U0PICKED"
    assert "already assigned" in json.dumps(gh.responses(gh.fake.response_url()))


def test_only_an_admin_may_assign(gh: Harness) -> None:
    gh.fake.emails.clear()
    post(gh, fixture("reject_candidate"))
    [ask] = [c for c in gh.fake.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    pick(gh, ask.args["blocks"], "U0PICKED", user=MANAGER)
    assert count(gh, Followup) == 0


def pick(h: Harness, blocks: list[dict[str, Any]], chosen: str, *, user: str = ADMIN) -> tuple[int, bytes]:
    payload = {
        "type": "block_actions", "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user, "username": "admin", "team_id": "T0TEAM"}, "api_app_id": "A0APP", "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000009.000100", "channel_id": "D0ADMIN"},
        "trigger_id": "1.2.3", "channel": {"id": "D0ADMIN", "name": "directmessage"},
        "message": {"ts": "1700000009.000100", "blocks": blocks}, "response_url": h.fake.response_url(),
        "actions": [{"action_id": "ats_assign_manager", "block_id": "ats_pick_manager", "type": "users_select",
                     "selected_user": chosen, "action_ts": "1700000010.000100"}],
    }
    return h.interact(payload)


def test_no_candidate_name_or_email_in_the_logs(gh: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post(gh, fixture("reject_candidate"))
    post(gh, b"{bad")
    gh.fake.emails.clear()
    post(gh, stage(fixture("unreject_candidate"), "Onsite"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("Ines", "Moreau", "ines.moreau@example.org", "recruiter@example.com"):
        assert secret not in logged


def test_verify_is_greenhouses_documented_scheme() -> None:
    raw = b'{"action":"ping"}'
    digest = hmac.new(b"k", raw, hashlib.sha256).hexdigest()
    assert greenhouse.verify("k", {"signature": f"sha256 {digest}"}, raw)
    assert not greenhouse.verify("k", {"signature": f"sha256 {digest}"}, raw + b"\n")
    assert not greenhouse.verify("k", {}, raw)


def test_a_failure_after_the_200_is_processed_again_from_the_inbox(gh: Harness) -> None:
    gh.fake.fail_next("users.lookupByEmail", status=200, error="internal_error")
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert count(gh, Followup) == 0 and count(gh, InboxEvent) == 1  # kept, not lost
    gh.now += timedelta(minutes=2)
    assert gh.inbox.redeliver(gh.now) == 1
    assert followups(gh)[NAME].manager_id == RECRUITER and count(gh, InboxEvent) == 0


def test_a_process_killed_between_the_200_and_processing_loses_nothing(gh: Harness) -> None:
    raw = json.dumps(fixture("reject_candidate")).encode()
    # the process dies after the answer: nothing is processed, and nothing is handed back on the way out
    gh.inbox._run = lambda body: False  # type: ignore[method-assign]
    gh.inbox._hand_back = lambda event_ids, free_from=None: None  # type: ignore[method-assign]
    status, _, _ = gh.http("POST", "/ats/greenhouse", raw, {"Signature": sign(raw)})
    assert status == 200 and count(gh, InboxEvent) == 1 and count(gh, Followup) == 0
    gh.reconfigure(GREENHOUSE_WEBHOOK_SECRET=SECRET)  # the next process
    gh.fake.emails["recruiter@example.com"] = RECRUITER
    assert gh.inbox.redeliver(gh.now + timedelta(seconds=30)) == 0  # the dead process's lease still runs
    gh.now += timedelta(minutes=5)
    assert gh.inbox.redeliver(gh.now) == 1
    assert followups(gh)[NAME].status == "open" and count(gh, InboxEvent) == 0


def test_in_socket_mode_a_server_beside_it_takes_the_webhooks_and_healthz_only(gh: Harness) -> None:
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    from bot.server import ats_configured, serve_side_http
    from tests.serve_process import free_port

    assert ats_configured(gh.settings)
    port = free_port()
    server = serve_side_http(gh.runtime, port)
    try:
        raw = json.dumps(fixture("reject_candidate")).encode()
        request = Request(f"http://127.0.0.1:{port}/ats/greenhouse", data=raw, method="POST",
                          headers={"Content-Type": "application/json", "Signature": sign(raw)})
        with urlopen(request, timeout=10) as response:
            assert response.status == 200
        gh.drain()
        assert set(followups(gh)) == {NAME}
        try:  # the harness runs no scheduler: /healthz says so (503), as it would in Socket Mode
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                health = json.loads(response.read())
        except HTTPError as answer:
            health = json.loads(answer.read())
        assert health["database"] == "ok" and "scheduler" in health
        with pytest.raises(HTTPError) as refused:
            urlopen(Request(f"http://127.0.0.1:{port}/slack/events", data=b"{}", method="POST"), timeout=10)
        assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_hostile_name_from_greenhouse_is_shown_as_typed_to_the_admins(gh: Harness) -> None:
    gh.fake.emails.clear()
    payload = fixture("reject_candidate")
    payload["payload"]["application"]["candidate"]["first_name"] = "<!channel>"
    payload["payload"]["application"]["jobs"][0]["name"] = "<https://evil.example|Platform> & Co"
    assert post(gh, payload)[0] == 200
    [ask] = [c for c in gh.fake.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    sent = ask.args["text"] + ask.args["blocks"][0]["text"]["text"]  # what is shown (a button's value is not)
    assert "<!channel>" not in sent and "<https://evil" not in sent
    assert "&lt;!channel&gt;" in sent and "&amp; Co" in sent


def bearer_tokens(harvest: FakeHarvest) -> list[str]:
    return [c.authorization for c in harvest.api_calls()]


def test_with_harvest_credentials_the_jobs_hiring_manager_from_harvest_v3(gh_api: Harness,
                                                                          harvest: FakeHarvest) -> None:
    assert post(gh_api, fixture("reject_candidate")) == (200, "OK")
    assert followups(gh_api)[NAME].manager_id == HIRING_MANAGER
    [token_call] = harvest.token_calls()
    assert token_call.authorization == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_call.form == {"grant_type": "client_credentials"}  # no GREENHOUSE_USER_ID: no sub
    assert [(c.path, c.query) for c in harvest.api_calls()] == [
        ("/v3/job_hiring_managers", {"job_ids": str(JOB), "per_page": "100"}),
        ("/v3/users", {"ids": str(HIRING_MANAGER_USER)})]
    assert set(bearer_tokens(harvest)) == {"Bearer eyJ.fake-access-token-1"}
    assert count(gh_api, InboxEvent) == 0


def test_the_token_is_fetched_once_and_reused_for_the_next_delivery(gh_api: Harness, harvest: FakeHarvest) -> None:
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert post(gh_api, fixture("hire_candidate"))[0] == 200
    assert len(harvest.token_calls()) == 1 and len(harvest.api_calls()) == 4
    assert set(bearer_tokens(harvest)) == {"Bearer eyJ.fake-access-token-1"}


def test_greenhouse_user_id_is_sent_as_the_tokens_sub(harness: Harness, harvest: FakeHarvest) -> None:
    harness.reconfigure(**harvest_env(harvest), GREENHOUSE_USER_ID="4455")
    harness.fake.emails.update({"recruiter@example.com": RECRUITER, "hana.manager@example.com": HIRING_MANAGER})
    assert post(harness, fixture("reject_candidate"))[0] == 200
    assert [c.form for c in harvest.token_calls()] == [{"grant_type": "client_credentials", "sub": "4455"}]
    assert followups(harness)[NAME].manager_id == HIRING_MANAGER


def test_an_expired_token_is_fetched_again_once(gh_api: Harness, harvest: FakeHarvest) -> None:
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    harvest.expire_tokens()  # revoked, or expired before the time it was given
    assert post(gh_api, fixture("hire_candidate"))[0] == 200
    assert len(harvest.token_calls()) == 2
    assert bearer_tokens(harvest)[2:] == ["Bearer eyJ.fake-access-token-1", "Bearer eyJ.fake-access-token-2",
                                          "Bearer eyJ.fake-access-token-2"]  # the 401, then the retry
    assert count(gh_api, InboxEvent) == 0


def test_a_401_after_a_fresh_token_falls_back_to_the_recruiter(gh_api: Harness, harvest: FakeHarvest,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    harvest.fail = 401  # the credentials lack the scopes, say
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert followups(gh_api)[NAME].manager_id == RECRUITER and count(gh_api, InboxEvent) == 0
    assert len(harvest.token_calls()) == 2 and len(harvest.api_calls()) == 2  # refreshed once, not looping
    assert "HTTP 401" in caplog.text


def test_a_token_is_fetched_again_a_minute_before_it_expires(harvest: FakeHarvest) -> None:
    harvest.lifetime_field, harvest.lifetime = "expires_in", timedelta(minutes=10)
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    cache = harvest_client.TokenCache(harvest_client.Credentials(CLIENT_ID, CLIENT_SECRET, None, harvest.auth_url),
                                      clock=lambda: now[0])
    first = cache.get()
    now[0] += timedelta(minutes=8, seconds=59)
    assert cache.get() == first and len(harvest.token_calls()) == 1
    now[0] += timedelta(seconds=2)  # within a minute of the expiry
    assert cache.get() != first and len(harvest.token_calls()) == 2


def test_the_tokens_lifetime_is_read_from_expires_in_or_expires_at() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert harvest_client._lifetime({"expires_in": 600}, now) == timedelta(minutes=10)
    assert harvest_client._lifetime({"expires_at": "2026-12-01T09:30:00Z"}, now) == timedelta(minutes=30)
    assert harvest_client._lifetime({"expires_at": "yesterday"}, now) == timedelta(hours=1)
    assert harvest_client._lifetime({}, now) == timedelta(hours=1)


@pytest.mark.parametrize("missing", ["job", "hiring managers", "user", "slack account"])
def test_no_hiring_manager_found_falls_back_to_the_recruiter(gh_api: Harness, harvest: FakeHarvest,
                                                             missing: str) -> None:
    if missing == "job":
        harvest.hiring_managers.clear()  # a job Harvest does not know: the filtered list is empty
    elif missing == "hiring managers":
        harvest.hiring_managers[JOB] = []
    elif missing == "user":
        harvest.users.clear()
    else:
        del gh_api.fake.emails["hana.manager@example.com"]
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert followups(gh_api)[NAME].manager_id == RECRUITER and count(gh_api, InboxEvent) == 0


@pytest.mark.parametrize("down", ["503", "500", "token endpoint 500", "wrong client secret", "hang"])
def test_harvest_down_falls_back_to_the_recruiter_and_loses_nothing(gh_api: Harness, harvest: FakeHarvest,
                                                                    caplog: pytest.LogCaptureFixture,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    down: str) -> None:
    if down == "hang":
        monkeypatch.setattr(harvest_client, "timeout", 0.2)
        harvest.hang = True
    elif down == "token endpoint 500":
        harvest.fail_token = 500
    elif down == "wrong client secret":
        gh_api.reconfigure(**{**harvest_env(harvest), "GREENHOUSE_CLIENT_SECRET": "rotated-away"})
        gh_api.fake.emails.update({"recruiter@example.com": RECRUITER, "hana.manager@example.com": HIRING_MANAGER})
    else:
        harvest.fail = int(down)
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert followups(gh_api)[NAME].manager_id == RECRUITER and count(gh_api, InboxEvent) == 0
    assert "Harvest API could not name the hiring manager" in caplog.text
    assert post(gh_api, fixture("reject_candidate"))[0] == 200  # the retry Greenhouse may send: still one
    assert len(followups(gh_api)) == 1


def test_a_short_rate_limit_is_waited_out(gh_api: Harness, harvest: FakeHarvest,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(harvest_client, "sleep", waits.append)
    harvest.retry_after = ["2"]
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert waits == [2.0] and followups(gh_api)[NAME].manager_id == HIRING_MANAGER


def test_a_long_rate_limit_keeps_the_delivery_for_later(gh_api: Harness, harvest: FakeHarvest,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(harvest_client, "sleep", waits.append)
    harvest.retry_after = ["120"]
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert waits == [] and count(gh_api, Followup) == 0 and count(gh_api, InboxEvent) == 1  # kept, not lost
    gh_api.now += timedelta(minutes=2)
    assert gh_api.inbox.redeliver(gh_api.now) == 1
    assert followups(gh_api)[NAME].manager_id == HIRING_MANAGER and count(gh_api, InboxEvent) == 0


def test_a_rate_limit_that_lasts_gives_the_recruiter_before_the_inbox_gives_up(
        gh_api: Harness, harvest: FakeHarvest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harvest_client, "sleep", lambda seconds: None)
    harvest.retry_after = ["600"] * 10
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    for _ in range(greenhouse.HOLD_TIMES - 1):
        gh_api.now += timedelta(minutes=2)
        assert gh_api.inbox.redeliver(gh_api.now) == 0 and count(gh_api, InboxEvent) == 1
    gh_api.now += timedelta(minutes=2)
    assert gh_api.inbox.redeliver(gh_api.now) == 1
    assert followups(gh_api)[NAME].manager_id == RECRUITER and count(gh_api, InboxEvent) == 0
    assert greenhouse.HOLD_TIMES < REDELIVER_ATTEMPTS


def test_a_failure_after_harvest_answered_is_processed_again(gh_api: Harness, harvest: FakeHarvest) -> None:
    gh_api.fake.fail_next("users.lookupByEmail", status=200, error="internal_error")
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    assert count(gh_api, Followup) == 0 and count(gh_api, InboxEvent) == 1  # kept, not lost
    gh_api.now += timedelta(minutes=2)
    assert gh_api.inbox.redeliver(gh_api.now) == 1
    assert followups(gh_api)[NAME].manager_id == HIRING_MANAGER and count(gh_api, InboxEvent) == 0


def test_without_credentials_harvest_is_never_asked(gh: Harness, harvest: FakeHarvest) -> None:
    assert post(gh, fixture("reject_candidate"))[0] == 200
    assert followups(gh)[NAME].manager_id == RECRUITER and harvest.calls == []


def test_no_secret_or_token_in_the_logs(gh_api: Harness, harvest: FakeHarvest,
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert post(gh_api, fixture("reject_candidate"))[0] == 200
    harvest.expire_tokens()
    harvest.fail = 503
    assert post(gh_api, fixture("hire_candidate"))[0] == 200
    harvest.fail_token = 401
    harvest.expire_tokens()
    another = copy.deepcopy(fixture("reject_candidate"))
    another["payload"]["application"]["id"] = 71980901
    assert post(gh_api, another)[0] == 200
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert logged.count("Harvest API could not name the hiring manager") >= 2 and len(harvest.token_calls()) == 3
    for secret in (CLIENT_SECRET, basic, "fake-access-token", "Bearer"):
        assert secret not in logged
    assert CLIENT_SECRET not in repr(gh_api.settings)


@pytest.mark.parametrize(("env", "line"), [
    ({"GREENHOUSE_API_KEY": "v1-key"}, "GREENHOUSE_API_KEY: Harvest v1 API keys were retired on 2026-08-31"),
    ({"GREENHOUSE_CLIENT_ID": "id"}, "GREENHOUSE_CLIENT_SECRET: is not set"),
    ({"GREENHOUSE_CLIENT_SECRET": "s"}, "GREENHOUSE_CLIENT_ID: is not set"),
    ({"GREENHOUSE_CLIENT_ID": "id", "GREENHOUSE_CLIENT_SECRET": "s", "GREENHOUSE_USER_ID": "hana"},
     "GREENHOUSE_USER_ID: 'hana' is not a Greenhouse user id"),
    ({"GREENHOUSE_API_URL": "harvest.greenhouse.io/v3"}, "GREENHOUSE_API_URL: "),
    ({"GREENHOUSE_AUTH_URL": "ftp://auth.greenhouse.io/token"}, "GREENHOUSE_AUTH_URL: "),
])
def test_bad_harvest_configuration_is_one_line_naming_the_variable(env: dict[str, str], line: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", **env})
    assert str(error.value).startswith(line) and "\n" not in str(error.value)


def test_harvest_defaults_are_v3() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                              "GREENHOUSE_CLIENT_ID": "id", "GREENHOUSE_CLIENT_SECRET": "secret"})
    assert settings.greenhouse_api_url == "https://harvest.greenhouse.io/v3/"
    assert settings.greenhouse_auth_url == "https://auth.greenhouse.io/token"
    assert settings.greenhouse_user_id is None


def test_signed_the_way_another_vendor_signs_is_401(gh: Harness) -> None:
    raw = json.dumps(fixture("reject_candidate")).encode()
    lever_style = json.dumps(dict(fixture("reject_candidate"), token="t", triggeredAt=1,
                                  signature=ats_webhooks.hex_hmac(SECRET, b"t1"))).encode()
    assert post(gh, lever_style, signature="")[0] == 401
    assert post(gh, raw, signature="", headers={"Ashby-Signature": ats_webhooks.ashby_signature(raw, SECRET)})[0] == 401
    assert count(gh, InboxEvent) == count(gh, ProcessedEvent) == 0


def test_greenhouse_signs_no_time_so_a_replay_is_dropped_as_a_redelivery(gh: Harness) -> None:
    assert greenhouse.signed_at({"signature": "sha256 x"}, b"{}") is None
    raw = json.dumps(fixture("reject_candidate")).encode()
    assert post(gh, raw)[0] == 200
    gh.now += timedelta(days=3)  # a captured delivery, replayed days later
    assert post(gh, raw)[0] == 200
    assert len(followups(gh)) == 1 and count(gh, Decision) == 1 and count(gh, InboxEvent) == 0
