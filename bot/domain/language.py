"""Careful-language checker: find words in a note that create legal risk in hiring.

The list lives in one readable data file, `bot/risky_phrases.json`: categories, each with a default
`why` and `instead` and rules of literal `phrases` (whole words, any case, any spaces or hyphens between
words) or regular-expression `patterns`. A finding is a prompt to pause, not legal advice.
Pure functions: no Slack calls, no logging.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "risky_phrases.json"

# Whole words: not inside a longer word, and not glued to one by a hyphen ("ill" but not "ill-suited").
_BEFORE = r"(?<![\w-])"
_AFTER = r"(?![\w-])"


@dataclass(frozen=True)
class Finding:
    phrase: str  # the text matched, as it appears
    start: int
    end: int
    category: str  # "age", "family", "religion", "nationality", "disability", "health", "culture fit", ...
    why: str  # one sentence: why this creates legal risk in hiring
    instead: str  # a safer alternative phrasing


@dataclass(frozen=True)
class Rule:
    category: str
    why: str
    instead: str
    pattern: re.Pattern[str]


def phrase_body(phrase: str) -> str:
    """A literal phrase as a regex, allowing any spaces or hyphens between its words (no word boundaries)."""
    words = ["".join("['’]" if c in "'’" else re.escape(c) for c in w) for w in re.split(r"[\s-]+", phrase)]
    return r"[\s-]+".join(w for w in words if w)


def phrase_pattern(phrase: str) -> str:
    """A literal phrase as a whole-word regex, allowing any spaces or hyphens between its words."""
    return _BEFORE + phrase_body(phrase) + _AFTER


def _rule(category: str, why: str, instead: str, sources: list[str]) -> Rule:
    try:
        pattern = re.compile("|".join(f"(?:{source})" for source in sources), re.IGNORECASE)
    except re.error as error:
        message = f"{DATA_FILE}: a pattern in category {category!r} does not compile: {error}"
        raise ValueError(message) from error
    return Rule(category=category, why=why, instead=instead, pattern=pattern)


def build_rules(data: dict[str, Any]) -> tuple[Rule, ...]:
    """Compile the data file's content: one rule for an entry's phrases and one for each of its patterns."""
    rules: list[Rule] = []
    for category in data["categories"]:
        name = category["category"]
        for entry in category["rules"]:
            why = entry.get("why", category["why"])
            instead = entry.get("instead", category["instead"])
            # Longest phrases first: an alternation takes the first alternative that matches.
            phrases = sorted(entry.get("phrases", []), key=len, reverse=True)
            patterns = list(entry.get("patterns", []))
            if not phrases and not patterns:
                raise ValueError(f"{DATA_FILE}: a rule in category {name!r} has no phrases or patterns")
            if phrases:
                # One set of word boundaries around the whole alternation: repeating them inside every
                # alternative defeats the regex engine's scan for a first character (5x slower).
                alternatives = "|".join(phrase_body(p) for p in phrases)
                rules.append(_rule(name, why, instead, [f"{_BEFORE}(?:{alternatives}){_AFTER}"]))
            rules.extend(_rule(name, why, instead, [pattern]) for pattern in patterns)
    return tuple(rules)


@cache
def load_data() -> dict[str, Any]:
    """The parsed data file, read once from the `bot` package."""
    text = resources.files("bot.domain").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def rules() -> tuple[Rule, ...]:
    return build_rules(load_data())


def categories() -> tuple[str, ...]:
    return tuple(category["category"] for category in load_data()["categories"])


def check(text: str) -> tuple[Finding, ...]:
    """Risky phrases in `text`, in order; where matches overlap, the longest (then earliest) one wins."""
    if not text:
        return ()
    found = [
        Finding(
            phrase=match.group(0),
            start=match.start(),
            end=match.end(),
            category=rule.category,
            why=rule.why,
            instead=rule.instead,
        )
        for rule in rules()
        for match in rule.pattern.finditer(text)
        if match.end() > match.start()
    ]
    found.sort(key=lambda f: (-(f.end - f.start), f.start))
    kept: list[Finding] = []
    for finding in found:
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return tuple(sorted(kept, key=lambda f: f.start))
