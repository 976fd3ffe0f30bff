"""The clause reader: find the people first, then give each the verdict of the words that govern it.

The named rules in `rules` recognise the ways of writing a decision that someone wrote a rule for. This
reader does not know sentence shapes. It finds the people a message names (capitalised names, names the
thread or the workspace already knows, written in any case, and lower-case names where a verdict points at
them), cuts the message into lines, sentences and clauses, finds the verdict phrases of
`vocab/verdicts.json` in each, and gives each person the verdict of their own clause, of the clause
their list runs into ("Lukas, Zara and Mohammed won't be moving forward"), of the label before them
("No hire — Paul Young, Dmitri Volkov"), or of the header over their line ("*Not moving forward*").
Questions, hedged sentences and people named as the one who acted ("rejected by Sam") get no verdict.

Work is linear in the message: each phrase is a bounded regular expression run once over each sentence.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from bot.reader.names import Kind, is_capitalised_name_word
from bot.reader.normalise import Unit, split_units
from bot.reader.vocab import (
    COMMON_WORDS,
    ENGLISH_WORDS,
    JOINING_PARTICLES,
    NON_NAMES,
    ORGANISATION_WORDS,
    PARTICLES,
    ROLE_WORDS,
    STAGE_WORDS,
    THING_NOUNS,
    TITLES,
)

KINDS: tuple[Kind, ...] = ("withdrawn", "not_selected", "hired")


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    kind: Kind | Literal["neutral"]
    strong: bool
    counted: bool = False  # followed by a count of people ("rejected 4 candidates"): its subject acted


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str
    known: bool  # a name the thread, the workspace or another part of the message spells out
    lowercase: bool
    pronoun: bool = False  # "him", "both of them": resolved against the names mentioned before


@dataclass(frozen=True)
class Verdict:
    name: str
    kind: Kind
    strong: bool
    lowercase: bool


@dataclass(frozen=True)
class Vocabulary:
    cues: tuple[tuple[re.Pattern[str], Kind | Literal["neutral"], bool], ...]  # one a phrase: the longest wins
    anchors: tuple[str, ...]  # for each cue, text every match of it contains ("" when none is known)
    hedge: re.Pattern[str]
    common: frozenset[str]
    hiring: re.Pattern[str]
    any_cue: re.Pattern[str]  # every phrase, to tell whether a single word is one


def _pattern(fragments: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted(fragments, key=len, reverse=True)
    # a phrase may start inside a word only at an apostrophe: "we're a no" is "'re a no"
    return re.compile(r"(?:(?<![\w\[])|(?=['’]))(?:" + "|".join(alternatives) + r")(?![\w\]])", re.IGNORECASE)


@cache
def vocabulary() -> Vocabulary:
    folder = resources.files("bot.reader.vocab")
    data = json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))
    cues: list[tuple[re.Pattern[str], Kind | Literal["neutral"], bool]] = []
    for kind in KINDS:
        for strength in ("strong", "weak"):
            cues.extend((_pattern([phrase]), kind, strength == "strong") for phrase in data[kind][strength])
    cues.extend((_pattern([phrase]), "neutral", True) for phrase in data["neutral"])
    every = [phrase for kind in KINDS for strength in ("strong", "weak") for phrase in data[kind][strength]]
    hedge = re.compile(r"(?<!\w)(?:" + "|".join(sorted(data["hedges"], key=len, reverse=True)) + r")(?!\w)",
                       re.IGNORECASE)
    phrases = [phrase for kind in KINDS for strength in ("strong", "weak") for phrase in data[kind][strength]]
    phrases.extend(data["neutral"])
    return Vocabulary(tuple(cues), tuple(_anchor(p) for p in phrases), hedge, COMMON_WORDS,
                      _pattern(data["hiring_words"]), _pattern([*every, *data["neutral"]]))


def _anchor(fragment: str) -> str:
    """The longest run of plain letters a phrase's every match contains, lower case: "reject" for
    "reject(?:ed|ing|s)?", "" for "(?:won't|will not) …". Text without it cannot hold the phrase, so
    `find_cues` skips the phrase's pattern there: most of the vocabulary never scans a long message."""
    if "|" in re.sub(r"\((?:[^()]|\([^()]*\))*\)", "", fragment):
        return ""  # alternatives at the top level: no one text is in every match
    runs: list[str] = []
    current = ""
    depth = 0
    i = 0
    while i < len(fragment):
        char = fragment[i]
        following = fragment[i + 1] if i + 1 < len(fragment) else ""
        if char == "\\":
            runs.append(current)
            current = ""
            i += 2
            continue
        if char in "([":
            runs.append(current)
            current = ""
            depth += 1
            i += 1
            continue
        if char in ")]":
            depth -= 1
            i += 1
            if fragment[i : i + 1] in ("?", "*", "{"):
                i += 1
            continue
        if depth == 0 and (char.isalpha() or char in "' -"):
            if following in ("?", "*", "{"):
                runs.append(current)  # "rejections?": the s may be missing
                current = ""
            else:
                current += char
        else:
            runs.append(current)
            current = ""
        i += 1
    runs.append(current)
    best = max((r.strip().lower() for r in runs), key=len, default="")
    return best if len(best) >= 3 else ""


def hedges(text: str) -> bool:
    """Whether a sentence proposes, asks, votes or supposes rather than decides (the vocabulary's hedges)."""
    return bool(vocabulary().hedge.search(text))


def about_hiring(text: str) -> bool:
    """Whether a text talks about hiring at all (trial shifts, walk-ins, the spot, interviews, offers)."""
    return bool(vocabulary().hiring.search(text))


# --- names -----------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*\.?")


class Gazetteer:
    """Full names the message, its thread or the workspace spell out; a first or last name finds them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.full: dict[str, str] = {}
        self.by_part: dict[str, set[str]] = {}
        vocab = vocabulary()
        for name in names:
            words = name.split()
            while words and (words[0].lower() in vocab.common or _cue_word(words[0], vocab)):
                words = words[1:]  # "Rejecting Xu Ming" read as a name by a looser finder
            name = " ".join(words)
            key = _key(name)
            if len(key.split()) < 2 or key in self.full:
                continue
            self.full[key] = name
            for part in key.split():
                if part not in PARTICLES:
                    self.by_part.setdefault(part, set()).add(key)

    def resolve(self, name: str) -> str | None:
        key = _key(name)
        if key in self.full:
            return self.full[key]
        if " " not in key:
            keys = self.by_part.get(key, set())
        else:
            # "Tuan Anh" or "Cruz Herrera" of "Tuan Anh Pham", "Mateo de la Cruz Herrera": a run of its words
            words = key.split()
            keys = {k for k in self.by_part.get(words[0], set()) if f" {key} " in f" {k} "}
        if len(keys) == 1:
            return self.full[next(iter(keys))]
        return None


def _key(name: str) -> str:
    return " ".join(name.lower().replace("’", "'").split())


def _name_word(word: str) -> bool:
    return is_capitalised_name_word(word.rstrip("."))


def _lower_ok(word: str, vocab: Vocabulary) -> bool:
    w = word.lower()
    return (
        len(w) > 1
        and w not in vocab.common
        and w not in ENGLISH_WORDS
        and w not in NON_NAMES
        and w not in ROLE_WORDS
        and w not in STAGE_WORDS
        and not any(p.fullmatch(w) for p, _, _ in vocab.cues)
    )


def find_mentions(text: str, gazetteer: Gazetteer, cues: Sequence[Cue], vocab: Vocabulary) -> list[Mention]:
    """The people a sentence names, left to right."""
    words = [(m.start(), m.start() + len(m.group().rstrip(".")), m.group().rstrip("."))
             for m in _WORD.finditer(text) if _standalone(text, m)]
    mentions: list[Mention] = []
    i = 0
    while i < len(words):
        start, _, word = words[i]
        low = word.lower()
        followed = i + 1 < len(words) and _name_word(words[i + 1][2]) and text[words[i][1] : words[i + 1][0]] == " "
        if low in TITLES or low in ROLE_WORDS or _cue_word(word, vocab) or (low in vocab.common and not followed):
            if not gazetteer.resolve(word):
                i += 1
                continue
        # a capitalised run: "María José Castillo", "Ilse van der Meer", "SUZUKI Aya", or a name the thread spelled out
        if _name_word(word) or gazetteer.resolve(word) or _family_in_capitals(words, i, text, vocab):
            j = i + 1
            while j < len(words) and text[words[j - 1][1] : words[j][0]] == " " and j - i < 5:
                nxt = words[j][2]
                if nxt.lower() in vocab.common or _cue_word(nxt, vocab):
                    break
                if _name_word(nxt) or gazetteer.resolve(nxt):
                    j += 1
                elif nxt.lower() in PARTICLES:
                    k = j
                    while k < len(words) and words[k][2].lower() in PARTICLES and k - j < 3:
                        k += 1  # "van der", "de la", "bin Khalid Al"
                    if (k < len(words) and _name_word(words[k][2])
                            and not (nxt.lower() in JOINING_PARTICLES and k + 1 < len(words)
                                     and _name_word(words[k + 1][2]))):
                        j = k + 1  # "Ilse van der Meer"; but "Kevin Mora y Alba Serrano" is two people
                    else:
                        break
                else:
                    break
            span = re.sub(r"['’]s$", "", text[start : words[j - 1][1]])
            if _OWNS_A_THING.match(text, start + len(span)):
                i = j  # "Marguerite Lefebvre's PTO request", "Kirra Maddox's timesheet": about a thing of theirs
                continue
            following = words[j][2].lower() if j < len(words) else ""
            if following in ROLE_WORDS and text[words[j - 1][1] : words[j][0]] == " " and not gazetteer.resolve(span):
                i = j + 1  # "Bilingual Patient Coordinator", "Seasonal Retail Associate": a job title
                continue
            if j - i > 1 or gazetteer.resolve(span) or _lone_name(text, start, start + len(span), word, cues, vocab):
                mentions.append(Mention(start, start + len(span), span, gazetteer.resolve(span) is not None,
                                        lowercase=not word[0].isupper()))
            i = j
            continue
        i += 1
    if text[:1].islower():  # a writer who types without capitals types names that way too
        mentions.extend(_lowercase_objects(text, words, mentions, cues, vocab))
    else:  # or after a verdict that labels a list: "passing on: marcus feld, anjali desai, bo-ra kim"
        labels = [c for c in cues if c.kind != "neutral" and c.strong and text[c.end : c.end + 2].strip()[:1] == ":"]
        if labels:
            mentions.extend(_lowercase_objects(text, words, mentions, labels, vocab))
    mentions.extend(_listed_in_brackets(text, mentions, vocab))
    for m in _PRONOUN.finditer(text):
        possessive = m.group().lower() == "her" and _POSSESSIVE.match(text, m.end())
        if not any(x.start <= m.start() < x.end for x in mentions) and not possessive:
            mentions.append(Mention(m.start(), m.end(), m.group().lower(), False, False, pronoun=True))
    return sorted(mentions, key=lambda m: m.start)


_PRONOUN = re.compile(
    r"\b(?:him|her|them|both(?: of them)?|all (?:of them|three|four|five|two)|neither(?: of them)?|he|she|they"
    r"|(?:the )?(?:other|remaining) (?:\d+|two|three|four|five|candidates|finalists|ones|folks)|(?:the )?rest"
    r"|(?:any|all|none|either|neither) of (?:them|the (?:\d+|two|three|four|five|candidates|finalists))"
    r"|everyone else)\b",
    re.IGNORECASE)
_POSSESSIVE = re.compile(  # "her references", not "tell her today"
    r"\s+(?!know\b|out\b|go\b|down\b|a\b|an\b|the\b|that\b|this\b|today\b|now\b|asap\b|up\b)[a-z]{3,}")
_SINGULAR = frozenset({"him", "her", "he", "she"})
_OTHERS = ("the other", "the remaining", "the rest", "everyone else", "other ", "remaining ", "rest")


_OWNS_A_THING = re.compile(r"['’]s\s+(?!application|candidacy|profile|offer|resume|cv\b|candidate|an?\b|not\b|out\b|"
                           r"been\b|no\b|yes\b|the\b|also\b|too\b|done\b|going\b|getting\b|off\b|in\b|on\b|"
                           r"hired\b|rejected\b|withdrawn\b|definitely\b|still\b|now\b)[A-Za-z]",
                           re.IGNORECASE)
_NEXT_TO_OBJECT = re.compile(r"^\s*(?:on|to|with|w)?\s*$", re.IGNORECASE)
_NEXT_TO_SUBJECT = re.compile(r"^\s*(?:is|was|'s|gets|got|also|too|,)?\s*$", re.IGNORECASE)


def _lone_name(text: str, start: int, end: int, word: str, cues: Sequence[Cue], vocab: Vocabulary) -> bool:
    """A single capitalised word is a first name only right next to a verdict ("Nope on Gunnar", "told Pedro
    no", "Tomas – no"), and never an English word, a job or a stage word."""
    low = word.lower()
    if low in vocab.common or low in NON_NAMES or low in ROLE_WORDS or low in STAGE_WORDS or len(word) < 3:
        return False
    if text[end : end + 2] in ("'s", "’s"):
        return False  # "pass on Omar's feedback"
    for cue in cues:
        if cue.kind == "neutral":
            continue
        if cue.end <= start and _NEXT_TO_OBJECT.match(text[cue.end : start]) and cue.strong:
            return True
        if cue.start >= end and (_NEXT_TO_SUBJECT.match(text[end : cue.start]) or text[end : cue.start].strip() in
                                 ("-", "–", "—", ":", "→")):
            return True
    return False


_BRACKETED = re.compile(r"\(([^()]{3,200})\)")
_PLURAL_BEFORE = re.compile(
    r"\b(?:both|all|two|three|four|five|the other|candidates|folks|people|walk[- ]?ins|finalists)\b[^()]{0,60}$",
    re.IGNORECASE)


def _listed_in_brackets(text: str, mentions: list[Mention], vocab: Vocabulary) -> list[Mention]:
    """"passed on both ops candidates from friday's onsite (maya cohen, luis hernández)": the people a plural
    names in brackets after it, in any case."""
    out: list[Mention] = []
    for m in _BRACKETED.finditer(text):
        if not _PLURAL_BEFORE.search(text, 0, m.start()) or any(m.start() <= x.start < m.end() for x in mentions):
            continue
        for part in re.finditer(r"[^,+&/]+", m.group(1)):
            name = re.sub(r"^\s*(?:and\s+)?|\s+$", "", part.group())
            words = name.split()
            if 1 <= len(words) <= 4 and all(_WORD.fullmatch(w) for w in words) and not all(
                    w.lower() in vocab.common or w.lower() in NON_NAMES for w in words):
                start = m.start(1) + part.start() + part.group().index(name)
                out.append(Mention(start, start + len(name), name, False, lowercase=name.islower()))
    return out


def _family_in_capitals(words: list[tuple[int, int, str]], i: int, text: str, vocab: Vocabulary) -> bool:
    """"SUZUKI Aya", "TANAKA Hiroshi": a family name written in capitals before a given name (not "FYI Kenji")."""
    word = words[i][2]
    low = word.lower()
    if low in vocab.common or low in NON_NAMES or low in ROLE_WORDS or low in STAGE_WORDS or _cue_word(word, vocab):
        return False
    return (len(word) > 2 and word.isupper() and word.isalpha() and i + 1 < len(words)
            and text[words[i][1] : words[i + 1][0]] == " " and _name_word(words[i + 1][2]))


def _standalone(text: str, m: re.Match[str]) -> bool:
    """Not part of a mention (@U04…), a domain (Hired.com) or a code."""
    before = text[m.start() - 1 : m.start()] if m.start() else " "
    after = text[m.end() : m.end() + 1]
    code = text[m.end() : m.end() + 2]
    return (before not in "@./_#" and not (after and after in "@/_") and not after.isdigit()
            and not (code[:1] == "-" and code[1:].isdigit()))


def _cue_word(word: str, vocab: Vocabulary) -> bool:
    return vocab.any_cue.fullmatch(word) is not None


_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|our|this|that|my|your|their|his|her|its)\s+$", re.IGNORECASE)
_JOINERS = frozenset({"and", "&", "+", "or", "nor", "n", "y", "e", "et", "und", "og", "och"})
_SUBJECT_LINKS = frozenset({"is", "are", "was", "were", "get", "gets", "got", "it's", "its", "a", "also", "too"})
_OBJECT_LINKS = frozenset({"on", "to", "with", "w", "for", "from", "off"})


def _lowercase_objects(text: str, words: list[tuple[int, int, str]], mentions: list[Mention],
                       cues: Sequence[Cue], vocab: Vocabulary) -> list[Mention]:
    """Lower-case names where a verdict points at them, in a sentence written without capitals: after it
    ("pass on lin feng", "reject ali hassan and noor al-sayed") or before it ("lamar and félix no",
    "ayşe is rejected")."""
    taken = [(m.start, m.end) for m in mentions]
    out: list[Mention] = []

    def free(w: tuple[int, int, str]) -> bool:
        return w[2].islower() and _lower_ok(w[2], vocab) and not any(s <= w[0] < e for s, e in taken)

    def collect(sequence: list[tuple[int, int, str]], links: frozenset[str]) -> list[list[tuple[int, int, str]]]:
        names: list[list[tuple[int, int, str]]] = []
        run: list[tuple[int, int, str]] = []
        previous: tuple[int, int, str] | None = None
        for w in sequence:
            low = w[2].lower()
            gap = "" if previous is None else text[min(previous[1], w[1]) : max(previous[0], w[0])]
            previous = w
            if any(ch in gap for ch in ".;:!?()[]"):
                break
            if run and any(ch in gap for ch in ",+&/"):
                names.append(run)
                run = []
            if not names and not run and low in links:
                continue
            if free(w) and len(run) < 3:
                run.append(w)
            elif run and (low in _JOINERS or low == ","):
                names.append(run)
                run = []
            else:
                break
        if run:
            names.append(run)
        return names[:4]

    for cue in cues:
        if cue.kind == "neutral":
            continue
        after = [w for w in words if w[0] >= cue.end]
        before = [w for w in reversed(words) if w[1] <= cue.start]
        if text[cue.start : cue.start + 1] in ("'", "’"):
            # "ethan's a no": the verdict begins inside the word that names its subject
            before[:0] = [(w[0], cue.start, text[w[0] : cue.start]) for w in words if w[0] < cue.start < w[1]]
        found = collect(after, _OBJECT_LINKS) if cue.strong else []
        subjects = [list(reversed(run)) for run in collect(before, _SUBJECT_LINKS)]
        # "the offsite got rejected", "rfc-0042 got rejected": a thing, unless a determiner-free name
        found += [run for run in subjects if not _DETERMINER_BEFORE.search(text[: run[0][0]])]
        for run in found:
            span = text[run[0][0] : run[-1][1]]
            if any(ch in span for ch in ".,;:!?()"):
                continue
            out.append(Mention(run[0][0], run[-1][1], span, False, lowercase=True))
            taken.append((run[0][0], run[-1][1]))
    return out


# --- cues ------------------------------------------------------------------------------------------


def find_cues(text: str, vocab: Vocabulary) -> list[Cue]:
    """Verdict and neutral phrases, the longest where they overlap."""
    low = text.lower()
    found = [
        Cue(m.start(), m.end(), kind, strong, counted=bool(_COUNTED.match(text, m.end())))
        for (pattern, kind, strong), anchor in zip(vocab.cues, vocab.anchors, strict=True)
        if not anchor or anchor in low
        for m in pattern.finditer(text)
    ]
    # "pavel no", "bethany + quinn no", "tell theo van der berg no pls": a bare no said of the word before it
    found.extend(Cue(m.start(1), m.end(1), "not_selected", False) for m in _NO_AFTER_A_NAME.finditer(text)
                 if m.group("word").lower() not in vocab.common and not _cue_word(m.group("word"), vocab))
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    kept: list[Cue] = []
    covered = bytearray(len(text) + 1)
    for cue in found:
        if not any(covered[cue.start : cue.end]):
            kept.append(cue)
            covered[cue.start : cue.end] = b"\x01" * (cue.end - cue.start)
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    # "had to tell Maja Horvat no today": a no the writer tells someone is the decision itself
    kept = [Cue(c.start, c.end, c.kind, True, c.counted) if c.kind == "not_selected" and not c.strong
            and _TOLD.search(text, max(0, c.start - 40), c.start) else c for c in kept]
    return sorted((c for c in kept if not _negated_or_about_a_thing(text, c)
                   and not any(a < c.start < b for a, b in quoted)), key=lambda c: c.start)


_TOLD = re.compile(r"\b(?:tell|told|telling|tells)\s+(?:[^\s.!?;]+\s+){0,3}$", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|(?<!\w)'[^'\n]{1,200}'(?!\w)")


_COUNT_BEFORE = re.compile(r"\b(?:\d+|all|both|two|three|four|five|six|seven|eight|nine|ten|several|the remaining)\s+"
                           r"(?:\w+\s+)?(?:candidates?|applicants?|people|applications?|finalists)\s+"
                           r"(?:were\s+|have been\s+|was\s+|got\s+|are\s+)?(?:\w+\s+)?$", re.IGNORECASE)
_NO_AFTER_A_NAME = re.compile(r"(?P<word>[^\W\d_][\w'-]*)\s+(no|nope|nah|non)\b", re.IGNORECASE)
_COUNTED = re.compile(r"\s+(?:\d+|all|both|two|three|four|five|six|several|some|the|these|those|remaining|other)\s"
                      r"(?:\w+\s)?(?:candidates?|applicants?|people|applications?|finalists|of them)", re.IGNORECASE)
_FOR_A_JOB = re.compile(r"\s+for\s+(?:the|this|that|our|a|an)\s+(?:[\w-]+\s+){0,3}?"
                        r"(?:role|position|job|post|vacancy|opening|req|spot|gig|seat)s?\b", re.IGNORECASE)
_NOT_YET = re.compile(
    r"(?:\b(?:don'?t|do\s+not|never|rather\s+than|instead\s+of|hold\s+off\s+on|no\s+need\s+to)\b(?:\s+[\w'-]+){0,4}"
    r"|\bbefore\s+(?:anyone|someone|we|you|i|they|he|she)(?:\s+[\w'-]+){0,2}|\bun-)\s*$",
    re.IGNORECASE)
_NEGATION = re.compile(r"(?:\bnot|n't|\bnever|\bno longer|\bwithout)\s+(?:\w+[\s-]+)?$", re.IGNORECASE)
_A_JOB = re.compile(r"\b(?:role|position|job|req|opening|spot|vacancy|posting|seat|post|gig|shift)s?\b", re.IGNORECASE)
_FIT = re.compile(r"\b(?:fit|match|selected|chosen)$", re.IGNORECASE)
_THING = re.compile(r"^\s+(?:(for|to|on|with|from)\s+)?(?:the|a|an|our|this|that|their|its|his|her|your|my)\s+"
                    r"(?!offer\b|candidate|application|applicant|finalist|person|guy|girl|woman|man|folks?|candidacy|"
                    r"role|position|job|req|opening|process|loop|onsite|final|next|panel|team\b|other|two|three|both|time\b|"
                    r"cycle|term|year|semester|quarter|season|week|month|intake|batch|cohort|round|go\b|"
                    r"first|second|third|last|top|remaining)"
                    r"(?:[a-z0-9]|[A-Z]{2,}\b|[A-Z]\d|[A-Z][a-z]+\s+(?:[A-Z]\b|[a-z]))")
_THING_BARE = re.compile(r"^\s+(?:(?:for|to|on)\s+)?"
                         r"(?!(?:the|a|an|him|her|them|both|all|either|any|for|to|on|each|every|this|that|these|those|"
                         r"our|your|my|his|their|its)\b)[a-z][a-z-]+\b")
_WITHDRAWN_THING = re.compile(  # "withdrew her PR", "withdrew $300 from petty cash", "withdrew from STAT 501"
    r"^\s+(?:(?:the|a|an|her|his|their|our)\s+(?!offer|application|candidacy|name)\w|[$€£\d]"
    r"|from\s+(?-i:[A-Z]{2,}\b)|from\s+\w*\d)", re.IGNORECASE)


def _negated_or_about_a_thing(text: str, cue: Cue) -> bool:
    """"we are not rejecting Shira" says no verdict; "rejected the proposal from …" is about a thing."""
    if cue.kind == "neutral":
        return False
    own = re.match(r"(?i)not|no\b|won.t", text[cue.start :])
    if _NEGATION.search(text[max(0, cue.start - 20) : cue.start]) and not own:
        return True
    if _NOT_YET.search(text[max(0, cue.start - 48) : cue.start]):
        return True  # "please don't send her the regret email", "before anyone hits reject", "un-reject him"
    if cue.kind == "hired":
        return False
    after = text[cue.end : cue.end + 40]
    infinitive = re.match(r"\s+to\s+(?!(?:both|all|the|a|an|him|her|them|each|either|any|everyone|those|these)\b)"
                          r"([a-z]+)", after)
    if infinitive and text[:1].islower() and infinitive.group(1) not in vocabulary().common:
        infinitive = None  # "we said no to priscilla wong": in a message typed without capitals, a name
    if not text[cue.start : cue.end].lower().endswith(" to") and infinitive:
        return True  # "declined to sit on the panel"
    thing = _THING.match(after)
    if re.match(r"\s+(?:me|us)\b", after, re.IGNORECASE):
        return True  # "my wifi rejected me three times"; "unable to offer you the position" is a letter's
    for_a_job = bool((thing and thing.group(1) and thing.group(1).lower() == "for"
                     and _A_JOB.match(text, thing.end() - 1)) or _FOR_A_JOB.match(after))
    if thing and not for_a_job and (not thing.group(1) or thing.group(1).lower() != "for"
                                    or _FIT.search(text[cue.start : cue.end])
                                    or not _A_JOB.search(text, cue.end, cue.end + 60)):
        return True  # "rejected the proposal", "no offer for the apartment"; not "… direction for the front desk role"
    # "said no to pineapple", "not selected for jury duty": a lower-case word where a name would be, in a
    # message written with capitals
    if cue.kind == "withdrawn" and _WITHDRAWN_THING.match(after):
        return True  # "withdrew her PR"
    said = text[cue.start : cue.end].lower()
    # "said no to pineapple" points at what follows; "it's a no from us" does not
    pointing = (said.endswith((" to", " on", "against", "selected", " with")) and not said.endswith("not to")) or (
        said.endswith(" no") and re.match(r"\s+to\b", after) is not None)
    return pointing and text[:1].isupper() and bool(_THING_BARE.match(after))


_CLAUSE_BREAK = re.compile(r",|:|\(|\)|\s[—–-]\s|\s(?:but|while|whereas|though|however)\s|\|")
_ACTOR_AFTER = re.compile(
    r"(?:['’]s)?\s*(?:\([^()\n]{1,60}\)\s*)?,?\s*(?:also\s+|just\s+|already\s+)?"
    r"(?:said|says|flagged|wrote|writes|asked|asks|thinks|thought|felt|feels|told\s+(?:me|us)|mentioned|noted|"
    r"reported|explained|suggested|recommended|recommends|wants|needs|is\s+building|put\s+together|"
    r"declined\s+to\s+comment|is\s+not\s+the|isn't\s+the|was\s+not\s+the|confirmed\s+that|agreed|"
    r"is\s+(?:rejecting|declining)\s+(?:all\s+)?(?:my|our|the|your)|(?:will|can)\s+let)\b",
    re.IGNORECASE)
_STAFF_FIELD = re.compile(
    r"^\W*(?:recruiter|recruiting\s+(?:lead|partner)|hiring\s+(?:manager|lead|team|contact)|hm|owner|coordinator|"
    r"interviewers?|sourcer|approver|panel(?:ists?)?|contact|assigned\s+to|requested\s+by|"
    r"(?:submitted|changed|updated|recorded|archived|rejected|moved|disqualified|declined|created|sent)\s+by)\W*:",
    re.IGNORECASE)
_THANKED = re.compile(r"(?:\bthanks?|\bthank\s+you|\bkudos|\bshout[\s-]?out|\bgrateful)(?:\s+(?:to|for))?\s+"
                      r"(?:[^\s.!?;:]+[\s,&]+){0,6}$", re.IGNORECASE)
_ACTOR_BEFORE = re.compile(r"(?:\bby|\bper|\bcc|\bfrom|\bthanks?|\bask|\bping|@\w+)\s*:?\s*$", re.IGNORECASE)


@dataclass
class _Clause:
    start: int
    end: int
    mentions: list[Mention]
    cues: list[Cue]
    labels: bool = False  # ends in ":", a dash or a cell border: a label for what follows
    candidate_noun: bool = False  # says "the applicant", "the candidate", "the finalist"

    @property
    def verdicts(self) -> list[Cue]:
        return [c for c in self.cues if c.kind != "neutral"]

    @property
    def neutral(self) -> bool:
        return any(c.kind == "neutral" for c in self.cues)


_CANDIDATE_NOUN = re.compile(r"\bthe (?:\w+ )?(?:applicant|candidate|finalist|interviewee)s?\b", re.IGNORECASE)


def _clauses(text: str, mentions: list[Mention], cues: list[Cue]) -> list[_Clause]:
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)] + [len(text) + 1]
    out = []
    for a, b in itertools.pairwise(bounds):
        labels = text[max(a, b - 3) : b].strip()[-1:] in (":", "—", "–", "-", "|", "(", ")")
        out.append(_Clause(a, b, [m for m in mentions if a <= m.start < b], [c for c in cues if a <= c.start < b],
                           labels, bool(_CANDIDATE_NOUN.search(text, a, min(b, len(text))))))
    return [c for c in out if c.mentions or c.cues]


def _sentence_verdicts(text: str, gazetteer: Gazetteer, vocab: Vocabulary, *, hiring: bool,
                       section: Cue | None) -> tuple[list[tuple[Mention, Cue]], Cue | None, list[Mention]]:
    """(person, verdict) pairs of one sentence, and the verdict a header line sets for the lines under it."""
    cues = [c for c in find_cues(text, vocab) if c.kind == "neutral" or c.strong or hiring]
    mentions = find_mentions(text, gazetteer, cues, vocab)
    verdict_cues = [c for c in cues if c.kind != "neutral"]
    kinds = {c.kind for c in verdict_cues}
    counted = any(c.counted or _COUNT_BEFORE.search(text, 0, c.start) for c in verdict_cues)
    if (text.rstrip().endswith(":") or counted) and len(kinds) == 1:
        # "Remaining candidates were archived with reason Hired someone else:", "3 candidates disqualified from
        # Accounts Payable Clerk" over a list of names
        section = verdict_cues[-1]
    if not mentions:
        # a header line ("*Not moving forward*", "Rejected:") sets the verdict of the lines under it, and
        # one with none ("*Still active*") ends it
        if verdict_cues and len(text) <= 60 and len(kinds) == 1:
            return [], verdict_cues[0], []
        if len(text) <= 40:
            return [], None, []
        return [], section, []
    clauses = _clauses(text, mentions, cues)
    pairs: list[tuple[Mention, Cue]] = []
    staff = bool(_STAFF_FIELD.match(text))  # "Recruiter: Amber Kessler", "Hiring Lead: Cheryl Tan"
    for index, clause in enumerate(clauses):
        for mention in clause.mentions:
            if staff or _ACTOR_BEFORE.search(text[max(0, mention.start - 12) : mention.start]):
                continue
            if _THANKED.search(text, max(0, mention.start - 60), mention.start):
                continue  # "Huge thanks to Priya and Joaquín for running the search": the interviewers
            if _ACTOR_AFTER.match(text, mention.end):
                continue  # "Ruth Goldberg flagged that …", "Kenji Watanabe (their eng lead) wrote …": a speaker
            cue = _own_cue(clause, mention, text)
            if cue is None and clause.neutral:
                continue
            if cue is None:
                cue = _neighbour_cue(clauses, index, own_verb=bool(_OWN_VERB.match(text, mention.end)))
            if cue is None and section is not None:
                cue = section
            if cue is not None and cue is not section and _about_a_thing(text, mention, cue):
                continue  # "Dr. Camila Alvarez just rejected my request", "the deploy of Emilia Navarro was rejected"
            if cue is not None and not (mention.pronoun and cue is section):
                if cue.kind == "not_selected" and _declined_it_themselves(text, clause, mention, cue):
                    cue = Cue(cue.start, cue.end, "withdrawn", True)
                pairs.append((mention, cue))
    return pairs, section, mentions


_DECLINED = re.compile(
    r"(?:has\s+|have\s+|just\s+|also\s+)*declin(?:ed|es|ing)\b(?!\s+(?:him|her|them|the\s+candidate))", re.IGNORECASE)
_BY_US = re.compile(r"[^\n]{0,30}\bby\s+(?:us|the\s+(?:company|client|team|panel|hm)|hiring)", re.IGNORECASE)


_QUALIFIERS = frozenset({"after", "at", "in", "following", "during", "from", "on", "post", "before", "with"})
_THING_WORD = re.compile(r"[^\W\d_][\w'-]*")
_PASSIVE = re.compile(r"(?:was|were|got|gets|is|are|has been|have been|fue|foi|wurde)\s+(?:\w+\s+)?$", re.IGNORECASE)


def _about_a_thing(text: str, mention: Mention, cue: Cue) -> bool:
    """A verdict whose subject or object is a thing: "rejected all three mocks", "the Q3 proposal Fatima
    Zahra put together was rejected", "Referral bonus for Alok's referral (Pooja Menon) was rejected"."""
    if cue.start >= mention.end:
        # the name before the verdict: a thing between them, or a passive verdict of a thing before the name
        between = [w.lower() for w in _THING_WORD.findall(text[mention.end : cue.start])]
        before = [w.lower() for w in _THING_WORD.findall(text[max(0, mention.start - 40) : mention.start])][-4:]
        passive = _PASSIVE.search(text, max(0, cue.start - 30), cue.start) is not None
        return (any(w in THING_NOUNS for w in between) or (passive and any(w in THING_NOUNS for w in before))
                or _determined_thing(text, cue.end))  # "Dr. Alvarez rejected my request"
    # the verdict before the name: its object a thing ("rejected my request", "declined the invite for …")
    return _object_is_a_thing(text[cue.end : mention.start])


_DETERMINED = re.compile(
    r"\s+(?:my|our|your|the|a|an|this|that|these|those|all|every|\d+)\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.IGNORECASE)


def _determined_thing(text: str, at: int) -> bool:
    """The object right after a verdict is a thing of ours: "rejected my request", "declined all three mocks"."""
    m = _DETERMINED.match(text, at)
    return m is not None and any(w.lower() in THING_NOUNS for w in m.group(1).split())


def _object_is_a_thing(between: str) -> bool:
    if ":" in between or "\n" in between:
        return False  # "Not progressing after the edit test: Pablo Herrera Ginés, …" labels the names after it
    after = []
    for word in _THING_WORD.findall(between)[:4]:
        if word.lower() in _QUALIFIERS:
            break  # "rejected after the final test", "no for the test"
        after.append(word.lower())
    return any(w in THING_NOUNS for w in after)


def _declined_it_themselves(text: str, clause: _Clause, mention: Mention, cue: Cue) -> bool:
    """"Bettina Sørensen … declined", "she's declining, took a full-time role elsewhere": the person
    said no to us; "we declined Bettina" is the other way round."""
    if cue.start < mention.end or any(m.start >= cue.end for m in clause.mentions):
        return False
    between = text[mention.end : cue.start]
    if _BY_US.match(text, cue.end):
        return False  # "Yuki Matsumoto - declined (by us)"
    return bool(_DECLINED.match(text, cue.start)) and re.fullmatch(
        r"(?:['’]s)?(?:\s+(?:is|was|has|have|just|then|also|called back and|politely))*\s*", between) is not None


def _own_cue(clause: _Clause, mention: Mention, text: str = "") -> Cue | None:
    verdicts = [c for c in clause.verdicts if not _mark(text, c) or _adjacent(text, c, mention)]
    if not verdicts:
        return None
    # "Dana rejected Omar": with a name after an active verdict, the name before it is the one who acted
    before = [c for c in verdicts if c.end <= mention.start]
    after = [c for c in verdicts if c.start >= mention.end]
    if after and not before:
        cue = after[0]
        objects = [m for m in clause.mentions if m.start >= cue.end]
        if (objects or cue.counted) and cue.kind == "not_selected" and not _subject_verdict(cue):
            return None
        return cue
    if before and not after:
        return before[-1]
    if len({c.kind for c in verdicts}) == 1:
        return max(verdicts, key=lambda c: c.strong)  # "não vamos seguir com o Rafael Duarte :x:": the words say it
    return min(verdicts, key=lambda c: min(abs(c.start - mention.end), abs(mention.start - c.end)))


def _mark(text: str, cue: Cue) -> bool:
    return text[cue.start : cue.end] in ("[NO]", "[YES]")


def _adjacent(text: str, cue: Cue, mention: Mention) -> bool:
    """":x: Beth Moore", "Beth Moore: :x:", "Beth Moore – :x: final": a mark says its verdict of the name next to it."""
    if cue.end <= mention.start:
        # a mark before a name heads its line (":x: Beth Moore"); after another name it is that one's
        opens = text[: cue.start].rstrip(" *_")[-1:] in ("", "\n", "|", ";", ",", "•", "-", "(", ":")
        return opens and not text[cue.end : mention.start].strip(" :-–—|*_()")
    return not text[mention.end : cue.start].strip(" :-–—|*_()")


def _subject_verdict(cue: Cue) -> bool:
    return cue.end - cue.start <= 4  # "no", "out", "nope": said of the name before them


# a name followed by its own verb is the subject of its own clause, not the next entry of a list before it
_OWN_VERB = re.compile(
    r"\s+(?:gets|got|is|was|are|were|comes|came|goes|went|moves|moved|starts|started|will|has|had|accepted|"
    r"signed|joins|joined|stays|stayed|passed|takes|took|proceeds|advances|continues)\b", re.IGNORECASE)


def _neighbour_cue(clauses: list[_Clause], index: int, *, own_verb: bool = False) -> Cue | None:
    """A clause naming people without a verdict: a list running into the next clause's verdict, or a label
    before it ("No hire — Paul Young, Dmitri Volkov"). `own_verb`: the name has a verb of its own ("no on
    Dmitri, Ha-eun comes in for a trial day"), so no list before it goes on to it."""
    for clause in clauses[index + 1 :]:
        if clause.neutral and not clause.verdicts:
            break
        if clause.verdicts:
            # "Lukas, Zara and Mohammed won't be moving forward"; a row: "Mateo Rossi: [NO] final"
            if not clause.mentions or clause.mentions[0].start < clause.verdicts[0].start:
                return clause.verdicts[0]
            break
        if not clause.mentions:
            break
    for clause in reversed(clauses[:index]):
        # a label, or a pronoun naming what follows: "passing on the other 3 (Olu Adeyemi, Brandon Kowalczyk, …)"
        if clause.verdicts and (all(m.pronoun for m in clause.mentions) if clause.mentions else clause.labels):
            return clause.verdicts[-1]
        # the list of objects goes on: "reject Ana Souza, Bruno Lima and Carla Dias"
        if (clause.verdicts and clause.mentions and clause.mentions[-1].start > clause.verdicts[-1].start
                and not own_verb):
            return clause.verdicts[-1]
        # an appositive: "not going to proceed with the applicant from the job fair, Tremaine Givens, …"
        if clause.verdicts and not clause.mentions and clause.candidate_noun:
            return clause.verdicts[-1]
        if clause.verdicts or not clause.mentions or clause.neutral:
            break
    return None


# --- the message -----------------------------------------------------------------------------------


_REQUEST = re.compile(  # "can you send the no to Ahmed today?" asks for a decision to be carried out
    r"\b(?:can|could|would) you (?:please |pls )?"
    r"(?:send|let|tell|email|inform|notify|call|ping|close|reject|decline)\b",
    re.IGNORECASE)
_VERDICT_WORDS = re.compile(r"\b(?:results?|outcomes?|decisions?|final|recap|closing|closed)\b", re.IGNORECASE)
VOTES = re.compile(r"\b(?:scorecards?|votes?|(?:interview|interviewer|panel|my|your) feedback"
                    r"|feedback (?:submitted|form)|availability|interview notes|evaluation)\b", re.IGNORECASE)


_SALUTATION = re.compile(
    r"^\W*(?:hi|hello|dear|hey|hola|bonjour|olá|hallo|estimad[oa]|querid[oa]|prezad[oa]|cher|chère|caro|cara|"
    r"liebe[r]?|sehr geehrte[r]?|beste)\s+(?:(?:dr|mr|ms|mrs|mx|prof)\.?\s+)?"
    r"(?P<name>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,3})\s*(?:[,!:]|\s[—–-]\s)", re.IGNORECASE | re.MULTILINE)
_FORM_VERDICT = re.compile(r"^\W*(?:new |current |final )?(?:status|decision|disposition|outcome|result)"
                           r"\W*:\W*(?P<value>.+)$", re.IGNORECASE | re.MULTILINE)
_FORM_PEOPLE = re.compile(r"^\W*(?:candidates?|applicants?|candidate name|applicant name|name)\W*:\s*(?P<value>.+)$",
                          re.IGNORECASE | re.MULTILINE)


# a thread's parent that asks how it went or what was decided, not for a favour ("can someone take the 2pm?")
_ASKS_FOR_A_DECISION = re.compile(
    r"\b(?:decision|decide|deciding|decided|verdict|thoughts|feedback|how\s+did|how'd|how\s+was|go\?|went\?|"
    r"where\s+did\s+we\s+land|land(?:ed)?\s+on|outcome|your\s+call|the\s+call|yes\s+or\s+no|hire\s+or|debrief|"
    r"trial|final\s+round|finalists?|shortlist|scorecards?|veto|review|results?|any\s+update|update\s+on|"
    r"or\s+(?:no|not|pass|proceed|reject)|(?:pass|proceed|offer|hire|yes)\s+or)\b",
    re.IGNORECASE)
_ASKS_A_FAVOUR = re.compile(
    r"\b(?:can|could|would)\s+(?:someone|anyone|somebody|you)\s+(?:take|cover|swap|join|sit|do|run|help)|"
    r"\bwho\s+can\b|\banyone\s+(?:free|available|able)\b|\bdouble[\s-]booked\b|\breschedul", re.IGNORECASE)


def asks_for_a_decision(parent: str) -> bool:
    return bool(_ASKS_FOR_A_DECISION.search(parent)) and not asks_a_favour(parent)


def asks_a_favour(parent: str) -> bool:
    return bool(_ASKS_A_FAVOUR.search(parent))


def _addressee(plain: str, gazetteer: Gazetteer) -> str | None:
    """Whom a letter pasted into Slack is written to, when it opens "Hi Ingrid Solberg," / "Dear Dr. Ewa Lis,"."""
    m = _SALUTATION.search(plain)
    if m is None or (len(m.group("name").split()) < 2 and not gazetteer.resolve(m.group("name"))):
        return None
    name = m.group("name").rstrip(".")
    return gazetteer.resolve(name) or name


def _form_verdicts(plain: str, gazetteer: Gazetteer, vocab: Vocabulary) -> dict[str, Verdict]:
    """A form or an ATS card: "Candidate: Zainab Hussain" with "Decision: No – not moving forward" (or "New
    status: Not Hired") gives the people of its candidate field the verdict of its status field."""
    kinds: set[Kind] = set()
    strong = False
    for m in _FORM_VERDICT.finditer(plain):
        cues = [c for c in find_cues(m.group("value"), vocab) if c.kind != "neutral"]
        kinds.update(c.kind for c in cues if c.kind != "neutral")  # the filter again, for the type checker
        said_no = re.match(r"\W*(?:no|rejected|declined)\b", m.group("value"), re.IGNORECASE)
        strong = strong or any(c.strong for c in cues) or bool(said_no)
    if len(kinds) != 1 or "hired" in kinds:
        return {}
    kind = kinds.pop()
    people: list[str] = []
    for m in _FORM_PEOPLE.finditer(plain):
        people.extend(_field_names(m.group("value")))
        # names listed on the lines under the field ("Candidates: Kalani Akana\nRuairí Ó Floinn")
        for line in plain[m.end() :].split("\n")[1:]:
            if ":" in line or not line.strip():
                break
            people.extend(_field_names(line))
    if not people:
        people = _card_title_names(plain, gazetteer)
    out: dict[str, Verdict] = {}
    for name in people:
        shown = gazetteer.resolve(name) or (name.title() if name.islower() else name)
        out[_key(shown)] = Verdict(shown, kind, strong, False)
    return out


_TITLE_SEPARATOR = re.compile(r"\s+[—–·|-]\s+|\s*\|\s*")


def _card_title_names(plain: str, gazetteer: Gazetteer) -> list[str]:
    """An ATS card whose candidate is its title line ("Gabriel Mbeki" or "Hamid Rahimi — Logistics
    Coordinator") over a status field: the one full name that heads a line of its own."""
    found = []
    for line in plain.split("\n")[:4]:
        head = _TITLE_SEPARATOR.split(re.sub(r"<[^>|]*\|([^>]*)>|[*_]", r"\1", line).strip())[0]
        if ":" in head:
            continue
        for name in _field_names(head):
            if gazetteer.resolve(name) and len(name.split()) >= 2:
                found.append(gazetteer.resolve(name) or name)
    return found if len(found) == 1 else []


def _field_names(value: str) -> list[str]:
    names = []
    for part in re.split(r",|;|\band\b|&|\+", value):
        words = [w for w in re.split(r"\s+", re.sub(r"\(.*?\)|<[^>]*>|[*_]", " ", part).strip()) if w]
        if 1 <= len(words) <= 5 and all(re.fullmatch(r"[^\W\d_][\w'’.-]*", w) for w in words):
            names.append(" ".join(words))
    return names


def _display(mention: Mention, gazetteer: Gazetteer) -> str:
    return gazetteer.resolve(mention.name) or (mention.name.title() if mention.lowercase else mention.name)


_PLURAL = frozenset({"both", "them", "they", "both of them", "all of them", "all", "all three", "all two"})
# "Ayşe Çelik's references", "Nadia Benali's offer": the owner of a thing may be whom a pronoun means
_OWNER = re.compile(r"\b((?:[A-ZÀ-ÖØ-Þ][\w'’-]+\s+){1,3}[A-ZÀ-ÖØ-Þ][\w-]+)['’]s\b")


def _antecedents(pronoun: str, before: list[str], recent: list[list[str]], context: Sequence[str],
                 decided: set[str]) -> list[str]:
    """Whom a pronoun means: "him" the last person named, "both" / "them" the people of the last sentence
    that named any (or of the thread's parent), "the other two" everyone named not yet decided."""
    if pronoun.startswith(_OTHERS):
        pool = [n for group in recent for n in group] + list(context) + before
        return [n for n in dict.fromkeys(pool) if _key(n) not in decided]
    if pronoun in _SINGULAR:
        if before:
            return before[-1:]
        if recent:
            return recent[-1][-1:]
        return list(context) if len(context) == 1 else []
    if before:
        return before
    if recent:
        return recent[-1]
    return list(context)


_ROW = re.compile(r"\S\s*\|\s*\S")


def _sentences(plain: str) -> list[Unit]:
    """Sentences, but a table row (cells between "|", or columns a code block lined up) stays whole."""
    out: list[Unit] = []
    for line in plain.split("\n"):
        if _ROW.search(line):
            out.append(Unit(line, question=False, line_start=True))
        else:
            out.extend(split_units(line))
    return out



def read_clauses(plain: str, *, names: Sequence[str], hiring: bool, context_names: Sequence[str] = (),
                 context_asks: bool = False, context_favour: bool = False) -> list[Verdict]:
    """Each person the message gives a verdict, once, with the strongest verdict it gives them.

    `context_names`: the people the thread's parent names, whom "both", "them" or "him" may mean;
    `context_asks`: the parent asks for the decision about them ("how did the trial day with Oskar go?");
    `context_favour`: it asks a favour instead ("can someone take the 2pm screen with Priya?"), which a
    "sorry, have to decline" answers."""
    vocab = vocabulary()
    gazetteer = Gazetteer([*names, *context_names])
    recent: list[list[str]] = []  # the people each sentence named, in order
    found: dict[str, Verdict] = {}
    rank = {"withdrawn": 3, "not_selected": 2, "hired": 1}
    section: Cue | None = None
    header = plain.split("\n", 1)[0]
    if "\n" in plain and VOTES.search(header) and not _VERDICT_WORDS.search(header):
        return []  # "Interview Feedback", "Evaluation submitted by …": one interviewer's view
    if "\n" in plain and vocab.hedge.search(header) and not find_mentions(header, gazetteer, [], vocab):
        return []  # "Offsite availability" over a list of ticks and crosses
    asked: list[str] = []  # "kojo? no.": the person a one-word question names, for the answer after it
    unnamed: list[Cue] = []  # verdicts of sentences that name nobody: in a thread, about its parent's people
    unnamed_hiring: list[Cue] = []  # those of them in a sentence about hiring
    anyone = deliberating = False
    for unit in _sentences(plain):
        if unit.line_start and section is not None and unit.text.strip().endswith(":"):
            section = None
        if unit.question and not _REQUEST.search(unit.text):
            named = find_mentions(unit.text, gazetteer, [], vocab)
            short = len(unit.text.split()) <= 4
            asked = [_display(m, gazetteer) for m in named if not m.pronoun] if short else []
            anyone = anyone or any(not m.pronoun for m in named)
            continue
        if vocab.hedge.search(unit.text):
            asked = []
            deliberating = True
            continue
        pairs, section, named = _sentence_verdicts(unit.text, gazetteer, vocab, hiring=hiring, section=section)
        anyone = anyone or any(not m.pronoun for m in named)
        here = [_display(m, gazetteer) for m in named if not m.pronoun]
        if not pairs and all(m.pronoun for m in named):
            # "We say no, I write him tonight": a verdict that names nobody, for its thread's candidate
            opening = [c for c in find_cues(unit.text, vocab) if c.kind != "neutral" and (c.strong or hiring)]
            if asked and opening and opening[0].start <= 2:
                pairs = [(Mention(0, 0, name, True, False), opening[0]) for name in asked]
            elif opening:
                unnamed.extend(opening)
                if about_hiring(unit.text):
                    unnamed_hiring.extend(opening)
        asked = []
        owners = [(m.start(), name) for m in _OWNER.finditer(unit.text)
                  if (name := clean_name(m.group(1))) and len(name.split()) >= 2]
        for mention, cue in pairs:
            assert cue.kind != "neutral"
            if mention.pronoun:
                before = [name for _, name in sorted(
                    [(m.start, _display(m, gazetteer)) for m in named if not m.pronoun and m.start < mention.start]
                    + [(at, name) for at, name in owners if at < mention.start])]
                people = _antecedents(mention.name, before, recent, context_names, decided=set(found))
                if not people and mention.name in _PLURAL:
                    # "no to both Design Eng finalists: Yasmin Saleh … and Oskar Nieminen": named after it
                    people = [_display(m, gazetteer) for m in named if not m.pronoun and m.start > mention.start]
            else:
                people = [_display(mention, gazetteer)]
            for name in people:
                key = _key(name)
                verdict = Verdict(name, cue.kind, cue.strong, mention.lowercase and not mention.known)
                previous = found.get(key)
                if previous is None or (cue.strong, rank[cue.kind]) > (previous.strong, rank[previous.kind]):
                    found[key] = verdict
        if here:
            recent.append(here)
    kinds = {c.kind for c in unnamed}
    named_people = list(dict.fromkeys(n for group in recent for n in group))
    addressee = _addressee(plain, gazetteer)
    if addressee:
        # a letter: "Hi Ingrid Solberg, … we've decided not to proceed with your application"
        named_people = [addressee]
    if (not found and not deliberating and len(named_people) == 1 and unnamed_hiring
            and {c.kind for c in unnamed_hiring} == {"not_selected"} and any(c.strong for c in unnamed_hiring)):
        # "Sent to Ioana Popescu just now: > … we've decided to move forward with other candidates"
        found[_key(named_people[0])] = Verdict(named_people[0], "not_selected", True, False)
    if not found:
        found.update(_form_verdicts(plain, gazetteer, vocab))
    in_thread = {_key(n) for n in context_names}
    targets = named_people if named_people and all(_key(n) in in_thread for n in named_people) else (
        [] if anyone else list(context_names))
    if (not found and not deliberating and targets and len(kinds) == 1 and kinds != {"hired"} and not context_favour
            and (hiring or context_asks) and (unnamed_hiring or any(c.strong for c in unnamed) or context_asks)):
        # a reply that names nobody but its thread's people ("decision: no. thanks everyone", "it's a no, I'll
        # let Noa know") decides about its thread's candidate; about several it is too vague to record unasked
        cue = unnamed[0]
        assert cue.kind != "neutral"  # unnamed is filled with verdict cues only
        sure = (cue.strong or context_asks) and len(targets) == 1
        for name in targets:
            found[_key(name)] = Verdict(name, cue.kind, sure, False)
    if not any(v.kind != "hired" for v in found.values()):
        return []  # a hire alone ("Rui is joining us Monday") is news, not a decision anyone is owed a note for
    return list(found.values())


_ARTICLES = frozenset({"A", "O", "a", "o"})
_HONORIFIC_SUFFIX = re.compile(r"-(?:san|sama|kun|chan|ssi|ji|sensei)$", re.IGNORECASE)
_TITLE_WORDS = frozenset({"dra", "sra", "srta", "sr", "mme", "mlle", "herr", "frau", "pt", "approver", "candidate",
                          "applicant", "interviewed", "regretfully", "unfortunately", "sadly", "kindly", "dear",
                          "told", "tell", "telling"})


def clean_name(name: str) -> str | None:
    """A person's name as it should be recorded, or None when what was read is not a name ("line cook",
    "opportunity", "Regretfully Mr."): titles, honorific suffixes and leading filler words dropped."""
    vocab = vocabulary()
    words = [w for w in name.replace("’", "'").split() if w]
    while words and (words[0].lower().rstrip(".") in TITLES | _TITLE_WORDS or _cue_word(words[0], vocab)
                     or (words[0] in _ARTICLES and len(words) > 2)):
        words = words[1:]  # "A Juliana Freitas e o Lucas Bezerra": Portuguese puts an article before a name
    while words and _cue_word(words[-1], vocab):
        words = words[:-1]
    if words:
        words[-1] = _HONORIFIC_SUFFIX.sub("", words[-1])
    if not words or all(w.lower() in vocab.common or w.lower() in ROLE_WORDS or w.lower() in STAGE_WORDS
                        or w.lower() in NON_NAMES for w in words):
        return None
    if any(w.lower() in ORGANISATION_WORDS for w in words):
        return None  # "Tugger Robotics", "Bauer Equipment": a company
    if len(words) > 1 and all(all(part in ENGLISH_WORDS or len(part) == 1 for part in w.lower().strip(".'’").split("-"))
           or (w.isupper() and len(w) <= 4 and len(words) > 1 and not all(x.isupper() for x in words))
           for w in words):
        return None  # "Deep Dive", "Capitol Hill", "post-onsite", "CDL B": everyday words, not a person
    return " ".join(words).rstrip(".,;:")


def clean_people(people: tuple[tuple, tuple, tuple]) -> tuple[tuple, tuple, tuple]:
    """Each group of a reading with its names cleaned; a name that is the start of a fuller one dropped."""
    cleaned: list[list] = [[], [], []]
    everyone: list[str] = []
    for index, group in enumerate(people):
        for person in group:
            name = clean_name(person.name)
            if name is not None:
                cleaned[index].append(type(person)(name, person.stage))
                everyone.append(name.lower())
    # the proper runs of words of every name: "Tuan Anh" when "Tuan Anh Pham" is there too, "El Idrissi" of
    # "Fatima Zahra El Idrissi", "Seung-min" of "Yoon Seung-min"
    prefixes = {" ".join(n.split()[i:j]) for n in everyone for i in range(len(n.split()))
                for j in range(i + 1, len(n.split()) + 1) if j - i < len(n.split())}
    out = []
    for names in cleaned:
        seen: set[str] = set()
        kept = []
        for p in names:
            low = p.name.lower()
            if low not in prefixes and low not in seen:
                seen.add(low)
                kept.append(p)
        out.append(tuple(kept))
    return out[0], out[1], out[2]
