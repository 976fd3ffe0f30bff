"""The model reader (DECISION_READER=model): an OpenAI-compatible chat-completions endpoint reads a message
the rules let through, and the rules' reading is what stands whenever it fails.

What it does, in order:
- the gate (`could_be_decision`): the rules read a decision, or the message has a verdict phrase and talks
  about hiring. Anything else never reaches the model, so chatter costs nothing;
- one request (temperature 0, `response_format` a JSON schema; a server that refuses that format is asked
  again with `json_object`, then with none, and the answer remembered for the process): the message's text,
  and the text of its thread's parent for a reply, nothing else;
- the answer (the content of the first choice, exactly the object of model_answer.schema.json) is
  validated against the schema, then against the message: a name the text does not contain is dropped
  (counted, never logged), and a reading that lost a name is asked about rather than recorded;
- the answer becomes the same `Decision` the rules reader returns: `final` true is recorded
  (confidence MODEL_SURE), false is asked about in the thread (MODEL_UNSURE). Where the model sees no
  decision but the rules read one they would record, the rules' reading stands, asked about: two readers
  disagree, a person settles it, and nothing the rules would have recorded is dropped silently (`settle`).

Any failure (timeout, unreachable, 4xx, 5xx, 429 whose Retry-After does not fit in MODEL_TIMEOUT, a reply
that is not JSON, an answer outside the schema) returns the rules' reading, logs its cause (no text) and
counts it in `ModelStats`. Pure apart from the HTTP call, which is the injected `Transport`.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import Message
from importlib import resources
from typing import Any

import fastjsonschema

from bot.reader.clauses import about_hiring, vocabulary
from bot.reader.normalise import normalise
from bot.reader.reading import CONFIDENCE_THRESHOLD, Decision, Person
from bot.reader.rules import mentions_hiring, says_no_hire
from bot.reader.signals import find_manager, find_manager_name
from bot.reader.stages import canonical_stage

logger = logging.getLogger(__name__)

MODEL_SURE = 0.9  # a final reading: at or above bot.reader.CONFIDENCE_THRESHOLD, so recorded
MODEL_UNSURE = 0.5  # below it: the bot asks in the thread (Confirm / Edit)
RULE_NAME = "model"  # in Decision.rules, where the reading came from
DISAGREES = "model_disagrees"  # the rules' reading, asked about because the model saw no decision
# response_format, best first; a server that answers 400 about it is asked with the next
FORMATS = ("json_schema", "json_object", "none")
LATENCIES_KEPT = 10_000

_SCHEMA: dict[str, Any] = json.loads(resources.files("bot.reader").joinpath("model_answer.schema.json")
                                     .read_text(encoding="utf-8"))
_PROMPT = resources.files("bot.reader").joinpath("model_prompt.txt").read_text(encoding="utf-8").strip()
_validate = fastjsonschema.compile(_SCHEMA)


def wire_schema(schema: Any = _SCHEMA) -> Any:
    """The schema as sent in response_format: strict mode (OpenAI's) refuses length limits and comments,
    so they are checked here only."""
    if isinstance(schema, dict):
        return {k: wire_schema(v) for k, v in schema.items()
                if k not in ("$comment", "maxLength", "minLength", "maxItems")}
    if isinstance(schema, list):
        return [wire_schema(v) for v in schema]
    return schema


# --- the transport: the one side effect --------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


# (url, headers, body, timeout in seconds) -> Response; raises TimeoutError or OSError when no answer came
Transport = Callable[[str, Mapping[str, str], bytes, float], Response]

MAX_ANSWER_BYTES = 1_000_000


def urllib_transport(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> Response:
    """POST with the standard library, answered within `timeout` seconds overall: an HTTP error status is an
    answer, not an exception; TimeoutError when the whole exchange did not fit.

    urllib's own timeout bounds each socket operation, not the exchange: a server that trickles its answer
    (status line, headers or body) a byte at a time never trips it. Checking a deadline between reads of
    the body would miss a trickled status line and headers, which urlopen reads before it returns, so the
    request runs in a worker joined with the deadline instead; past it, the worker's sockets are shut
    down (a blocked read then returns at once), so no thread is left reading a server that never stops."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    sockets = _Sockets()
    outcome: list[Response | BaseException] = []

    def post() -> None:
        try:
            outcome.append(_post_with(_opener(sockets), request, timeout))
        except BaseException as error:  # handed to the caller: raised there
            outcome.append(error)

    worker = threading.Thread(target=post, name="model-request", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or not outcome:
        sockets.shut()
        raise TimeoutError(f"no whole answer within {timeout:g}s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _post_with(opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float) -> Response:
    try:
        with opener.open(request, timeout=timeout) as answer:
            return Response(answer.status, _headers(answer.headers), answer.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, _headers(error.headers), error.read(MAX_ANSWER_BYTES))


class _Sockets:
    """The sockets one request opened, to shut down from the caller's thread at its deadline; one opened
    after that (the worker was still connecting) is shut at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.opened: list[socket.socket] = []
        self.closed = False

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.opened.append(sock)
            if not self.closed:
                return
        _shut(sock)

    def shut(self) -> None:
        with self.lock:
            self.closed = True
            opened = list(self.opened)
        for sock in opened:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the worker
        pass


def _opener(sockets: _Sockets) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies from the environment included) with connections that report their socket."""

    def tracked(base: type[http.client.HTTPConnection]) -> Any:
        # the base is chosen at run time (HTTP or HTTPS), which mypy does not follow: a variable as a base
        class Tracked(base):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                super().connect()
                sockets.add(self.sock)

        return Tracked

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(tracked(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            # the handler's own SSL context, as HTTPSHandler.https_open passes it: private, so not in typeshed
            return self.do_open(tracked(http.client.HTTPSConnection), req, context=self._context)  # type: ignore[attr-defined]

    return urllib.request.build_opener(Http(), Https())


def _headers(message: Message | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (message or {}).items()}


# --- the stats -----------------------------------------------------------------------------------------


@dataclass
class ModelStats:
    """What the model reader did in this process: requests and tokens (from `usage`), messages the gate
    kept from it, fallbacks by cause, names dropped for not being in the text, and each reading's latency."""

    calls: int = 0
    readings: int = 0
    gated: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dropped_names: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCIES_KEPT))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        """Counts only (for /healthz and `check`): no text, no names."""
        with self.lock:
            return {"calls": self.calls, "readings": self.readings, "gated": self.gated,
                    "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                    "dropped_names": self.dropped_names, "fallbacks": dict(sorted(self.fallbacks.items()))}


class ModelFailure(Exception):
    """The model gave no usable answer; `cause` is what the log line and the counter say."""

    def __init__(self, cause: str, detail: str = "") -> None:
        super().__init__(f"{cause}{f' ({detail})' if detail else ''}")
        self.cause = cause


# --- the gate --------------------------------------------------------------------------------------------


def could_be_decision(text: str, context: str = "", rules: Decision | None = None) -> bool:
    """Whether a message may state a hiring outcome: the rules read one, or it has a verdict phrase (the
    clause reader's vocabulary) and talks about hiring (here or in its thread's parent)."""
    if rules is not None:
        return True
    plain = normalise(text)
    if not vocabulary().any_cue.search(plain):
        return False
    return any(about_hiring(t) or mentions_hiring(t) or says_no_hire(t) for t in (plain, normalise(context)) if t)


# --- the answer --------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    return " ".join(normalise(text).casefold().split())


def _as_typed(text: str) -> str:
    """The text with only markup marks taken out: the normaliser drops struck-out text, and a tracker
    strikes out the people it turned down ("~Abdullahi Musa~ — client passed")."""
    return " ".join(re.sub(r"[~*_`]", "", text).casefold().split())


def _wide(char: str) -> bool:
    """A character of a script written without spaces between words (CJK, kana, hangul)."""
    return "\u2e80" <= char <= "\ud7af" or "\uf900" <= char <= "\ufaff"


def occurs(key: str, haystack: str) -> bool:
    """Whether the folded name `key` is whole words of `haystack` (any neighbour, in a script written
    without spaces)."""
    before = "" if _wide(key[0]) else r"(?<!\w)"
    after = "" if _wide(key[-1]) else r"(?!\w)"
    return re.search(before + re.escape(key) + after, haystack) is not None


def parse_answer(content: str) -> dict[str, Any]:
    """The answer object out of a completion's message content; ModelFailure when it is not valid JSON of
    the schema's shape. A fenced block (```json … ```) is tolerated: servers without response_format wrap it."""
    stripped = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", stripped, re.DOTALL)
    try:
        answer = json.loads(fenced.group(1) if fenced else stripped)
    except ValueError:
        raise ModelFailure("invalid_json") from None
    try:
        _validate(answer)
    except fastjsonschema.JsonSchemaValueException as error:
        # where and which rule only: the message can quote the answer ("must not contain {'Omar Haddad'}")
        raise ModelFailure("schema", f"{error.name} breaks {error.rule}") from None
    return dict(answer)


@dataclass(frozen=True)
class Checked:
    """An answer checked against the message: the people it keeps and how many names it dropped."""

    answer: dict[str, Any]
    people: tuple[tuple[str, Person], ...]  # (outcome, person)
    dropped: int


def check_against(answer: dict[str, Any], text: str, context: str = "") -> Checked:
    """Keep the people whose names the message (or its thread's parent) contains, once each; stages in the
    rules reader's canonical form."""
    haystack = "\n".join(f(t) for t in (text, context) if t for f in (_folded, _as_typed))
    kept: list[tuple[str, Person]] = []
    seen: set[str] = set()
    dropped = 0
    for person in answer["people"]:
        name = " ".join(str(person["name"]).split())
        key = _folded(name)
        if not key or not occurs(key, haystack):
            dropped += 1
            continue
        if key in seen:
            continue
        seen.add(key)
        stage = person.get("stage")
        kept.append((person["outcome"], Person(name, canonical_stage(stage) if stage and stage.strip() else None)))
    return Checked(answer, tuple(kept), dropped)


def to_decision(checked: Checked, text: str, rules: Decision | None) -> Decision | None:
    """The model's checked answer as the rules reader's `Decision` (None: no decision about anyone)."""
    answer = checked.answer
    if not answer["is_decision"] or not checked.people:
        return None
    by = {kind: tuple(p for k, p in checked.people if k == kind) for kind in ("hired", "not_selected", "withdrawn")}
    plain = normalise(text)
    role = (answer.get("role") or "").strip() or None
    if role is not None and _folded(role) not in _folded(text) and rules is not None and rules.role:
        role = rules.role  # the message's own words over the model's paraphrase
    manager_id = find_manager(plain) or (rules.manager_id if rules else None)
    sure = answer["final"] and checked.dropped == 0
    return Decision(
        role=role, hired=by["hired"], not_selected=by["not_selected"], withdrawn=by["withdrawn"],
        manager_id=manager_id, confidence=MODEL_SURE if sure else MODEL_UNSURE, rules=(RULE_NAME,),
        manager_name=None if manager_id else find_manager_name(plain),
    )


def settle(model: Decision | None, rules: Decision | None) -> Decision | None:
    """The reading that stands: the model's. Where it saw no decision but the rules read one they would
    record, the rules' reading, asked about instead (a person settles what two readers disagree on); one the
    rules were unsure of themselves is dropped (both readers doubt it: no question)."""
    if model is not None:
        return model
    if rules is None or rules.confidence < CONFIDENCE_THRESHOLD:
        return None
    return replace(rules, confidence=min(rules.confidence, MODEL_UNSURE), rules=(*rules.rules, DISAGREES))


# --- the reader ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # up to /v1: /chat/completions is appended
    model: str
    api_key: str | None = None
    timeout: float = 8.0  # seconds for one reading, waits after a 429 included

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def request_body(endpoint: Endpoint, text: str, context: str, form: str) -> dict[str, Any]:
    """The chat-completions request: the task, then the message (after its thread's parent, for a reply)."""
    said = f"Thread parent (context only):\n{context}\n\nMessage:\n{text}" if context else f"Message:\n{text}"
    body: dict[str, Any] = {
        "model": endpoint.model,
        "temperature": 0,
        "messages": [{"role": "system", "content": _PROMPT}, {"role": "user", "content": said}],
    }
    if form == "json_schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {
            "name": "hiring_decision", "strict": True, "schema": wire_schema()}}
    elif form == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


def retry_after(headers: Mapping[str, str]) -> float:
    """Retry-After in seconds (a number; an HTTP date or nothing counts as one second)."""
    try:
        return max(0.0, float(headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


_FORMAT_REFUSED = re.compile(rb"response_format|json_schema|json_object|structured", re.IGNORECASE)


class ModelReader:
    """Reads what the gate lets through with the endpoint; the rules' reading is the fallback."""

    def __init__(self, endpoint: Endpoint, *, transport: Transport = urllib_transport,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.clock = clock
        self.sleep = sleep
        self.stats = ModelStats()
        self._form = 0  # index into FORMATS: lowered, for the process, when the server refuses one

    @classmethod
    def configured(cls, settings: Any) -> ModelReader | None:
        """The reader bot.config.Settings asks for (DECISION_READER=model), else None (the rules alone)."""
        if settings.decision_reader != "model":
            return None
        return cls(Endpoint(settings.model_base_url, settings.model_name, settings.model_api_key,
                            settings.model_timeout))

    def read(self, text: str, *, context: str = "", rules: Decision | None = None, budget: float | None = None,
             chosen: bool = False) -> Decision | None:
        """The reading of a message, given the rules' reading of it. `budget`: seconds at most (the
        endpoint's timeout by default); `chosen`: a person picked this message as a decision (the message
        shortcut), so the gate does not apply."""
        if not chosen and not could_be_decision(text, context, rules):
            with self.stats.lock:
                self.stats.gated += 1
            return rules
        started = self.clock()
        try:
            answer = self.ask(text, context, budget=self.endpoint.timeout if budget is None else budget)
            checked = check_against(answer, text, context)
        except ModelFailure as failure:
            self._count(started, fallback=failure.cause)
            logger.warning("model reader: fell back to the rules' reading: %s", failure)
            return rules
        self._count(started, dropped=checked.dropped)
        if checked.dropped:
            logger.info("model reader: dropped %d name(s) the message does not contain", checked.dropped)
        if checked.answer["is_decision"] and checked.answer["people"] and not checked.people:
            self._count(None, fallback="invented_names")
            logger.warning("model reader: fell back to the rules' reading: invented_names")
            return rules
        return settle(to_decision(checked, text, rules), rules)

    def _count(self, started: float | None, *, fallback: str | None = None, dropped: int = 0) -> None:
        with self.stats.lock:
            if started is not None:
                self.stats.readings += 1
                self.stats.latencies.append(self.clock() - started)
            if fallback:
                self.stats.fallbacks[fallback] += 1
            self.stats.dropped_names += dropped

    def ask(self, text: str, context: str = "", *, budget: float) -> dict[str, Any]:
        """The model's answer object, within `budget` seconds; ModelFailure naming the cause otherwise."""
        deadline = self.clock() + budget
        waited = False
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise ModelFailure("timeout")
            form = self._form
            body = json.dumps(request_body(self.endpoint, text, context, FORMATS[form])).encode()
            response = self._post(body, remaining)
            if response.status == 429:
                wait = retry_after(response.headers)
                if waited or self.clock() + wait >= deadline:
                    raise ModelFailure("rate_limited", f"Retry-After {wait:g}s")
                waited = True
                self.sleep(wait)
                continue
            if response.status == 400 and form < len(FORMATS) - 1 and _FORMAT_REFUSED.search(response.body):
                self._lower_form(form)
                continue
            if response.status >= 500:
                raise ModelFailure("http_5xx", f"HTTP {response.status}")
            if response.status >= 400:
                raise ModelFailure("http_4xx", f"HTTP {response.status}")
            return parse_answer(self._content(response.body))

    def _post(self, body: bytes, timeout: float) -> Response:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.endpoint.api_key:
            headers["Authorization"] = f"Bearer {self.endpoint.api_key}"
            headers["api-key"] = self.endpoint.api_key  # Azure OpenAI's header
        with self.stats.lock:
            self.stats.calls += 1
        try:
            return self.transport(self.endpoint.url, headers, body, timeout)
        except TimeoutError:
            raise ModelFailure("timeout") from None
        except http.client.HTTPException as error:  # a broken answer: cut short, no status line
            raise ModelFailure("unreachable", type(error).__name__) from None
        except OSError as error:
            reason = getattr(error, "reason", None)
            if isinstance(reason, TimeoutError):
                raise ModelFailure("timeout") from None
            raise ModelFailure("unreachable", type(reason or error).__name__) from None

    def _lower_form(self, refused: int) -> None:
        with self.stats.lock:
            if self._form == refused:
                self._form = refused + 1
                logger.info("model reader: the server refuses response_format %s; using %s from now on",
                            FORMATS[refused], FORMATS[refused + 1])

    def _content(self, raw: bytes) -> str:
        """The first choice's message content; the usage counted."""
        try:
            completion = json.loads(raw)
            content = completion["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelFailure("invalid_json", "not a chat completion") from None
        usage = completion.get("usage") if isinstance(completion, dict) else None
        if isinstance(usage, dict):
            with self.stats.lock:
                self.stats.prompt_tokens += _whole(usage.get("prompt_tokens"))
                self.stats.completion_tokens += _whole(usage.get("completion_tokens"))
        if not isinstance(content, str):
            raise ModelFailure("invalid_json", "no message content")
        return content


def _whole(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]
