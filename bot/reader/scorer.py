"""A second opinion on every person a message names: how likely it is that the message says they were not
selected.

The rules (`bot.reader.rules`, `bot.reader.clauses`) know the phrases they were written for; a writer who
says it another way ("walked off the trial", "DNH'd", "we'll let her go back to the pool") gets no reading.
This is a logistic model over the words that surround each name: the words of its clause (left and right,
with their distance), of its line, of the whole message, the verdict vocabulary of `vocab/verdicts.json`
that those hold, and the shape of the line (a bullet, a table row) and of the name. It was trained offline
on the labelled corpora (`scripts/train_scorer.py`; the weights and what they were trained on are in
`vocab/scorer.json`), and it reads no rule's output, so it can disagree with the rules.

`bot.reader.reading.read` uses it both ways: a person the rules missed is added when the model is sure
(`ADD_AT`), and a person the rules read as not selected is taken out when the model is sure they were not
(`DROP_BELOW`). Pure and offline, like the rest of the reader; scoring is linear in the message's length.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from bot.domain.keys import name_key

WEIGHTS = Path(__file__).parent / "vocab" / "scorer.json"
VERDICTS = Path(__file__).parent / "vocab" / "verdicts.json"

ADD_AT = 0.7  # a person the rules did not read as not selected is added at or above this
NEW_AT = 0.7  # a message the rules did not read as a decision becomes one when a person scores this
DROP_BELOW = 0.05  # a person the rules read as not selected is taken out below this
VETO_BELOW = 0.1  # a message that scores below this as a whole turns nobody down
MOST_PEOPLE = 60  # past this many names a message is a list the rules read alone
MOST_WINDOW = 8  # words each side of a name
_MOST_OCCURRENCES = 3
_MASK = "NAMEX"

_WORD = re.compile(r"\[(?:YES|NO)\]|[\w'’-]+|[^\w\s]")
_CLAUSE_END = re.compile(r"[.;!?](?:\s|$)|\n|\s[—–-]\s|\b(?:but|while|whereas|however)\b", re.IGNORECASE)
_LIST_MARK = re.compile(r"\s*(?:[•*\-–]|\d+[.)])")


@dataclass(frozen=True)
class Model:
    bias: float
    weights: dict[str, float]


@cache
def _weights() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return data


def _model(data: dict[str, Any]) -> Model:
    return Model(bias=float(data["bias"]), weights={k: float(v) for k, v in data["weights"].items()})


@cache
def model() -> Model:
    """How likely a person a message names was turned down by it."""
    return _model(_weights())


@cache
def message_model() -> Model:
    """How likely a message turns someone down at all (a look-alike scores low)."""
    return _model(_weights()["message"])


@cache
def _lexicon() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The verdict vocabulary as features: each phrase group of verdicts.json, by outcome and strength."""
    data = json.loads(VERDICTS.read_text(encoding="utf-8"))
    out: list[tuple[str, re.Pattern[str]]] = []
    for kind, phrases in data.items():
        if kind.startswith("_") or kind == "hiring_words":
            continue
        groups = phrases.items() if isinstance(phrases, dict) else [("all", phrases)]
        for strength, patterns in groups:
            if patterns:
                joined = "|".join(f"(?:{p})" for p in patterns)
                out.append((f"{kind}_{strength}", re.compile(rf"(?<!\w)(?:{joined})(?!\w)", re.IGNORECASE)))
    return tuple(out)


def _lex(text: str) -> set[str]:
    return {name for name, pattern in _lexicon() if pattern.search(text)}


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _whole(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def occurrences(plain: str, name: str) -> tuple[list[tuple[int, int]], str]:
    """Where a name is written: the whole name, else its first part that is (a reply's "Joaquín" for the
    parent's "Joaquín Ferreira"); and which of the two it was."""
    spans = [m.span() for m in _whole(name).finditer(plain)]
    if spans:
        return spans, "full"
    for part in name.split():
        if len(part) >= 2:
            spans = [m.span() for m in _whole(part).finditer(plain)]
            if spans:
                return spans, "part"
    return [], "none"


class Message:
    """What every person's features share: the text, the names masked out, the vocabulary it holds."""

    def __init__(self, plain: str, parent: str, names: Sequence[str]) -> None:
        self.plain = plain
        self.parent = parent  # the thread parent's text, normalised
        self._parent_low = parent.lower()
        self.names = list(names)
        self.found = {name: occurrences(plain, name) for name in self.names}
        written = {
            name if how == "full" else plain[spans[0][0] : spans[0][1]]
            for name, (spans, how) in self.found.items()
            if spans
        }
        self._mask = (
            re.compile(
                "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(written, key=len, reverse=True)), re.IGNORECASE
            )
            if written
            else None
        )
        self.words = set(_words(self.mask(plain)))
        self.lex = _lex(plain)

    def mask(self, text: str) -> str:
        return self._mask.sub(f" {_MASK} ", text) if self._mask is not None else text

    def features(self, name: str) -> set[str]:
        spans, how = self.found[name]
        out = {"bias", f"occ={how}", f"ntok={min(len(name.split()), 3)}", f"nothers={min(len(self.names) - 1, 4)}"}
        if name == name.lower():
            out.add("lower")
        if self._parent_low and name.lower() in self._parent_low:
            out.add("in_parent")
        if not spans:
            out.add("unseen")
        for start, end in spans[:_MOST_OCCURRENCES]:
            out |= self._around(start, end)
        out |= {f"VM:{k}" for k in self.lex}
        out |= {f"M:{w}" for w in self.words}
        return out

    def about(self, *, reply: bool, people: int) -> set[str]:
        """The features of the message as a whole: its words, its verdict vocabulary, whether it asks."""
        out = {"bias", f"people={min(people, 4)}", *(f"M:{w}" for w in self.words), *(f"VM:{k}" for k in self.lex)}
        if "?" in self.plain:
            out.add("asks")
        if reply:
            out.add("reply")
        return out

    def _around(self, start: int, end: int) -> set[str]:
        plain = self.plain
        line_start = plain.rfind("\n", 0, start) + 1
        line_end = plain.find("\n", end)
        line_end = len(plain) if line_end < 0 else line_end
        left = self.mask(plain[max(line_start, start - 400) : start])
        right = self.mask(plain[end : min(line_end, end + 400)])
        ends = list(_CLAUSE_END.finditer(left))
        left_clause = left[ends[-1].end() :] if ends else left
        stop = _CLAUSE_END.search(right)
        right_clause = right[: stop.start()] if stop else right
        lw = _words(left_clause)[-MOST_WINDOW:]
        rw = _words(right_clause)[:MOST_WINDOW]
        out: set[str] = set()
        for i, w in enumerate(reversed(lw)):
            out.add(f"L:{w}")
            if i < 3:
                out.add(f"L{i}:{w}")
        for i, w in enumerate(rw):
            out.add(f"R:{w}")
            if i < 3:
                out.add(f"R{i}:{w}")
        out |= {f"LB:{a}_{b}" for a, b in pairwise(lw)}
        out |= {f"RB:{a}_{b}" for a, b in pairwise(rw)}
        out |= {f"LN:{w}" for w in _words(f"{left} {_MASK} {right}")}
        out |= {f"VC:{k}" for k in _lex(f"{left_clause} {_MASK} {right_clause}")}
        out |= {f"VL:{k}" for k in _lex(f"{left} {_MASK} {right}")}
        line = plain[line_start:line_end]
        if _LIST_MARK.match(line):
            out.add("bullet")
        if line.count("|") >= 2:
            out.add("pipe_row")
        if line.count(",") >= 2:
            out.add("csv_row")
        if start - line_start < 3:
            out.add("line_start")
        if "?" in right_clause or "?" in left_clause:
            out.add("question_clause")
        return out


def probability(features: Iterable[str], weights: Model | None = None) -> float:
    m = weights or model()
    z = m.bias + sum(m.weights.get(f, 0.0) for f in features)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def distinct(names: Iterable[str]) -> list[str]:
    """Names once each, and not a name that is only part of another ("Maria" beside "Maria Lopez")."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(name_key(name), name)
    keys = list(by_key)
    return [by_key[k] for k in keys if not any(k != o and set(k.split()) < set(o.split()) for o in keys)]
