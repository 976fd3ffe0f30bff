"""Running the bot: one Runtime (engine, deps, app, scheduler) served over HTTP or Socket Mode.

HTTP mode is served by gunicorn (one gthread worker, several threads): `POST /slack/events` goes to
Bolt once its payload has the shape the app reads (bot.slack.payloads; else 400), `GET /healthz` reports the
database and the scheduler. Socket Mode connects through apps.connections.open on SLACK_API_URL, with the
same check on each envelope; with an ATS webhook configured, a small HTTP server beside it takes
`POST /ats/<vendor>` and `GET /healthz` on PORT. Either way, the BackgroundScheduler ticks the sweep.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from apscheduler.schedulers.background import BackgroundScheduler
from gunicorn.app.base import BaseApplication
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine

from bot.app import create_app
from bot.ats import vendors
from bot.config import Settings
from bot.deps import Deps, make_client, with_ack_path
from bot.inbox import Activity, Inbox
from bot.scheduler import build_scheduler
from bot.slack import payloads
from handlers import ats, events
from storage.db import ACK_LOCK_WAIT, WriteProbe, make_engine, make_read_sessions, make_sessions

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
    ack_engine: Engine | None = None  # the work before the acknowledgement (deps.ack_path)
    probe: WriteProbe | None = None  # /healthz: could a writer start now?

    def start(self) -> None:
        self.scheduler.start()
        logger.info("scheduler started (sweep every %s)", self.deps.settings.sweep_interval)

    def stop(self) -> None:
        """Take no new work, let the running job hand back what it has not started, then stop."""
        self.deps.stopping.set()
        self.inbox.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for engine in (self.engine, self.ack_engine):
            if engine is not None:
                engine.dispose()
        if self.probe is not None:
            self.probe.close()
        logger.info("stopped")

    def health(self) -> tuple[bool, dict[str, Any]]:
        """The database (could the acknowledgement path write now? answered within about a second, with
        the cause when not) and the scheduler; with the model reader, its counts (calls, tokens, fallbacks
        by cause), which say how it does but not whether the bot is healthy: the rules stand in for it."""
        if self.probe is None:
            self.probe = WriteProbe(self.engine)
        report: dict[str, Any] = {"database": self.probe(), "scheduler": "ok" if self.scheduler.running else "stopped"}
        healthy = all(v == "ok" for v in report.values())
        if report["database"] == "ok":  # a count, not a health: rows the inbox gave up on (`persona-grata inbox list`)
            report["inbox_given_up"] = self.inbox.given_up_count()
        if self.deps.model is not None:
            report["model_reader"] = self.deps.model.stats.summary()
        return healthy, report


def build_runtime(settings: Settings, *, auth: dict[str, Any]) -> Runtime:
    """Everything `serve` runs, on the identity auth.test reported (team, bot ids)."""
    engine = make_engine(settings.database_url)
    ack_engine = make_engine(settings.database_url, lock_wait=ACK_LOCK_WAIT)
    deps = with_ack_path(
        Deps(settings=settings, sessions=make_sessions(engine), reads=make_read_sessions(engine),
             client=make_client(settings), team_id=auth.get("team_id"), bot_id=auth.get("bot_id"),
             bot_user_id=auth.get("user_id"), sweep_client=make_client(settings, retry_rate_limits=False)),
        ack_engine,
    )
    process = processor(deps)
    inbox = Inbox(deps, process)
    app = create_app(deps, inbox, token_verification_enabled=False)
    runtime = Runtime(engine=engine, deps=deps, app=app, scheduler=build_scheduler(deps, inbox=inbox),
                      inbox=inbox, ack_engine=ack_engine)
    # What is built by now (modules, the app, the reader's rules) lives as long as the process: keep it
    # out of the collector's way, so that each collection under load only walks what requests made.
    gc.freeze()
    return runtime


def processor(deps: Deps) -> Callable[[dict[str, Any]], None]:
    """How a kept message event is processed, from the inbox or by the redelivery job."""
    is_own = events.own_checker(deps.bot_id, deps.bot_user_id)

    def process(body: dict[str, Any]) -> None:
        if body.get("ats"):  # an ATS webhook delivery (handlers/ats.py)
            ats.process(deps, body)
        else:
            events.process(deps, body, is_own)

    return process


class CheckedRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, with each request's shape checked before Bolt reads it (bot.slack.payloads).

    A signed request Bolt cannot read, or whose payload has the wrong shape, is answered 400 with a short
    reason and one log line, before anything runs; an unsigned or forged one 401, as Bolt answers it."""

    def __init__(self, app: App, signing_secret: str, path: str = "/slack/events") -> None:
        super().__init__(app, path=path)
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        environ = request.environ
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) if "wsgi.input" in environ else b""
        headers = request.get_headers()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self.refuse(raw, headers, "the body is not UTF-8")
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception:  # Bolt could not read it (not JSON, or JSON that is no object): say why
            return self.refuse(raw, headers, payloads.unreadable(body, _content_type(headers)))
        fields = payloads.misread_form(body, bolt_request.content_type)
        if fields is not None:  # a command whose text holds the word "payload": read it as the form it is
            bolt_request.body = fields
            bolt_request.context = build_context(BoltContext({}), fields)
        transport = payloads.http_transport(body, bolt_request.content_type, bolt_request.body)
        problem = payloads.problem(bolt_request.body, transport)
        if problem is not None:
            return self.refuse(raw, headers, problem)
        return self.app.dispatch(bolt_request)

    def refuse(self, raw: bytes, headers: dict[str, Any], problem: str) -> BoltResponse:
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        try:
            signed = self.verifier.is_valid(raw, str(timestamp), str(signature))
        except ValueError:  # a timestamp that is no number, a body that is not UTF-8: not Slack's
            signed = False
        if not signed:
            return BoltResponse(status=401, body={"error": "invalid request"})  # as Bolt answers it
        logger.warning("refused a malformed request from Slack (400): %s", problem)
        return BoltResponse(status=400, body=f"Bad request: {problem}",
                            headers={"content-type": "text/plain; charset=utf-8"})


def _content_type(headers: dict[str, Any]) -> str | None:
    value = headers.get("content-type")
    return str(value).split(";")[0].strip().lower() if value else None


def wsgi_application(runtime: Runtime) -> Callable[..., Iterable[bytes]]:
    slack = CheckedRequestHandler(runtime.app, runtime.deps.settings.slack_signing_secret, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy, report = runtime.health()
            body = json.dumps({"ok": healthy, **report}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if ats.is_ats_path(environ.get("PATH_INFO")):  # POST /ats/<vendor>: ATS webhooks
            with runtime.inbox.activity.request():
                status, answer = ats.receive(runtime.deps, runtime.inbox, environ)
            reply = answer.encode()
            start_response(f"{status} {HTTPStatus(status).phrase}",
                           [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(reply)))])
            return [reply]
        with runtime.inbox.activity.request():
            return slack(environ, start_response)

    return application


class HttpServer(BaseApplication):
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
                "filters": {"without_bodies": {"()": "bot.log_filters.WithoutBodies"}},
                "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                         "filters": ["without_bodies"]}},
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
    extra = ", POST /ats/<vendor>" if ats_configured(settings) else ""
    logger.info("serving HTTP on port %d: POST /slack/events%s, GET /healthz", settings.port, extra)
    HttpServer(settings, auth).run()


class SocketModeEdge(SocketModeHandler):
    """Bolt's Socket Mode handler, with each envelope's payload checked before Bolt (or slack_sdk) reads it
    (bot.slack.payloads): a malformed one is acknowledged, so that Slack does not send it again, and dropped
    with one log line. Requests are counted, so the inbox waits for a quiet moment."""

    def __init__(self, app: App, *, activity: Activity, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.activity = activity
        # The check goes in front of slack_sdk's own dispatch: an envelope whose payload is no object makes
        # SocketModeRequest.from_dict raise (a traceback, and no ack) before any handler is called.
        run_listeners = self.client.run_message_listeners

        def checked(message: dict[str, Any], raw_message: str) -> None:
            problem = payloads.envelope_problem(message)
            if problem is None:
                run_listeners(message, raw_message)
            else:
                self.drop(message, problem)

        # the client has no hook for this: the instance's method is replaced, which mypy refuses by default
        self.client.run_message_listeners = checked  # type: ignore[method-assign]

    def drop(self, envelope: dict[str, Any], problem: str) -> None:
        try:
            self.client.send_socket_mode_response(SocketModeResponse(envelope_id=str(envelope["envelope_id"])))
        except Exception as error:  # the connection went away: Slack sends it again, and it is dropped again
            problem += f" (not acknowledged: {type(error).__name__})"
        logger.warning("dropped a malformed Socket Mode envelope (%s): %s", envelope.get("type"), problem)

    def handle(self, client: Any, req: Any) -> None:
        with self.activity.request():
            super().handle(client, req)


def ats_configured(settings: Settings) -> bool:
    """Whether any ATS webhook is configured (bot.ats: each vendor's secret)."""
    return any(getattr(settings, vendor.SECRET, None) for vendor in vendors().values())


def side_application(runtime: Runtime) -> Callable[..., Iterable[bytes]]:
    """What the HTTP server beside Socket Mode serves: the ATS webhooks and /healthz; Slack's own requests
    come over the socket (404 here)."""
    full = wsgi_application(runtime)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz" or ats.is_ats_path(path):
            return full(environ, start_response)
        body = b"Not found: in Socket Mode this server only takes POST /ats/<vendor> and GET /healthz"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [body]

    return application


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: a request line is all it would say, and the logs carry ids only."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_side_http(runtime: Runtime, port: int) -> WSGIServer:
    """Start the ATS webhooks' HTTP server on `port`, on a thread of its own; returns it (shutdown() stops it)."""
    server = make_server("0.0.0.0", port, side_application(runtime), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ats-http", daemon=True).start()
    logger.info("serving HTTP on port %d beside Socket Mode: POST /ats/<vendor>, GET /healthz", port)
    return server


def serve_socket_mode(settings: Settings, auth: dict[str, Any]) -> None:
    runtime = build_runtime(settings, auth=auth)
    side = serve_side_http(runtime, settings.port) if ats_configured(settings) else None
    web_client = WebClient(base_url=settings.slack_api_url, timeout=10)
    # slack_sdk's client pings every ping_interval and, with no pong for four of them, drops the
    # connection and opens a new one (apps.connections.open): the watchdog for a silent connection.
    handler = SocketModeEdge(runtime.app, activity=runtime.inbox.activity, app_token=settings.slack_app_token,
                             web_client=web_client, ping_interval=SOCKET_PING_INTERVAL)
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
        if side is not None:
            side.shutdown()
        handler.close()
        runtime.stop()
