"""Engine, unit of work and migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every transaction starts
with BEGIN IMMEDIATE so that two writers queue instead of failing on a lock upgrade. PostgreSQL is
reached through psycopg 3 (`postgresql://` URLs are given that driver).

What runs before Slack is acknowledged (writing the inbox, a command's work) goes through an engine of
its own, `make_engine(url, lock_wait=ACK_LOCK_WAIT)`: it waits at most that long for a lock (SQLite: the
hand-over between this process's writers, then SQLite's busy timeout, half each; PostgreSQL:
lock_timeout and statement_timeout, and the pool's checkout), then raises, so that Slack hears 503 (it
sends the event again) or the user a message, inside Slack's three seconds. Jobs and the work after the
acknowledgement keep the patient engine.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITER_WAIT = 15.0  # seconds a writer waits for the in-process hand-over before relying on SQLite alone
ACK_LOCK_WAIT = 1.0  # seconds a write (or read) before the acknowledgement waits for a lock; a request may
# wait for the group commit before its own as well (bot.inbox), so it is answered within about 2 s
HEALTH_WAIT = 0.5  # seconds /healthz's write waits for a lock
HEALTH_DEADLINE = 0.9  # seconds /healthz waits for its write's outcome, whatever the database does


class DatabaseBusy(RuntimeError):
    """A lock could not be had within the wait allowed (the acknowledgement path's engine)."""


def is_busy(error: BaseException) -> bool:
    """Whether an error means "the database is locked or slow right now", not "it is broken": a lock or
    statement timeout on PostgreSQL, a busy SQLite file, a pool with no connection free."""
    if isinstance(error, DatabaseBusy | PoolTimeout):
        return True
    original = getattr(error, "orig", None)
    if original is None:
        return False
    if isinstance(original, sqlite3.OperationalError):
        return "locked" in str(original) or "busy" in str(original)
    return type(original).__name__ in ("LockNotAvailable", "QueryCanceled")


def normalise_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg 3 driver unless another was named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, lock_wait: float | None = None, **kwargs: Any) -> Engine:
    """An engine whose errors never echo bound parameters (candidate names) into logs.

    `lock_wait`: the acknowledgement path's engine, which gives up on a lock after that many seconds
    (raising an error `is_busy` recognises) instead of waiting as long as the database lets it."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if lock_wait is not None and "poolclass" not in kwargs:
        kwargs.setdefault("pool_timeout", lock_wait)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, lock_wait)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if lock_wait is not None:
        _configure_lock_wait(engine, lock_wait)
    return engine


def _configure_lock_wait(engine: Engine, lock_wait: float) -> None:
    """PostgreSQL: every statement on this engine's connections gives up on a lock after `lock_wait`, and
    runs for at most that long. Set once per connection, not per transaction: no round trip added."""
    milliseconds = max(1, int(lock_wait * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {milliseconds}")
            cursor.execute(f"SET statement_timeout = {milliseconds}")
        dbapi_connection.autocommit = autocommit


_WRITERS: dict[str, threading.Lock] = {}  # one per SQLite file: the engines of a process on one file share it
_WRITERS_GUARD = threading.Lock()


def _writers_of(database: str | None) -> threading.Lock:
    if database in (None, "", ":memory:"):
        return threading.Lock()  # a database of its own
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(str(database)), threading.Lock())


def _configure_sqlite(engine: Engine, lock_wait: float | None = None) -> None:
    # The acknowledgement path's engine splits its wait: half for this process's other writers, half
    # for SQLite's lock (another process's writer).
    busy_timeout_ms = SQLITE_BUSY_TIMEOUT_MS if lock_wait is None else max(1, int(lock_wait * 500))
    writer_wait = WRITER_WAIT if lock_wait is None else lock_wait / 2

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
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    # Writers queue for SQLite's write lock up front (BEGIN IMMEDIATE); readers (read_only sessions) never
    # wait for a writer in WAL. Within the process, writers also queue on a lock of our own (shared by
    # the engines on one file): a thread waiting on it wakes as soon as the writer before it is done,
    # where SQLite's busy handler would sleep in steps of up to 100 ms (a second at the 99th percentile
    # under a burst of decisions).
    writers = _writers_of(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("read_only"):
            connection.exec_driver_sql("BEGIN")
            return
        # Bounded: should a holder ever vanish without commit or rollback, SQLite's own lock still keeps
        # writers apart; we only lose the quick hand-over. The acknowledgement path gives up instead.
        if writers.acquire(timeout=writer_wait):
            connection.info["holds_write_lock"] = True
        elif lock_wait is not None:
            raise DatabaseBusy(f"another writer of this process held the database for {writer_wait:g} s")
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


class WriteProbe:
    """Can the bot write now? For /healthz: a write it rolls back, answered within `deadline` seconds
    whatever holds or ails the database, with the cause when not.

    The write is the one the acknowledgement path makes first: a row into the inbox, on a connection of
    its own (no pool to queue for), waiting at most `wait` seconds for a lock, then rolled back. So a
    database that is locked answers "busy", one that refuses writes (PostgreSQL read-only: a standby, or
    default_transaction_read_only; a SQLite file opened read-only) "read-only", one that is unreachable or
    broken "error", and one that does not answer in time "no answer". One probe runs at a time; requests
    arriving meanwhile share its answer."""

    def __init__(self, engine: Engine, wait: float = HEALTH_WAIT, deadline: float = HEALTH_DEADLINE) -> None:
        self.url = engine.url
        self.wait = wait
        self.deadline = deadline
        self._engine: Engine | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._running: Future[str] | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._pool.submit(self._check)
            running = self._running
        try:
            return running.result(timeout=self.deadline)
        except FutureTimeout:
            return f"no answer: the database did not answer a write within {self.deadline:g} s"

    def _check(self) -> str:
        try:
            if self.url.get_backend_name() == "sqlite":
                self._sqlite()
            else:
                self._postgresql()
        except Exception as error:  # any failure means unhealthy; say which kind
            if is_busy(error) or (isinstance(error, sqlite3.OperationalError) and "locked" in str(error)):
                return f"busy: a writer could not start within {self.wait:g} s (the database is locked)"
            if is_read_only(error):
                return "read-only: the database refuses writes"
            return f"error: {type(error).__name__}"
        return "ok"

    def _sqlite(self) -> None:
        database = self.url.database
        if database in (None, "", ":memory:"):
            return
        if self.url.query.get("uri") in ("true", "1"):  # a URI of its own (mode=ro, say): as the app opens it
            query = "&".join(f"{k}={v}" for k, v in self.url.query.items() if k not in ("uri", "timeout"))
            target = f"{database}?{query}" if query else str(database)
        else:  # mode=rw: a missing file is an error, not a new one
            target = f"{Path(str(database)).resolve().as_uri()}?mode=rw"
        connection = sqlite3.connect(target, uri=True, timeout=self.wait, isolation_level=None,
                                     check_same_thread=False)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(*_probe_row("?"))
            finally:
                connection.execute("ROLLBACK")
        finally:
            connection.close()

    def _postgresql(self) -> None:
        if self._engine is None:
            connect_args = {} if "connect_timeout" in self.url.query else {"connect_timeout": 2}  # libpq's least
            self._engine = make_engine(self.url.render_as_string(hide_password=False), lock_wait=self.wait,
                                       poolclass=NullPool, pool_pre_ping=False, connect_args=connect_args)
        with self._engine.connect() as connection:
            try:
                connection.exec_driver_sql(*_probe_row("%s"))
            finally:
                connection.rollback()

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        if self._engine is not None:
            self._engine.dispose()


def _probe_row(mark: str) -> tuple[str, tuple[str, str, str, str]]:
    """The insert /healthz makes and rolls back: an inbox row nobody will ever see."""
    return (f"INSERT INTO inbox (event_id, team_id, body, received_at, attempts) VALUES ({mark}, {mark}, {mark}, "
            f"{mark}, 0)", (f"healthz-{uuid.uuid4().hex}", "", "{}", "1970-01-01 00:00:00+00:00"))


def is_read_only(error: BaseException) -> bool:
    """Whether an error means the database refuses writes: PostgreSQL's read_only_sql_transaction (a standby,
    default_transaction_read_only), SQLite's "attempt to write a readonly database"."""
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        return "readonly" in str(original)
    return getattr(original, "sqlstate", None) == "25006"


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
