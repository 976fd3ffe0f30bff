"""Every length is checked where it is typed or received, against the limits in storage.models, with a
message that names the field and its limit: the same inputs give the same answers on SQLite (which ignores
VARCHAR lengths) and PostgreSQL (which used to fail with "Something went wrong", or 503 for ids)."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from bot.slack import blocks, metadata
from storage.models import (
    NAME_LENGTH,
    ROLE_LENGTH,
    SKIP_REASON_LENGTH,
    SLACK_ID_LENGTH,
    STAGE_LENGTH,
    Candidate,
    Decision,
    Followup,
    Round,
)
from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, Harness
from tests.threads import text_input, user_input

STAGE = "final round with the whole leadership team and a take-home presentation on the data platform migration"
TS = "1700000001.000100"
MANAGER_PICKED = user_input("manager", MANAGER)
assert len(STAGE) > STAGE_LENGTH


def count(h: Harness, model: Any) -> int:
    with h.deps.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def errors(h: Harness, callback_id: str, values: dict[str, Any], carried: dict[str, Any]) -> dict[str, str]:
    status, body = h.submit_view(callback_id, values, private_metadata=metadata.encode(**carried))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["response_action"] == "errors", answer
    return dict(answer["errors"])


# --- what people type ---------------------------------------------------------------------------------


def test_a_long_stage_is_refused_by_name_in_the_command_and_both_modals(harness: Harness) -> None:
    reply = harness.command(f"Staff Data Engineer: Omar Haddad ({STAGE}), Lena Park")
    assert f"a stage can be up to {STAGE_LENGTH}" in reply["text"] and f"is {len(STAGE)} characters" in reply["text"]

    found = errors(harness, blocks.VIEW_ROUND, {**text_input("role", "Staff Data Engineer"), **MANAGER_PICKED,
                                                **text_input("candidates", f"Omar Haddad ({STAGE})")}, {"c": CHANNEL})
    assert f"a stage can be up to {STAGE_LENGTH}" in found["candidates"]

    found = errors(harness, blocks.VIEW_DECISION, {**text_input("role", "Staff Data Engineer"), **MANAGER_PICKED,
                                                   **text_input("not_selected", f"Omar Haddad ({STAGE})")},
                   {"c": CHANNEL, "ts": TS, "a": MANAGER})
    assert f"a stage can be up to {STAGE_LENGTH}" in found["not_selected"]
    assert count(harness, Round) == count(harness, Candidate) == 0
    assert harness.fake.calls_to("chat.postMessage") == []


def test_a_long_role_is_refused_by_name_in_the_command_and_every_modal(harness: Harness) -> None:
    role = "Staff Data Engineer " * 11
    assert len(role.strip()) > ROLE_LENGTH
    reply = harness.command(f"{role}: Omar Haddad")
    assert f"it can be up to {ROLE_LENGTH}" in reply["text"]
    for callback_id, values in [
        (blocks.VIEW_ROUND, {**text_input("candidates", "Omar Haddad")}),
        (blocks.VIEW_DECISION, {**text_input("not_selected", "Omar Haddad")}),
    ]:
        found = errors(harness, callback_id, {**text_input("role", role), **MANAGER_PICKED, **values},
                       {"c": CHANNEL, "ts": TS, "a": MANAGER})
        # refused before any listener, by the modal's own limit (handlers/limits.py), naming the field
        assert found["role"].startswith(f"Role can be up to {ROLE_LENGTH:,} characters")
        assert "Staff" not in found["role"]

    assert harness.message("Not moving forward with Omar Haddad.", ts=TS) == 200  # recorded without a role
    with harness.deps.sessions.begin() as session:
        decision_id = session.scalars(select(Decision.id)).one()
    found = errors(harness, blocks.VIEW_ROLE, text_input("role", role), {"d": decision_id})
    assert found == {"role": f"Role can be up to {ROLE_LENGTH:,} characters; this is {len(role):,}. "
                             "Shorten it and save again."}
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Round.role)).all() == [None]


def test_a_long_name_is_refused_by_name(harness: Harness) -> None:
    name = "Omar " + "Haddad" * 40
    reply = harness.command(f"Staff Data Engineer: {name}")
    assert f"names can be up to {NAME_LENGTH}" in reply["text"]
    found = errors(harness, blocks.VIEW_DECISION,
                   {**text_input("role", "QA"), **MANAGER_PICKED, **text_input("withdrawn", name)},
                   {"c": CHANNEL, "ts": TS, "a": MANAGER})
    assert f"names can be up to {NAME_LENGTH}" in found["withdrawn"]
    assert count(harness, Candidate) == 0


def test_the_longest_values_allowed_are_stored_whole(harness: Harness) -> None:
    role, name, stage = "R" * ROLE_LENGTH, "Omar " + "H" * (NAME_LENGTH - 5), "s" * STAGE_LENGTH
    reply = harness.command(f"{role}: {name} ({stage})")
    assert reply["text"] == f"Logged {role} with 1 candidate.", reply
    with harness.deps.sessions.begin() as session:
        assert session.execute(select(Round.role, Candidate.name, Candidate.stage).join(Candidate)).one() == (
            role, name, stage)


def test_a_long_skip_detail_is_refused_by_name(harness: Harness) -> None:
    assert harness.message("Staff Data Engineer: not moving forward with Omar Haddad.", ts=TS) == 200
    with harness.deps.sessions.begin() as session:
        followup_id = session.scalars(select(Followup.id)).one()
    values = {"reason": {"reason": {"type": "static_select", "selected_option": {"value": "internal"}}},
              **text_input("detail", "x" * SKIP_REASON_LENGTH)}
    found = errors(harness, blocks.VIEW_SKIP, values, {"f": followup_id})
    limit = blocks.FIELD_LIMITS[blocks.VIEW_SKIP]["detail"]
    assert found["detail"] == (f"{limit.label} can be up to {limit.max_length:,} characters; this is "
                               f"{SKIP_REASON_LENGTH:,}. Shorten it and save again.")
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(Followup.status)).one() == "open"


def test_a_mention_no_column_holds_is_refused(harness: Harness) -> None:
    long_user = "U" + "X" * SLACK_ID_LENGTH
    reply = harness.command(f"Staff Data Engineer for <@{long_user}>: Omar Haddad")
    assert "couldn't read the `for @...` mention" in reply["text"]
    reply = harness.command(f"channel-manager <@{long_user}>")
    assert "I need one person, mentioned with @" in reply["text"]
    assert count(harness, Round) == 0 and harness.fake.calls_to("users.info") == []


# --- what Slack sends ---------------------------------------------------------------------------------


def decision_event(h: Harness, *, team: str, channel: str, user: str, event_id: str) -> int:
    body = {"token": "legacy", "team_id": team, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {"type": "message", "channel": channel, "user": user, "ts": TS, "channel_type": "channel",
                      "team": team, "text": "Staff Data Engineer: not moving forward with Omar Haddad."}}
    status, _ = h.signed(json.dumps(body), "application/json")
    h.drain()
    return status


def test_ids_as_long_as_the_columns_are_recorded_and_longer_ones_get_400(harness: Harness) -> None:
    widest = {"team": "T" * SLACK_ID_LENGTH, "channel": "C" * SLACK_ID_LENGTH, "user": "U" * SLACK_ID_LENGTH,
              "event_id": "E" * SLACK_ID_LENGTH}
    assert decision_event(harness, **widest) == 200
    with harness.deps.sessions.begin() as session:
        assert session.execute(select(Followup.team_id, Followup.manager_id)).one() == (widest["team"],
                                                                                        widest["user"])
    for field in widest:
        ids = {**widest, "event_id": "Ev" + field}
        ids[field] = widest[field] + "X"
        assert decision_event(harness, **ids) == 400, field
    assert decision_event(harness, team=TEAM_ID, channel=CHANNEL, user=MANAGER, event_id="E" * 500) == 400
    assert decision_event(harness, team="T" * 100, channel=CHANNEL, user=MANAGER, event_id="Ev0TEAM") == 400
    assert count(harness, Followup) == 1
