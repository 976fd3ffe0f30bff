"""Bulk-loading follow-ups straight into the schema with SQLAlchemy core, for the benchmarks.

Rows look like what the bot records (a round per five candidates, not-selected candidates with a stage,
some strengths and emails, a nudge row for each nudge already sent) but go in as a few large
executemany inserts, so 100,000 follow-ups take seconds, not the hours the Slack flow would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from storage.models import Candidate, Followup, Manager, Nudge, Round

TEAM_ID = "T0TEAM"  # tests/fake_slack.py's team: auth.test answers with it
HEAVY_MANAGER = "U0HEAVY"
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Africa/Lagos", "Europe/Lisbon")
ROLES = ("Staff Data Engineer", "Product Designer", "Backend Engineer", "Account Executive", "Data Analyst")
FIRST = ("Dana", "Omar", "Lena", "Priya", "Jonas", "Aiko", "Mateo", "Chloe", "Kwame", "Sofia")
LAST = ("Whitfield", "Haddad", "Park", "Raman", "Berg", "Tanaka", "Silva", "Martin", "Mensah", "Rossi")
STAGES = ("phone screen", "onsite", "final round", "take-home", None)
CHUNK = 10_000


@dataclass(frozen=True)
class Shape:
    """How many follow-ups of each kind; `heavy_share` of each kind belongs to HEAVY_MANAGER."""

    due: int = 0  # open, due now
    later: int = 0  # open, due in the future
    closed: int = 0  # contacted or skipped, with a nudge already sent
    managers: int = 50
    heavy_share: float = 0.2

    @property
    def total(self) -> int:
        return self.due + self.later + self.closed


def manager_ids(shape: Shape) -> list[str]:
    return [HEAVY_MANAGER] + [f"U0M{i:04d}" for i in range(1, shape.managers)]


def _manager(shape: Shape, i: int, ids: list[str]) -> str:
    # every 1/heavy_share-th row belongs to the heavy manager, the rest round-robin over the others
    if shape.heavy_share > 0 and i % round(1 / shape.heavy_share) == 0:
        return ids[0]
    return ids[1 + i % (len(ids) - 1)] if len(ids) > 1 else ids[0]


def load(engine: Engine, shape: Shape, *, now: datetime, tz_checked_at: datetime | None = None) -> None:
    """Insert `shape` into an empty, migrated database. Managers' time zones are cached (checked at
    `tz_checked_at`, default `now`), so a sweep does not call users.info per nudge."""
    ids = manager_ids(shape)
    checked = tz_checked_at or now
    kinds = ["due"] * shape.due + ["later"] * shape.later + ["closed"] * shape.closed
    # interleave the kinds so that ids, dates and managers of each kind are spread over the table
    order = sorted(range(len(kinds)), key=lambda i: (i * 7919) % len(kinds)) if kinds else []
    with engine.begin() as connection:
        connection.execute(
            Manager.__table__.insert(),
            [{"team_id": TEAM_ID, "user_id": user, "tz": ZONES[n % len(ZONES)], "display_name": f"Manager {n}",
              "checked_at": checked, "tone": None} for n, user in enumerate(ids)],
        )
    rounds: list[dict] = []
    candidates: list[dict] = []
    followups: list[dict] = []
    nudges: list[dict] = []

    def flush() -> None:
        with engine.begin() as connection:
            for table, rows in ((Round, rounds), (Candidate, candidates), (Followup, followups), (Nudge, nudges)):
                if rows:
                    connection.execute(table.__table__.insert(), rows)
                    rows.clear()

    nudge_id = 0
    for n, position in enumerate(order):
        kind = kinds[position]
        row_id = n + 1
        manager = _manager(shape, n, ids)
        decided = now - timedelta(days=2 + n % 60, minutes=n % 600)
        if n % 5 == 0:
            round_id = n // 5 + 1
            rounds.append({
                "id": round_id, "team_id": TEAM_ID, "role": ROLES[round_id % len(ROLES)],
                "role_key": ROLES[round_id % len(ROLES)].casefold(), "manager_id": manager, "channel_id": "C0HIRING",
                "source": "message", "source_ts": f"{1_600_000_000 + round_id}.000100", "created_by": manager,
                "created_at": decided - timedelta(days=3), "decided_at": decided,
            })
        name = f"{FIRST[n % 10]} {LAST[(n // 10) % 10]}"
        candidates.append({
            "id": row_id, "team_id": TEAM_ID, "round_id": n // 5 + 1, "name": name, "name_key": name.casefold(),
            "email": f"candidate{row_id}@example.com" if n % 3 == 0 else None, "stage": STAGES[n % len(STAGES)],
            "strengths": "clear thinking about data contracts" if n % 4 == 0 else None, "outcome": "not_selected",
            "decision_id": None, "added_by_decision": False, "decided_at": decided, "erased_at": None,
        })
        sent = 0 if kind == "later" else (1 if kind == "closed" else n % 2)
        closed_at = decided + timedelta(days=1 + n % 5) if kind == "closed" else None
        followups.append({
            "id": row_id, "team_id": TEAM_ID, "candidate_id": row_id, "manager_id": manager, "created_by": manager,
            "status": ("contacted" if n % 3 else "skipped") if kind == "closed" else "open",
            "decided_at": decided,
            "due_at": (now - timedelta(minutes=1 + n % 120) if kind == "due"
                       else now + timedelta(days=1 + n % 6) if kind == "later" else None),
            "nudges_sent": sent, "last_nudge_channel": f"D{manager[1:]}" if sent else None,
            "last_nudge_ts": f"{1_650_000_000 + row_id}.000100" if sent else None, "snoozed_until": None,
            "claimed_by": None, "claim_expires": None, "failures": 0, "last_error": None, "closed_at": closed_at,
            "closed_by": manager if closed_at else None,
            "skip_reason": "hired elsewhere" if kind == "closed" and n % 3 == 0 else None, "note": None,
            "created_at": decided, "decided_in": "C0HIRING", "logged_in": "C0HIRING",
        })
        for seq in range(1, sent + 1):
            nudge_id += 1
            nudges.append({"id": nudge_id, "followup_id": row_id, "seq": seq, "channel_id": f"D{manager[1:]}",
                           "ts": f"{1_650_000_000 + row_id}.000100", "sent_at": decided + timedelta(days=1)})
        if len(followups) >= CHUNK and n % 5 == 4:
            flush()
    flush()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("rounds", "candidates", "followups", "nudges"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                ))
            connection.execute(text("ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
