"""Performance of Persona Grata (issue 7): one command, one table.

Run from the repository root:

    .venv/bin/python benchmarks/bench.py                    # full size, SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench.py --size tiny        # seconds: checks that everything runs
    .venv/bin/python benchmarks/bench.py --only ack,sweep   # some sections: ack, record, sweep, digest, memory
    .venv/bin/python benchmarks/bench.py --postgres postgresql://postgres@127.0.0.1:5432/test   # or --no-postgres

Sections:
1. ack: signed `/interview-round help` commands and decision messages, over HTTP at concurrency 8 and 32,
   against the real `persona-grata serve` and a bare Bolt app (its only listeners ack) served by the same
   gunicorn configuration (bot.server.HttpServer), in interleaved rounds, in the same run.
2. record: decision messages end to end through `serve`: acked, recorded, thread reply posted.
3. sweep: due follow-ups swept by the real `sweep.sweep` against the fake Slack (answering at once); time
   inside the Web API calls is measured around `WebClient.api_call` and subtracted: what is left is the
   bot's own cost per nudge. Repeated at 1,000, 10,000 and 100,000 rows in the table.
4. digest: `digests.digest_message` and `followups.publish_home` (a stub client takes the view) with
   10,000 open and 100,000 closed follow-ups.
5. memory: peak RSS of the `serve` worker process with 10,000 and 100,000 follow-ups, idle and sweeping.

All load goes to 127.0.0.1 only, every request is signed, every run is bounded in count and in time.
PostgreSQL runs use a schema of their own, dropped afterwards. Nothing here asserts timings: the table
says met or missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import json
import logging
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy import update as sql_update  # noqa: E402

from benchmarks import load  # noqa: E402
from benchmarks.dataset import FIRST, HEAVY_MANAGER, LAST, ROLES, TEAM_ID, Shape  # noqa: E402
from benchmarks.dataset import load as load_rows  # noqa: E402
from bot.config import VARIABLES, load_settings  # noqa: E402
from bot.deps import Deps, make_client  # noqa: E402
from bot.followups import actions as followups  # noqa: E402
from bot.followups import digests, sweep  # noqa: E402
from storage.db import make_engine, make_sessions, upgrade  # noqa: E402
from storage.models import Followup  # noqa: E402

SECRET = "bench-signing-secret"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SECTIONS = ("ack", "record", "sweep", "digest", "memory")
# A Monday, 10:00 UTC: inside working hours for every manager time zone in the dataset.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MB = 1024 * 1024


@dataclass(frozen=True)
class Size:
    ack_rounds: int
    ack_requests: int  # per (app, request kind, concurrency) in each round
    ack_time_limit: float
    record_messages: int
    sweep_growth: tuple[tuple[str, Shape], ...]  # (label, table)
    sweep_headline: tuple[str, Shape]
    digest_shape: Shape
    digest_runs: int
    memory_tables: tuple[int, ...]
    memory_idle_s: float
    memory_sweep_s: float


SIZES = {
    "tiny": Size(
        ack_rounds=1, ack_requests=16, ack_time_limit=5, record_messages=10,
        sweep_growth=(("100 rows", Shape(due=50, later=10, closed=40, managers=5)),
                      ("1,000 rows", Shape(due=50, later=100, closed=850, managers=5))),
        sweep_headline=("1,000 rows", Shape(due=100, later=0, closed=900, managers=5)),
        digest_shape=Shape(later=100, closed=1000, managers=5), digest_runs=3,
        memory_tables=(1000,), memory_idle_s=1.0, memory_sweep_s=2.0,
    ),
    "full": Size(
        ack_rounds=6, ack_requests=1000, ack_time_limit=30, record_messages=1000,
        sweep_growth=(("1,000 rows", Shape(due=1000, later=0, closed=0)),
                      ("10,000 rows", Shape(due=1000, later=1000, closed=8000)),
                      ("100,000 rows", Shape(due=1000, later=9000, closed=90000))),
        sweep_headline=("100,000 rows", Shape(due=10000, later=0, closed=90000)),
        digest_shape=Shape(later=10000, closed=100000), digest_runs=15,
        memory_tables=(10_000, 100_000), memory_idle_s=5.0, memory_sweep_s=30.0,
    ),
}


# --- the table ------------------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    measurement: str
    db: str
    value: str
    target: str
    verdict: str  # met | missed | — (no target)


ROWS: list[Row] = []
NOTES: list[str] = []


def row(section: str, measurement: str, db: str, value: str, target: str = "", met: bool | None = None) -> None:
    verdict = "—" if met is None else ("met" if met else "**missed**")
    ROWS.append(Row(section, measurement, db, value, target or "—", verdict))
    print(f"  {section} | {measurement} | {db} | {value} | {verdict}", file=sys.stderr, flush=True)


def print_table() -> None:
    print("| # | measurement | db | measured | target | result |")
    print("|---|---|---|---|---|---|")
    for r in ROWS:
        print(f"| {r.section} | {r.measurement} | {r.db} | {r.value} | {r.target} | {r.verdict} |")
    for note in NOTES:
        print(f"\n- {note}", end="")
    if NOTES:
        print()


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"Machine: {cpu}, {cores} cores available, {ram} RAM; Python {platform.python_version()} "
            f"({platform.system()} {platform.release()}); SQLite {sqlite3.sqlite_version}")


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A child process of ours, in its own session, working in the benchmark's work directory (not the
    repository, whose .env is the developer's); stopped by its process group id."""

    STARTED: ClassVar[list[Proc]] = []

    def __init__(self, args: list[str], env: dict[str, str], log: Path, *, stdout_pipe: bool = False) -> None:
        self.log = log
        self._log_file = open(log, "ab")  # closed in stop()
        self.popen = subprocess.Popen(
            args, env=env, cwd=log.parent, stdout=subprocess.PIPE if stdout_pipe else self._log_file,
            stderr=self._log_file, start_new_session=True,
        )
        Proc.STARTED.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(10)
        if self.popen.stdout:
            self.popen.stdout.close()
        self._log_file.close()
        if self in Proc.STARTED:
            Proc.STARTED.remove(self)

    @classmethod
    def stop_all(cls, keep: Proc | None = None) -> None:
        for proc in list(cls.STARTED):
            if proc is not keep:
                proc.stop()


def child_env(**extra: str) -> dict[str, str]:
    """What a process of ours runs with: none of the bot's settings from the shell (bot.config.VARIABLES),
    and no .env read (python-dotenv's PYTHON_DOTENV_DISABLED), whatever the working directory holds; only
    `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHON_DOTENV_DISABLED"] = "1"
    env.update(extra)
    return env


class FakeSlackProcess:
    def __init__(self, workdir: Path) -> None:
        self.proc = Proc([sys.executable, str(ROOT / "benchmarks" / "fake_slack_server.py")], child_env(),
                         workdir / "fake_slack.log", stdout_pipe=True)
        assert self.proc.popen.stdout is not None
        self.url = self.proc.popen.stdout.readline().decode().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake Slack did not start: {self.proc.log.read_text()[-2000:]}")

    def counts(self) -> dict[str, int]:
        request = urllib.request.Request(self.url + "bench.stats", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read())["counts"])

    def count(self, method: str) -> int:
        return self.counts().get(method, 0)

    def wait_count(self, method: str, target: int, timeout: float, stall: float = 10.0) -> float | None:
        """Poll until `method` was called `target` times in all; the moment it was reached, or None after
        `timeout`, or after `stall` seconds without a new call."""
        deadline = time.perf_counter() + timeout
        last, last_change = -1, time.perf_counter()
        while time.perf_counter() < deadline:
            seen = self.count(method)
            if seen >= target:
                return time.perf_counter()
            if seen != last:
                last, last_change = seen, time.perf_counter()
            elif time.perf_counter() - last_change > stall:
                return None
            time.sleep(0.02)
        return None

    def response_url(self) -> str:
        return self.url.replace("/api/", "/respond/r1")


def http_get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_healthy(proc: Proc, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"server exited ({proc.popen.returncode}):\n{proc.log.read_text()[-3000:]}")
        try:
            if http_get(port, "/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{proc.log.read_text()[-3000:]}")


def serve_executable() -> list[str]:
    script = Path(sys.executable).with_name("persona-grata")
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "bot.cli", "serve"]


def start_serve(ctx: Context, db_url: str, log_name: str, **env: str) -> tuple[Proc, int]:
    port = free_port()
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": ctx.fake.url,
        "DATABASE_URL": db_url, "PORT": str(port), "LOG_LEVEL": "INFO", "SWEEP_INTERVAL": "60s",
    }
    settings.update(env)
    proc = Proc(serve_executable(), child_env(**settings), ctx.workdir / log_name)
    wait_healthy(proc, port)
    return proc, port


def start_bare(ctx: Context) -> tuple[Proc, int]:
    port = free_port()
    proc = Proc([sys.executable, str(ROOT / "benchmarks" / "bare_server.py")],
                child_env(PORT=str(port), SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=ctx.fake.url, LOG_LEVEL="INFO"),
                ctx.workdir / "bare.log")
    wait_healthy(proc, port)
    return proc, port


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(p) for p in (task / "children").read_text().split())
    except OSError:
        pass
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- databases ------------------------------------------------------------------------------------


class Context:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.size: Size = SIZES[args.size]
        self.workdir = workdir
        self.fake = FakeSlackProcess(workdir)
        self.postgres: str | None = None if args.no_postgres else args.postgres
        self.schemas: list[str] = []
        self._admin: Engine | None = None
        self._counter = itertools.count(1)
        if self.postgres:
            try:
                self._admin = make_engine(self.postgres)
                with self._admin.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar()
                NOTES.append(f"PostgreSQL {version} at {self._safe(self.postgres)} (a schema of its own per run).")
            except Exception as error:
                NOTES.append(f"PostgreSQL at {self._safe(self.postgres)} unreachable ({type(error).__name__}): "
                             "SQLite only.")
                self.postgres = None

    @staticmethod
    def _safe(url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)

    @property
    def databases(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.postgres else ["sqlite"]

    def fresh_db(self, kind: str) -> str:
        """A new, migrated, empty database: a SQLite file, or a PostgreSQL schema of its own."""
        n = next(self._counter)
        if kind == "sqlite":
            url = f"sqlite:///{self.workdir / f'bench{n}.db'}"
        else:
            assert self.postgres and self._admin is not None
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with self._admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            self.schemas.append(schema)
            separator = "&" if "?" in self.postgres else "?"
            url = f"{self.postgres}{separator}options={quote(f'-csearch_path={schema}')}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url

    def close(self) -> None:
        Proc.stop_all()
        if self._admin is not None:
            for schema in self.schemas:
                try:
                    with self._admin.begin() as connection:
                        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                except Exception as error:  # report, keep cleaning up
                    print(f"could not drop schema {schema}: {error}", file=sys.stderr)
            self._admin.dispose()


@contextmanager
def populated(ctx: Context, kind: str, shape: Shape, *, now: datetime, tz_checked_at: datetime | None = None
              ) -> Iterator[tuple[str, Engine]]:
    url = ctx.fresh_db(kind)
    engine = make_engine(url)
    began = time.perf_counter()
    load_rows(engine, shape, now=now, tz_checked_at=tz_checked_at)
    print(f"  (loaded {shape.total:,} follow-ups on {kind} in {time.perf_counter() - began:.1f}s)",
          file=sys.stderr, flush=True)
    try:
        yield url, engine
    finally:
        engine.dispose()


# --- what Slack sends -----------------------------------------------------------------------------

_message_seq = itertools.count(1)


def decision_request() -> load.Request:
    n = next(_message_seq)
    role = ROLES[n % len(ROLES)]
    hired = f"{FIRST[n % 10]} {LAST[(n + 3) % 10]}"
    first = f"{FIRST[(n + 1) % 10]} {LAST[(n + 5) % 10]}"
    second = f"{FIRST[(n + 2) % 10]} {LAST[(n + 7) % 10]}"
    ts = f"{1_800_000_000 + n}.000100"
    event = {
        "type": "message", "channel": "C0HIRING", "user": f"U0M{n % 8 + 1:04d}", "channel_type": "channel",
        "text": f"Decision for {role}: we're making an offer to {hired}. Not moving forward with {first} and {second}.",
        "ts": ts, "event_ts": ts, "team": TEAM_ID,
    }
    envelope = {
        "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
        "event_id": f"EvBench{n:09d}", "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}], "event": event,
    }
    return load.Request(json.dumps(envelope), "application/json")


def help_request(ctx: Context) -> load.Request:
    form = {
        "token": "legacy", "team_id": TEAM_ID, "team_domain": "example", "channel_id": "C0HIRING",
        "channel_name": "hiring", "user_id": "U0M0001", "user_name": "manager", "command": "/interview-round",
        "text": "help", "api_app_id": "A0APP", "is_enterprise_install": "false",
        "response_url": ctx.fake.response_url(), "trigger_id": "1.2.3",
    }
    return load.Request(urlencode(form), "application/x-www-form-urlencoded")


def requests_for(ctx: Context, kind: str, count: int) -> list[load.Request]:
    if kind == "help":
        return [help_request(ctx)] * count
    return [decision_request() for _ in range(count)]


# --- 1. acknowledgement ---------------------------------------------------------------------------


def bench_ack(ctx: Context) -> None:
    size = ctx.size
    db_url = ctx.fresh_db("sqlite")
    real, real_port = start_serve(ctx, db_url, "serve_ack.log")
    bare, bare_port = start_bare(ctx)
    ports = {"real": real_port, "bare": bare_port}
    kinds = {"help": "`/interview-round help`", "decision": "decision message"}
    replies = ctx.fake.count("chat.postMessage")

    def settle(sent: int) -> None:
        """Wait for the real app's listeners to finish (thread replies posted) so that no background work
        of one round runs into the next, nor into the bare app's turn."""
        nonlocal replies
        replies += sent
        if ctx.fake.wait_count("chat.postMessage", replies, timeout=120) is None:
            NOTES.append(f"ack: the real app posted {ctx.fake.count('chat.postMessage') - replies + sent} of {sent} "
                         "thread replies of a round (see the serve log); the rest were given up on.")
            replies = ctx.fake.count("chat.postMessage")

    # warm up both servers on both kinds of request
    for app in ("real", "bare"):
        for kind in kinds:
            result = load.run(ports[app], requests_for(ctx, kind, 32), concurrency=8, secret=SECRET, time_limit=30)
            if app == "real" and kind == "decision":
                settle(result.sent)
    results: dict[tuple[str, str, int], load.Result] = {}
    round_ratios: dict[tuple[str, int], list[float]] = {}
    for round_number in range(size.ack_rounds):
        for kind in kinds:
            for concurrency in (8, 32):
                order = ("bare", "real") if (round_number + concurrency // 32) % 2 == 0 else ("real", "bare")
                this_round: dict[str, float] = {}
                for app in order:
                    result = load.run(ports[app], requests_for(ctx, kind, size.ack_requests),
                                      concurrency=concurrency, secret=SECRET, time_limit=size.ack_time_limit)
                    results.setdefault((app, kind, concurrency), load.Result()).extend(result)
                    this_round[app] = result.throughput
                    if app == "real" and kind == "decision":
                        settle(result.sent)
                if this_round["bare"]:
                    round_ratios.setdefault((kind, concurrency), []).append(this_round["real"] / this_round["bare"])
    for kind, label in kinds.items():
        for concurrency in (8, 32):
            r, b = results[("real", kind, concurrency)], results[("bare", kind, concurrency)]
            ratio = r.throughput / b.throughput if b.throughput else 0.0
            p99 = r.percentile(99)
            errors = f"; {r.errors + b.errors} errors" if r.errors or b.errors else ""
            ratios = round_ratios.get((kind, concurrency)) or [ratio]
            value = (f"{r.throughput:,.0f} req/s, p50 {fmt_ms(r.percentile(50))}, p99 {fmt_ms(p99)} "
                     f"(bare: {b.throughput:,.0f} req/s, p50 {fmt_ms(b.percentile(50))}, "
                     f"p99 {fmt_ms(b.percentile(99))}); ratio {ratio:.2f} "
                     f"(rounds {min(ratios):.2f}–{max(ratios):.2f}){errors}")
            if concurrency == 8:
                target, met = "≥ 0.8× bare; p99 < 100 ms", ratio >= 0.8 and p99 < 0.1 and not r.errors
            else:
                target, met = "≥ 0.8× bare", ratio >= 0.8 and not r.errors
            row("1 ack", f"{label}, concurrency {concurrency} ({r.sent} req)", "sqlite", value, target, met)
    real.stop()
    bare.stop()
    NOTES.append(f"ack: {size.ack_rounds} interleaved rounds of {size.ack_requests} requests per app, kind and "
                 "concurrency; the ratio is of the pooled throughputs, the rounds' own ratios in brackets. Real "
                 "app and bare app each run by gunicorn with bot.server.HttpServer's settings (1 gthread worker, "
                 "8 threads); keep-alive client connections; the real app's processing (the inbox) is let "
                 "finish between rounds.")


# --- 2. recording ---------------------------------------------------------------------------------


def bench_record(ctx: Context, kind: str) -> None:
    count = ctx.size.record_messages
    db_url = ctx.fresh_db(kind)
    proc, port = start_serve(ctx, db_url, f"serve_record_{kind}.log")
    requests = [decision_request() for _ in range(count)]
    base = ctx.fake.count("chat.postMessage")
    began = time.perf_counter()
    result = load.run(port, requests, concurrency=8, secret=SECRET, time_limit=120)
    acked = time.perf_counter()
    done = ctx.fake.wait_count("chat.postMessage", base + count, timeout=180)
    engine = make_engine(db_url)
    recorded = 0
    for _ in range(50):  # the reply's ts is saved just after the post
        with engine.connect() as connection:
            recorded = int(connection.execute(
                text("SELECT count(*) FROM decisions WHERE reply_ts IS NOT NULL")).scalar() or 0)
        if recorded >= count:
            break
        time.sleep(0.1)
    engine.dispose()
    proc.stop()
    if done is None or recorded < count or result.errors:
        row("2 record", f"{count:,} decision messages end to end", kind,
            f"incomplete: {result.sent} sent, {result.errors} errors, {recorded} recorded with a reply", "", False)
        return
    elapsed = done - began
    row("2 record", f"{count:,} decision messages end to end", kind,
        f"{count / elapsed:,.0f} decisions/s ({elapsed:.1f} s; all acked after {acked - began:.1f} s, "
        f"ack p99 {fmt_ms(result.percentile(99))})")


# --- 3. sweep -------------------------------------------------------------------------------------


class ApiTimer:
    """Wraps a WebClient's api_call (every Web API method goes through it) and adds up its time."""

    def __init__(self, client: Any) -> None:
        self.seconds = 0.0
        self.calls = 0
        inner = client.api_call

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began
                self.calls += 1

        client.api_call = timed


def sweep_deps(ctx: Context, db_url: str, engine: Engine) -> tuple[Deps, ApiTimer]:
    settings = load_settings({
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": ctx.fake.url,
        "DATABASE_URL": db_url,
    })
    client = make_client(settings)
    timer = ApiTimer(client)
    extra: dict[str, Any] = {}
    if "pacer" in {f.name for f in dataclasses.fields(Deps)}:
        # The pacer spaces posts on purpose (Slack's rate limits): its waits are not the bot's overhead, so
        # it runs on a virtual clock here; its bookkeeping is still paid for.
        from bot.pacing import Pacer, VirtualClock

        clock = VirtualClock()
        extra["pacer"] = Pacer(clock=clock, sleep=clock.sleep)
    deps = Deps(settings=settings, sessions=make_sessions(engine), client=client, clock=lambda: MONDAY,
                replica_id="bench-sweep", team_id=TEAM_ID, **extra)
    return deps, timer


@dataclass
class SweepRun:
    sent: int
    other: int
    total: float
    api: float
    calls: int

    @property
    def own(self) -> float:
        return self.total - self.api

    @property
    def own_per_nudge(self) -> float:
        return self.own / self.sent if self.sent else float("nan")


def run_sweep(ctx: Context, kind: str, shape: Shape) -> SweepRun:
    with populated(ctx, kind, shape, now=MONDAY) as (url, engine):
        deps, timer = sweep_deps(ctx, url, engine)
        sent = other = 0
        gc.collect()
        began = time.perf_counter()
        deadline = began + 600
        while time.perf_counter() < deadline:
            report = sweep.sweep(deps, MONDAY)
            sent += report.sent
            other += report.deferred + report.failed + report.skipped
            if report.claimed == 0:
                break
        total = time.perf_counter() - began
        return SweepRun(sent=sent, other=other, total=total, api=timer.seconds, calls=timer.calls)


def bench_sweep(ctx: Context, kind: str) -> None:
    growth: list[tuple[str, SweepRun]] = []
    for label, shape in ctx.size.sweep_growth:
        run = run_sweep(ctx, kind, shape)
        growth.append((label, run))
        row("3 sweep", f"{run.sent:,} due of {label}: own cost per nudge", kind,
            f"{run.own_per_nudge * 1000:.2f} ms ({run.sent / run.own:,.0f} nudges/s own; "
            f"{run.sent / run.total:,.0f}/s wall, {run.api / run.calls * 1000:.2f} ms per API call)"
            + (f"; {run.other} not sent" if run.other or run.sent < shape.due else ""))
    label, shape = ctx.size.sweep_headline
    run = run_sweep(ctx, kind, shape)
    complete = run.sent == shape.due
    row("3 sweep", f"{shape.due:,} due of {label}: nudges per second of own overhead", kind,
        f"{run.sent / run.own:,.0f} nudges/s ({run.own_per_nudge * 1000:.2f} ms each; own {run.own:.1f} s + "
        f"Web API {run.api:.1f} s = {run.total:.1f} s for {run.sent:,} nudges, {run.calls:,} calls)"
        + ("" if complete else f"; only {run.sent} of {shape.due} sent"),
        "≥ 500 nudges/s", complete and run.sent / run.own >= 500)
    first, last = growth[0], growth[-1]
    ratio = last[1].own_per_nudge / first[1].own_per_nudge
    row("3 sweep", f"per-nudge cost, {first[0]} → {last[0]}", kind,
        " → ".join(f"{r.own_per_nudge * 1000:.2f}" for _, r in growth) + f" ms (× {ratio:.2f})",
        "flat (≤ 1.5×)", ratio <= 1.5)


# --- 4. digest and App Home -----------------------------------------------------------------------


class StubClient:
    """Takes what the App Home would publish, with no network in the way."""

    def __init__(self) -> None:
        self.views: list[dict] = []

    def views_publish(self, *, user_id: str, view: dict) -> dict:
        self.views.append(view)
        return {"ok": True}


def timed_runs(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm: first query plans, imports
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def digest_builder(deps: Deps, channel_id: str = "C0DIGEST") -> Callable[[], dict]:
    """A digest as the bot builds it (bot.followups.digests): in C0DIGEST
    (DIGEST_CHANNEL) everyone's; in C0HIRING that channel's own (every row of the data set belongs to it,
    so the channel filter keeps them all: its worst case)."""
    return lambda: digests.digest_message(deps, team_id=TEAM_ID, channel_id=channel_id, now=MONDAY)


def bench_digest(ctx: Context, kind: str) -> None:
    shape = ctx.size.digest_shape
    with populated(ctx, kind, shape, now=MONDAY) as (url, engine):
        settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                                  "DATABASE_URL": url, "DIGEST_CHANNEL": "C0DIGEST"})
        client = StubClient()
        deps = Deps(settings=settings, sessions=make_sessions(engine), client=client,  # type: ignore[arg-type]
                    clock=lambda: MONDAY, replica_id="bench-digest", team_id=TEAM_ID)
        runs = ctx.size.digest_runs
        tables = f"{shape.later:,} open, {shape.closed:,} closed"
        build = digest_builder(deps)
        digest = timed_runs(build, runs)
        blocks = len(build()["blocks"])
        median = statistics.median(digest)
        row("4 digest", f"channel digest ({tables})", kind,
            f"median {fmt_ms(median)}, max {fmt_ms(max(digest))} over {runs} builds ({blocks} blocks)",
            "< 200 ms", median < 0.2)
        own = digest_builder(deps, "C0HIRING")
        digest = timed_runs(own, runs)
        median = statistics.median(digest)
        row("4 digest", f"a channel's own digest, every row its own ({tables})", kind,
            f"median {fmt_ms(median)}, max {fmt_ms(max(digest))} over {runs} builds ({len(own()['blocks'])} blocks)",
            "< 200 ms", median < 0.2)
        heavy_open = round(shape.later * shape.heavy_share)
        heavy_closed = round(shape.closed * shape.heavy_share)
        home = timed_runs(lambda: followups.publish_home(deps, team_id=TEAM_ID, user_id=HEAVY_MANAGER, now=MONDAY),
                          runs)
        median = statistics.median(home)
        row("4 digest", f"App Home of the busiest manager ({heavy_open:,} open, {heavy_closed:,} closed)", kind,
            f"median {fmt_ms(median)}, max {fmt_ms(max(home))} over {runs} builds "
            f"({len(client.views[-1]['blocks'])} blocks)", "< 200 ms", median < 0.2)


# --- 5. memory ------------------------------------------------------------------------------------


def sample_rss(pid: int, seconds: float, until: Callable[[], bool] = lambda: False) -> int:
    """Highest VmRSS (kB) of `pid` seen over `seconds`, sampled every 50 ms."""
    peak = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, status_kb(pid, "VmRSS"))
        if until():
            break
        time.sleep(0.05)
    return max(peak, status_kb(pid, "VmRSS"))


def bench_memory(ctx: Context, kind: str) -> None:
    size = ctx.size
    peaks: dict[int, tuple[int, int]] = {}
    for total in size.memory_tables:
        now = datetime.now(UTC)
        shape = Shape(due=0, later=total // 10, closed=total - total // 10)
        with populated(ctx, kind, shape, now=now, tz_checked_at=now) as (url, engine):
            proc, _port = start_serve(ctx, url, f"serve_memory_{kind}_{total}.log",
                                      SWEEP_INTERVAL="1s", WORK_HOURS="off")
            workers = children(proc.pid)
            if len(workers) != 1:
                time.sleep(1)
                workers = children(proc.pid)
            worker = workers[0]
            time.sleep(1.0)  # the first (empty) sweeps have run
            idle = sample_rss(worker, size.memory_idle_s)
            base = ctx.fake.count("chat.postMessage")
            with engine.begin() as connection:  # everything open becomes due: the next tick sweeps it
                connection.execute(sql_update(Followup).where(Followup.status == "open")
                                   .values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
            began = time.perf_counter()
            target = base + shape.later
            sweeping = sample_rss(worker, size.memory_sweep_s,
                                  until=lambda target=target: ctx.fake.count("chat.postMessage") >= target)
            sent = ctx.fake.count("chat.postMessage") - base
            elapsed = time.perf_counter() - began
            hwm = status_kb(worker, "VmHWM")
            arbiter = status_kb(proc.pid, "VmRSS")
            proc.stop()
        peaks[total] = (idle, max(sweeping, hwm))
        row("5 memory", f"serve worker, {total:,} follow-ups, idle", kind, f"peak RSS {idle / 1024:.0f} MB "
            f"(gunicorn arbiter {arbiter / 1024:.0f} MB)", "< 150 MB", idle * 1024 < 150 * MB)
        row("5 memory", f"serve worker, {total:,} follow-ups, during a sweep", kind,
            f"peak RSS {max(sweeping, hwm) / 1024:.0f} MB ({sent:,} nudges in {elapsed:.0f} s sampled)",
            "< 150 MB", max(sweeping, hwm) * 1024 < 150 * MB)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        growth = (peaks[large][1] - peaks[small][1]) / 1024
        row("5 memory", f"growth of the sweep peak, {small:,} → {large:,} follow-ups", kind, f"{growth:+.1f} MB",
            "not growing (≤ +10 MB)", growth <= 10)


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL (a schema of its own is created and dropped); default %(default)s")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (databases, server logs)")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = args.only.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="persona-grata-bench-"))
    # the bot's own log lines cost what they cost in production (INFO), but go to a file
    handler = logging.FileHandler(workdir / "bench_inprocess.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    began = time.perf_counter()
    ctx = Context(args, workdir)
    failed = False
    try:
        print(f"benchmarking ({args.size}) in {workdir} ...", file=sys.stderr, flush=True)
        sections: list[tuple[str, Callable[[], None]]] = []
        if "ack" in only:
            sections.append(("ack", lambda: bench_ack(ctx)))
        for name, fn in (("record", bench_record), ("sweep", bench_sweep), ("digest", bench_digest),
                         ("memory", bench_memory)):
            if name in only:
                for kind in ctx.databases:
                    sections.append((f"{name} ({kind})", lambda fn=fn, kind=kind: fn(ctx, kind)))
        for name, run in sections:
            print(f"- {name}", file=sys.stderr, flush=True)
            try:
                run()
            except Exception as error:  # one section failing must not hide the others' numbers
                failed = True
                message = " ".join(f"{type(error).__name__}: {error}".split()).replace("|", "/")
                ROWS.append(Row(name, "failed to run (see the work directory's logs)", "", message[:300], "—",
                                "**error**"))
                print(f"  {name} failed: {message[:300]}", file=sys.stderr, flush=True)
                logging.getLogger("bench").exception("section %s failed", name)
                Proc.stop_all(keep=ctx.fake.proc)
    finally:
        ctx.close()
        if args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n## Persona Grata benchmarks ({args.size})\n")
    print(machine() + "\n")
    print_table()
    print(f"\nTotal time {time.perf_counter() - began:.0f} s.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
