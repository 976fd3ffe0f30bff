"""Running the bot: one Runtime (engine, deps, app, scheduler) served over HTTP or Socket Mode.

HTTP mode is served by gunicorn (one gthread worker, several threads): `POST /slack/events` goes to
Bolt, `GET /healthz` reports the database and the scheduler. Socket Mode connects through
apps.connections.open on SLACK_API_URL. Either way, the BackgroundScheduler ticks the sweep.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Engine, text

from bot.app import create_app
from bot.config import Settings
from bot.deps import Deps, make_client
from bot.inbox import Inbox
from bot.scheduler import build_scheduler
from handlers import events
from storage.db import make_engine, make_read_sessions, make_sessions

logger = logging.getLogger(__name__)
HTTP_THREADS = 8
SOCKET_PING_INTERVAL = 5  # seconds; a connection silent for 4 intervals is replaced


@dataclass
class Runtime:
    engine: Engine
    deps: Deps
    app: App
    scheduler: BackgroundScheduler
    inbox: Inbox

    def start(self) -> None:
        self.scheduler.start()
        logger.info("scheduler started (sweep every %s)", self.deps.settings.sweep_interval)

    def stop(self) -> None:
        """Take no new work, let the running job hand back what it has not started, then stop."""
        self.deps.stopping.set()
        self.inbox.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.engine.dispose()
        logger.info("stopped")

    def health(self) -> tuple[bool, dict[str, str]]:
        report = {"database": "ok", "scheduler": "ok" if self.scheduler.running else "stopped"}
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means unhealthy; say which kind
            report["database"] = f"error: {type(error).__name__}"
        return all(v == "ok" for v in report.values()), report


def build_runtime(settings: Settings, *, auth: dict[str, Any]) -> Runtime:
    """Everything `serve` runs, on the identity auth.test reported (team, bot ids)."""
    engine = make_engine(settings.database_url)
    deps = Deps(settings=settings, sessions=make_sessions(engine), reads=make_read_sessions(engine),
                client=make_client(settings), team_id=auth.get("team_id"), bot_id=auth.get("bot_id"),
                bot_user_id=auth.get("user_id"), sweep_client=make_client(settings, retry_rate_limits=False))
    process = processor(deps)
    inbox = Inbox(deps, process)
    app = create_app(deps, inbox, token_verification_enabled=False)
    runtime = Runtime(engine=engine, deps=deps, app=app, scheduler=build_scheduler(deps, redeliver=process),
                      inbox=inbox)
    # What is built by now (modules, the app, the reader's rules) lives as long as the process: keep it
    # out of the collector's way, so that each collection under load only walks what requests made.
    gc.freeze()
    return runtime


def processor(deps: Deps) -> Callable[[dict[str, Any]], None]:
    """How a kept message event is processed, from the inbox or by the redelivery job."""
    is_own = events.own_checker(deps.bot_id, deps.bot_user_id)
    return lambda body: events.process(deps, body, is_own)


def wsgi_application(runtime: Runtime) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(runtime.app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy, report = runtime.health()
            body = json.dumps({"ok": healthy, **report}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        with runtime.inbox.activity.request():
            return slack(environ, start_response)

    return application


class HttpServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code: the runtime is built inside the worker, after fork."""

    def __init__(self, settings: Settings, auth: dict[str, Any]) -> None:
        self.settings = settings
        self.auth = auth
        self.runtime: Runtime | None = None
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": f"0.0.0.0:{self.settings.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": HTTP_THREADS,
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": self.settings.log_level.lower(),
            "proc_name": "persona-grata",
            "worker_exit": self._worker_exit,
        }
        if self.settings.log_format == "json":
            options["logconfig_dict"] = {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"json": {"()": "bot.cli.JsonFormatter"}},
                "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
                "loggers": {
                    "gunicorn.error": {"level": self.settings.log_level, "handlers": ["console"], "propagate": False},
                },
                "root": {"level": self.settings.log_level, "handlers": ["console"]},
            }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Iterable[bytes]]:
        self.runtime = build_runtime(self.settings, auth=self.auth)
        self.runtime.start()
        return wsgi_application(self.runtime)

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self.runtime is not None:
            self.runtime.stop()


def serve_http(settings: Settings, auth: dict[str, Any]) -> None:
    logger.info("serving HTTP on port %d: POST /slack/events, GET /healthz", settings.port)
    HttpServer(settings, auth).run()


def serve_socket_mode(settings: Settings, auth: dict[str, Any]) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    runtime = build_runtime(settings, auth=auth)
    web_client = WebClient(base_url=settings.slack_api_url, timeout=10)
    # slack_sdk's client pings every ping_interval and, with no pong for four of them, drops the
    # connection and opens a new one (apps.connections.open): the watchdog for a silent connection.
    activity = runtime.inbox.activity

    class Handler(SocketModeHandler):  # type: ignore[misc]
        def handle(self, client: Any, req: Any) -> None:  # counted, so the inbox waits for a quiet moment
            with activity.request():
                super().handle(client, req)

    handler = Handler(runtime.app, app_token=settings.slack_app_token, web_client=web_client,
                      ping_interval=SOCKET_PING_INTERVAL)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        logger.info("signal %d: shutting down", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runtime.start()
    handler.connect()
    logger.info("connected in Socket Mode")
    try:
        stopping.wait()
    finally:
        handler.close()
        runtime.stop()
