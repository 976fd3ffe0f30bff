"""Who sees candidates' names: a channel's digest shows only that channel's follow-ups, everyone's goes
only to DIGEST_CHANNEL and to admins; and a submitted modal is untrusted input (its limits are enforced
again on the server)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import func, select, text

from bot.followups import actions as followups
from bot.slack import blocks, metadata
from storage.db import alembic_config, make_engine, upgrade
from storage.models import Candidate, Followup, Round
from tests.conftest import POSTGRES_URL
from tests.fake_slack import TEAM_ID
from tests.harness import ADMIN, CHANNEL, MANAGER, MONDAY, Harness
from tests.threads import ROUND

ENG, SALES, GENERAL, DIGEST = "C0ENG", "C0SALES", "C0GENERAL", "C0DIGEST"
HIRE = "Decision for Staff Data Engineer: we're making an offer to Dana Whitfield."
SALES_DECISION = "Decision for Account Executive: not moving forward with Ivo Bell."
NAMES = ("Omar Haddad", "Lena Park", "Ivo Bell")


def shown(call: Any) -> str:
    return json.dumps(call.args.get("blocks")) + str(call.args.get("text"))


def names_in(text: str) -> set[str]:
    return {name for name in NAMES if name in text}


def digest_in(h: Harness, channel: str, *, user: str = MANAGER, text: str = "digest") -> Any:
    before = len(h.fake.calls_to("respond"))
    answer = h.command(text, channel=channel, user=user)
    responses = h.fake.calls_to("respond")[before:]
    return answer, responses


def setup_three_channels(h: Harness) -> None:
    """A round logged in #eng and decided in #hiring; another decision in #sales."""
    h.command(ROUND, channel=ENG)
    assert h.message(HIRE) == 200
    assert h.message(SALES_DECISION, channel=SALES) == 200


def test_a_channels_digest_shows_only_what_was_decided_or_logged_there(harness: Harness) -> None:
    setup_three_channels(harness)
    expected = {ENG: {"Omar Haddad", "Lena Park"}, CHANNEL: {"Omar Haddad", "Lena Park"}, SALES: {"Ivo Bell"},
                GENERAL: set()}
    for channel, names in expected.items():
        _, [posted] = digest_in(harness, channel)
        assert posted.args["response_type"] == "in_channel"
        assert names_in(shown(posted)) == names, channel
    _, [general] = digest_in(harness, GENERAL)
    assert "All loops closed in <#C0GENERAL>" in general.args["text"]

    # Closures and stats are the channel's own too: Ivo contacted shows in #sales, not in #eng.
    with harness.deps.sessions.begin() as session:
        ivo = session.scalars(select(Followup.id).join(Candidate).where(Candidate.name == "Ivo Bell")).one()
    harness.now = MONDAY + timedelta(days=1)
    followups.mark_contacted(harness.deps, ivo, team_id=TEAM_ID, actor=MANAGER, now=harness.now)
    _, [eng] = digest_in(harness, ENG)
    _, [sales] = digest_in(harness, SALES)
    assert names_in(shown(eng)) == {"Omar Haddad", "Lena Park"} and "closure rate 0% (0 of 2)" in shown(eng)
    assert "Ivo Bell" in shown(sales) and "closure rate 100% (1 of 1)" in shown(sales)


def test_everyones_digest_goes_only_to_the_digest_channel_and_to_admins(harness: Harness) -> None:
    harness.reconfigure(DIGEST_CHANNEL=DIGEST)
    setup_three_channels(harness)
    _, [everyone] = digest_in(harness, DIGEST)
    assert everyone.args["response_type"] == "in_channel" and names_in(shown(everyone)) == set(NAMES)

    answer, responses = digest_in(harness, GENERAL, text="digest all")  # not an admin: refused, nothing shown
    assert responses == [] and "only to the digest channel" in answer["text"]
    assert names_in(json.dumps(answer)) == set()

    answer, [to_admin] = digest_in(harness, GENERAL, user=ADMIN, text="digest all")
    assert to_admin.args["response_type"] == "ephemeral" and names_in(shown(to_admin)) == set(NAMES)
    assert not [c for c in harness.fake.calls_to("chat.postMessage") if c.args["channel"] == GENERAL]


def test_a_subscribed_channel_gets_its_own_follow_ups_only(harness: Harness) -> None:
    from bot.followups import digests

    harness.reconfigure(DIGEST_CHANNEL=DIGEST)
    setup_three_channels(harness)
    for channel in (SALES, GENERAL):
        harness.command("digest weekly", channel=channel)
    harness.fake.clear()
    assert digests.scheduled(harness.deps, MONDAY.replace(hour=9, minute=0, second=30), "weekly") == 2
    posted = {c.args["channel"]: names_in(shown(c)) for c in harness.fake.calls_to("chat.postMessage")}
    assert posted == {DIGEST: set(NAMES), SALES: {"Ivo Bell"}}  # #general has nothing of its own: skipped


# --- modal limits, enforced on the server -----------------------------------------------------------


FIELDS = [(view, block, limit) for view, fields in blocks.FIELD_LIMITS.items() for block, limit in fields.items()]


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def submission(view: str, block: str, value: str) -> dict[str, Any]:
    values: dict[str, Any] = {b: {b: typed("Dana Whitfield")} for b in blocks.FIELD_LIMITS[view]}
    values["manager"] = {"manager": {"type": "users_select", "selected_user": MANAGER}}
    values["reason"] = {"reason": {"type": "static_select", "selected_option": {"value": "other"}}}
    values[block] = {block: typed(value)}
    return values


@pytest.mark.parametrize(("view", "block", "limit"), FIELDS, ids=[f"{v}.{b}" for v, b, _ in FIELDS])
def test_an_over_long_field_is_refused_in_the_modal(harness: Harness, view: str, block: str,
                                                    limit: blocks.Limit) -> None:
    status, body = harness.submit_view(view, submission(view, block, "x" * (limit.max_length + 1)),
                                       private_metadata=metadata.encode(c=CHANNEL))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    error = answer["errors"][block]
    assert limit.label in error and f"{limit.max_length:,}" in error and f"{limit.max_length + 1:,}" in error
    with harness.deps.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Round)) == 0
    assert [c.method for c in harness.fake.calls if c.method != "auth.test"] == []  # no listener ran

    # At the limit, the field passes this check (the listener may still have its own say).
    status, body = harness.submit_view(view, submission(view, block, "x" * limit.max_length),
                                       private_metadata=metadata.encode(c=CHANNEL))
    assert status == 200
    errors = json.loads(body).get("errors", {}) if body else {}
    assert f"{limit.label} can be up to" not in json.dumps(errors)


def test_a_round_modal_at_its_limits_is_logged(harness: Harness) -> None:
    role = "R" * blocks.ROLE_LIMIT.max_length
    status, body = harness.submit_view(blocks.VIEW_ROUND, {
        "role": {"role": typed(role)}, "manager": {"manager": {"type": "users_select", "selected_user": MANAGER}},
        "candidates": {"candidates": typed("Dana Whitfield (onsite)\nOmar Haddad")}, "hired": {"hired": typed("")},
    }, private_metadata=metadata.encode(c=CHANNEL))
    assert status == 200 and not body
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Round.role)).one() == role


@pytest.mark.parametrize("values", [None, [], {"role": "x" * 500}, {"role": {"role": ["x" * 500]}}])
def test_malformed_state_is_left_to_the_listener(values: Any) -> None:
    assert blocks.too_long(blocks.VIEW_ROLE, values) == {}
    assert blocks.too_long(None, {"role": {"role": {"value": "x" * 500}}}) == {}


# --- follow-ups recorded before the channels were kept on them ---------------------------------------


@pytest.fixture
def empty_db_url(db_url: str, tmp_path: Any) -> Iterator[str]:
    """A database of its own with no tables yet (a SQLite file, or a PostgreSQL schema), for a migration
    test that must not move the shared schema back and forth."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    schema = f"pgm_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_the_migration_finds_the_channels_of_follow_ups_recorded_before_it(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    at = MONDAY.replace(tzinfo=None) if engine.dialect.name == "sqlite" else MONDAY
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO rounds (id, team_id, role, role_key, manager_id, channel_id, source, created_by, "
            "created_at) VALUES (1, 'T0TEAM', 'Eng', 'eng', 'U0M', 'C0ENG', 'command', 'U0M', :at)"), {"at": at})
        connection.execute(text(
            "INSERT INTO decisions (id, team_id, channel_id, message_ts, author_id, round_id, created_round, "
            "created_at) VALUES (1, 'T0TEAM', 'C0HIRING', '1.1', 'U0M', 1, false, :at)"), {"at": at})
        connection.execute(text(
            "INSERT INTO candidates (id, team_id, round_id, name, outcome, decision_id, added_by_decision) "
            "VALUES (1, 'T0TEAM', 1, 'Omar', 'not_selected', 1, false), "
            "(2, 'T0TEAM', 1, 'Lena', 'interviewing', NULL, false)"))
        connection.execute(text(
            "INSERT INTO followups (id, team_id, candidate_id, manager_id, created_by, status, decided_at, "
            "nudges_sent, failures, created_at) VALUES (1, 'T0TEAM', 1, 'U0M', 'U0M', 'open', :at, 0, 0, :at), "
            "(2, 'T0TEAM', 2, 'U0M', 'U0M', 'cancelled', :at, 0, 0, :at)"), {"at": at})
    upgrade(engine)
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, decided_in, logged_in FROM followups ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "C0HIRING", "C0ENG"), (2, None, "C0ENG")]
