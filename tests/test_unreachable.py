"""A manager Slack will never deliver a DM to must not starve everyone else (issue #12, item 9).

- a permanent refusal (user_not_found, account_inactive, cannot_dm_bot, channel_not_found, not_in_channel)
  marks that manager's follow-ups undeliverable and tells ESCALATE_TO / ADMIN_USERS once, with a picker
  to reassign them; the new manager is then nudged as usual;
- a 429, a 500 or a timeout puts that one follow-up off (doubling, capped, never before Retry-After);
- a sweep batch is fair: earliest due first, at most sweep.PER_MANAGER of one manager's.

Through the real sweep and the fake Slack, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from bot.followups import sweep
from bot.slack import blocks, delivery
from storage import repo
from storage.models import Followup, Nudge
from tests.fake_slack import TEAM_ID
from tests.harness import ADMIN, CHANNEL, MANAGER, MONDAY, OTHER, Harness

DEAD = "U0GONE"
NEW = "U0NEWBOSS"
RECRUITER = "U0RECRUITER"
PERMANENT = ("user_not_found", "account_inactive", "cannot_dm_bot", "channel_not_found", "not_in_channel")


def record(h: Harness, manager: str, names: list[str], *, due: datetime, role: str = "Staff Data Engineer",
           author: str | None = None, channel: str = CHANNEL) -> list[int]:
    """Follow-ups for `names`, decided by `manager`, due at `due` (storage only: the sweep is what's tested)."""
    with h.deps.sessions.begin() as session:
        recorded = repo.record_decision(
            session, team_id=TEAM_ID, channel_id=channel, message_ts=f"{due.timestamp():.6f}{len(names)}{manager}",
            author_id=author or manager, manager_id=manager, role=role, hired=(),
            not_selected=[repo.NewCandidate(n, stage="onsite") for n in names], withdrawn=(), first_due=due,
            now=due - timedelta(days=1),
        )
    return list(recorded.followup_ids)


def rows(h: Harness, ids: list[int] | None = None) -> dict[int, Followup]:
    with h.deps.sessions.begin() as session:
        stmt = select(Followup)
        if ids is not None:
            stmt = stmt.where(Followup.id.in_(ids))
        found = {f.id: f for f in session.scalars(stmt)}
        session.expunge_all()
    return found


def posts_to(h: Harness, channel: str) -> list[Any]:
    return [c for c in h.fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def notices(h: Harness) -> list[Any]:
    """The notices about undeliverable follow-ups that Slack took."""
    return [c for c in h.fake.calls_to("chat.postMessage") if c.ok and "a new owner" in str(c.args.get("text"))]


def pick(h: Harness, notice: Any, user: str, *, actor: str = ADMIN) -> None:
    """Choose `user` in a notice's picker, as Slack sends it."""
    [picker] = [b for b in notice.args["blocks"] if b["type"] == "actions"]
    element = picker["elements"][0]
    assert element["type"] == "users_select"
    payload = {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": actor, "username": actor.lower(), "team_id": TEAM_ID}, "api_app_id": "A0APP",
        "token": "legacy", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1700000009.000100", "channel_id": notice.args["channel"]},
        "channel": {"id": notice.args["channel"]}, "message": {"ts": "1700000009.000100", "blocks": []},
        "response_url": h.fake.response_url(),
        "actions": [{"action_id": element["action_id"], "block_id": picker["block_id"], "type": "users_select",
                     "selected_user": user, "action_ts": "1700000010.000100"}],
    }
    status, _ = h.interact(payload)
    assert status == 200


def test_two_hundred_follow_ups_of_an_unreachable_manager_hold_up_nobody(harness: Harness) -> None:
    harness.fake.unreachable[DEAD] = "user_not_found"
    dead = record(harness, DEAD, [f"Person{i:03d} Example" for i in range(200)], due=MONDAY - timedelta(hours=2))
    [normal] = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY - timedelta(minutes=1))
    harness.fake.clear()

    report = harness.sweep(MONDAY)

    assert len(posts_to(harness, MANAGER)) == 1  # the normal nudge went out in the first sweep
    assert rows(harness, [normal])[normal].nudges_sent == 1
    assert len(posts_to(harness, DEAD)) == 1  # one refusal was enough for all 200
    assert (report.sent, report.unreachable, report.notices) == (1, 1, 1)
    [notice] = notices(harness)
    assert notice.args["channel"] == ADMIN  # ADMIN_USERS, as ESCALATE_TO is not set
    text = json.dumps(notice.args["blocks"], ensure_ascii=False)
    assert f"<@{DEAD}>" in text and "user_not_found" in text and "200 candidate follow-ups" in text
    assert "Person000 Example" in text and "Staff Data Engineer" in text and "…and 170 more" in text
    assert all(f.undeliverable_at and f.notified_at and f.due_at is None and f.claimed_by is None
               for f in rows(harness, dead).values())

    harness.click(blocks.ACTION_SNOOZE, selected=f"1d:{dead[0]}", user=ADMIN)  # made due again by hand
    for minutes in (1, 5, 60, 60 * 24):  # later sweeps: nothing more for the unreachable manager, nor about him
        harness.sweep(MONDAY + timedelta(minutes=minutes))
    assert rows(harness, dead[:1])[dead[0]].due_at is None
    assert len(posts_to(harness, DEAD)) == 1
    assert len(notices(harness)) == 1
    harness.command("digest", user=ADMIN)
    assert "can't DM the manager" in json.dumps(harness.fake.calls_to("respond")[-1].args, ensure_ascii=False)


def test_each_permanent_refusal_is_escalated_exactly_once(harness: Harness) -> None:
    harness.reconfigure(ESCALATE_TO="U0ESCALATE")
    managers = {error: f"U0DEAD{i}" for i, error in enumerate(PERMANENT)}
    for i, (error, manager) in enumerate(managers.items()):
        harness.fake.unreachable[manager] = error
        record(harness, manager, [f"Person{i} One", f"Person{i} Two", f"Person{i} Three"],
               due=MONDAY - timedelta(minutes=30 - i))
    record(harness, MANAGER, ["Omar Haddad"], due=MONDAY)
    harness.fake.clear()
    for minutes in (0, 1, 2, 30, 120):
        harness.sweep(MONDAY + timedelta(minutes=minutes))
    told = notices(harness)
    assert len(told) == len(PERMANENT)
    assert {c.args["channel"] for c in told} == {"U0ESCALATE"}  # ESCALATE_TO first; ADMIN_USERS not too
    for error, manager in managers.items():
        [about] = [c for c in told if f"<@{manager}>" in c.args["text"]]
        body = json.dumps(about.args["blocks"], ensure_ascii=False)
        assert error in body and delivery.UNREACHABLE[error] in body and "3 candidate follow-ups" in body
        assert len(posts_to(harness, manager)) == 1
    assert len(posts_to(harness, MANAGER)) == 1
    assert harness.fake.invalid == []


def test_picking_someone_reassigns_them_and_they_are_nudged_normally(harness: Harness) -> None:
    harness.fake.unreachable[DEAD] = "account_inactive"
    harness.fake.bots.add("U0SOMEBOT")
    ids = record(harness, DEAD, ["Omar Haddad", "Lena Park"], due=MONDAY, author=RECRUITER)
    harness.sweep(MONDAY)
    [notice] = notices(harness)

    pick(harness, notice, DEAD)  # the unreachable manager again
    pick(harness, notice, "U0SOMEBOT")  # a bot
    pick(harness, notice, NEW, actor=OTHER)  # neither an admin nor whoever logged them
    answers = [c.args["text"] for c in harness.fake.calls_to("respond")]
    assert "is the person I can't reach" in answers[0]
    assert "is a bot" in answers[1]
    assert "Only a Persona Grata admin" in answers[2]
    assert {f.manager_id for f in rows(harness, ids).values()} == {DEAD}

    harness.fake.clear()
    harness.now = MONDAY + timedelta(minutes=5)
    pick(harness, notice, NEW, actor=RECRUITER)  # whoever logged them may
    [done] = harness.fake.calls_to("respond")
    assert done.args["replace_original"] is True
    assert f"to <@{NEW}>" in done.args["text"] and "gave 2 candidate follow-ups" in done.args["text"]
    after = rows(harness, ids).values()
    assert all(f.manager_id == NEW and f.undeliverable_at is None and f.due_at == harness.now for f in after)

    report = harness.sweep(MONDAY + timedelta(minutes=6))
    assert report.sent == 2
    nudged = posts_to(harness, NEW)
    assert len(nudged) == 2 and all("Time to close the loop" in c.args["text"] for c in nudged)
    pick(harness, notice, "U0THIRD")  # the notice's other copies are out of date now
    assert "Nothing is waiting" in harness.fake.calls_to("respond")[-1].args["text"]


def test_without_escalate_to_or_admins_the_decisions_channel_is_told(harness: Harness) -> None:
    harness.reconfigure(ADMIN_USERS="")
    harness.fake.unreachable[DEAD] = "user_not_found"
    ids = record(harness, DEAD, ["Omar Haddad"], due=MONDAY, channel="C0DECIDED")
    harness.sweep(MONDAY)
    [notice] = notices(harness)
    assert notice.args["channel"] == "C0DECIDED"
    pick(harness, notice, NEW, actor=OTHER)  # anyone who sees it there may pick
    assert rows(harness, ids)[ids[0]].manager_id == NEW


def test_a_notice_nobody_can_be_given_is_retried_hourly_not_dropped(harness: Harness) -> None:
    harness.reconfigure(ADMIN_USERS="")
    harness.fake.unreachable.update({DEAD: "user_not_found", "C0DECIDED": "not_in_channel",
                                     RECRUITER: "account_inactive"})
    ids = record(harness, DEAD, ["Omar Haddad"], due=MONDAY, channel="C0DECIDED", author=RECRUITER)
    harness.sweep(MONDAY)
    [f] = rows(harness, ids).values()
    assert f.notified_at is None and f.due_at == MONDAY + timedelta(hours=1)  # tried the channel, then the logger
    assert [c.args["channel"] for c in harness.fake.calls_to("chat.postMessage")] == [DEAD, "C0DECIDED", RECRUITER]
    del harness.fake.unreachable["C0DECIDED"]  # the bot was invited to the channel
    harness.sweep(MONDAY + timedelta(hours=1))
    [notice] = notices(harness)
    assert notice.args["channel"] == "C0DECIDED"
    assert rows(harness, ids)[ids[0]].notified_at is not None


def test_the_next_group_is_told_when_every_escalate_to_user_is_unreachable(harness: Harness) -> None:
    harness.reconfigure(ESCALATE_TO="U0ESCALATE")
    harness.fake.unreachable.update({DEAD: "user_not_found", "U0ESCALATE": "account_inactive"})
    record(harness, DEAD, ["Omar Haddad"], due=MONDAY)
    harness.sweep(MONDAY)
    [notice] = notices(harness)
    assert notice.args["channel"] == ADMIN


def test_a_rate_limited_nudge_waits_for_retry_after_and_is_sent_once(harness: Harness) -> None:
    [fid] = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY)
    harness.fake.clear()
    harness.fake.rate_limit_next("chat.postMessage", retry_after=120)
    report = harness.sweep(MONDAY)
    assert (report.sent, report.failed) == (0, 1)
    assert rows(harness, [fid])[fid].due_at == MONDAY + timedelta(seconds=120)  # Retry-After, not the 30 s back-off
    assert harness.sweep(MONDAY + timedelta(seconds=60)).claimed == 0
    harness.pace_clock.now += 120  # the pacer's own (monotonic) clock passes Retry-After too
    assert harness.sweep(MONDAY + timedelta(seconds=121)).sent == 1
    assert harness.sweep(MONDAY + timedelta(seconds=200)).sent == 0
    assert len(posts_to(harness, MANAGER)) == 2  # the 429 and the one that went through
    with harness.deps.sessions.begin() as session:
        assert len(session.scalars(select(Nudge).where(Nudge.followup_id == fid)).all()) == 1


def test_a_429_holds_the_rest_of_the_workspaces_batch_without_losing_it(harness: Harness) -> None:
    ids = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY - timedelta(minutes=1))
    ids += record(harness, "U0SECOND", ["Lena Park", "Ana Lima"], due=MONDAY)
    harness.fake.clear()
    harness.fake.rate_limit_next("chat.postMessage", retry_after=300)
    report = harness.sweep(MONDAY)
    assert (report.failed, report.released, report.sent) == (1, 2, 0)
    assert len(harness.fake.calls_to("chat.postMessage")) == 1  # nothing else tried while Slack said wait
    harness.pace_clock.now += 300
    assert harness.sweep(MONDAY + timedelta(seconds=1)).sent == 2
    assert harness.sweep(MONDAY + timedelta(seconds=301)).sent == 1


def test_a_failing_manager_never_holds_up_another(harness: Harness) -> None:
    harness.fake.broken["U0FLAKY"] = 500
    flaky = record(harness, "U0FLAKY", [f"Person{i} Example" for i in range(5)], due=MONDAY - timedelta(hours=1))
    [steady] = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY)
    report = harness.sweep(MONDAY)
    assert report.sent == 1 and rows(harness, [steady])[steady].nudges_sent == 1
    assert (report.failed, report.released) == (1, 4)  # one of the flaky manager's tried; the rest wait their turn
    assert len(posts_to(harness, "U0FLAKY")) == 2  # that one (and the client's single retry of a 500)
    tried = rows(harness, flaky)[flaky[0]]
    assert (tried.failures, tried.last_error, tried.due_at) == (1, "internal_error", MONDAY + timedelta(seconds=30))
    del harness.fake.broken["U0FLAKY"]
    assert harness.sweep(MONDAY + timedelta(minutes=1)).sent == 5


def test_failures_in_a_row_double_the_wait_up_to_an_hour(harness: Harness) -> None:
    harness.fake.broken["U0FLAKY"] = 503
    [fid] = record(harness, "U0FLAKY", ["Omar Haddad"], due=MONDAY)
    at = MONDAY
    for delay in (30, 60, 120):
        assert harness.sweep(at).failed == 1
        at += timedelta(seconds=delay)
        assert rows(harness, [fid])[fid].due_at == at
        harness.pace_clock.now += delay  # the pacer's (monotonic) clock moves on with it
    with harness.deps.sessions.begin() as session:  # a long outage later
        session.get(Followup, fid).failures = 9  # type: ignore[union-attr]
    assert harness.sweep(at).failed == 1
    assert rows(harness, [fid])[fid].due_at == at + timedelta(hours=1)
    assert harness.sweep(at + timedelta(minutes=59)).claimed == 0


def test_a_timeout_is_put_off_and_the_nudge_is_looked_for_before_sending_again(harness: Harness) -> None:
    [fid] = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY)
    harness.fake.clear()
    release = harness.fake.hold_next("chat.postMessage")  # Slack takes it but the answer never comes in time
    client = harness.deps.sweep_client
    assert client is not None
    client.timeout = 1
    report = harness.sweep(MONDAY)
    release.set()
    assert report.failed == 1
    f = rows(harness, [fid])[fid]
    assert f.attempt_seq == 1 and f.due_at == MONDAY + timedelta(seconds=30)
    client.timeout = 10
    report = harness.sweep(MONDAY + timedelta(seconds=31))
    assert report.recovered == 1 and len(posts_to(harness, MANAGER)) == 1


@pytest.mark.parametrize(("failures", "retry_after", "seconds"), [
    (1, None, 30), (2, None, 60), (5, None, 480), (7, None, 1920), (8, None, 3600), (50, None, 3600),
    (1, 5.0, 30), (1, 120.0, 120), (9, 7200.0, 7200),
])
def test_backoff(failures: int, retry_after: float | None, seconds: int) -> None:
    assert delivery.backoff(failures, retry_after) == timedelta(seconds=seconds)


def test_retry_after_is_read_from_slacks_headers() -> None:
    assert delivery.retry_after_of({"Retry-After": "12"}) == 12
    assert delivery.retry_after_of({"retry-after": ["3"]}) == 3
    assert delivery.retry_after_of({}) == 1
    assert delivery.retry_after_of({"Retry-After": "soon"}) == 1


def test_a_batch_takes_at_most_per_manager_of_one_managers(harness: Harness) -> None:
    busy = record(harness, "U0BUSY", [f"Person{i:02d} Example" for i in range(30)], due=MONDAY - timedelta(hours=1))
    [other] = record(harness, MANAGER, ["Omar Haddad"], due=MONDAY)
    with harness.deps.sessions.begin() as session:
        claimed = repo.claim_due(session, now=MONDAY, claimer="r", lease=timedelta(seconds=60), limit=200,
                                 per_manager=sweep.PER_MANAGER)
    assert claimed == [*busy[:sweep.PER_MANAGER], other]
    with harness.deps.sessions.begin() as session:  # the next claim (another replica) takes the next ten
        claimed = repo.claim_due(session, now=MONDAY, claimer="s", lease=timedelta(seconds=60), limit=200,
                                 per_manager=sweep.PER_MANAGER)
    assert claimed == busy[sweep.PER_MANAGER:2 * sweep.PER_MANAGER]


def test_notice_stays_inside_block_kit_limits_however_many(harness: Harness) -> None:
    [fid] = record(harness, DEAD, ["X<&>" * 50], due=MONDAY, role="R" * 200)
    with harness.deps.sessions.begin() as session:
        items = [repo.get_followup(session, fid)] * 500
    message = blocks.unreachable_notice(DEAD, items, now=MONDAY, overdue_after=3)
    assert len(message["blocks"]) <= 50 and message["text"]
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])
    assert "X&lt;&amp;&gt;" in json.dumps(message["blocks"]) and "X<&>" not in json.dumps(message["blocks"])
    for block in message["blocks"]:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
