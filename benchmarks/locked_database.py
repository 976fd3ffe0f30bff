"""How long the app takes to answer while another connection holds the database: a decision event (503,
so that Slack sends it again), `/interview-round` logging a round (acknowledged at once with "⏳ Logging …";
that nothing was saved is told through its response_url once the save gives up) and GET /healthz (503 with
the cause). Slack gives up on an answer after 3 seconds.

SQLite: another connection's BEGIN IMMEDIATE on the file. PostgreSQL (with --postgres URL): LOCK TABLE
inbox, rounds, candidates IN ACCESS EXCLUSIVE MODE from another connection, in a schema of its own.

    python benchmarks/locked_database.py [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from storage.db import make_engine, upgrade  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.harness import Harness  # noqa: E402

DECISION = "Staff Data Engineer: not moving forward with Omar Haddad or Lena Park."
ROUND = ("command=%2Finterview-round&text=QA%3A+Omar+Haddad&team_id=T0TEAM&user_id=U0M&channel_id=C0H&trigger_id=1"
         "&response_url=http%3A%2F%2F127.0.0.1%3A9%2Frespond")


def timed(label: str, call: Callable[[], Any]) -> None:
    started = time.perf_counter()
    result = call()
    print(f"  {label:<28} {time.perf_counter() - started:6.2f} s   {result}")


def measure(url: str, hold: Callable[[], Callable[[], None]]) -> None:
    fake = FakeSlack().start()
    h = Harness(db_url=url, fake=fake)
    h.runtime.scheduler.start(paused=True)
    release = hold()
    try:
        timed("decision event", lambda: h.message(DECISION, event_id=f"Ev{uuid.uuid4().hex[:8]}"))
        timed("/interview-round QA: …", lambda: h.signed(ROUND, "application/x-www-form-urlencoded")[0])
        timed("GET /healthz", lambda: h.http("GET", "/healthz")[0])
    finally:
        release()
        h.runtime.scheduler.shutdown(wait=False)
        h.close()
        fake.stop()


def sqlite() -> None:
    path = Path(tempfile.mkdtemp()) / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()

    def hold() -> Callable[[], None]:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return lambda: (holder.execute("ROLLBACK"), holder.close())  # type: ignore[func-returns-value]

    print("SQLite, another connection holding BEGIN IMMEDIATE:")
    measure(f"sqlite:///{path}", hold)


def postgres(base: str) -> None:
    schema = f"locked_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    engine = make_engine(url)
    upgrade(engine)

    def hold() -> Callable[[], None]:
        connection = engine.connect()
        connection.exec_driver_sql("LOCK TABLE inbox, rounds, candidates IN ACCESS EXCLUSIVE MODE")
        return lambda: (connection.rollback(), connection.close())  # type: ignore[func-returns-value]

    print("PostgreSQL, another connection holding LOCK TABLE ... IN ACCESS EXCLUSIVE MODE:")
    try:
        measure(url, hold)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure on as well")
    args = parser.parse_args()
    sqlite()
    if args.postgres:
        postgres(args.postgres)


if __name__ == "__main__":
    main()
