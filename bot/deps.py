"""What listeners and jobs are given: settings, a session factory, the Slack client, a clock."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import cast

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.pacing import Pacer
from bot.reader.model import ModelReader
from storage.db import make_read_sessions, make_sessions


def utc_now() -> datetime:
    """The clock, read once at the edge of each listener call or job run."""
    return datetime.now(UTC)


def default_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Directory:
    """The workspace's members by name, as users.list last gave them (bot.followups.people.member_named)."""

    fetched: dict[str, tuple[datetime, dict[str, list[str]]]] = field(default_factory=dict)  # team -> names
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: sessionmaker[Session]
    client: WebClient
    clock: Callable[[], datetime] = utc_now
    replica_id: str = field(default_factory=default_replica_id)
    team_id: str | None = None  # the workspace this bot token belongs to (auth.test), for scheduled jobs
    bot_id: str | None = None  # the bot's own ids (auth.test), to recognise its own messages
    bot_user_id: str | None = None
    pacer: Pacer = field(default_factory=Pacer)
    reads: sessionmaker[Session] | None = None  # read-only units of work (storage.db.make_read_sessions)
    stopping: threading.Event = field(default_factory=threading.Event)  # set on SIGTERM: take no new work
    # The same, on the engine that gives up on a lock quickly (storage.db.ACK_LOCK_WAIT): for the work done
    # before Slack is acknowledged. None: the work before the ack waits like any other.
    ack_path: Deps | None = None
    directory: Directory = field(default_factory=Directory)
    # The sweep's client (make_client(..., retry_rate_limits=False)): a 429 puts that follow-up off until
    # after Retry-After instead of holding the whole sweep in a sleep. None: the sweep uses `client`.
    sweep_client: WebClient | None = None
    # The second reader (DECISION_READER=model), built from the settings when not given; None: the rules alone.
    # Shared by every copy of these deps (dataclasses.replace passes it on), so its counters are the process's.
    model: ModelReader | None = None

    def __post_init__(self) -> None:
        if self.model is None:
            object.__setattr__(self, "model", ModelReader.configured(self.settings))


def before_ack(deps: Deps) -> Deps:
    """The deps for work done before Slack is acknowledged: it must answer within Slack's three seconds,
    so it gives up on a locked database (raising what storage.db.is_busy recognises) rather than wait."""
    return deps.ack_path or deps


def with_ack_path(deps: Deps, engine: Engine) -> Deps:
    """`deps`, with the work before the acknowledgement done on `engine` (made with a lock_wait)."""
    return replace(deps, ack_path=replace(deps, sessions=make_sessions(engine), reads=make_read_sessions(engine)))


def sweeping(deps: Deps) -> WebClient:
    """The Web API client for the sweep's posts and look-ups."""
    return deps.sweep_client or deps.client


def reading(deps: Deps) -> sessionmaker[Session]:
    """The session factory for a read-only unit of work."""
    return deps.reads or deps.sessions


def writer(deps: Deps) -> Engine:
    """The engine behind deps.sessions, for the few hot writes that go through Core (the sweep's, the
    inbox's)."""
    return cast(Engine, deps.sessions.kw["bind"])  # sessionmaker keeps its keywords untyped


def make_client(settings: Settings, *, timeout: int = 10, retry_rate_limits: bool = True) -> WebClient:
    """The bot's Web API client: honours SLACK_API_URL; retries 429 after Retry-After (unless told not to),
    5xx and resets once."""
    handlers: list[RetryHandler] = [ConnectionErrorRetryHandler(max_retry_count=1)]
    if retry_rate_limits:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=timeout,
                     retry_handlers=handlers)
