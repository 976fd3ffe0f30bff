"""Accuracy of the decision reader, on each corpus reported separately, by reading alone or through the app.

Corpora:
- tests/decision_corpus.jsonl ("tuned"): the messages the first rules were written against;
- tests/decision_holdout.jsonl ("holdout"): written afterwards, measured before the reader was changed;
- tests/corpora/bNN-*.jsonl ("b01" … "b24"): batches of 100 messages, each in one voice, written
  by writers who never saw the reader or the other batches; each batch was measured before any fix aimed at it, and that
  first figure is the one the README reports next to the figure after tuning;
- ../shared/corpora/outside-dev.jsonl ("outside-dev", when present): messages written outside the project.

Run from the repository root:

    python benchmarks/reader_accuracy.py                       # every corpus, reading alone
    python benchmarks/reader_accuracy.py --through app         # every message through the real app
    python benchmarks/reader_accuracy.py --corpus b05 --misses # one corpus, with every error listed
    python benchmarks/reader_accuracy.py --through app --channel-manager  # channels with a default manager
    python benchmarks/reader_accuracy.py --rules-only          # the rules without the scorer
    python benchmarks/reader_accuracy.py --reader model        # the model reader (MODEL_* from the environment)
    python benchmarks/reader_accuracy.py --reader model --oracle  # a fake that answers each message right
    python benchmarks/reader_accuracy.py --reader model --oracle no  # a fake that sees no decision anywhere

``--through app`` posts each message as a signed event to the real Bolt app (the same WSGI entry
point `serve` uses, a fresh SQLite database, the tests' fake Slack Web API), in a workspace of its own,
a thread reply after its parent, an app's post as a `bot_message`, and scores what the bot did: the
not-selected people it recorded follow-ups for ("recall", "precision"), the ones it asked about in the
thread instead ("+asked"), its replies to non-decisions ("false"), readings it made but did nothing
with ("silent": must be 0), and follow-ups whose manager is an app's bot user ("bot DMs": must be 0).

``--reader model`` scores DECISION_READER=model through the app (the same run as ``--through app``, the app
built with MODEL_BASE_URL, MODEL_NAME, MODEL_API_KEY and MODEL_TIMEOUT from the environment), and prints what it
cost: requests and tokens (the answers' `usage`) per 100 messages, the latency of a reading (p50, p90, p99),
fallbacks by cause, names dropped for not being in the message, and the messages the gate kept from the model.
``--oracle`` points it at tests/fake_model.py answering each message with the corpus's expected reading: the
most a perfect model could score behind the gate, with no tokens spent; ``--oracle no``, a fake that answers
"no decision" to everything: what the rules' fallback and the Confirm question keep of a useless model.

Prints, for each corpus, by category and overall:
- recall and precision of not-selected names in readings the bot would record (confidence at or above
  the threshold), and recall counting readings it would ask about too;
- false replies: non-decisions that got a Decision at or above the threshold (reading alone) or any
  reply at all (through the app);
- asks: readings below the threshold (the bot asks instead of recording).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.slack_text import message_texts  # noqa: E402
from bot.reader import CONFIDENCE_THRESHOLD, Decision, read  # noqa: E402

CORPUS = ROOT / "tests" / "decision_corpus.jsonl"
HOLDOUT = ROOT / "tests" / "decision_holdout.jsonl"
BATCHES = ROOT / "tests" / "corpora"
OUTSIDE_DEV = ROOT.parent / "shared" / "corpora" / "outside-dev.jsonl"
CORPORA: dict[str, Path] = {"tuned": CORPUS, "holdout": HOLDOUT}
CORPORA.update({p.name.split("-")[0]: p for p in sorted(BATCHES.glob("b*.jsonl"))})
if OUTSIDE_DEV.exists():
    CORPORA["outside-dev"] = OUTSIDE_DEV
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.98


@dataclass
class Tally:
    messages: int = 0
    expected_names: int = 0
    found_recorded: int = 0
    found_any: int = 0
    reported_recorded: int = 0
    correct_recorded: int = 0
    non_decisions: int = 0
    false_replies: int = 0
    asks: int = 0
    silent: int = 0
    bot_managers: int = 0
    role_checked: int = 0
    role_right: int = 0
    other_checked: int = 0
    other_right: int = 0
    stage_checked: int = 0
    stage_right: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
            else:
                getattr(self, name).extend(value)

    @property
    def recall(self) -> float:
        return self.found_recorded / self.expected_names if self.expected_names else 1.0

    @property
    def recall_any(self) -> float:
        return self.found_any / self.expected_names if self.expected_names else 1.0

    @property
    def precision(self) -> float:
        return self.correct_recorded / self.reported_recorded if self.reported_recorded else 1.0


def _case(row: dict[str, Any]) -> dict[str, Any]:
    """One corpus line in the form the scorer reads: the old {"category", "text", "expected"} form, or a
    batch line {"id", "voice", "text", "rejected", "hired", "withdrawn", "role", ...} converted to it."""
    if "expected" in row:
        return row
    decided = row.get("rejected") or row.get("hired") or row.get("withdrawn")
    return {
        **row,
        "category": row.get("voice") or "outside",
        "expected": {
            "role": row.get("role"),
            "hired": list(row.get("hired") or ()),
            "not_selected": list(row.get("rejected") or ()),
            "withdrawn": list(row.get("withdrawn") or ()),
        } if decided else None,
        "role_checked": "role" in row,
    }


def load_corpus(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [_case(json.loads(line)) for line in fh if line.strip()]


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _names(people: Iterable) -> list[str]:
    return [_key(p.name) for p in people]


def _label(case: dict) -> str:
    return f"[{case.get('id') or case['category']}] {case['text'][:90]!r}"


def score(case: dict, reading: Decision | None) -> Tally:
    tally = Tally(messages=1)
    expected = case["expected"]
    recorded = reading is not None and reading.confidence >= CONFIDENCE_THRESHOLD
    label = _label(case)
    if reading is not None and not recorded:
        tally.asks = 1
    if expected is None:
        tally.non_decisions = 1
        if recorded:
            tally.false_replies = 1
            tally.reported_recorded += len(reading.not_selected)
            tally.misses.append(f"FALSE REPLY {label} -> {reading}")
        return tally
    want = [_key(n) for n in expected["not_selected"]]
    got = _names(reading.not_selected) if reading is not None else []
    tally.expected_names = len(want)
    tally.found_any = len(set(want) & set(got))
    if recorded:
        tally.found_recorded = tally.found_any
        tally.reported_recorded = len(got)
        tally.correct_recorded = len(set(got) & set(want))
    if set(want) != set(got) or not recorded:
        tally.misses.append(
            f"NOT SELECTED {label} want={want} got={got} conf={reading.confidence if reading else None}"
        )
    if reading is not None:
        if case.get("role_checked", True):
            tally.role_checked = 1
            role_ok = (reading.role or "").lower() == (expected["role"] or "").lower()
            tally.role_right = int(role_ok)
            if not role_ok:
                tally.misses.append(f"ROLE {label} want={expected['role']!r} got={reading.role!r}")
        others_ok = (
            sorted(_names(reading.hired)) == sorted(_key(n) for n in expected["hired"])
            and sorted(_names(reading.withdrawn)) == sorted(_key(n) for n in expected["withdrawn"])
            and ("manager_id" not in expected or reading.manager_id == expected["manager_id"])
        )
        tally.other_checked = 1
        tally.other_right = int(others_ok)
        if not others_ok:
            tally.misses.append(f"HIRED/WITHDRAWN/HM {label} want={expected} got={reading}")
        stages = {p.name.lower(): p.stage for p in reading.not_selected + reading.withdrawn + reading.hired}
        for name, stage in expected.get("stages", {}).items():
            tally.stage_checked += 1
            if stages.get(name.lower()) == stage:
                tally.stage_right += 1
            else:
                tally.misses.append(f"STAGE {label} {name}: want={stage!r} got={stages.get(name.lower())!r}")
    return tally


def _message(case: dict) -> dict[str, Any]:
    """The Slack message a corpus line stands for. An `attachments_text` (an ATS card whose words are all in
    a legacy attachment) becomes the attachment Slack delivers: its `text`, and a one-line `fallback` (the
    plain summary a client shows where it cannot draw the card), as the app's own tests shape one."""
    message: dict[str, Any] = {"text": case["text"]}
    for key in ("attachments", "blocks"):
        if case.get(key):
            message[key] = case[key]
    if case.get("attachments_text"):
        card = case["attachments_text"]
        message["attachments"] = [*message.get("attachments", ()),
                                  {"fallback": card.splitlines()[0], "text": card}]
    return message


def read_case(case: dict) -> Decision | None:
    """The reading of a corpus message, from the same texts the app reads."""
    texts = message_texts(_message(case))
    parent = case.get("parent") or case.get("thread_parent") or ""
    return read("\n".join(texts), known_names=case.get("known_names", ()), context=parent)


def _by_category(corpus: list[dict], tallies: Iterable[Tally]) -> dict[str, Tally]:
    by_category: dict[str, Tally] = defaultdict(Tally)
    for case, tally in zip(corpus, tallies, strict=True):
        by_category[case["category"]].add(tally)
    overall = Tally()
    for tally in by_category.values():
        overall.add(tally)
    return {**dict(sorted(by_category.items())), "OVERALL": overall}


def evaluate(corpus: list[dict]) -> dict[str, Tally]:
    return _by_category(corpus, (score(case, read_case(case)) for case in corpus))


# --- through the app ---------------------------------------------------------------------------------


def evaluate_through_app(corpus: list[dict], *, channel_manager: bool = False, env: dict[str, str] | None = None,
                         on_close: Any = None) -> dict[str, Tally]:
    """Post every message to the real app as a signed event and score what it recorded and replied.

    `channel_manager`: each channel first gets a default hiring manager (`/interview-round channel-manager`),
    as a team that lets its ATS post into Slack would set up; without it, an app's post is asked about
    ("who is the hiring manager?") instead of recorded. `env`: settings for the app (the model reader's);
    `on_close(deps)` is called before the app is closed (to read the model reader's counts)."""
    from sqlalchemy import select

    from bot.followups.recording import draft_from_value
    from bot.slack.blocks import ACTION_CONFIRM
    from storage import models
    from storage.db import make_engine, upgrade
    from tests.fake_slack import FakeSlack
    from tests.harness import Harness

    fake = FakeSlack().start()
    workdir = tempfile.mkdtemp(prefix="reader-accuracy-")
    db_url = f"sqlite:///{workdir}/reader.db"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    harness = Harness(db_url=db_url, fake=fake, **(env or {}))
    model_reader = (env or {}).get("DECISION_READER") == "model"
    tallies: list[Tally] = []
    try:
        for index, case in enumerate(corpus):
            team, channel = f"T{index:07d}", f"C{index:07d}"
            if channel_manager:
                _command(harness, team, channel, "channel-manager <@U0HIRINGM>")
            base = time.time()
            parent_ts = None
            if case.get("parent") or case.get("thread_parent"):
                parent_ts = f"{base:.6f}"
                parent = {"type": "message", "channel": channel, "user": "U0PARENT", "ts": parent_ts,
                          "text": case.get("parent") or case["thread_parent"], "team": team}
                fake.remember(channel, parent)
                _post(harness, team, {**parent, "channel_type": "channel"})
            ts = f"{base + 1:.6f}"
            event: dict[str, Any] = {"type": "message", "channel": channel, "ts": ts, "event_ts": ts,
                                     "channel_type": "channel", "team": team, **_message(case)}
            if case.get("app"):
                event.update({"subtype": "bot_message", "bot_id": "B0ATSAPP", "username": case["app"]})
            else:
                event["user"] = "U0POSTER"
            if parent_ts:
                event["thread_ts"] = parent_ts
            before = len(fake.calls_to("chat.postMessage"))
            _post(harness, team, event)
            posts = [c.args for c in fake.calls_to("chat.postMessage")[before:] if c.args.get("channel") == channel]
            with harness.deps.sessions() as session:
                rows = session.execute(
                    select(models.Candidate.name, models.Followup.manager_id)
                    .join(models.Followup, models.Followup.candidate_id == models.Candidate.id)
                    .join(models.Decision, models.Decision.id == models.Candidate.decision_id)
                    .where(models.Candidate.team_id == team, models.Decision.message_ts == ts)
                ).all()
            asked: list[str] = []
            for post in posts:
                for block in _blocks(post):
                    for element in block.get("elements") or ():
                        if isinstance(element, dict) and element.get("action_id") == ACTION_CONFIRM:
                            draft, _ = draft_from_value(str(element.get("value")))
                            asked.extend(p.name for p in draft.not_selected)
            reading = read_case(case)
            if model_reader and reading is not None and reading.confidence < CONFIDENCE_THRESHOLD:
                reading = None  # an unsure rules reading the model saw no decision in gets no question, by design
            tallies.append(_score_app(case, posts, [n for n, _ in rows if n], asked, [m for _, m in rows], reading))
    finally:
        if on_close is not None:
            on_close(harness.deps)
        harness.close()
        fake.stop()
    return _by_category(corpus, tallies)


# --- the model reader --------------------------------------------------------------------------------

MODEL_VARIABLES = ("MODEL_BASE_URL", "MODEL_NAME", "MODEL_API_KEY", "MODEL_TIMEOUT")


def model_env(environ: dict[str, str]) -> dict[str, str]:
    """The app's settings for DECISION_READER=model, from the environment."""
    missing = [name for name in ("MODEL_BASE_URL", "MODEL_NAME") if not environ.get(name)]
    if missing:
        raise SystemExit(f"--reader model: set {' and '.join(missing)} (e.g. MODEL_BASE_URL=http://127.0.0.1:11434/v1"
                         " MODEL_NAME=llama3.1:8b), or use --oracle")
    return {"DECISION_READER": "model", **{k: environ[k] for k in MODEL_VARIABLES if environ.get(k)}}


def oracle(corpora: list[list[dict]], *, contrary: bool = False) -> Any:
    """tests/fake_model.py answering each corpus message (found by the text the app sends) with its expected
    reading, stages left out; a message not found is no decision (`contrary`: every message is none)."""
    from tests.fake_model import NOT_A_DECISION, FakeModel, Reply

    expected: dict[str, dict[str, Any]] = {}
    for corpus in corpora:
        for case in corpus:
            text = "\n".join(message_texts(_message(case))).strip()
            want = case["expected"]
            people = [] if want is None else [
                {"name": name, "outcome": outcome, "stage": None}
                for outcome in ("hired", "not_selected", "withdrawn") for name in want[outcome]]
            expected[text] = {"is_decision": bool(people), "final": True,
                              "role": want["role"] if want else None, "people": people}

    def respond(request: dict[str, Any]) -> Reply:
        said = request["messages"][-1]["content"]
        text = said.rsplit("Message:\n", 1)[-1].strip()
        return Reply(json.dumps(NOT_A_DECISION if contrary else expected.get(text, NOT_A_DECISION)), usage=None)

    fake = FakeModel()
    fake.respond = respond
    return fake.start()


@dataclass
class ModelCost:
    """What the model reader cost over some corpora: the counts of its `ModelStats.summary()` summed (calls,
    readings, gated, prompt_tokens, completion_tokens, dropped_names), its fallbacks by cause, every latency."""

    messages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    fallbacks: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def add(self, deps: Any, messages: int) -> None:
        stats = deps.model.stats
        summary = stats.summary()
        self.messages += messages
        self.fallbacks.update(summary.pop("fallbacks"))
        self.counts.update(summary)
        self.latencies.extend(stats.latencies)

    def add_cost(self, other: ModelCost) -> None:
        self.messages += other.messages
        self.counts.update(other.counts)
        self.fallbacks.update(other.fallbacks)
        self.latencies.extend(other.latencies)

    def report(self) -> str:
        from bot.reader.model import percentile

        per = 100 / self.messages if self.messages else 0.0
        p50, p90, p99 = (percentile(self.latencies, q) * 1000 for q in (50, 90, 99))
        n = self.counts
        return "\n".join([
            f"model reader: {self.messages} messages, {n['gated']} kept from the model by the gate, "
            f"{n['readings']} readings asked of it",
            f"per 100 messages: {n['calls'] * per:.1f} calls, {n['prompt_tokens'] * per:.0f} prompt + "
            f"{n['completion_tokens'] * per:.0f} completion tokens",
            f"latency of a reading: p50 {p50:.0f} ms, p90 {p90:.0f} ms, p99 {p99:.0f} ms",
            f"fallbacks to the rules: {dict(self.fallbacks) or 'none'}; names dropped (not in the message): "
            f"{n['dropped_names']}",
        ])


def _command(harness: Any, team: str, channel: str, text: str) -> None:
    from urllib.parse import urlencode

    form = {"token": "legacy", "team_id": team, "team_domain": "example", "channel_id": channel,
            "channel_name": "hiring", "user_id": "U0ADMINUSR", "user_name": "admin", "command": "/interview-round",
            "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": harness.fake.response_url(), "trigger_id": "1.2.3"}
    status, _ = harness.signed(urlencode(form), "application/x-www-form-urlencoded")
    assert status == 200, status
    harness.drain()


def _blocks(post: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = post.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return list(blocks)


def _post(harness: Any, team: str, event: dict[str, Any]) -> None:
    harness._event_seq += 1
    envelope = {
        "token": "legacy", "team_id": team, "api_app_id": "A0APP", "type": "event_callback",
        "event_id": f"Ev{harness._event_seq:08d}", "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True}], "event": event,
    }
    status, _ = harness.signed(json.dumps(envelope), "application/json")
    assert status == 200, status
    harness.drain()


def _score_app(case: dict, posts: list[dict], recorded: list[str], asked: list[str], managers: list[str],
               reading: Decision | None) -> Tally:
    tally = Tally(messages=1)
    expected = case["expected"]
    label = _label(case)
    if asked:
        tally.asks = 1
    tally.bot_managers = sum(m.startswith("B") or m == "U0BOT" for m in managers)
    if reading is not None and (reading.not_selected or reading.hired or reading.withdrawn) and not posts:
        tally.silent = 1
        tally.misses.append(f"SILENT {label} read={reading}")
    if expected is None:
        tally.non_decisions = 1
        if posts:
            tally.false_replies = 1
            tally.reported_recorded = len(recorded)
            tally.misses.append(f"FALSE REPLY {label} -> {posts[0].get('text')!r}")
        return tally
    want = {_key(n) for n in expected["not_selected"]}
    got = {_key(n) for n in recorded}
    tally.expected_names = len(want)
    tally.found_recorded = len(want & got)
    tally.found_any = len(want & (got | {_key(n) for n in asked}))
    tally.reported_recorded = len(got)
    tally.correct_recorded = len(want & got)
    if want != got:
        tally.misses.append(f"NOT SELECTED {label} want={sorted(want)} recorded={sorted(got)} asked={asked}")
    return tally


# --- report -------------------------------------------------------------------------------------------


def _ratio(right: int, checked: int) -> str:
    return f"{right / checked:.2f}" if checked else "  - "


def report(results: dict[str, Tally]) -> str:
    header = (
        f"{'category':<18}{'msgs':>5}{'names':>6}{'recall':>8}{'+asked':>8}{'precis':>8}{'nondec':>7}"
        f"{'false':>6}{'asks':>5}{'silent':>7}{'botHM':>6}{'role':>6}{'h/w/hm':>7}{'stage':>6}"
    )
    lines = [f"threshold {CONFIDENCE_THRESHOLD}", header, "-" * len(header)]
    for name, t in results.items():
        if name == "OVERALL":
            lines.append("-" * len(header))
        lines.append(
            f"{name:<18}{t.messages:>5}{t.expected_names:>6}{t.recall:>8.3f}{t.recall_any:>8.3f}"
            f"{t.precision:>8.3f}{t.non_decisions:>7}{t.false_replies:>6}{t.asks:>5}{t.silent:>7}"
            f"{t.bot_managers:>6}{_ratio(t.role_right, t.role_checked):>6}"
            f"{_ratio(t.other_right, t.other_checked):>7}{_ratio(t.stage_right, t.stage_checked):>6}"
        )
    return "\n".join(lines)


def meets_targets(overall: Tally) -> bool:
    return (
        overall.recall >= TARGET_RECALL
        and overall.precision >= TARGET_PRECISION
        and overall.false_replies == 0
    )


def main(argv: list[str]) -> int:
    chosen = argv[argv.index("--corpus") + 1].split(",") if "--corpus" in argv else None
    through_app = "--through" in argv and argv[argv.index("--through") + 1] == "app"
    with_model = "--reader" in argv and argv[argv.index("--reader") + 1] == "model"
    picked = {name: path for name, path in CORPORA.items() if chosen is None or name in chosen}
    if "--rules-only" in argv:
        # the reader without its scorer (bot/reader/scorer.py): what the rules read alone, in and out of the app
        import bot.reader.reading

        bot.reader.reading.second_opinion = lambda reading, *args, **kwargs: reading  # type: ignore[assignment]
    fake_model = None
    env: dict[str, str] | None = None
    if with_model:
        import os

        through_app = True
        if "--oracle" in argv:
            contrary = argv[argv.index("--oracle") + 1:][:1] == ["no"]
            fake_model = oracle([load_corpus(path) for path in picked.values()], contrary=contrary)
            env = {"DECISION_READER": "model", "MODEL_BASE_URL": fake_model.url, "MODEL_NAME": "oracle"}
        else:
            env = model_env(dict(os.environ))
    total = ModelCost()
    every = Tally()
    for name, path in picked.items():
        corpus = load_corpus(path)
        cost = ModelCost()
        results = (evaluate_through_app(corpus, channel_manager="--channel-manager" in argv, env=env,
                                        on_close=partial(cost.add, messages=len(corpus)) if with_model
                                        else None)
                   if through_app else evaluate(corpus))
        where = ROOT.parent if path.is_relative_to(ROOT.parent) else ROOT
        how = "reading alone" if not through_app else "through the app" + (
            f", model reader {env.get('MODEL_NAME')}" if with_model and env else "")
        print(f"== {name}: {path.relative_to(where)} ({how})")
        print(report(results))
        if "--misses" in argv:
            print()
            print("\n".join(results["OVERALL"].misses) or "no misses")
        every.add(results["OVERALL"])
        verdict = "met" if meets_targets(results["OVERALL"]) else "NOT met"
        print(
            f"\ntargets (recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}, 0 false replies): "
            f"{verdict}\n"
        )
        if with_model:
            print(cost.report() + "\n")
            total.add_cost(cost)
    if len(picked) > 1:
        print("== all corpora\n" + report({"OVERALL": every}))
        if with_model:
            print(total.report())
    if fake_model is not None:
        fake_model.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
