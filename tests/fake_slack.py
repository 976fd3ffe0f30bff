"""A local fake of Slack's Web API, in the manner of bolt-python's tests/mock_web_api_server.

An http.server thread that records every call (method, arguments, headers, time), answers like
Slack does, and can be told to answer the next call of a method with a 429, a 500 or an error.
The app under test is pointed at it through SLACK_API_URL; response_url posts land here too.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    ok: bool = True  # False: answered with an error (scripted, or a refusal)
    path: str = ""  # where it was sent (a response_url's own path, say)


@dataclass
class Scripted:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.time_zones: dict[str, str] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted, newest first
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> a message people posted
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (channel, thread_ts) -> replies posted
        self.shown: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> what a bot message says now
        self.homes: dict[str, dict[str, Any]] = {}  # user -> the App Home view published last
        self.bots: set[str] = set()  # user ids that users.info describes as bot users
        self.emails: dict[str, str] = {}  # email -> user id, what users.lookupByEmail finds
        self.members: dict[str, str] = {}  # user id -> real name, the workspace's people users.list pages through
        self.unreachable: dict[str, str] = {}  # user or channel id -> the error every post there gets (for good)
        self.broken: dict[str, int] = {}  # user or channel id -> the HTTP status every post there gets (500...)
        self.invalid: list[str] = []  # Block Kit or fallback-text problems in what the app sent
        self.socket_mode_url = "ws://127.0.0.1:9/"  # set by a Socket Mode test to its websocket server
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/respond/{name}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scripting and inspection --------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 200, error: str = "internal_error",
                  retry_after: int | None = None, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        for _ in range(times):
            self.scripts.setdefault(method, []).append(
                Scripted(status=status, body={"ok": False, "error": error}, headers=headers)
            )

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.fail_next(method, status=429, error="ratelimited", retry_after=retry_after, times=times)

    def hold_next(self, method: str) -> threading.Event:
        """The next call of `method` is answered normally (a post is stored: Slack accepted it) but the
        answer is held back until the returned event is set."""
        release = threading.Event()
        self.scripts.setdefault(method, []).append(Scripted(hold=release))
        return release

    def remember(self, channel: str, message: dict[str, Any]) -> None:
        """A message someone posted in `channel`, for conversations.replies to return."""
        with self.lock:
            self.messages[(channel, str(message["ts"]))] = message

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) to {method}, got {len(self.calls_to(method))}")

    # --- answers -----------------------------------------------------------------------------------

    def refusal(self, method: str, args: dict[str, Any]) -> tuple[int, str] | None:
        """(status, error) for a post to a user or channel Slack never delivers to (fake.unreachable) or that
        fails every time for now (fake.broken)."""
        if method == "chat.postMessage":
            where = str(args.get("channel", ""))
        elif method == "conversations.open":
            where = str(args.get("users", "")).split(",")[0]
        else:
            return None
        if where in self.unreachable:
            return 200, self.unreachable[where]
        if where in self.broken:
            return self.broken[where], "internal_error"
        return None

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "persona-grata",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method == "chat.postMessage":
            channel = str(args.get("channel", ""))
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            ts = f"{1_700_000_000 + next(self._ts)}.000100"
            message = {"type": "message", "text": args.get("text"), "ts": ts, "bot_id": BOT_ID}
            if args.get("metadata"):
                message["metadata"] = args["metadata"]
            if args.get("thread_ts"):
                message["thread_ts"] = str(args["thread_ts"])
                with self.lock:
                    self.threads.setdefault((channel, message["thread_ts"]), []).append(message)
            else:
                self.history.setdefault(channel, []).insert(0, message)
            with self.lock:
                self.shown[(channel, ts)] = {"text": args.get("text"), "blocks": args.get("blocks")}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            with self.lock:
                self.shown[(str(args.get("channel")), str(args.get("ts")))] = {"text": args.get("text"),
                                                                               "blocks": args.get("blocks")}
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}
        if method == "chat.getPermalink":
            channel, ts = str(args.get("channel")), str(args.get("message_ts"))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1_700_000_000 + next(self._ts)}.000200"}
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": {"id": user, "tz": self.time_zones.get(user, "UTC"),
                                         "is_bot": user in self.bots,
                                         "real_name": f"Manager {user}",
                                         "profile": {"display_name": f"Manager {user}"}}}
        if method == "users.lookupByEmail":
            found = self.emails.get(str(args.get("email")).lower())
            if found is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": found, "tz": self.time_zones.get(found, "UTC"), "is_bot": False}}
        if method == "users.list":
            with self.lock:
                people = sorted(self.members.items())
            start = int(args.get("cursor") or 0)
            limit = int(args.get("limit") or 200)
            page = people[start : start + limit]
            following = str(start + limit) if start + limit < len(people) else ""
            return {"ok": True, "members": [
                {"id": user, "real_name": name, "deleted": False, "is_bot": user in self.bots,
                 "profile": {"real_name": name, "display_name": name.split()[0].lower()}} for user, name in page],
                "response_metadata": {"next_cursor": following}}
        if method == "views.publish":
            with self.lock:
                self.homes[str(args.get("user_id"))] = args.get("view") or {}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V0VIEW", **(args.get("view") or {})}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "U0")).split(",")[0][1:]}}
        if method == "conversations.history":
            with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
            messages = [
                m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in self.history.get(str(args.get("channel")), [])
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "conversations.replies":
            key = (str(args.get("channel")), str(args.get("ts")))
            with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
            with self.lock:
                parent = self.messages.get(key)
                replies = list(self.threads.get(key, ()))
            if parent is None and not replies:
                return {"ok": False, "error": "thread_not_found"}
            messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                        for m in ([parent] if parent else []) + replies]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_mode_url}
        if method == "respond":
            return {"ok": True}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                if self.path.startswith("/respond/"):
                    method = "respond"
                elif self.path.startswith("/api/"):
                    method = self.path[len("/api/"):].split("?")[0]
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                args = _parse(raw, self.headers.get("Content-Type", ""))
                if "?" in self.path:
                    args.update({k: v[0] for k, v in parse_qs(self.path.split("?", 1)[1]).items()})
                problem = validate(method, args)
                call = Call(method, args, dict(self.headers.items()), time.monotonic(), path=self.path)
                with fake.lock:
                    fake.calls.append(call)
                    if problem:
                        fake.invalid.append(f"{method}: {problem}")
                    queued = fake.scripts.get(method)
                    scripted = queued.pop(0) if queued else None
                refused = fake.refusal(method, args)
                if scripted is not None and (scripted.status != 200 or scripted.body):
                    status, body, headers = scripted.status, scripted.body, scripted.headers
                elif refused is not None:
                    status, body, headers = refused[0], {"ok": False, "error": refused[1]}, {}
                else:
                    status, body, headers = 200, fake.answer(method, args), {}
                call.ok = status == 200 and body.get("ok") is not False
                if scripted is not None and scripted.hold is not None:
                    scripted.hold.wait(60)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

        return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    args: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    for key in ("blocks", "view", "metadata", "attachments"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass
    return args


MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "respond"}
VIEW_METHODS = {"views.open", "views.publish", "views.update", "views.push"}


def validate(method: str, args: dict[str, Any]) -> str | None:
    """What Slack would refuse or show badly: Block Kit limits (slack_sdk's models), no fallback text."""
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    try:
        if method in MESSAGE_METHODS:
            blocks = args.get("blocks")
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            if not args.get("text"):
                return "no fallback text"
            if blocks:
                if len(blocks) > 50:
                    return f"{len(blocks)} blocks (50 at most)"
                for block in blocks:
                    parsed = Block.parse(block)
                    if parsed is None:
                        return f"unknown block {block.get('type')}"
                    parsed.to_dict()
        elif method in VIEW_METHODS:
            view = args.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            View(**view).to_dict()
    except Exception as error:  # a validation failure of any kind is the finding
        return f"{type(error).__name__}: {error}"
    return None
