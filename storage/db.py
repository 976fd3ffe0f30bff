"""Engine, unit of work and migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every transaction starts
with BEGIN IMMEDIATE so that two writers queue instead of failing on a lock upgrade. PostgreSQL is
reached through psycopg 3 (`postgresql://` URLs are given that driver).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITER_WAIT = 15.0  # seconds a writer waits for the in-process hand-over before relying on SQLite alone


def normalise_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg 3 driver unless another was named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine whose errors never echo bound parameters (candidate names) into logs."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL's recommended durability: a process crash loses nothing; only a power cut may lose the
            # last commits. Saves an fsync per commit (two per nudge).
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    # Writers queue for SQLite's write lock up front (BEGIN IMMEDIATE); readers (read_only sessions) never
    # wait for a writer in WAL. Within the process, writers also queue on a lock of our own: a thread
    # waiting on it wakes as soon as the writer before it is done, where SQLite's busy handler would
    # sleep in steps of up to 100 ms (a second at the 99th percentile under a burst of decisions).
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("read_only"):
            connection.exec_driver_sql("BEGIN")
            return
        # Bounded: should a holder ever vanish without commit or rollback, SQLite's own lock still keeps
        # writers apart; we only lose the quick hand-over.
        if writers.acquire(timeout=WRITER_WAIT):
            connection.info["holds_write_lock"] = True
        if options.get("one_statement"):
            return  # the driver autocommits: the statement is its own transaction
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _release(connection: Any) -> None:
        if connection.info.pop("holds_write_lock", False):
            writers.release()

    @event.listens_for(engine, "checkin")
    def _release_on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("holds_write_lock", False):
            writers.release()


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one write statement that is its own transaction: no BEGIN and COMMIT around
    it. On PostgreSQL that is one round trip instead of three; on SQLite, one call into the driver
    instead of three, and each call gives up the GIL, which costs more than the call when the
    process is busy (the acknowledgement path). More than one statement would not be atomic."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(one_statement=True)  # see _configure_sqlite
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT")
        with connection.begin():
            yield connection


class SingleWrites:
    """One-statement writes made one after another (the sweep's, for a batch). On PostgreSQL they share
    one autocommit connection, checked out (and pinged) once instead of once per write; on SQLite
    each is its own one_statement. Use it from one thread; close it when the run is over."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    @contextmanager
    def one(self) -> Iterator[Connection]:
        if self.engine.dialect.name != "postgresql":
            with one_statement(self.engine) as connection:
                yield connection
            return
        if self._connection is None or self._connection.invalidated:  # first use, or lost (a restart)
            self.close()
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with self._connection.begin():
            yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> SingleWrites:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory. The edge owns the unit of work: `with sessions.begin() as session:`."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-only units of work: on SQLite they don't take the write lock, so a read on the
    request path (is this event a retry?) never waits behind a writer."""
    return sessionmaker(engine.execution_options(read_only=True), expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every migration up to head (idempotent), on the given engine. Returns the revision the
    database was at before (None: an empty database) and the one it is at now."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.check(config)
