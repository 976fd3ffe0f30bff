"""The sweep's fast path (storage.sweep_store), its contract on SQLite and PostgreSQL alike: a claimed
follow-up is nobody else's until its lease runs out; an attempt is begun only while the claim holds; a
recorded nudge moves the follow-up to its next due time and frees it; a released one is due again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.deps import writer
from storage import sweep_store
from storage.db import SingleWrites
from storage.models import Followup, Nudge
from tests.harness import MONDAY, Harness

DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad and Lena Park."
DUE = MONDAY + timedelta(days=1)
LEASE = timedelta(minutes=1)


def claim(harness: Harness, claimer: str, now=DUE) -> list[int]:  # type: ignore[no-untyped-def]
    with harness.deps.sessions.begin() as session:
        return sweep_store.claim_due(session, now=now, claimer=claimer, lease=LEASE, limit=10)


def test_claim_attempt_record_release(harness: Harness) -> None:
    harness.message(DECISION)
    first, second = claim(harness, "a")
    assert claim(harness, "b") == []  # held by "a" until its lease runs out

    with SingleWrites(writer(harness.deps)) as writes, writes.one() as connection:
        assert sweep_store.begin_attempt(connection, first, claimer="a", seq=1, at=DUE, lease=LEASE)
    with SingleWrites(writer(harness.deps)) as writes, writes.one() as connection:
        assert not sweep_store.begin_attempt(connection, first, claimer="b", seq=1, at=DUE, lease=LEASE)

    later = DUE + timedelta(days=3)
    with SingleWrites(writer(harness.deps)) as writes:
        sweep_store.record_nudge_alone(writes, first, seq=1, channel_id="D0A", ts="1.1", now=DUE, next_due=later)
    with harness.deps.sessions.begin() as session:
        sweep_store.release_claim(session, second, claimer="a")
        recorded = session.get(Followup, first)
        assert recorded is not None
        assert (recorded.nudges_sent, recorded.due_at, recorded.claimed_by) == (1, later, None)
        assert [(n.followup_id, n.seq) for n in session.scalars(select(Nudge))] == [(first, 1)]

    assert claim(harness, "b") == [second]  # released: due again at once; the recorded one is not due yet
    # Leases run out: both due again, earliest due first.
    assert claim(harness, "c", now=later + timedelta(minutes=5)) == [second, first]
