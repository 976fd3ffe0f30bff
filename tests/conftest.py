"""Test fixtures: one `db_url` over SQLite and PostgreSQL, the fake Slack, and a harness that drives
the real app with signed requests through its real WSGI entry point."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.config import VARIABLES
from storage.db import make_engine, upgrade
from tests.fake_slack import FakeSlack
from tests.harness import SIGNING_SECRET, Harness
from tests.serve_process import Serve, free_port

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = (
    "nudges", "followups", "candidates", "decisions", "rounds", "processed_events", "digest_runs",
    "digest_subscriptions", "managers", "workspaces", "inbox", "channel_managers", "outbox",
)


def pytest_configure(config: pytest.Config) -> None:
    """No process the tests start reads the working directory's .env (python-dotenv skips it when this is
    set): a developer's .env, made from .env.example by the README's first command, must not switch the
    tests' servers to Socket Mode or point them at another database."""
    os.environ["PYTHON_DOTENV_DISABLED"] = "1"


def clean_environ() -> dict[str, str]:
    """The environment without any of the bot's settings (bot.config.VARIABLES): what a test starts a
    process with before giving it its own."""
    return {k: v for k, v in os.environ.items() if k not in VARIABLES}


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or bool(os.environ.get("REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A schema of its own in the test database, so concurrent runs never meet; migrated once."""
    schema = f"pgt_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:
        admin.dispose()
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {type(error).__name__}: {error}"
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "persona_grata.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    try:
        _truncate(engine)
    finally:
        engine.dispose()
    return url


def _truncate(engine: Engine, tries: int = 5) -> None:
    """Empty every table. TRUNCATE's exclusive locks can meet autovacuum's (seen: "deadlock detected" waiting
    on a ShareUpdateExclusiveLock); PostgreSQL then aborts one side, which is safe to run again."""
    for attempt in range(tries):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            return
        except DBAPIError as error:
            if attempt == tries - 1 or getattr(error.orig, "sqlstate", None) not in ("40P01", "55P03"):
                raise


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def harness(db_url: str, fake_slack: FakeSlack) -> Iterator[Harness]:
    h = Harness(db_url=db_url, fake=fake_slack)
    yield h
    h.close()
    assert fake_slack.invalid == [], "the app sent messages or views Slack would refuse"


@pytest.fixture
def serve_env(db_url: str, fake_slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    env = clean_environ()
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": db_url, "PORT": str(free_port()), "NUDGE_SCHEDULE": "4s,1h", "SWEEP_INTERVAL": "1s",
        "WORK_HOURS": "off", "LOG_LEVEL": "INFO",
    })
    return env


@pytest.fixture
def servers(serve_env: dict[str, str], tmp_path: Path) -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.kill()
