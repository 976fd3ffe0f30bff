"""Tokens, and the people a text names: the name-list parser (`parse_names`) and the finder of every full
name a text mentions (`mentioned_names`).

Pure: strings in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.reader.normalise import _ABBREVIATIONS
from bot.reader.roles import clean_role
from bot.reader.stages import STAGE_PATTERN, canonical_stage
from bot.reader.vocab import (
    ENGLISH_WORDS,
    JOINING_PARTICLES,
    NON_NAMES,
    PARTICLES,
    PRONOUNS,
    ROLE_HEADS,
    ROLE_WORDS,
    STAGE_WORDS,
    SUFFIXES,
    TITLES,
)

Kind = Literal["hired", "not_selected", "withdrawn"]

# --------------------------------------------------------------------------------------------------
# Tokens and the name-list parser
# --------------------------------------------------------------------------------------------------




_TOKEN = re.compile(
    r"(?P<mark>\[YES\]|\[NO\])|(?P<mention>@[A-Z0-9]+)|(?P<poss>'s\b)"
    r"|(?P<word>[^\W\d_](?:[^\W_]|-(?=[^\W\d_])|'(?!s\b)(?=[^\W\d_]))*)"
    r"|(?P<num>\d[\w.]*)|(?P<punct>\S)"
)


@dataclass(frozen=True)
class Token:
    text: str
    kind: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower().rstrip(".")


def tokenize(text: str) -> list[Token]:
    """Split a unit into words, marks, mentions, numbers and punctuation; "Dr." and "J." keep their dot."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        start, end = m.start(), m.end()
        word = m.group()
        if (
            kind == "word"
            and end < len(text)
            and text[end] == "."
            and (word.lower() in TITLES | SUFFIXES | _ABBREVIATIONS or len(word) == 1)
        ):
            end += 1
            word += "."
        tokens.append(Token(word, kind, start, end))
    # fold the dots consumed above out of punctuation
    folded: list[Token] = []
    for tok in tokens:
        if folded and tok.kind == "punct" and tok.start < folded[-1].end:
            continue
        folded.append(tok)
    return folded


@dataclass(frozen=True)
class NameItem:
    """One entry of a parsed list: a name as written, or a pronoun to resolve against earlier names."""

    name: str
    stage: str | None = None
    lowercase: bool = False  # written in lower case and not among the known names
    known: bool = False
    pronoun: str | None = None
    role_hint: str | None = None


@dataclass(frozen=True)
class NameList:
    items: tuple[NameItem, ...]
    start: int  # token index
    end: int  # token index one past the last consumed token


@dataclass(frozen=True)
class KnownNames:
    full: frozenset[str]
    tokens: frozenset[str]

    @staticmethod
    def of(names: Sequence[str]) -> KnownNames:
        full = {" ".join(n.lower().split()) for n in names if n.strip()}
        toks = {t for n in full for t in n.split()}
        return KnownNames(frozenset(full), frozenset(toks))


NO_KNOWN = KnownNames(frozenset(), frozenset())


def _has_inner_capital(word: str) -> bool:
    core = re.sub(r"^(?:mc|mac|o'|d'|de|di|la|le|van|von|da|du|al-|el-|fitz)", "", word, flags=re.IGNORECASE)
    parts = re.split(r"['\-]", core)
    return any(any(ch.isupper() for ch in part[1:]) for part in parts if part)


def is_capitalised_name_word(word: str) -> bool:
    """True for "Omar", "O'Brien", "Jean-Luc", "McKenzie", "Ní"; false for "PR", "MySQL", "the"."""
    bare = word[:-2] if word.endswith("'s") else word
    if not bare or not bare[0].isupper():
        return False
    if len(bare) > 1 and bare.isupper():
        return False
    if _has_inner_capital(bare):
        return False
    return (
        bare.lower() not in NON_NAMES and bare.lower() not in ROLE_WORDS and bare.lower() not in STAGE_WORDS
    )


def _lower_word_ok(word: str) -> bool:
    w = word.lower()
    return (
        word.islower()
        and w not in NON_NAMES
        and w not in ROLE_WORDS
        and w not in STAGE_WORDS
        and w not in _COMMON_LOWER
        and w not in ENGLISH_WORDS
        and len(w) > 1
        and not w.endswith("ing")
        and not w.endswith("ed")
    )


_COMMON_LOWER = frozenset(
    """
    is are was were be been being will would can could should may might must do does did have has had
    get got go going went make made take took say said see know think want need let lets ask tell call
    email ping send move moving forward ahead back up down out over into onto than then too very really
    more most less much many some any one two three first second last next week month year day time
    lunch dinner coffee pizza sushi meeting room office proposal vendor budget plan idea project feature
    pr ticket bug release launch deal contract slot invite calendar feedback scorecard scorecards
    template doc docs process search pipeline hiring recruiting headcount approval review reviews this
    that it what which who how why where now later soon yet already because since though although anyway
    personally either both well lol thanks thank please sure maybe probably nothing something anything
    things thing stuff way part fit bar reason reasons same other another
    """.split()
)


@dataclass
class _Cursor:
    tokens: list[Token]
    i: int

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.tokens[j] if 0 <= j < len(self.tokens) else None


def _match_known(tokens: list[Token], i: int, known: KnownNames) -> int:
    """Length (in tokens) of the longest known name, or known name part, starting at token i."""
    if not known.full:
        return 0
    best = 0
    words: list[str] = []
    for k in range(i, min(i + 5, len(tokens))):
        if tokens[k].kind != "word":
            break
        words.append(tokens[k].text.lower().removesuffix("'s"))
        joined = " ".join(words)
        if joined in known.full or (len(words) == 1 and joined in known.tokens):
            best = k - i + 1
    return best


_APPLICATION_WORDS = frozenset({"application", "applications", "candidacy", "candidature", "profile"})


def _parse_item(cur: _Cursor, known: KnownNames, loose: bool, application: bool = False) -> NameItem | None:
    """Parse one name at the cursor and advance past it; None (cursor unmoved) if there is none.

    With `application`, "A's application" / "A's candidacy" reads as A (the cursor stops after "'s").
    """
    start = cur.i
    # pronouns, longest first
    for length in (4, 3, 2, 1):
        words = [t.low for t in cur.tokens[start : start + length] if t.kind == "word"]
        if len(words) == length and " ".join(words) in PRONOUNS:
            phrase = " ".join(words)
            if phrase in {"both", "either"}:
                nxt = cur.peek(1)
                if nxt is not None and nxt.kind == "word" and nxt.low != "of":
                    break
            after = cur.tokens[start + length] if start + length < len(cur.tokens) else None
            if after is not None and after.text in {",", ":"}:
                # "the other finalists, Naomi Ito and Erik Dahl": an appositive list follows
                save = cur.i
                cur.i = start + length + 1
                item = _parse_item(cur, known, loose, application)
                if item is not None and item.pronoun is None:
                    return item
                cur.i = save
            cur.i = start + length
            return NameItem(name=phrase, pronoun=phrase)
    tok = cur.peek()
    titles = 0
    while tok is not None and tok.kind == "word" and tok.low in TITLES and titles < 2:  # "Dr. Prof." at most
        cur.i += 1
        titles += 1
        tok = cur.peek()
    if tok is None or tok.kind != "word":
        cur.i = start
        return None
    known_len = _match_known(cur.tokens, cur.i, known)
    parts: list[Token] = []
    lowercase = False
    if known_len:
        parts = cur.tokens[cur.i : cur.i + known_len]
        cur.i += known_len
    elif is_capitalised_name_word(tok.text):
        parts.append(tok)
        cur.i += 1
        while len(parts) < 5:
            nxt = cur.peek()
            if nxt is None or nxt.kind != "word" or parts[-1].text.endswith("'s"):
                break
            if is_capitalised_name_word(nxt.text) or (
                len(nxt.text.rstrip(".")) == 1 and nxt.text[0].isupper()
            ):
                parts.append(nxt)
                cur.i += 1
                continue
            if nxt.low in PARTICLES:
                k = 1
                while (p := cur.peek(k)) is not None and p.kind == "word" and p.low in PARTICLES:
                    k += 1
                following = cur.peek(k)
                after = cur.peek(k + 1)
                if (
                    following is not None
                    and following.kind == "word"
                    and is_capitalised_name_word(following.text)
                    # "Kevin Mora y Alba Serrano" joins two people; "Ortega y Gasset" is one family name
                    and not (nxt.low in JOINING_PARTICLES and after is not None and after.kind == "word"
                             and is_capitalised_name_word(after.text))
                ):
                    parts.extend(cur.tokens[cur.i : cur.i + k + 1])
                    cur.i += k + 1
                    continue
            if nxt.low in SUFFIXES and nxt.text[0].isupper():
                parts.append(nxt)
                cur.i += 1
            break
    elif loose and _lower_word_ok(tok.text):
        lowercase = True
        while len(parts) < 3:
            nxt = cur.peek()
            if nxt is None or nxt.kind != "word" or not _lower_word_ok(nxt.text):
                break
            parts.append(nxt)
            cur.i += 1
    if not parts:
        cur.i = start
        return None
    after = cur.peek()
    if parts[-1].text.endswith("'s") or (after is not None and after.kind == "poss"):
        # a possessive ("Omar's onsite") is not a list entry, except "Omar's application" where asked
        owned = cur.peek(1) if after is not None and after.kind == "poss" else None
        if not (application and owned is not None and owned.low in _APPLICATION_WORDS):
            cur.i = start
            return None
        cur.i += 2
    if len(parts) == 1 and len(parts[0].text.rstrip(".")) == 1:
        cur.i = start
        return None
    nxt = cur.peek()
    if nxt is not None and nxt.kind == "word" and nxt.text[0].isupper() and nxt.low in ROLE_HEADS:
        # "Warehouse Supervisor", "Payroll Specialist": capitalised words ending in a job title are a role
        cur.i = start
        return None
    name = " ".join(p.text for p in parts)
    item = NameItem(name=name, lowercase=lowercase, known=bool(known_len))
    return _attach_paren(cur, item)


def _attach_paren(cur: _Cursor, item: NameItem) -> NameItem:
    tok = cur.peek()
    if tok is None or tok.text != "(":
        return item
    depth, k = 0, cur.i
    while k < len(cur.tokens):
        if cur.tokens[k].text == "(":
            depth += 1
        elif cur.tokens[k].text == ")":
            depth -= 1
            if depth == 0:
                break
        k += 1
    if k >= len(cur.tokens):
        return item
    inner = " ".join(t.text for t in cur.tokens[cur.i + 1 : k])
    cur.i = k + 1
    stage, role = read_paren(inner)
    return NameItem(item.name, stage or item.stage, item.lowercase, item.known, item.pronoun, role)


def read_paren(inner: str) -> tuple[str | None, str | None]:
    """Read "(onsite)", "(both onsite)", "(SRE, Onsite)", "(Senior Designer)" as (stage, role)."""
    inner = re.sub(r"^\s*(?:both|all|each)\s+", "", inner.strip(), flags=re.IGNORECASE)
    stage: str | None = None
    role: str | None = None
    for part in (p.strip() for p in re.split(r"\s*[,;/·]\s*", inner)):
        full_stage = re.fullmatch(
            rf"(?:after\s+(?:the\s+)?|at\s+(?:the\s+)?)?({STAGE_PATTERN})(?:\s+stage)?", part, re.IGNORECASE
        )
        if full_stage and stage is None:
            stage = canonical_stage(full_stage.group(1))
        elif role is None:
            role = clean_role(part, allow_lower=False)
    return stage, role


_SEPARATORS = {",", "&", "and", "or", "/", "+", "nor", "plus"}


# verbs that make the name before them a new clause's subject, not the next entry of a list
_CLAUSE_VERBS = frozenset({
    "gets", "got", "get", "is", "was", "are", "were", "comes", "came", "goes", "went", "moves", "moved", "starts",
    "started", "will", "has", "had", "have", "accepted", "accepts", "signed", "joins", "joined", "stays", "stayed",
    "passed", "passes", "withdrew", "declined", "takes", "took", "proceeds", "advances", "continues", "'s",
})


def parse_names(
    tokens: list[Token], i: int, known: KnownNames = NO_KNOWN, *, loose: bool = False, application: bool = False
) -> NameList | None:
    """Parse a list of names starting at token i: "A, B (onsite), and Dr. C" or "both A and B"."""
    cur = _Cursor(tokens, i)
    tok = cur.peek()
    if tok is not None and tok.kind == "word" and tok.low in {"both", "either", "candidates", "candidate"}:
        following = cur.peek(1)
        if following is not None and following.kind == "word" and following.low not in {"of"}:
            cur.i += 1
    items: list[NameItem] = []
    first = _parse_item(cur, known, loose, application)
    if first is None:
        return None
    items.append(first)
    while True:
        save = cur.i
        consumed = False
        while (t := cur.peek()) is not None and (t.low in _SEPARATORS or t.text == ","):
            cur.i += 1
            consumed = True
        if not consumed:
            break
        only_a_comma = all(t.text == "," for t in cur.tokens[save : cur.i])
        nxt = _parse_item(cur, known, loose, application)
        if nxt is None:
            cur.i = save
            break
        after = cur.peek()
        if only_a_comma and after is not None and after.kind == "word" and after.low in _CLAUSE_VERBS:
            # "no on Tomás and Priya, Anna gets the offer": after a comma, a name with a verb starts a clause
            cur.i = save
            break
        items.append(nxt)
    # "A and B (both onsite)": a stage written once after the list is everyone's
    if len(items) > 1 and items[-1].stage is not None and all(it.stage is None for it in items[:-1]):
        shared = items[-1].stage
        items = [NameItem(it.name, shared, it.lowercase, it.known, it.pronoun, it.role_hint) for it in items]
    return NameList(tuple(items), i, cur.i)


def parse_names_before(tokens: list[Token], end: int, known: KnownNames = NO_KNOWN) -> NameList | None:
    """Parse the list of names that ends right before token `end` ("A and B were rejected")."""
    best: NameList | None = None
    stop = end
    # skip "both" / "all" just before the verb
    while stop > 0 and tokens[stop - 1].kind == "word" and tokens[stop - 1].low in {"both", "all", "each"}:
        stop -= 1
    base = max(0, stop - 25)  # a list of names is at most 24 tokens long: read only those, linear overall
    window = tokens[base:stop]
    for j in range(stop - 1, base - 1, -1):
        result = parse_names(window, j - base, known)
        if result is not None and result.end == len(window) and all(it.pronoun is None for it in result.items):
            best = NameList(result.items, result.start + base, result.end + base)
    return best
