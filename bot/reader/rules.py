"""The pieces of the decision reader: a Slack-text normaliser, a sentence splitter, a name-list parser,
a role finder, a stage finder and the named rules, one per way people write a hiring decision.

Everything here is pure: strings in, plain values out. `bot.reader.reading.read` puts the pieces together.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Kind = Literal["hired", "not_selected", "withdrawn"]

# --------------------------------------------------------------------------------------------------
# Normaliser: raw Slack text -> plain text
# --------------------------------------------------------------------------------------------------

YES_MARK = "[YES]"
NO_MARK = "[NO]"

_YES_EMOJI = {":white_check_mark:", ":heavy_check_mark:", ":ballot_box_with_check:", "✅", "✔️", "✔", "☑️"}
_NO_EMOJI = frozenset(
    """
    :x: :no_entry: :no_entry_sign: :heavy_multiplication_x: :negative_squared_cross_mark: ❌ 🚫 ⛔ ✖️ ❎
    """.split()
)

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\^[^|>]*)?(?:\|[^>]*)?>")
_LABELLED_LINK = re.compile(r"<(?:https?|mailto|tel):[^|>]*\|([^>]*)>")
_BARE_LINK = re.compile(r"<(?:https?|mailto|tel):[^>]*>")
_STRIKE = re.compile(r"(?<![\w~])~[^~\n]+~(?![\w~])")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_CODE = re.compile(r"`{1,3}([^`]*)`{1,3}")
_COLUMNS = re.compile(r"(?<=\S)[ \t]{3,}(?=\S)")  # columns lined up in a code block become cells
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']+:")
_QUOTE = re.compile(r"^\s*>+\s?", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[•◦▪‣●·]|[-*+](?=\s)|\d+[.)](?=\s))[ \t]*", re.MULTILINE)
_ARROW = re.compile(r"\s*(?:-+>|=+>|⟶|➔|➡️?|→)\s*")
_SHORTHAND = (
    (re.compile(r"\bw/(?=\s)", re.IGNORECASE), "with"),
    (re.compile(r"\bfwd\b", re.IGNORECASE), "forward"),
    (re.compile(r"[’‘]"), "'"),
    (re.compile(r"[“”]"), '"'),
    # a bullet between fields ("Ashby • Application archived • Hana Kobayashi") separates like "·"
    (re.compile(r"(?<=\S)[ \t]+[•◦▪][ \t]+"), " · "),
    # typos and dropped apostrophes that hurried writers leave in verdict phrases
    (re.compile(r"\b(?:foward|forwad|foreward|forwrd|fowrard|froward)\b", re.IGNORECASE), "forward"),
    (re.compile(r"\b(?:agianst|aginst|againt|agaisnt)\b", re.IGNORECASE), "against"),
    (re.compile(r"\b(?:proceeed|procede)\b", re.IGNORECASE), "proceed"),
    (
        re.compile(
            r"\b(wo|do|did|is|are|was|were|does|has|have|could|should|would|ca)nt\b(?=\s)", re.IGNORECASE
        ),
        r"\1n't",
    ),
    (re.compile(r"\b(it|that)s(?=\s+a\s+(?:no|yes|pass|hard|soft|strong|clear)\b)", re.IGNORECASE), r"\1's"),
)


def normalise(text: str) -> str:
    """Turn raw Slack message text into plain text.

    Mentions become ``@U123`` (the id only, so a mention label never reads as an interviewee), links
    become their label, HTML escapes are undone, bold/italic/code markers are dropped, struck-out text
    is dropped (people strike a typo), check-mark and cross emoji become ``[YES]``/``[NO]`` and other
    emoji disappear, arrows become ``→``, list bullets and block quotes are removed.
    """
    out = _COLUMNS.sub(" | ", text)
    out = _MENTION.sub(lambda m: f"@{m.group(1)}", out)
    out = _CHANNEL.sub(lambda m: f"#{m.group(1) or 'channel'}", out)
    out = _SPECIAL.sub(lambda m: f"@{m.group(1)}", out)
    out = _LABELLED_LINK.sub(lambda m: m.group(1), out)
    out = _BARE_LINK.sub(" ", out)
    out = html.unescape(out)
    out = _QUOTE.sub("", out)
    out = _STRIKE.sub(" ", out)
    out = _CODE.sub(lambda m: m.group(1), out)
    for _ in range(2):
        out = _BOLD.sub(lambda m: m.group(1), out)
        out = _ITALIC.sub(lambda m: m.group(1), out)
    for code in sorted(_YES_EMOJI, key=len, reverse=True):
        out = out.replace(code, f" {YES_MARK} ")
    for code in sorted(_NO_EMOJI, key=len, reverse=True):
        out = out.replace(code, f" {NO_MARK} ")
    out = _EMOJI_CODE.sub(" ", out)
    out = _ARROW.sub(" → ", out)
    out = "".join(
        " " if unicodedata.category(ch) in {"So", "Sk", "Cf"} and ch not in "→·" else ch for ch in out
    )
    for pattern, repl in _SHORTHAND:
        out = pattern.sub(repl, out)
    out = _BULLET.sub("", out)
    out = re.sub(r"[ \t\u00a0]+", " ", out)
    out = re.sub(r" *\n *", "\n", out)
    return out.strip()


# --------------------------------------------------------------------------------------------------
# Units: sentences / clauses that a rule reads one at a time
# --------------------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    """
    dr mr ms mrs mx prof sr jr st vs etc e.g i.e approx inc ltd no re
    """.split()
)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|;|\s\|\s")
_INTERROGATIVES = frozenset(
    """
    should shall are is am did do does has have had can could would will why who what how when where
    which whom whose was were any anyone wdyt thoughts objections agree agreed right ok okay sound
    sounds correct yes no q question
    """.split()
)
_OPINION_TAG = re.compile(
    r"^(?:thoughts|objections|any objections|agree|agreed|right|ok|okay|sound good|sounds good|make sense|"
    r"makes sense|correct|wdyt|yes or no|any concerns|concerns|objection)\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """A sentence (or the clauses of a question sentence that are not the question)."""

    text: str
    question: bool
    line_start: bool


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r",\s+|\s+[—–]\s+|\s+-\s+", sentence) if c.strip()]


def split_units(text: str) -> list[Unit]:
    """Split normalised text into sentences, marking questions.

    A sentence that ends in "?" is a question unless only its last clauses ask something (a decision
    followed by ", can you let her know?"): then the clauses before the asking one are kept as a unit.
    """
    units: list[Unit] = []
    for line in text.split("\n"):
        pos = 0
        first = True
        for m in _SENTENCE_END.finditer(line + " "):
            if m.group().strip() == ".":
                before = re.search(r"(\S+)$", line[: m.start()])
                word = before.group(1).lower().rstrip(".") if before else ""
                if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or word.endswith("tl;dr"):
                    continue
            sentence = line[pos : m.start()].strip()
            terminator = m.group().strip()
            pos = m.end()
            if not sentence:
                continue
            units.extend(_question_units(sentence, terminator == "?" or terminator.endswith("?"), first))
            first = False
        rest = line[pos:].strip()
        if rest:
            units.extend(_question_units(rest, rest.endswith("?"), first))
    return units


def _question_units(sentence: str, asks: bool, line_start: bool) -> list[Unit]:
    if not asks:
        return [Unit(sentence, question=False, line_start=line_start)]
    clauses = _clauses(sentence)
    if len(clauses) <= 1 or _OPINION_TAG.match(clauses[-1].strip()):
        return [Unit(sentence, question=True, line_start=line_start)]
    kept: list[str] = []
    for clause in clauses:
        first_word = re.match(r"\W*(@\w+\s+)?(\w+)", clause)
        if first_word and first_word.group(2).lower() in _INTERROGATIVES:
            break
        kept.append(clause)
    if not kept or len(kept) == len(clauses):
        return [Unit(sentence, question=True, line_start=line_start)]
    cut = sentence.find(clauses[len(kept)])
    return [
        Unit(sentence[:cut].rstrip(" ,—–-"), question=False, line_start=line_start),
        Unit(sentence[cut:], question=True, line_start=False),
    ]


# --------------------------------------------------------------------------------------------------
# Tokens and the name-list parser
# --------------------------------------------------------------------------------------------------

def _words(name: str) -> frozenset[str]:
    """A word list of bot/reader/vocab (one or more words a line, "#" starts a comment)."""
    text = (resources.files("bot.reader") / "vocab" / name).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


TITLES = {"dr", "mr", "ms", "mrs", "mx", "miss", "prof", "professor", "sir", "dame"}
SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md"}
PARTICLES = frozenset(
    """
    van von de da del della der den di du la le bin binti al el ter ten dos das do y ibn zu af av st
    """.split()
)
ROLE_HEADS = _words("role_heads.txt")
ROLE_WORDS = ROLE_HEADS | _words("role_words.txt")
STAGE_WORDS = frozenset(
    """
    onsite on-site screen screening round panel take-home loop interview interviews debrief references
    offer final phone stage
    """.split()
)
NON_NAMES = _words("non_names.txt")
PRONOUNS = frozenset(
    phrase.replace("_", " ")
    for phrase in """
    him her them both either both_of_them either_of_them each_of_them all_of_them all_three all_two
    the_others the_rest the_other_two the_other_three the_other_finalists the_other_candidates
    the_remaining_candidates the_remaining_finalists everyone_else
    """.split()
)

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
    while tok is not None and tok.kind == "word" and tok.low in TITLES:
        cur.i += 1
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
                if (
                    following is not None
                    and following.kind == "word"
                    and is_capitalised_name_word(following.text)
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


def parse_names(
    tokens: list[Token], i: int, known: KnownNames = NO_KNOWN, *, loose: bool = False, application: bool = False
) -> NameList | None:
    """Parse a list of names starting at token i: "A, B (onsite), and Dr. C" or "both A and B"."""
    cur = _Cursor(tokens, i)
    tok = cur.peek()
    if tok is not None and tok.kind == "word" and tok.low in {"both", "either", "candidates", "candidate"}:
        nxt = cur.peek(1)
        if nxt is not None and nxt.kind == "word" and nxt.low not in {"of"}:
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
        nxt = _parse_item(cur, known, loose, application)
        if nxt is None:
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
    for j in range(stop - 1, max(-1, stop - 25), -1):
        result = parse_names(tokens[:stop], j, known)
        if result is not None and result.end == stop and all(it.pronoun is None for it in result.items):
            best = result
    return best


# --------------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------------

STAGE_PATTERN = (
    r"hiring[ -]manager (?:screen|interview|call)|hm (?:screen|interview|call)|recruiter (?:screen|call)|"
    r"phone (?:screen|interview)|tech(?:nical)? (?:screen|interview|round|assessment)|"
    r"coding (?:interview|round|challenge)|"
    r"system design(?: interview| round)?|take[- ]home(?: assignment| exercise| test)?|"
    r"virtual on-?site|on-?site|"
    r"final (?:round|interview|stage)|first round|second round|third round|panel(?: interview)?|"
    r"case study|portfolio review|work trial|reference checks?|references|presentation round|"
    r"culture interview|"
    r"values interview"
)
_STAGE_RE = re.compile(rf"\b(?:{STAGE_PATTERN})\b", re.IGNORECASE)
_STAGE_CONTEXT = re.compile(
    rf"\b(?:after|past|through|at|following|in|pass|clear|failed)\s+(?:the\s+|their\s+|his\s+|her\s+|our\s+)?"
    rf"({STAGE_PATTERN})\b",
    re.IGNORECASE,
)
_STAGE_FIELD = re.compile(
    rf"(?:^|\n|·|\|)\s*(?:stage|interview stage|current stage)?\s*:?\s*({STAGE_PATTERN})\s*(?=$|\n|·|\|)",
    re.IGNORECASE,
)


def canonical_stage(raw: str) -> str:
    stage = " ".join(raw.lower().split())
    stage = re.sub(r"\bon-site\b", "onsite", stage)
    stage = re.sub(r"\btake home\b", "take-home", stage)
    stage = re.sub(r"\bhiring-manager\b", "hiring manager", stage)
    return stage


def stage_in_context(text: str) -> str | None:
    """The stage a sentence names around a verdict: "after the onsite", "past the panel"."""
    m = _STAGE_CONTEXT.search(text)
    return canonical_stage(m.group(1)) if m else None


def stage_in_header(line: str) -> str | None:
    """The stage a header line is about: "Onsite decisions", "Final round results (Data Analyst):"."""
    m = re.search(
        rf"\b({STAGE_PATTERN})\s+(?:decisions?|results|outcomes?|debrief|recap|wrap-?up|verdicts?)\b",
        line,
        re.IGNORECASE,
    )
    return canonical_stage(m.group(1)) if m else None


def stage_field(text: str) -> str | None:
    """An ATS "Stage: Onsite" field, or a stage standing alone between separators."""
    m = re.search(rf"\bstage\s*:\s*({STAGE_PATTERN})\b", text, re.IGNORECASE)
    if m:
        return canonical_stage(m.group(1))
    m = _STAGE_FIELD.search(text)
    return canonical_stage(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------------

_ROLE_TRAILERS = re.compile(
    r"\s+(?:role|position|opening|req|requisition|search|loop|job|process|interviews?|team|decision|update|"
    r"results|debrief|hiring|offer|candidates?|pipeline|panel)\s*$",
    re.IGNORECASE,
)
_ROLE_CONNECTORS = {"of", "in", "and", "&", "/", "-"}
_ROLE_SPECIAL = re.compile(
    r"^(?:(?:head|director|vp|vice president|chief)\s+(?:of\s+)?[\w&/ \-]+|[\w \-]+\s+in\s+residence)$",
    re.IGNORECASE,
)


def clean_role(raw: str, *, allow_lower: bool, trusted: bool = False) -> str | None:
    """Return the role in `raw` if it reads as a job title ("Staff Data Engineer", "Head of Marketing")."""
    text = raw.strip(" \t:—–-·|,.!\"'()")
    text = re.sub(r"^(?:re:\s*)?(?:the|our|a|an|this|that)\s+", "", text, flags=re.IGNORECASE)
    for _ in range(2):
        text = _ROLE_TRAILERS.sub("", text).strip(" ,")
    if not text or len(text) > 70 or "@" in text:
        return None
    if text.lower() in {"hiring manager", "manager", "the hiring manager"}:
        return None
    main, _, qualifier = text.partition(",")
    words = main.split()
    if not words or len(words) > 7:
        return None
    if qualifier:
        qual_words = qualifier.split()
        if not (1 <= len(qual_words) <= 2 and all(w[0].isupper() for w in qual_words)):
            return None
    if not allow_lower:
        for w in words:
            if w.lower() in _ROLE_CONNECTORS:
                continue
            if not (w[0].isupper() or any(ch.isupper() for ch in w)):
                return None
    last = words[-1].lower().rstrip(".")
    if last in {"ii", "iii", "iv", "i", "1", "2", "3"} and len(words) > 1:
        last = words[-2].lower()
    if words[0].lower() in ROLE_WORDS - ROLE_HEADS and len(words) == 1:
        return None
    if _STAGE_RE.fullmatch(main) or last in {"screen", "round", "interview"}:
        return None
    if last in ROLE_HEADS or _ROLE_SPECIAL.match(main) or (trusted and len(words) <= 5):
        if all(w.lower() in NON_NAMES - {"vp", "cto"} for w in words):
            return None
        if any(
            w.lower() in {"we", "i", "you", "they", "is", "was", "not", "with", "will", "our"} for w in words
        ):
            return None
        return text
    return None


def _longest_role_prefix(raw: str, *, allow_lower: bool) -> str | None:
    words = raw.split()
    for n in range(min(len(words), 7), 0, -1):
        role = clean_role(" ".join(words[:n]), allow_lower=allow_lower)
        if role is not None:
            return role
    return None


_TRUSTED_ROLE = re.compile(
    r"\b(?:for|on|to|in|with|from|of|re:?|into|about)\s+(?:the|our|this|that)\s+([^,.;:!?\n()—–]{2,50}?)\s+"
    r"(?:role|position|opening|req|requisition)\b",
    re.I,
)
_ROLE_PATTERNS: tuple[tuple[re.Pattern[str], bool, bool], ...] = (
    # (pattern, allow lower case, trim to the longest role-like prefix)
    (
        re.compile(r"\b(?:role|job|position|opening|req|requisition|job title)\s*:\s*([^\n|.;·(]+)", re.I),
        True,
        False,
    ),
    (re.compile(r"\bdecisions?\s+(?:for|on|re:?)\s+(?:the\s+)?([^:\n—–(.!]+)", re.I), False, True),
    (re.compile(r"\bhiring decision\s*\(([^)\n]+)\)", re.I), False, False),
    (
        re.compile(
            r"\b(?:for|on|to|in|with|from|of|re:?|into|about)\s+(?:the|our|this|that)\s+([^,.;:!?\n()—–]{2,60}?)\s+"
            r"(?:role|position|opening|req|requisition|search|loop|job|offer|process|interviews?|candidates?|"
            r"pipeline|hiring)\b",
            re.I,
        ),
        True,
        False,
    ),
    (
        re.compile(
            r"^\s*(?:re:\s*)?([^:\n—–(|]{2,70}?)\s*(?:[:—–(|]|\s-\s|\s+(?:update|results|decision|debrief|"
            r"hiring)\b)",
            re.I | re.M,
        ),
        False,
        False,
    ),
    (re.compile(r"\bre:\s*(?:the\s+)?([^—–:\n(]+)", re.I), False, True),
    (re.compile(r"\(([^()\n]{2,70})\)"), False, False),
    (re.compile(r"·\s*([^·\n]+?)\s*(?=·|$)", re.M), False, False),
    (
        re.compile(r"\b(?:for|from|in|as|on|of)\s+(?:the\s+|our\s+)?([^,.;:!?\n()·|]{2,70})", re.I),
        False,
        True,
    ),
    (re.compile(r"\bour new\s+([^,.;:!?\n()]{2,60})", re.I), False, True),
)


def find_role(text: str) -> str | None:
    """Find the role a decision message is about, most explicit form first, then any job title in it."""
    explicit = None
    for m in _TRUSTED_ROLE.finditer(text):
        explicit = explicit or clean_role(m.group(1), allow_lower=True, trusted=True)
    for pattern, allow_lower, trim in _ROLE_PATTERNS:
        for m in pattern.finditer(text):
            raw = m.group(1)
            if pattern.pattern.startswith(r"\(") and "," in raw:
                raw = raw.split(",")[0]
            role = (
                _longest_role_prefix(raw, allow_lower=allow_lower)
                if trim
                else clean_role(raw, allow_lower=allow_lower)
            )
            if role is not None:
                return role
    if explicit is not None:
        return explicit
    # fallback: any run of capitalised words ending in a job-title noun
    for m in re.finditer(r"(?:[A-Z][\w\-/&]*|of|in|&)(?:\s+(?:[A-Z][\w\-/&]*|of|in|&|[ivx]+))*", text):
        words = m.group().split()
        while words and words[0].lower() in _ROLE_CONNECTORS:
            words = words[1:]
        for start in range(len(words)):
            if words[start].lower() in NON_NAMES and words[start].lower() not in ROLE_WORDS:
                continue
            role = _longest_role_prefix(" ".join(words[start:]), allow_lower=False)
            if role is not None:
                return role
    return None


# --------------------------------------------------------------------------------------------------
# Hiring manager
# --------------------------------------------------------------------------------------------------

_MANAGER = re.compile(
    r"\b(?:HM|hiring[ -]manager)\b\s*(?:is|=|:|-|—|–)?\s*(?:is\s+)?@([UW][A-Z0-9]+)", re.IGNORECASE
)
_MANAGER_AFTER = re.compile(r"@([UW][A-Z0-9]+)\s*\(\s*(?:HM|hiring manager)\s*\)", re.IGNORECASE)


def find_manager(text: str) -> str | None:
    m = _MANAGER.search(text) or _MANAGER_AFTER.search(text)
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------------
# Hedges and conditionals
# --------------------------------------------------------------------------------------------------

_CONDITIONAL = re.compile(
    r"(?:^|[,;]\s*)\W*(?:if|unless|once|whether|assuming|in case|provided|should\s+(?:we|i|they|he|she)|"
    r"what if|suppose|supposing|hypothetically)\b|\b(?:if|whether|unless)\b"
    r"|\b(?:worst|best)[\s-]case\b|\b(?:otherwise|plan b|as a fallback|in that case)\b"
    r"|\b(?:would|could|should|'d)\b(?!\s+like)"
    r"|\b(?:not sure|undecided|on the fence)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:probably|likely|leaning|lean|might|maybe|perhaps|tentatively|tentative|i think|i believe|i guess|"
    r"i feel|pending|not final|soft no|soft yes|to be confirmed|tbc|tbd|let's discuss|to discuss|thoughts|"
    r"for discussion|proposal|proposing|propose|suggest|considering|thinking of|thinking about|"
    r"before (?:we|i) (?:decide|make a call|make a decision|finali[sz]e)|still deciding|haven't decided|"
    r"not decided|yet to decide|waiting (?:on|for) (?:[\w']+ ){0,3}(?:feedback|scorecards?|input|references?|"
    r"the panel|the debrief))\b",
    re.IGNORECASE,
)
_HEDGE_CASED = re.compile(r"\bmay\b")
# an interviewer's vote ("no hire from me", "my vote: pass") is input to a decision, not the decision
_VOTE = re.compile(
    r"\b(?:my|our)\s+vote\b|\bi(?:'d)?\s+vote\b|\bfrom\s+me\b(?!\s+and\b)|\bi'm\s+(?:a\s+)?(?:no|yes|pass)\b",
    re.IGNORECASE,
)
# ...unless the writer also settles it: says it is agreed/final, or that they will deliver the outcome
_SETTLED = re.compile(
    r"\b(?:consensus|unanimous(?:ly)?|final (?:call|answer|decision)|decided|we(?: all)? agreed|"
    r"(?:panel|team|everyone) (?:agrees|agreed))\b"
    r"|\b(?:i'll|i will|i'm going to|will|let's)\s+(?:send|let|tell|call|email|ping|reach out|close the loop|"
    r"notify|inform)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"(?:\bnot|n't|\bnever|\bno longer|\bnobody|\bnone|\bagainst)\W*(?:[\w']+\s+){0,2}$", re.IGNORECASE
)


def is_conditional(prefix: str) -> bool:
    """True when the words before a verdict make it hypothetical: "if ...", "we'd ...", "whether ..."."""
    return bool(_CONDITIONAL.search(prefix))


def hedged(text: str) -> bool:
    return bool(_HEDGE.search(text) or _HEDGE_CASED.search(text))


def negated(prefix: str) -> bool:
    return bool(_NEGATED.search(prefix))


_AVAILABILITY = re.compile(
    r"\b(?:availab\w*|can make it|can attend|attending|rsvp|who's in|who can|slots?|calendar|schedul\w*|lunch|"
    r"dinner|offsite|on[\s-]call|vacation|pto|out of office|ooo)\b",
    re.IGNORECASE,
)


def marked_roster(text: str) -> bool:
    """True when check and cross marks in a message are not about availability ("✅ Dmitri ❌ Sofia" for a slot)."""
    return not _AVAILABILITY.search(text)


def only_a_vote(text: str) -> bool:
    """True for a message that casts a vote ("no hire from me on A") without settling the decision."""
    return bool(_VOTE.search(text)) and not _SETTLED.search(text)


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """What one rule read in one unit."""

    rule: str
    kind: Kind
    items: tuple[NameItem, ...]
    unit: str
    weak: bool = False  # needs another decision in the message to count
    standalone: bool = True  # a hire reading alone is a decision (an accepted offer), or not ("going with A")
    hedged: bool = False
    resolved: bool = False  # names came from resolving "him", "them", "both of them"
    contextual: bool = False  # a loose verdict ("A is a no"): counts only in a message about hiring


@dataclass(frozen=True)
class Context:
    text: str  # the whole normalised message (text + attachments)
    known: KnownNames
    no_hire: bool  # the message says nobody was hired ("no hire for ...")


RuleFn = Callable[[Unit, list[Token], Context], list[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    fn: RuleFn
    in_questions: bool = False  # may read inside a question sentence


def _tok_at(tokens: list[Token], offset: int) -> int:
    """Index of the first token starting at or after a character offset."""
    for k, t in enumerate(tokens):
        if t.start >= offset:
            return k
    return len(tokens)


def _with_stage(items: Sequence[NameItem], stage: str | None) -> tuple[NameItem, ...]:
    if stage is None:
        return tuple(items)
    return tuple(
        NameItem(i.name, i.stage or stage, i.lowercase, i.known, i.pronoun, i.role_hint) for i in items
    )


_YET_AFTER = re.compile(r"^\s*(?:yet|for the moment|so far)\b", re.IGNORECASE)


def _object_rule(
    name: str,
    kind: Kind,
    pattern: str,
    *,
    loose: bool = False,
    check_negation: bool = True,
    standalone: bool = True,
    weak: bool = False,
    subject_free: bool = False,
    skip_after: str | None = None,
    in_questions: bool = False,
    contextual: bool = False,
    application: bool = False,
    at_end: bool = False,
    need_after: str | None = None,
) -> Rule:
    """A rule "PHRASE NAMES": the names follow the phrase ("not moving forward with A and B").

    `application` also reads "A's application" / "A's candidacy"; `at_end` wants the names to end the
    sentence ("..., not B").
    """
    regex = re.compile(pattern, re.IGNORECASE)
    skip_re = re.compile(skip_after, re.IGNORECASE) if skip_after else None
    need_re = re.compile(need_after, re.IGNORECASE) if need_after else None

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for m in regex.finditer(unit.text):
            prefix = unit.text[: m.start()]
            if check_negation and negated(prefix):
                continue
            if subject_free:
                # "Omar declined our offer" is the candidate's verb, not ours
                prefix_tokens = tokenize(prefix)
                before = parse_names_before(prefix_tokens, len(prefix_tokens), ctx.known)
                if before is not None and prefix.strip():
                    continue
            start = _tok_at(tokens, m.end())
            names = parse_names(tokens, start, ctx.known, loose=loose, application=application)
            if names is None:
                continue
            rest = unit.text[tokens[names.end - 1].end :] if names.end > 0 else ""
            if _YET_AFTER.match(rest):
                continue
            if skip_re is not None and skip_re.match(rest):
                continue
            if at_end and rest.strip(" .!)"):
                continue
            if need_re is not None and not need_re.match(rest):
                continue
            stage = stage_in_context(unit.text[m.start() :]) or stage_in_context(prefix)
            found.append(
                Finding(
                    name,
                    kind,
                    _with_stage(names.items, stage),
                    unit.text,
                    weak=weak,
                    standalone=standalone,
                    hedged=hedged(unit.text),
                    contextual=contextual,
                )
            )
        return found

    return Rule(name, fn, in_questions=in_questions)


def _subject_rule(
    name: str,
    kind: Kind,
    pattern: str,
    *,
    standalone: bool = True,
    reason_aware: bool = False,
    weak: bool = False,
    contextual: bool = False,
    not_followed_by: str | None = None,
) -> Rule:
    """A rule "NAMES PHRASE": the names come before the phrase ("A and B were not selected")."""
    regex = re.compile(pattern, re.IGNORECASE)
    after_re = re.compile(not_followed_by, re.IGNORECASE) if not_followed_by else None

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for m in regex.finditer(unit.text):
            if after_re is not None and after_re.match(unit.text[m.end() :]):
                continue
            end = _tok_at(tokens, m.start())
            names = parse_names_before(tokens, end, ctx.known)
            if names is None:
                continue
            prefix = unit.text[: tokens[names.start].start]
            if is_conditional(prefix):
                continue
            verdict = kind
            if reason_aware:
                verdict = _archive_reason_kind(ctx.text, kind)
            stage = stage_in_context(unit.text[m.start() :]) or _paren_stage_after(unit.text[m.end() :])
            found.append(
                Finding(
                    name,
                    verdict,
                    _with_stage(names.items, stage),
                    unit.text,
                    weak=weak,
                    standalone=standalone,
                    hedged=hedged(unit.text),
                    contextual=contextual,
                )
            )
        return found

    return Rule(name, fn)


def _paren_stage_after(rest: str) -> str | None:
    m = re.match(r"\s*\(([^()]*)\)", rest)
    if not m:
        return None
    return read_paren(m.group(1))[0]


def _archive_reason_kind(text: str, default: Kind) -> Kind:
    m = re.search(r"\breason\s*:\s*([^\n)]+)", text, re.IGNORECASE)
    if not m:
        return default
    reason = m.group(1).lower()
    if re.search(
        r"withdr|candidate declined|declined (?:the |our )?offer|offer declined|took another|accepted another|"
        r"another offer|pulled out|no longer interested|ghosted|unresponsive",
        reason,
    ):
        return "withdrawn"
    if re.search(r"\bhired\b|\baccepted\b", reason):
        return "hired"
    return default


_NEG = r"(?:\bnot|n't|\bnever|\bno\s+longer)"
_BY_OUTSIDER = (
    r"\s+by\s+(?!the\s+(?:panel|hiring|team|committee|recruit|interview|hm\b|debrief)|hm\b|us\b|@|"
    r"(?-i:[A-Z][\w'\-]+\s+[A-Z]))"
)
_BE = r"(?:was|were|is|are|has been|have been|had been|got|gets|will be|'s been|'re|'s)"

OBJECT_RULES: tuple[Rule, ...] = (
    _object_rule(
        "not_moving_forward",
        "not_selected",
        rf"{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+|gonna\s+)?(?:be\s+)?"
        r"(?:mov(?:e|ing)|proceed(?:ing)?|go(?:ing)?|advanc(?:e|ing)|progress(?:ing)?|continu(?:e|ing))\s+"
        r"(?:forward\s+|ahead\s+|further\s+)?(?:with\s+)"
        rf"|{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+|gonna\s+)?(?:be\s+)?(?:progress(?:ing)?|advanc(?:e|ing))\s+",
        loose=True,
        check_negation=False,
    ),
    _object_rule(
        "no_offer",
        "not_selected",
        rf"{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+)?(?:be\s+)?(?:extend(?:ing)?|mak(?:e|ing)|send(?:ing)?|giv(?:e|ing))\s+"
        r"(?:an?\s+|any\s+)?offers?\s+(?:to|for)\s+|\bno\s+offers?\s+(?:for|to)\s+(?:either\s+)?",
        loose=True,
        check_negation=False,
    ),
    _object_rule(
        "passing_on",
        "not_selected",
        r"\bpass(?:ing|ed)?\s+on\s+",
        loose=True,
        skip_after=r"\s*(?:to|over\s+to|along)\b",  # "passing on Omar to the platform team" forwards him
    ),
    _object_rule(
        "decided_against",
        "not_selected",
        r"\bdecided\s+against\s+(?:(?:hiring|moving\s+forward\s+with|proceeding\s+with|extending\s+an?\s+offer\s+to|"
        r"making\s+an?\s+offer\s+to|an?\s+offer\s+for)\s+)?",
        loose=True,
    ),
    _object_rule(
        "declining", "not_selected", r"\bdeclin(?:e|ing|ed)\s+", subject_free=True, application=True
    ),
    _object_rule(
        "rejected",
        "not_selected",
        r"\breject(?:ed|ing)?\s+(?!from\b|for\b|by\b)",
        subject_free=True,
        application=True,
    ),
    _object_rule(
        "rejection_sent",
        "not_selected",
        r"\b(?:rejection|regrets?|decline)(?:\s+(?:email|note|letter|message))?\s+(?:was\s+|were\s+|has\s+been\s+)?"
        r"sent\s+to\s+"
        r"|\b(?:send|sent|sending|shoot|email)\s+(?:out\s+)?(?:a\s+|an\s+|the\s+|our\s+)?(?:decline|rejection|regrets?)"
        r"(?:\s+(?:email|note|letter|message))?\s+to\s+",
    ),
    _object_rule("no_to", "not_selected", r"\bno\s+to\s+", check_negation=False, contextual=True),
    _object_rule(
        "no_on",
        "not_selected",
        r"\b(?:no|thumbs[\s-]down|no[\s-]hire|hard\s+no|no[\s-]go)\s+"
        r"(?:from\s+(?:us|me|the\s+(?:panel|team))\s+)?on\s+",
        loose=True,
        check_negation=False,
        contextual=True,
    ),
    _object_rule(
        "close_out",
        "not_selected",
        r"\bclos(?:e|ed|es|ing)\s+out\s+|\bclos(?:e|ed|es|ing)\s+(?=(?:him|her|them)\s+out\b)",
        application=True,
    ),
    _object_rule(
        "its_a_no",
        "not_selected",
        r"\b(?:it's|it\s+is|that's|that\s+is|it\s+was|answer\s+is)\s+a\s+(?:no|pass|hard\s+no|no[\s-]hire)\s+"
        r"(?:from\s+(?:us|me)\s+)?(?:for|on)\s+",
        check_negation=False,
    ),
    _object_rule(
        "it_wont_be",
        "not_selected",
        rf"\b(?:it|that|the\s+offer)\s+(?:won't|will\s+{_NEG}|isn't|is\s+{_NEG})\s+(?:be\s+|go\s+to\s+)",
        check_negation=False,
    ),
    _object_rule("turning_down", "not_selected", r"\bturn(?:ing|ed|s)?\s+down\s+", subject_free=True),
    # hires
    _object_rule(
        "offer_to",
        "hired",
        r"\b(?:mak(?:e|ing)|made|extend(?:ing|ed)?|send(?:ing)?|sent|giv(?:e|ing)|gave)\s+(?:an?\s+|the\s+)?"
        r"offers?\s+(?:to|for)\s+|\boffer\s+(?:goes|going(?:\s+out)?|is\s+going(?:\s+out)?|went(?:\s+out)?|"
        r"is\s+out|out)\s+to\s+|(?:^|:\s*)offer\s+to\s+|\b(?:with|ahead\s+with)\s+an\s+offer\s+(?:for|to)\s+"
        r"|\boffer(?:ing|ed)\s+(?:the\s+)?(?:[\w\-]+\s+){0,4}(?:role|job|position)\s+to\s+",
    ),
    _object_rule(
        "hired", "hired", r"\b(?:we(?:'ve| have)?\s+)?hired\s+(?!for\b)|\bfilled\s+by\s+|\bwelcoming\s+"
    ),
    _object_rule("offer_accepted_by", "hired", r"\boffer\s+(?:was\s+)?accepted\s+(?:by\s+)?(?:[:\-—–]\s*)?"),
    _object_rule(
        "offer_declined_by",
        "withdrawn",
        r"\boffer\s+(?:was\s+|has\s+been\s+)?(?:declined|rejected|turned\s+down)\s+by\s+",
    ),
    _object_rule("yes_to", "hired", r"\byes\s+to\s+", standalone=False),
    _object_rule(
        "chose",
        "hired",
        r"\b(?:go(?:ing)?|went|gone)\s+with\s+|\b(?:chose|picked|selected|landed\s+on|decided\s+on|settled\s+on)\s+"
        r"|\bmov(?:e|ing)\s+(?:forward|ahead)\s+with\s+",
        standalone=False,
        skip_after=rf"\s*(?:to|for|into|through)\s+(?:the\s+|an?\s+)?(?:next\s+(?:round|stage|step)|{STAGE_PATTERN})",
    ),
    # "A gets the offer, not B": a name negated at the end of a sentence, next to a choice
    _object_rule(
        "not_contrast",
        "not_selected",
        r"(?:,|;|\s[—–-])\s*(?:but\s+|and\s+)?not\s+",
        check_negation=False,
        weak=True,
        at_end=True,
    ),
    # loops closed after a decision
    _object_rule(
        "close_the_loop",
        "not_selected",
        r"\b(?:close|closing|closed)\s+the\s+loop\s+with\s+|\bsend(?:ing)?\s+(?:our\s+|the\s+)?(?:regrets|"
        r"rejections?(?:\s+emails?)?)\s+to\s+",
        weak=True,
        in_questions=True,  # "Can someone help me close the loop with A and B?" asks for help, not a verdict
    ),
    _object_rule(
        "told_its_a_no",
        "not_selected",
        r"\b(?:let|tell|telling|told|inform|informing|informed|notify|notifying|notified)\s+",
        need_after=r"\s*(?:know\s+)?(?:that\s+)?(?:it's\s+a\s+no|it\s+is\s+a\s+no|we(?:'re|\s+are)\s+(?:not|passing)|"
        r"we\s+(?:won't|will\s+not|didn't|did\s+not|decided\s+not|passed|went\s+(?:with|another))|"
        r"(?:he|she|they)\s+(?:didn't|did\s+not|won't|weren't|wasn't)\s+(?:get|make|selected|chosen|move))",
    ),
    _object_rule(
        "reach_out",
        "not_selected",
        r"\b(?:call|email|ping|tell|notify|reach\s+out\s+to|follow\s+up\s+with|get\s+back\s+to|let)\s+",
        weak=True,
    ),
    _object_rule(
        "thank_finalists",
        "not_selected",
        r"\b(?:thank\s+you|thanks)(?:\s+(?:so\s+much|again))?\s+(?:to\s+)?",
        weak=True,
    ),
)

SUBJECT_RULES: tuple[Rule, ...] = (
    _subject_rule(
        "candidate_withdrew",
        "withdrawn",
        r"\s(?:has\s+|have\s+|had\s+|is\s+)?(?:withdr(?:ew|awn|aw|awing)|pull(?:ed|ing)\s+out|"
        r"dropp(?:ed|ing)\s+out|back(?:ed|ing)\s+out)\b"
        r"(?!\s+(?:her|his|their|the|a|an|its|our|my)\s+(?!application|candidacy|name|interest|self)\w)"
        r"|\s(?:let\s+us\s+know|told\s+us|informed\s+us|said|emailed|wrote)(?:\s+that)?\s+(?:she|he|they)"
        r"(?:'s|'re|\s+is|\s+are|\s+has|\s+have)?\s+(?:withdr(?:ew|awn|awing)|pull(?:ed|ing)\s+out|"
        r"dropp(?:ed|ing)\s+out|accepted\s+another|taking\s+another|took\s+another)\b"
        r"|\s(?:has\s+|have\s+)?(?:declined|rejected|turned\s+down|passed\s+on|said\s+no\s+to|didn't\s+accept|"
        r"did\s+not\s+accept)\s+(?:our|the|my|an?)\s+(?:[\w\-]+\s+)?offer"
        r"|\s(?:has\s+|have\s+)?(?:asked\s+to\s+be\s+)?(?:removed|taken\s+out)\s+(?:(?:herself|himself|themselves)\s+)?"
        r"(?:from|of)\s+(?:the\s+)?(?:consideration|process|running|pipeline)"
        r"|\s(?:is|'s|are|'re)\s+no\s+longer\s+(?:interested|available|looking|pursuing)"
        r"|\s(?:has\s+|have\s+)?(?:accepted|took|taken|went\s+with)\s+(?:another|a\s+competing|a\s+counter"
        r"|a\s+different|an\s+offer\s+elsewhere|a\s+role\s+elsewhere)",
    ),
    _subject_rule(
        "not_selected_subject",
        "not_selected",
        rf"\s(?:{_BE}\s+)?(?:both\s+)?(?:not\s+selected|not\s+chosen|not\s+successful|unsuccessful)\b"
        r"(?!\s+for\s+(?!(?:now|this|the|next|a|an|any|further|our|another|either)\b)[a-z])",
    ),
    _subject_rule(
        "wont_be_joining",
        "not_selected",
        rf"\s(?:won't|will\s+{_NEG})\s+be\s+join(?:ing)?\s+(?:us|the\s+team)\b",
    ),
    _subject_rule(
        "rejected_subject",
        "not_selected",
        rf"\s{_BE}\s+(?:both\s+|also\s+)?(?:rejected|declined|disqualified|turned\s+down|passed\s+on)\b"
        r"|\s(?:rejected|disqualified)\s+(?:from|for|after|at)\b",
        reason_aware=True,
        # "rejected by the visa office / three landlords": someone else's verdict, not ours
        not_followed_by=_BY_OUTSIDER,
    ),
    _subject_rule(
        "out_of_the_running",
        "not_selected",
        r"\s(?:is|are|'s|'re|was|were)\s+(?:now\s+)?out\s+of\s+(?:the\s+)?(?:running|race)\b",
    ),
    _subject_rule(
        "subject_not_a_fit",
        "not_selected",
        r"\s(?:(?:is|are|was|were|'s|'re)\s+not|isn't|aren't|wasn't|weren't)\s+(?:really\s+|quite\s+)?"
        r"(?:a|the)\s+(?:right\s+|good\s+|great\s+|strong\s+|close\s+enough\s+)?(?:fit|match)\b",
        contextual=True,
    ),
    _subject_rule(
        "subject_gets_a_no",
        "not_selected",
        r"\s(?:get|gets|got|getting)\s+(?:a\s+)?(?:no|pass|hard\s+no|rejection|decline)\b"
        r"(?!\s+(?:show|reply|response))",
        contextual=True,
    ),
    _subject_rule(
        "runner_up",
        "not_selected",
        r"\s(?:was|is|were|are)\s+(?:a\s+|the\s+)?(?:very\s+|really\s+)?(?:close\s+second|runners?[\s-]up)\b",
        weak=True,
    ),
    _subject_rule(
        "gets_the_offer",
        "hired",
        r"\s(?:gets|got|is\s+getting|will\s+get|receives|received|wins|won)\s+the\s+(?:offer|job|role)\b",
        standalone=False,
    ),
    _subject_rule("has_been_hired", "hired", r"\s(?:has|have)\s+been\s+hired\b"),
    _subject_rule(
        "ats_moved_to_status",
        "not_selected",
        r"\s(?:was\s+|has\s+been\s+|got\s+)?(?:moved|changed|set)\s+to\s+(?:the\s+)?(?:stage\s+|status\s+)?"
        r"(?:rejected|disqualified|not\s+selected|unsuccessful|not\s+a\s+fit)\b",
        reason_aware=True,
    ),
    _subject_rule(
        "didnt_make_it",
        "not_selected",
        rf"\s(?:did\s*{_NEG}|didn't|failed\s+to|couldn't|could\s+not)\s+"
        r"(?:make\s+it\s+(?:past|through|to)|pass|clear|get\s+through|get\s+past|get\s+the\s+(?:offer|job|role))\b",
    ),
    _subject_rule(
        "subject_not_moving_forward",
        "not_selected",
        rf"\s(?:will\s+{_NEG}|won't|is\s+{_NEG}|isn't|are\s+{_NEG}|aren't)\s+(?:be\s+)?"
        r"(?:moving|going|progressing|advancing)\s+(?:forward|ahead|further|on)\b"
        rf"|\s(?:will\s+{_NEG}|won't|is\s+{_NEG}|isn't|are\s+{_NEG}|aren't)\s+(?:be\s+)?"
        r"(?:getting|receiving|get|receive)\s+"
        r"(?:an?\s+|the\s+)?offers?\b",
    ),
    _subject_rule(
        "subject_is_a_no",
        "not_selected",
        r"\s(?:is|are|was|were)\s+(?:both\s+)?(?:a\s+)?(?:no|pass|no-hire|no\s+hire|hard\s+no|no\s+go)\b"
        r"(?!\s+(?:show|longer|brainer))",
    ),
    _subject_rule(
        "subject_is_a_yes",
        "hired",
        r"\s(?:is|are|was|were)\s+(?:a\s+)?(?:strong\s+)?(?:yes|hire)\b",
        standalone=False,
    ),
    _subject_rule(
        "accepted_offer",
        "hired",
        r"\s(?:has\s+|just\s+)?(?:accepted|signed)\b(?!\s+(?:another|a\s+competing|a\s+counter|a\s+different"
        r"|the\s+calendar|the\s+invite|the\s+meeting))",
    ),
    _subject_rule(
        "ats_status_arrow",
        "not_selected",
        r"\s*→\s*(?:rejected|archived|declined|disqualified|not\s+selected|not\s+a\s+fit|unsuccessful)\b",
        reason_aware=True,
    ),
    _subject_rule(
        "ats_archived",
        "not_selected",
        r"(?:'s\s+application(?:\s+for\s+[^\n]*?)?)?\s+(?:[—–-]\s+)?(?:was\s+|has\s+been\s+|got\s+)?(?:moved\s+to\s+|"
        r"marked\s+as\s+)?archived\b",
        reason_aware=True,
    ),
    _subject_rule(
        "ats_application_rejected",
        "not_selected",
        r"'s\s+application(?:\s+for\s+[^\n]*?)?\s+(?:was\s+|has\s+been\s+)?(?:moved\s+to\s+|marked\s+as\s+)?"
        r"(?:rejected|declined|not\s+selected)\b",
    ),
    _subject_rule(
        "ats_arrow_withdrawn", "withdrawn", r"\s*→\s*(?:withdrawn|withdrew|candidate\s+withdrew)\b"
    ),
    _subject_rule("ats_arrow_hired", "hired", r"\s*→\s*(?:hired|offer\s+accepted)\b"),
)

_LABELS: tuple[tuple[str, Kind, bool], ...] = (
    (
        r"not\s+selected|rejected|declined|disqualified|no\s+hire|no-hire|no\s+offers?|not\s+moving\s+forward|passing"
        r"|pass|not\s+proceeding|unsuccessful|candidates?\s+rejected|(?:candidate\s+|application\s+)?archived"
        r"|application\s+rejected",
        "not_selected",
        True,
    ),
    (r"withdrawn|withdrew|candidate\s+withdrew|withdrawals?", "withdrawn", True),
    (r"hired|candidate\s+hired|offer\s+accepted|offer|making\s+an\s+offer|selected", "hired", True),
    (r"yes", "hired", False),
    (r"no", "not_selected", True),
)


def _label_rule() -> Rule:
    """ "Not selected: A, B", "Rejected after onsite: A", "Candidate withdrew: A", "Yes: A. No: B"."""
    compiled = [
        (
            re.compile(
                rf"(?:^|[:—–\-|·]\s*|\]\s*|\b(?:status\s+(?:changed\s+|updated\s+|set\s+)?to|new\s+status)\s*:?\s*)"
                rf"(?:\d+\s+)?(?:{alt})(?:\s+(?:for|after|at|from|in)\s+[^:—–\n]{{1,60}}?)?\s*[:—–·]\s*",
                re.IGNORECASE,
            ),
            kind,
            standalone,
        )
        for alt, kind, standalone in _LABELS
    ]

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for regex, kind, standalone in compiled:
            for m in regex.finditer(unit.text):
                names = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
                if names is None:
                    continue
                stage = stage_in_context(m.group()) or stage_field(unit.text[tokens[names.end - 1].end :])
                verdict = _archive_reason_kind(ctx.text, kind) if "archived" in m.group().lower() else kind
                found.append(
                    Finding(
                        "label_list",
                        verdict,
                        _with_stage(names.items, stage),
                        unit.text,
                        standalone=standalone,
                        hedged=hedged(unit.text),
                    )
                )
        return found

    return Rule("label_list", fn)


_VERDICTS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"^(?:withdrew|withdrawn|pulled out|dropped out)\b", re.I), "withdrawn"),
    (
        re.compile(
            r"^(?:no hire|no-hire|strong no|no|not moving forward|pass|passing|passed|reject(?:ed)?|"
            r"declined?|not selected|no offer|not a fit|not proceeding|"
            r"(?:we're|we are|it's|it is|that's|that is)\s+a\s+(?:no|pass|hard no))\b",
            re.I,
        ),
        "not_selected",
    ),
    (
        re.compile(
            r"^(?:strong hire|hire|hired|offer|offer extended|offer accepted|yes|making an offer|"
            r"extending an offer|selected|accepted|moving to offer|move to offer|to offer)\b",
            re.I,
        ),
        "hired",
    ),
)


_LINE_LABELS = frozenset({"update", "fyi", "decision", "result", "outcome", "verdict", "re"})


def _per_line_verdict(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """A debrief list line: "Priya Nair — strong hire", "Simon Pike: pass", "[NO] Marco Bianchi".

    Mid-line, only the "Name: verdict" form counts ("Sarah Connor: rejected. Kyle Reese: offer extended").
    """
    i = 0
    if len(tokens) > 2 and tokens[0].low in _LINE_LABELS and tokens[1].text == ":":
        i = 2  # "Update: Carla Mendes — we're a no"
    mark: str | None = None
    if len(tokens) > i and tokens[i].kind == "mark":
        mark = tokens[i].text
        i += 1
    names = parse_names(tokens, i, ctx.known)
    if names is None:
        return []
    rest_tok = tokens[names.end] if names.end < len(tokens) else None
    separators = {":", "—", "–", "-", "→"} if unit.line_start else {":"}
    verdict: Kind | None = None
    rest = ""
    if rest_tok is not None and rest_tok.text in separators:
        rest = unit.text[rest_tok.end :].strip()
        for regex, kind in _VERDICTS:
            if regex.match(rest):
                verdict = kind
                break
        if verdict is None and rest in {YES_MARK, NO_MARK}:
            # "Lena Park: ❌" — a lone mark as the whole verdict
            verdict = "hired" if rest == YES_MARK else "not_selected"
    if (
        verdict is None
        and mark is not None
        and unit.line_start
        and (rest_tok is None or rest_tok.text in {":", "—", "–", "-", "("})
    ):
        verdict = "hired" if mark == YES_MARK else "not_selected"
    if verdict is None:
        return []
    items = _with_stage(names.items, stage_in_context(rest))
    return [
        Finding(
            "per_line_verdict",
            verdict,
            items,
            unit.text,
            weak=mark is not None and rest_tok is None,
            hedged=hedged(unit.text),
        )
    ]


def _inline_mark(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """ "Thor Odinson ✅ offer, Loki Laufeyson ❌": a check or cross right after a name.

    Alone a mark is weak (people also mark availability that way); a verdict word after it
    ("✅ offer") makes it a decision.
    """
    found: list[Finding] = []
    for k, tok in enumerate(tokens):
        if tok.kind != "mark" or k == 0:
            continue
        names = parse_names_before(tokens, k, ctx.known)
        if names is None:
            continue
        rest = unit.text[tok.end :].strip()
        strong = any(regex.match(rest) for regex, _ in _VERDICTS)
        kind: Kind = "hired" if tok.text == YES_MARK else "not_selected"
        found.append(
            Finding("inline_mark", kind, names.items, unit.text, weak=not strong, hedged=hedged(unit.text))
        )
    return found


_CONTRAST = re.compile(
    r"\b(?:go(?:ing)?|went|gone)\s+with\s+|\b(?:chose|picked|selected|prefer(?:red)?|hired)\s+", re.IGNORECASE
)
_CONTRAST_SEP = re.compile(r"^\s*(?:instead\s+of|over|rather\s+than|ahead\s+of|not)\s+", re.IGNORECASE)


def _contrast(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """ "Going with A instead of B", "chose A over B and C"."""
    found: list[Finding] = []
    for m in _CONTRAST.finditer(unit.text):
        if negated(unit.text[: m.start()]):
            continue
        chosen = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
        if chosen is None:
            continue
        rest = unit.text[tokens[chosen.end - 1].end :]
        sep = _CONTRAST_SEP.match(rest)
        if not sep:
            continue
        others = parse_names(tokens, _tok_at(tokens, tokens[chosen.end - 1].end + sep.end()), ctx.known)
        if others is None:
            continue
        found.append(
            Finding(
                "going_with_instead",
                "hired",
                chosen.items,
                unit.text,
                standalone=False,
                hedged=hedged(unit.text),
            )
        )
        found.append(
            Finding("going_with_instead", "not_selected", others.items, unit.text, hedged=hedged(unit.text))
        )
    return found


_FINALISTS = re.compile(
    r"\b(?:between|finalists?\b[^.:]*?\b(?:were|are|was|is|:)|final\s+(?:round|two|three|four|candidates|"
    r"slate)\b[^.:]*?\b(?:were|are|was|is|:)|shortlist(?:ed)?\b[^.:]*?\b(?:were|are|was|is|:)|"
    r"interviewed|interviewing|top\s+(?:two|three|candidates)\b[^.:]*?\b(?:were|are|was|is|:))\s+",
    re.IGNORECASE,
)


def finalists(units: Sequence[Unit], ctx: Context) -> list[NameItem]:
    """The people a message names as the finalists ("it was between A and B", "finalists were A, B, C")."""
    found: list[NameItem] = []
    for unit in units:
        tokens = tokenize(unit.text)
        for m in _FINALISTS.finditer(unit.text):
            names = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
            if names is not None and len(names.items) >= 2:
                found.extend(it for it in names.items if it.pronoun is None)
    return found


def mentioned_names(text: str, known: KnownNames) -> list[tuple[int, str]]:
    """Every full name (two or more name words, or a known name) mentioned in text, with its offset."""
    out: list[tuple[int, str]] = []
    for unit_text in text.split("\n"):
        base = text.find(unit_text)
        tokens = tokenize(unit_text)
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.kind == "word" and (is_capitalised_name_word(tok.text) or _match_known(tokens, i, known)):
                cur = _Cursor(tokens, i)
                item = _parse_item(cur, known, loose=False)
                if item is not None and item.pronoun is None and (len(item.name.split()) >= 2 or item.known):
                    out.append((base + tok.start, item.name))
                    i = max(cur.i, i + 1)
                    continue
            i += 1
    return out


_NO_HIRE = re.compile(
    r"\bno[\s-]+hire\b|\bnot\s+(?:to\s+)?hir(?:e|ing)\b|\bwon't\s+be\s+hiring\b|\bnobody\s+(?:cleared|passed|made)\b"
    r"|\bnone\s+of\s+(?:the\s+|them\b)|\bwithout\s+a\s+hire\b|\bnot\s+(?:to\s+)?fill(?:ing)?\b|\bunfilled\b",
    re.IGNORECASE,
)


_HIRING_WORDS = re.compile(
    r"\b(?:offers?|candidates?|interview(?:s|ed|ing|er|ers)?|onsite|on-site|debrief|hir(?:e|ed|ing)|role|position|"
    r"req|finalists?|recruit(?:er|ing)?|panel|screen|loop|scorecards?|applica(?:nt|tion)s?|feedback|regrets|"
    r"references|take-home|final round|headcount|HM|rejections?|regrets|no[\s-]hire)\b",
    re.IGNORECASE,
)


def mentions_hiring(text: str) -> bool:
    """Whether the message uses any hiring vocabulary at all."""
    return bool(_HIRING_WORDS.search(text))


def says_no_hire(text: str) -> bool:
    return bool(_NO_HIRE.search(text))


_ATS_FIELDS = re.compile(
    r"^\s*(candidate|candidate name|name|applicant|applicant name|job|job opening|opening|role|position|status|"
    r"new status|candidate status|application status|stage|current stage|reason|rejection reason|"
    r"archive reason|disposition)\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def ats_fields(text: str, known: KnownNames) -> list[Finding]:
    """A key-value ATS card: "Candidate: A / Job: X / Status: Rejected / Stage: Onsite"."""
    fields: dict[str, str] = {}
    for m in _ATS_FIELDS.finditer(text):
        fields.setdefault(m.group(1).lower(), m.group(2))
    candidate = (
        fields.get("candidate")
        or fields.get("candidate name")
        or fields.get("applicant")
        or fields.get("name")
    )
    if candidate is None:
        return []
    status = " ".join(
        fields.get(key, "") for key in ("status", "new status", "candidate status", "application status", "disposition")
    )
    status = status.strip().lower()
    header = re.search(
        r"^\s*(?:candidate\s+)?(rejected|archived|hired|withdrawn|withdrew|disqualified|offer\s+declined)\b",
        text,
        re.IGNORECASE | re.MULTILINE,
    ) or re.search(
        r"^\s*candidate\s+(rejected|hired|withdrew|withdrawn)\b", text, re.IGNORECASE | re.MULTILINE
    )
    signal = status or (header.group(1).lower() if header else "")
    kind: Kind | None = None
    if re.search(r"withdr|offer declined|declined offer", signal):
        kind = "withdrawn"
    elif re.search(r"\bhired\b|offer accepted", signal):
        kind = "hired"
    elif re.search(
        r"reject|archiv|disqualif|declin|not selected|unsuccessful|not a fit|not qualified|over ?qualified|"
        r"under ?qualified|not hired",
        signal,
    ):
        kind = _archive_reason_kind(text, "not_selected")
    if kind is None:
        return []
    tokens = tokenize(candidate)
    names = parse_names(tokens, 0, known)
    if names is None or names.end != len(tokens):
        return []
    stage_raw = fields.get("stage") or fields.get("current stage") or ""
    stage_m = _STAGE_RE.search(stage_raw)
    stage = canonical_stage(stage_m.group()) if stage_m else None
    return [Finding("ats_fields", kind, _with_stage(names.items, stage), candidate)]


UNIT_RULES: tuple[Rule, ...] = (
    *OBJECT_RULES,
    *SUBJECT_RULES,
    _label_rule(),
    Rule("per_line_verdict", _per_line_verdict),
    Rule("inline_mark", _inline_mark),
    Rule("going_with_instead", _contrast),
)
RULE_NAMES: tuple[str, ...] = (
    *(r.name for r in UNIT_RULES),
    "ats_fields",
    "finalists_not_chosen",
    "no_hire_named",
)
