"""The model reader (DECISION_READER=model): the answer's parse and checks, the gate, the fallbacks, and the
real app against a local fake OpenAI-compatible server (tests/fake_model.py) on both databases."""

from __future__ import annotations

import http.client
import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from bot.reader import CONFIDENCE_THRESHOLD, Decision, Person, read
from bot.reader.model import (
    DISAGREES,
    Endpoint,
    ModelFailure,
    ModelReader,
    Response,
    check_against,
    could_be_decision,
    parse_answer,
    percentile,
    request_body,
    settle,
    to_decision,
    urllib_transport,
)
from bot.slack import blocks
from handlers import decisions
from storage.models import Candidate, Followup
from tests.fake_model import FakeModel, Reply, answer
from tests.fake_slack import FakeSlack
from tests.harness import CHANNEL, Harness
from tests.serve_process import EXECUTABLE

DECISION = "Decision for Staff Data Engineer: not moving forward with Omar Haddad and Lena Park."
# the rules read no decision here, and the gate lets it through (a verdict phrase, a role)
RULES_MISS = "Staff Data Engineer: sadly it is a no for Omar Haddad from the panel, and a no from me as well"
CHATTER = "lunch at noon anyone? the new place on 5th does a no-meat menu"


def good(**overrides: Any) -> dict[str, Any]:
    value = {"is_decision": True, "final": True, "role": "Staff Data Engineer",
             "people": [{"name": "Omar Haddad", "outcome": "not_selected", "stage": "Onsite"}]}
    value.update(overrides)
    return value


# --- the answer ----------------------------------------------------------------------------------


def test_a_good_answer_parses_and_becomes_the_rules_readers_decision() -> None:
    parsed = parse_answer(json.dumps(good()))
    reading = to_decision(check_against(parsed, DECISION), DECISION, None)
    assert reading == Decision(role="Staff Data Engineer", hired=(), not_selected=(Person("Omar Haddad", "onsite"),),
                               withdrawn=(), manager_id=None, confidence=reading.confidence, rules=("model",))
    assert reading.confidence >= CONFIDENCE_THRESHOLD


def test_a_fenced_answer_is_read_as_servers_without_response_format_send_it() -> None:
    assert parse_answer(f"```json\n{json.dumps(good())}\n```")["people"][0]["name"] == "Omar Haddad"


@pytest.mark.parametrize(("content", "cause"), [
    ("Sure! Omar Haddad was rejected.", "invalid_json"),
    ('{"is_decision": true, "final": true', "invalid_json"),
    (json.dumps({"is_decision": True, "final": True, "people": []}), "schema"),  # no role
    (json.dumps(good(people=[{"name": "Omar Haddad", "outcome": "rejected", "stage": None}])), "schema"),
    (json.dumps(good(extra="x")), "schema"),
    (json.dumps({**good(), "Omar Haddad": "rejected"}), "schema"),  # a name as a key never reaches the message
    (json.dumps(good(people=[{"name": "", "outcome": "hired", "stage": None}])), "schema"),
    ("[]", "schema"),
])
def test_an_answer_outside_the_schema_is_a_failure_naming_no_value(content: str, cause: str) -> None:
    with pytest.raises(ModelFailure) as failure:
        parse_answer(content)
    assert failure.value.cause == cause
    assert "Omar" not in str(failure.value)


def test_a_name_the_message_does_not_contain_is_dropped_and_the_rest_asked_about() -> None:
    people = [{"name": "Omar  Haddad", "outcome": "not_selected", "stage": None},
              {"name": "Zora Invented", "outcome": "not_selected", "stage": None},
              {"name": "OMAR HADDAD", "outcome": "not_selected", "stage": None}]
    people.append({"name": "Om", "outcome": "not_selected", "stage": None})  # inside a name is not a name
    checked = check_against(good(people=people), "*Omar Haddad*: not moving forward")  # markup normalised away
    assert checked.dropped == 2
    assert [p.name for _, p in checked.people] == ["Omar Haddad"]
    reading = to_decision(checked, "*Omar Haddad*: not moving forward", None)
    assert reading is not None and reading.confidence < CONFIDENCE_THRESHOLD


def test_a_struck_out_name_and_a_name_in_a_script_without_spaces_count() -> None:
    struck = "Shortlist, *Treasury Analyst*:\n~Abdullahi Musa~ — client passed after 1st interview"
    assert check_against(good(people=[{"name": "Abdullahi Musa", "outcome": "not_selected", "stage": None}]),
                         struck).dropped == 0
    chinese = "前端工程师岗位更新：李强和陈伟未通过终面"
    checked = check_against(good(people=[{"name": n, "outcome": "not_selected", "stage": None}
                                         for n in ("李强", "陈伟", "王芳")]), chinese)
    assert [p.name for _, p in checked.people] == ["李强", "陈伟"] and checked.dropped == 1


def test_a_name_from_the_threads_parent_counts() -> None:
    reply = "omar is a no"
    checked = check_against(good(), reply, context="Staff Data Engineer finalists: Omar Haddad, Lena Park")
    assert checked.dropped == 0 and [p.name for _, p in checked.people] == ["Omar Haddad"]


def test_an_unsure_answer_is_below_the_threshold_and_the_manager_comes_from_the_message() -> None:
    text = "Staff Data Engineer: not moving forward with Omar Haddad. Hiring manager: <@U0BOSS>"
    reading = to_decision(check_against(good(final=False), text), text, None)
    assert reading is not None and reading.confidence < CONFIDENCE_THRESHOLD and reading.manager_id == "U0BOSS"


def test_where_the_model_sees_no_decision_the_rules_reading_stands_asked_about() -> None:
    rules = read(DECISION)
    assert rules is not None and rules.confidence >= CONFIDENCE_THRESHOLD
    no = to_decision(check_against(good(is_decision=False, people=[]), DECISION), DECISION, rules)
    settled = settle(no, rules)
    assert settled is not None and settled.not_selected == rules.not_selected
    assert settled.confidence < CONFIDENCE_THRESHOLD and DISAGREES in settled.rules
    assert settle(None, None) is None
    unsure = replace(rules, confidence=CONFIDENCE_THRESHOLD - 0.1)
    assert settle(None, unsure) is None  # the rules doubted it too: no question


def test_the_gate_lets_through_decisions_and_keeps_out_chatter() -> None:
    assert could_be_decision(RULES_MISS)
    assert could_be_decision("ok", rules=read(DECISION))
    assert not could_be_decision(CHATTER)
    assert not could_be_decision("Omar Haddad is out today, back tomorrow")
    assert could_be_decision("he is a no", context="Staff Data Engineer onsite: Omar Haddad")


def test_the_request_sends_the_text_once_at_temperature_zero_with_the_schema() -> None:
    body = request_body(Endpoint("http://x/v1", "m"), "the text", "", "json_schema")
    assert body["temperature"] == 0 and body["model"] == "m"
    assert json.dumps(body).count("the text") == 1
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["is_decision", "final", "role", "people"] and "maxLength" not in json.dumps(schema)
    assert "response_format" not in request_body(Endpoint("http://x/v1", "m"), "t", "", "none")


def test_percentiles_by_nearest_rank() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 90) == 90.0


# --- the reader with an injected transport --------------------------------------------------------


class Scripted:
    """A transport answering from a list, recording requests and the waits asked for."""

    def __init__(self, *responses: Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[dict[str, Any]] = []
        self.timeouts: list[float] = []
        self.slept: list[float] = []
        self.now = 0.0

    def __call__(self, url: str, headers: Any, body: bytes, timeout: float) -> Response:
        self.requests.append(json.loads(body))
        self.timeouts.append(timeout)
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def reader(self, timeout: float = 8.0) -> ModelReader:
        return ModelReader(Endpoint("http://model/v1", "m", "sk-test", timeout), transport=self,
                           clock=lambda: self.now, sleep=self.sleep)


def completion(content: dict[str, Any] | str) -> Response:
    text = content if isinstance(content, str) else json.dumps(content)
    return Response(200, {}, json.dumps({"choices": [{"message": {"content": text}}],
                                         "usage": {"prompt_tokens": 10, "completion_tokens": 3}}).encode())


def test_a_429_is_retried_after_retry_after_within_the_timeout() -> None:
    transport = Scripted(Response(429, {"retry-after": "2"}, b""), completion(good()))
    reading = transport.reader().read(DECISION, rules=read(DECISION))
    assert transport.slept == [2.0] and len(transport.requests) == 2
    assert reading is not None and reading.rules == ("model",)


def test_a_429_waiting_past_the_timeout_falls_back_without_waiting() -> None:
    transport = Scripted(Response(429, {"retry-after": "30"}, b""))
    reader = transport.reader()
    rules = read(DECISION)
    assert reader.read(DECISION, rules=rules) is rules
    assert transport.slept == [] and reader.stats.fallbacks == {"rate_limited": 1}


def test_a_refused_response_format_is_lowered_once_for_the_process() -> None:
    refusal = Response(400, {}, b'{"error": {"message": "response_format json_schema is not supported"}}')
    transport = Scripted(refusal, Response(400, {}, b'{"error": "unknown field json_object"}'),
                         completion(good()), completion(good()))
    reader = transport.reader()
    reader.read(DECISION)
    reader.read(DECISION)
    forms = [(r.get("response_format") or {}).get("type") for r in transport.requests]
    assert forms == ["json_schema", "json_object", None, None]


def test_a_400_about_something_else_is_a_fallback() -> None:
    transport = Scripted(Response(400, {}, b'{"error": "model not found"}'))
    reader = transport.reader()
    assert reader.read(DECISION) is None and reader.stats.fallbacks == {"http_4xx": 1}


@pytest.mark.parametrize(("raised", "cause"), [(TimeoutError(), "timeout"), (ConnectionRefusedError(), "unreachable"),
                                               (http.client.IncompleteRead(b"{"), "unreachable")])
def test_no_answer_is_a_fallback(raised: Exception, cause: str) -> None:
    transport = Scripted(raised)
    reader = transport.reader()
    rules = read(DECISION)
    assert reader.read(DECISION, rules=rules) is rules and reader.stats.fallbacks == {cause: 1}


def test_the_key_is_sent_and_usage_counted_and_chatter_never_asks() -> None:
    transport = Scripted(completion(good()))
    reader = transport.reader()
    reader.read(CHATTER)
    reader.read(DECISION)
    assert len(transport.requests) == 1
    summary = reader.stats.summary()
    assert summary["gated"] == 1 and summary["calls"] == 1 and summary["readings"] == 1
    assert (summary["prompt_tokens"], summary["completion_tokens"]) == (10, 3)


# --- configuration --------------------------------------------------------------------------------


def base_env(**extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", **extra}


def test_configuration_defaults_to_the_rules_and_names_the_missing_variable() -> None:
    settings = load_settings(base_env())
    assert settings.decision_reader == "rules" and settings.model_timeout == 8.0
    model = load_settings(base_env(DECISION_READER="model", MODEL_BASE_URL="http://127.0.0.1:11434/v1/",
                                   MODEL_NAME="llama3.1:8b", MODEL_TIMEOUT="2.5s"))
    assert (model.model_base_url, model.model_timeout) == ("http://127.0.0.1:11434/v1", 2.5)
    for env, variable in [
        (base_env(DECISION_READER="gpt"), "DECISION_READER"),
        (base_env(DECISION_READER="model", MODEL_NAME="m"), "MODEL_BASE_URL"),
        (base_env(DECISION_READER="model", MODEL_BASE_URL="http://x/v1"), "MODEL_NAME"),
        (base_env(DECISION_READER="model", MODEL_BASE_URL="localhost:11434", MODEL_NAME="m"), "MODEL_BASE_URL"),
        (base_env(MODEL_TIMEOUT="soon"), "MODEL_TIMEOUT"),
        (base_env(MODEL_TIMEOUT="10m"), "MODEL_TIMEOUT"),
        (base_env(MODEL_TIMEOUT="0s"), "MODEL_TIMEOUT"),
    ]:
        with pytest.raises(ConfigError) as error:
            load_settings(env)
        assert error.value.variable == variable and "\n" not in str(error.value)


# --- through the real app --------------------------------------------------------------------------


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    fake = FakeModel().start()
    yield fake
    fake.stop()


@pytest.fixture
def model_harness(db_url: str, fake_slack: FakeSlack, fake_model: FakeModel) -> Iterator[Harness]:
    h = Harness(db_url=db_url, fake=fake_slack, DECISION_READER="model", MODEL_BASE_URL=fake_model.url,
                MODEL_NAME="test-model", MODEL_TIMEOUT="400ms")
    yield h
    h.close()
    assert fake_slack.invalid == []


def recorded(h: Harness) -> dict[str, str]:
    with h.deps.sessions.begin() as session:
        rows = session.execute(select(Candidate.name, Candidate.outcome, Followup.id).outerjoin(Followup)).all()
    return {name: outcome for name, outcome, _ in rows}


def questions(h: Harness) -> list[Any]:
    return [c for c in h.fake.calls_to("chat.postMessage")
            if blocks.ACTION_CONFIRM in json.dumps(c.args.get("blocks"))]


def fallbacks(h: Harness) -> dict[str, int]:
    assert h.deps.model is not None
    return dict(h.deps.model.stats.fallbacks)


def test_a_decision_the_rules_miss_is_recorded_from_the_models_reading(
        model_harness: Harness, fake_model: FakeModel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake_model.script(answer(role="Staff Data Engineer", people=[("Omar Haddad", "not_selected", "final round")]))
    model_harness.message(RULES_MISS)
    assert recorded(model_harness) == {"Omar Haddad": "not_selected"}
    [request] = fake_model.requests
    assert request["temperature"] == 0 and request["response_format"]["type"] == "json_schema"
    assert json.dumps(request["messages"]).count("sadly it is a no") == 1
    assert "Omar" not in caplog.text and "Staff Data Engineer" not in caplog.text and "final round" not in caplog.text


def test_the_models_reading_wins_over_the_rules(model_harness: Harness, fake_model: FakeModel) -> None:
    fake_model.script(answer(people=[("Omar Haddad", "not_selected", None), ("Lena Park", "hired", None)]))
    model_harness.message(DECISION)
    assert recorded(model_harness) == {"Omar Haddad": "not_selected", "Lena Park": "hired"}


@pytest.mark.parametrize(("reply", "cause"), [
    (Reply("Omar Haddad and Lena Park were rejected."), "invalid_json"),
    (answer(people=[("Zora Invented", "not_selected", None)]), "invented_names"),
    (Reply(json.dumps(good()), hold=3.0), "timeout"),
    (Reply(json.dumps(good()), trickle=0.02), "timeout"),  # each byte in time, the whole answer not
    (Reply(status=429, body=b'{"error": "rate limited"}', headers={"Retry-After": "30"}), "rate_limited"),
    (Reply(status=500, body=b'{"error": "boom"}'), "http_5xx"),
    (Reply(json.dumps({"is_decision": "yes"})), "schema"),
])
def test_each_failure_falls_back_to_the_rules_reading_logged_by_cause_without_the_text(
        model_harness: Harness, fake_model: FakeModel, caplog: pytest.LogCaptureFixture, reply: Reply,
        cause: str) -> None:
    caplog.set_level(logging.DEBUG)
    fake_model.script(reply)
    model_harness.message(DECISION)
    assert recorded(model_harness) == {"Omar Haddad": "not_selected", "Lena Park": "not_selected"}
    assert fallbacks(model_harness) == {cause: 1}
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.reader.model"]
    assert any(cause in line for line in lines), lines
    assert "Omar" not in caplog.text and "Lena" not in caplog.text and "Zora" not in caplog.text


def test_an_unsure_reading_gets_the_confirm_question(model_harness: Harness, fake_model: FakeModel) -> None:
    fake_model.script(answer(final=False, people=[("Omar Haddad", "not_selected", None)]))
    model_harness.message(RULES_MISS)
    assert recorded(model_harness) == {}
    [question] = questions(model_harness)
    assert "Omar Haddad" in json.dumps(question.args["blocks"])


def test_no_decision_from_the_model_asks_about_the_rules_reading(model_harness: Harness,
                                                                 fake_model: FakeModel) -> None:
    fake_model.script(answer(False))
    model_harness.message(DECISION)
    assert recorded(model_harness) == {}
    [question] = questions(model_harness)
    assert "Lena Park" in json.dumps(question.args["blocks"])


def test_chatter_never_reaches_the_model(model_harness: Harness, fake_model: FakeModel) -> None:
    model_harness.message(CHATTER)
    model_harness.message("Omar Haddad is out today, back tomorrow")
    assert fake_model.calls == 0
    assert model_harness.fake.calls_to("chat.postMessage") == []
    assert model_harness.deps.model is not None and model_harness.deps.model.stats.gated == 2


def test_the_rules_reader_alone_asks_no_model(harness: Harness) -> None:
    assert harness.deps.model is None
    harness.message(DECISION)
    assert recorded(harness) == {"Omar Haddad": "not_selected", "Lena Park": "not_selected"}


def test_healthz_counts_the_fallbacks(model_harness: Harness, fake_model: FakeModel) -> None:
    fake_model.script(Reply(status=503, body=b"{}"))
    model_harness.message(DECISION)
    _, _, body = model_harness.http("GET", "/healthz")
    counts = json.loads(body)["model_reader"]
    assert counts["fallbacks"] == {"http_5xx": 1} and counts["calls"] == 1 and "Omar" not in body.decode()


def test_check_says_whether_the_endpoint_answers(db_url: str, fake_slack: FakeSlack, fake_model: FakeModel,
                                                 tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s",
           "SLACK_API_URL": fake_slack.url, "DATABASE_URL": db_url, "DECISION_READER": "model",
           "MODEL_BASE_URL": fake_model.url, "MODEL_NAME": "test-model", "MODEL_TIMEOUT": "2s"}
    fake_model.script(answer(role="QA Lead", people=[("Ada Example", "not_selected", "onsite")]),
                      Reply(status=401, body=b'{"error": "bad key"}'))
    ok = subprocess.run([EXECUTABLE, "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout
    assert "model reader: ok (test-model at" in ok.stdout and "read the sample decision right" in ok.stdout
    bad = subprocess.run([EXECUTABLE, "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "model reader: FAILED" in bad.stdout and "http_4xx" in bad.stdout


def test_the_shortcut_has_the_model_read_a_message_the_gate_would_keep_out(model_harness: Harness,
                                                                           fake_model: FakeModel) -> None:
    text = "Tom O'Brien: thanks for your time, we'll keep your CV on file"
    fake_model.script(answer(people=[("Tom O'Brien", "not_selected", None)]))
    payload = {
        "type": "message_action", "callback_id": blocks.SHORTCUT_RECORD, "team": {"id": "T0TEAM"},
        "user": {"id": "U0OTHER"}, "channel": {"id": "C0HIRING"}, "trigger_id": "1.2.3",
        "response_url": model_harness.fake.response_url(), "message_ts": "1700000000.000500",
        "message": {"type": "message", "user": "U0MANAGER", "ts": "1700000000.000500", "text": text},
    }
    assert read(text) is None and not could_be_decision(text)
    status, _ = model_harness.interact(payload)
    assert status == 200 and fake_model.calls == 1
    [opened] = model_harness.fake.calls_to("views.open")
    assert "Tom O'Brien" in json.dumps(opened.args["view"])


def test_a_server_without_response_format_is_asked_in_plain_json(model_harness: Harness,
                                                                  fake_model: FakeModel) -> None:
    fake_model.refused_formats = {"json_schema", "json_object"}
    fake_model.respond = lambda _request: Reply(f"```json\n{json.dumps(good())}\n```")
    model_harness.message(RULES_MISS)
    model_harness.message(RULES_MISS.replace("sadly", "alas"))
    assert recorded(model_harness) == {"Omar Haddad": "not_selected"}
    forms = [(r.get("response_format") or {}).get("type") for r in fake_model.requests]
    assert forms == ["json_schema", "json_object", None, None]  # remembered for the process
    assert fallbacks(model_harness) == {}


# --- time: the ack never waits for the model, and MODEL_TIMEOUT bounds the whole reading ------------


def eventually(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Wait until `check()` holds (a deadline for a hung test, not a measurement)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


def test_the_ack_does_not_wait_for_the_model(db_url: str, fake_slack: FakeSlack, fake_model: FakeModel) -> None:
    """The model is asked in the inbox's lanes, after the 200: Slack's 3 seconds never depend on it."""
    release = threading.Event()
    fake_model.script(replace(answer(role="Staff Data Engineer", people=[("Omar Haddad", "not_selected", None)]),
                              until=release))
    h = Harness(db_url=db_url, fake=fake_slack, DECISION_READER="model", MODEL_BASE_URL=fake_model.url,
                MODEL_NAME="test-model", MODEL_TIMEOUT="60s")
    assert h.deps.model is not None
    try:
        ts = "1700000000.000100"
        assert h.message(RULES_MISS, ts=ts, drain=False) == 200
        # acked, and the model has not answered: whether or not it has been asked yet, no reading is made
        assert fake_model.answered == 0 and h.deps.model.stats.readings == 0
        eventually(lambda: fake_model.calls == 1, "the model is asked after the ack")
        assert fake_model.answered == 0 and recorded(h) == {}
        release.set()
        h.drain()
    finally:
        release.set()
        h.close()
    assert fake_model.answered == 1 and fallbacks(h) == {}
    assert recorded(h) == {"Omar Haddad": "not_selected"}
    replies = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
    assert [c.args["channel"] for c in replies] == [CHANNEL] and "Omar Haddad" in json.dumps(replies[0].args)
    assert fake_slack.invalid == []


def test_the_shortcut_opens_the_rules_reading_when_the_model_hangs(
        db_url: str, fake_slack: FakeSlack, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """The modal must open while its trigger_id lives (3 s): the shortcut's budget, not MODEL_TIMEOUT, bounds
    the model's reading there (the budget made small here so the test does not wait for the real one)."""
    monkeypatch.setattr(decisions, "SHORTCUT_BUDGET", 0.2)
    hung = threading.Event()  # never set by the test: the model never answers
    fake_model.script(Reply(json.dumps(good()), until=hung))
    h = Harness(db_url=db_url, fake=fake_slack, DECISION_READER="model", MODEL_BASE_URL=fake_model.url,
                MODEL_NAME="test-model", MODEL_TIMEOUT="60s")
    payload = {
        "type": "message_action", "callback_id": blocks.SHORTCUT_RECORD, "team": {"id": "T0TEAM"},
        "user": {"id": "U0OTHER"}, "channel": {"id": "C0HIRING"}, "trigger_id": "1.2.3",
        "response_url": h.fake.response_url(), "message_ts": "1700000000.000500",
        "message": {"type": "message", "user": "U0MANAGER", "ts": "1700000000.000500", "text": DECISION},
    }
    try:
        status, _ = h.interact(payload)  # drains: returns once the listener has finished
        assert status == 200
        assert fake_model.calls == 1 and fake_model.answered == 0 and fallbacks(h) == {"timeout": 1}
        [opened] = h.fake.calls_to("views.open")
    finally:
        hung.set()
        h.close()
    view = json.dumps(opened.args["view"])
    assert "Omar Haddad" in view and "Lena Park" in view  # the rules' reading: both not selected


def test_a_trickled_answer_is_cut_off_at_the_timeout(fake_model: FakeModel) -> None:
    """urllib's timeout is per socket read; a server sending a byte every 20 ms never trips a 300 ms one.
    The transport keeps the one overall deadline, status line and headers included, and hangs up."""
    fake_model.script(Reply(json.dumps(good()), trickle=0.02))
    before = {t for t in threading.enumerate() if t.name == "model-request"}
    with pytest.raises(TimeoutError):
        urllib_transport(fake_model.url + "/chat/completions", {"Content-Type": "application/json"},
                         json.dumps({"model": "m"}).encode(), 0.3)
    eventually(lambda: fake_model.cut_off == 1, "the connection is closed, so the server stops sending")
    eventually(lambda: {t for t in threading.enumerate() if t.name == "model-request"} <= before,
               "the request's worker ends")
    assert fake_model.answered == 0


def test_a_prompt_answer_comes_back_whole_through_the_transport(fake_model: FakeModel) -> None:
    fake_model.script(answer(people=[("Omar Haddad", "not_selected", None)]), Reply(status=503, body=b'{"e": 1}'))
    url = fake_model.url + "/chat/completions"
    ok = urllib_transport(url, {"Content-Type": "application/json"}, b'{"model": "m"}', 5.0)
    assert ok.status == 200 and ok.headers["content-type"] == "application/json"
    assert "Omar Haddad" in json.loads(ok.body)["choices"][0]["message"]["content"]
    failed = urllib_transport(url, {"Content-Type": "application/json"}, b'{"model": "m"}', 5.0)
    assert (failed.status, failed.body) == (503, b'{"e": 1}')
