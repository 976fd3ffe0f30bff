"""An ATS decision is identified by its source and the application's id in the ATS (decisions.source,
external_id), not by a made-up Slack message ts: message_ts is NULL for it (migration 0009), on SQLite and
PostgreSQL, and every reader of message_ts copes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import select, text

from storage.db import alembic_config, check, make_engine, upgrade
from storage.models import Candidate, Decision, Followup, InboxEvent
from tests import ats_webhooks
from tests.ats_webhooks import count, followups
from tests.conftest import POSTGRES_URL
from tests.harness import MANAGER, Harness

SECRET = "gh-test-secret"
RECRUITER = "U0RECRUITER"
NAME = "Ines Moreau"


def post(h: Harness, name: str, **token: str) -> tuple[int, str]:
    body = ats_webhooks.fixture("greenhouse", name)
    if token:  # another delivery about the same application (Greenhouse dedupes on what it is about)
        body["payload"]["application"]["last_activity_at"] = token["at"]
        body["payload"]["application"]["rejected_at"] = token["at"]
    raw = json.dumps(body).encode()
    return ats_webhooks.post(h, "greenhouse", raw, {"Signature": ats_webhooks.greenhouse_signature(raw, SECRET)})


@pytest.fixture
def gh(harness: Harness) -> Harness:
    harness.reconfigure(GREENHOUSE_WEBHOOK_SECRET=SECRET)
    harness.fake.emails["recruiter@example.com"] = RECRUITER
    return harness


def decisions(h: Harness) -> list[tuple[str, str | None, str | None, str]]:
    with h.deps.sessions.begin() as session:
        return [(d.source, d.external_id, d.message_ts, d.channel_id)
                for d in session.scalars(select(Decision).order_by(Decision.id))]


def test_an_ats_decision_has_no_message_ts_and_is_one_per_application(gh: Harness) -> None:
    assert post(gh, "reject_candidate")[0] == 200
    assert decisions(gh) == [("greenhouse", "greenhouse:71980812", None, "")]
    assert post(gh, "reject_candidate", at="2026-11-23T11:00:00Z")[0] == 200  # rejected again: the same decision
    assert len(decisions(gh)) == 1 and len(followups(gh)) == 1


def test_rejected_again_after_an_unreject_is_a_new_decision_and_a_new_followup(gh: Harness) -> None:
    assert post(gh, "reject_candidate")[0] == 200
    assert post(gh, "unreject_candidate")[0] == 200
    assert followups(gh)[NAME].status == "cancelled"
    assert post(gh, "reject_candidate", at="2026-11-24T09:00:00Z")[0] == 200
    assert [d[2] for d in decisions(gh)] == [None, None]
    with gh.deps.sessions.begin() as session:
        statuses = sorted(session.scalars(select(Followup.status)))
    assert statuses == ["cancelled", "open"]  # the cancelled one stays as it was


def test_two_admins_picking_for_one_unmatched_delivery_record_one_decision(gh: Harness) -> None:
    from tests.test_ats_greenhouse import pick

    gh.fake.emails.clear()
    assert post(gh, "reject_candidate")[0] == 200
    [ask] = [c for c in gh.fake.calls_to("chat.postMessage") if c.args["channel"] == "U0ADMIN"]
    pick(gh, ask.args["blocks"], "U0PICKED")
    pick(gh, ask.args["blocks"], "U0OTHER")
    assert decisions(gh) == [("greenhouse", "greenhouse:71980812", None, "")]
    assert followups(gh)[NAME].manager_id == "U0PICKED"


def test_announced_in_slack_too_is_still_one_followup_and_the_slack_decision_keeps_its_ts(gh: Harness) -> None:
    gh.message("Platform Engineer update: we decided not to move forward with Ines Moreau after the onsite.",
               user=MANAGER)
    assert post(gh, "reject_candidate")[0] == 200
    assert len(followups(gh)) == 1 and count(gh, Decision) == 2
    slack, ats = decisions(gh)
    assert slack[0] == "slack" and slack[2] and ats == ("greenhouse", "greenhouse:71980812", None, "")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # the suite's PostgreSQL rule: conftest fails or skips the same way
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {type(error).__name__}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_0009_clears_the_stand_in_ts_of_ats_decisions_and_goes_back_down(empty_url: str) -> None:
    engine = make_engine(empty_url)
    config = alembic_config(empty_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
            connection.execute(text(
                "INSERT INTO rounds (team_id, manager_id, channel_id, source, created_by, created_at) "
                "VALUES ('T1', 'U1', '', 'message', 'U1', CURRENT_TIMESTAMP)"))
            for ts, source, external in (("1700000000.000100", "slack", None),
                                         ("greenhouse:71980812:rj:x", "greenhouse", "greenhouse:71980812")):
                connection.execute(text(
                    "INSERT INTO decisions (team_id, channel_id, message_ts, author_id, round_id, created_round, "
                    "created_at, source, external_id) VALUES ('T1', :channel, :ts, 'U1', 1, true, "
                    "CURRENT_TIMESTAMP, :source, :external)"),
                    {"channel": "C1" if source == "slack" else "", "ts": ts, "source": source, "external": external})
        assert upgrade(engine)[0] == "0008"  # and on to the head
        check(engine)  # models and migrations agree
        with engine.begin() as connection:
            rows = connection.execute(text("SELECT source, message_ts FROM decisions ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("slack", "1700000000.000100"), ("greenhouse", None)]
            config.attributes["connection"] = connection
            command.downgrade(config, "0008")
            assert connection.execute(text("SELECT message_ts FROM decisions ORDER BY id")).scalars().all()[1]
    finally:
        engine.dispose()


def test_a_hire_after_a_rejection_of_the_same_application_is_a_new_decision(gh: Harness) -> None:
    assert post(gh, "reject_candidate")[0] == 200
    hired = ats_webhooks.fixture("greenhouse", "reject_candidate")
    hired["action"] = "hire_candidate"
    hired["payload"]["application"]["hired_at"] = "2026-11-25T09:00:00Z"
    raw = json.dumps(hired).encode()
    assert ats_webhooks.post(gh, "greenhouse", raw,
                             {"Signature": ats_webhooks.greenhouse_signature(raw, SECRET)})[0] == 200
    assert [d[:3] for d in decisions(gh)] == [("greenhouse", "greenhouse:71980812", None)] * 2
    with gh.deps.sessions.begin() as session:
        assert "hired" in set(session.scalars(select(Candidate.outcome)))


def test_another_delivery_about_an_erased_candidate_is_settled_not_retried(gh: Harness) -> None:
    from storage import repo

    assert post(gh, "reject_candidate")[0] == 200
    with gh.deps.sessions.begin() as session:
        candidate_id = session.scalars(select(Candidate.id)).one()
        repo.erase_candidate(session, candidate_id, now=gh.now, actor="U0ADMIN")
    assert post(gh, "reject_candidate", at="2026-11-23T11:00:00Z")[0] == 200
    assert count(gh, InboxEvent) == 0 and count(gh, Decision) == 1  # not left in the inbox to fail again
