"""Train the reader's scorer (bot/reader/scorer.py) and write bot/reader/vocab/scorer.json.

The scorer gives every person a message names a chance of having been turned down, from the words around
the name. It learns from the labelled corpora: every person the scorer would see in each message, labelled
by whether the corpus lists them as not selected. It never sees the rules' reading (only the people it
names), so it can disagree with the rules where they are wrong.

    python -m venv /tmp/train && /tmp/train/bin/pip install -e . scikit-learn
    /tmp/train/bin/python scripts/train_scorer.py                    # train on TRAIN, write the weights
    /tmp/train/bin/python scripts/train_scorer.py --cross-validate   # what the scorer adds on batches it did not learn
    /tmp/train/bin/python scripts/train_scorer.py --cross-validate --grid  # and at other thresholds

`--cross-validate` holds out four batches at a time (b01–b04, b05–b08, …, b37–b40), trains on the rest and
scores the held-out batches with the rules alone and with the scorer applied the way `read` applies it. The
rules were tuned on b01–b36 and never on b37–b40, so the b37–b40 line is the one to believe.

scikit-learn is used only here; the bot reads the weights with a dot product and needs nothing more.
Batches measured as sealed rounds stay out of TRAIN until their first figure is in the README.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from reader_accuracy import CORPORA, _message, load_corpus  # type: ignore[import-not-found]  # noqa: E402

from bot.domain.keys import name_key  # noqa: E402
from bot.domain.slack_text import message_texts  # noqa: E402
from bot.reader import CONFIDENCE_THRESHOLD, scorer  # noqa: E402
from bot.reader.reading import read_rules, scored_people, second_opinion  # noqa: E402

SEALED: set[str] = set()  # batches written for the next sealed round: kept out until their first figure is taken
TRAIN = [name for name in CORPORA if name not in SEALED]  # with outside-dev when ../shared/corpora holds it
C = 0.3  # inverse L2 strength: chosen by --cross-validate (0.1, 0.3, 1.0)
SMALLEST = 0.005  # weights nearer zero than this are left out of the file


def examples(case: dict[str, Any]) -> tuple[Any, Any, list[tuple[str, frozenset[str]]]]:
    """The rules' reading of a corpus message, what the scorer sees, and each person with their features."""
    text = "\n".join(message_texts(_message(case)))
    parent = case.get("parent") or case.get("thread_parent") or ""
    known = case.get("known_names", ())
    reading = read_rules(text, known_names=known, context=parent)
    seen = scored_people(reading, text, known_names=known, context=parent)
    if seen is None:
        return reading, None, []
    message, people = seen
    return reading, seen, [(name_key(n), frozenset(message.features(n))) for n in people]


def about(row: dict[str, Any]) -> frozenset[str]:
    """The whole message's features, as `second_opinion` asks for them."""
    message, people = row["seen"]
    return frozenset(message.about(reply=bool(row["case"].get("parent") or row["case"].get("thread_parent")),
                                   people=len(people)))


def load(names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        if name not in CORPORA:
            print(f"skipping {name}: not found", file=sys.stderr)
            continue
        for case in load_corpus(CORPORA[name]):
            reading, seen, people = examples(case)
            want = {name_key(n) for n in (case["expected"] or {}).get("not_selected", ())}
            rows.append({"batch": name, "case": case, "reading": reading, "seen": seen, "people": people, "want": want})
    return rows


def fit(rows: list[dict[str, Any]], c: float = C) -> scorer.Model:
    """The person model: each person a message names, labelled by whether the corpus lists them as not selected."""
    return _fit([f for row in rows for _, f in row["people"]],
                [int(k in row["want"]) for row in rows for k, _ in row["people"]], c)


def fit_message(rows: list[dict[str, Any]], c: float = C) -> scorer.Model:
    """The message model: each message that names anyone, labelled by whether it turns anyone down."""
    scored = [row for row in rows if row["seen"] is not None]
    return _fit([about(row) for row in scored], [int(bool(row["want"])) for row in scored], c)


def _fit(rows: list[frozenset[str]], labels: list[int], c: float) -> scorer.Model:
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-not-found]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-not-found]

    features = [dict.fromkeys(f, 1) for f in rows]
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(features)
    # "bias" is a feature that is always there: it carries the intercept, so the fit's own is off
    regression = LogisticRegression(C=c, max_iter=5000, fit_intercept=False).fit(matrix, labels)
    weights = dict(zip(vectorizer.get_feature_names_out(), regression.coef_[0], strict=True))
    return scorer.Model(bias=0.0, weights={k: round(float(w), 4) for k, w in weights.items() if abs(w) >= SMALLEST})


def decide(row: dict[str, Any], models: tuple[scorer.Model, scorer.Model],
           bars: tuple[float, float, float] | None = None) -> set[str]:
    """The not-selected people `read` would record with these models (and these thresholds)."""
    context = row["case"].get("parent") or row["case"].get("thread_parent") or ""
    reading = (second_opinion(row["reading"], "", context=context, model=models[0], message_model=models[1],
                              seen=row["seen"], bars=bars) if row["seen"] else row["reading"])
    if reading is None or reading.confidence < CONFIDENCE_THRESHOLD:
        return set()
    return {name_key(p.name) for p in reading.not_selected}


def rules_alone(row: dict[str, Any]) -> set[str]:
    reading = row["reading"]
    if reading is None or reading.confidence < CONFIDENCE_THRESHOLD:
        return set()
    return {name_key(p.name) for p in reading.not_selected}


def tally(rows: list[dict[str, Any]], picks: list[set[str]]) -> str:
    expected = sum(len(r["want"]) for r in rows)
    found = sum(len(r["want"] & p) for r, p in zip(rows, picks, strict=True))
    reported = sum(len(p) for p in picks)
    false = sum(1 for r, p in zip(rows, picks, strict=True) if r["case"]["expected"] is None and p)
    looks = sum(1 for r in rows if r["case"]["expected"] is None)
    return (f"recall {found / max(expected, 1):.3f}  precision {found / max(reported, 1):.3f}  "
            f"look-alikes answered {false} of {looks}")


def cross_validate(rows: list[dict[str, Any]], c: float, grid: bool = False) -> None:
    """Four batches held out at a time. With `grid`, every fold is also scored at other thresholds (ADD_AT,
    NEW_AT, DROP_BELOW) and the totals over all folds printed: how the thresholds in scorer.py were chosen."""
    batches = sorted({r["batch"] for r in rows if r["batch"].startswith("b")})
    bars = [(a, n, d) for a in (0.6, 0.7, 0.8) for n in (0.7, 0.8, 0.9) for d in (0.05, 0.1, 0.2)]
    totals: dict[tuple[float, float, float], list[int]] = {b: [0, 0, 0, 0] for b in bars}
    for at in range(0, len(batches), 4):
        held = set(batches[at:at + 4])
        train = [r for r in rows if r["batch"] not in held]
        model = (fit(train, c), fit_message(train, c))
        test = [r for r in rows if r["batch"] in held]
        label = f"{min(held)}–{max(held)}"
        print(f"{label}  rules alone: {tally(test, [rules_alone(r) for r in test])}")
        print(f"{' ' * len(label)}  with scorer: {tally(test, [decide(r, model) for r in test])}")
        for b in bars if grid else ():
            picks = [decide(r, model, b) for r in test]
            counts = [sum(len(r["want"] & p) for r, p in zip(test, picks, strict=True)),
                      sum(len(r["want"]) for r in test), sum(len(p) for p in picks),
                      sum(1 for r, p in zip(test, picks, strict=True) if r["case"]["expected"] is None and p)]
            totals[b] = [x + y for x, y in zip(totals[b], counts, strict=True)]
    for b, (found, expected, reported, false) in totals.items() if grid else ():
        print(f"ADD_AT {b[0]}  NEW_AT {b[1]}  DROP_BELOW {b[2]}:  recall {found / max(expected, 1):.3f}  "
              f"precision {found / max(reported, 1):.3f}  look-alikes answered {false}")


def main(argv: list[str]) -> int:
    c = float(argv[argv.index("--c") + 1]) if "--c" in argv else C
    rows = load(TRAIN)
    if "--cross-validate" in argv:
        cross_validate(rows, c, grid="--grid" in argv)
        return 0
    model = fit(rows, c)
    message = fit_message(rows, c)
    trained_on = sorted({r["batch"] for r in rows})
    scorer.WEIGHTS.write_text(json.dumps({
        "_doc": "Weights of bot/reader/scorer.py, written by scripts/train_scorer.py: a logistic model over "
                "binary features of the words around a name ('weights'), and one over the whole message's words "
                "('message'). Do not edit by hand; retrain.",
        "trained_on": trained_on,
        "examples": sum(len(r["people"]) for r in rows),
        "C": c,
        "bias": model.bias,
        "weights": dict(sorted(model.weights.items())),
        "message": {"bias": message.bias, "weights": dict(sorted(message.weights.items()))},
    }, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {scorer.WEIGHTS.relative_to(ROOT)}: {len(model.weights)} weights from "
          f"{sum(len(r['people']) for r in rows)} people in {len(rows)} messages ({', '.join(trained_on)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
