"""Accuracy of the decision reader on its two corpora, reported separately.

- tests/decision_corpus.jsonl ("tuned"): the messages the rules were written against;
- tests/decision_holdout.jsonl ("holdout"): messages written afterwards, the way hiring managers,
  recruiters and ATS bots write in Slack, with at least 40% non-decisions and near-misses. It was
  measured before the reader was changed for it; keep adding fresh messages to it rather than tuning
  the rules message by message.

Run from the repository root: ``python benchmarks/reader_accuracy.py`` (``--misses`` lists every error,
``--corpus tuned`` or ``--corpus holdout`` reports one of them).

Prints, for each corpus, by category and overall:
- recall and precision of not-selected names in readings the bot would record (confidence at or above
  the threshold), and recall counting readings it would ask about too;
- false replies: non-decisions that got a Decision at or above the threshold;
- asks: readings below the threshold (the bot asks instead of recording).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.decisions import CONFIDENCE_THRESHOLD, Decision, read  # noqa: E402

CORPUS = ROOT / "tests" / "decision_corpus.jsonl"
HOLDOUT = ROOT / "tests" / "decision_holdout.jsonl"
CORPORA: dict[str, Path] = {"tuned": CORPUS, "holdout": HOLDOUT}
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


def load_corpus(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _names(people: Iterable) -> list[str]:
    return [p.name.lower() for p in people]


def score(case: dict, reading: Decision | None) -> Tally:
    tally = Tally(messages=1)
    expected = case["expected"]
    recorded = reading is not None and reading.confidence >= CONFIDENCE_THRESHOLD
    label = f"[{case['category']}] {case['text'][:90]!r}"
    if reading is not None and not recorded:
        tally.asks = 1
    if expected is None:
        tally.non_decisions = 1
        if recorded:
            tally.false_replies = 1
            tally.reported_recorded += len(reading.not_selected)
            tally.misses.append(f"FALSE REPLY {label} -> {reading}")
        return tally
    want = [n.lower() for n in expected["not_selected"]]
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
        tally.role_checked = 1
        role_ok = (reading.role or "").lower() == (expected["role"] or "").lower()
        tally.role_right = int(role_ok)
        if not role_ok:
            tally.misses.append(f"ROLE {label} want={expected['role']!r} got={reading.role!r}")
        others_ok = (
            sorted(_names(reading.hired)) == sorted(n.lower() for n in expected["hired"])
            and sorted(_names(reading.withdrawn)) == sorted(n.lower() for n in expected["withdrawn"])
            and reading.manager_id == expected["manager_id"]
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


def evaluate(corpus: list[dict]) -> dict[str, Tally]:
    by_category: dict[str, Tally] = defaultdict(Tally)
    for case in corpus:
        reading = read(
            case["text"],
            known_names=case.get("known_names", ()),
            attachments_text=case.get("attachments_text", ""),
        )
        by_category[case["category"]].add(score(case, reading))
    overall = Tally()
    for tally in by_category.values():
        overall.add(tally)
    return {**dict(sorted(by_category.items())), "OVERALL": overall}


def _ratio(right: int, checked: int) -> str:
    return f"{right / checked:.2f}" if checked else "  - "


def report(results: dict[str, Tally]) -> str:
    header = (
        f"{'category':<18}{'msgs':>5}{'names':>6}{'recall':>8}{'+asked':>8}{'precis':>8}{'nondec':>7}"
        f"{'false':>6}{'asks':>5}{'role':>6}{'h/w/hm':>7}{'stage':>6}"
    )
    lines = [f"threshold {CONFIDENCE_THRESHOLD}", header, "-" * len(header)]
    for name, t in results.items():
        if name == "OVERALL":
            lines.append("-" * len(header))
        lines.append(
            f"{name:<18}{t.messages:>5}{t.expected_names:>6}{t.recall:>8.3f}{t.recall_any:>8.3f}"
            f"{t.precision:>8.3f}{t.non_decisions:>7}{t.false_replies:>6}{t.asks:>5}"
            f"{_ratio(t.role_right, t.role_checked):>6}{_ratio(t.other_right, t.other_checked):>7}"
            f"{_ratio(t.stage_right, t.stage_checked):>6}"
        )
    return "\n".join(lines)


def meets_targets(overall: Tally) -> bool:
    return (
        overall.recall >= TARGET_RECALL
        and overall.precision >= TARGET_PRECISION
        and overall.false_replies == 0
    )


def main(argv: list[str]) -> int:
    chosen = argv[argv.index("--corpus") + 1] if "--corpus" in argv else None
    for name, path in CORPORA.items():
        if chosen is not None and name != chosen:
            continue
        results = evaluate(load_corpus(path))
        print(f"== {name}: {path.relative_to(ROOT)}")
        print(report(results))
        if "--misses" in argv:
            print()
            print("\n".join(results["OVERALL"].misses) or "no misses")
        verdict = "met" if meets_targets(results["OVERALL"]) else "NOT met"
        print(
            f"\ntargets (recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}, 0 false replies): "
            f"{verdict}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
