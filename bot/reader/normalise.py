"""Raw Slack text to plain text (`normalise`), and plain text to the sentences and clauses a rule reads (`split_units`).

Pure: strings in, plain values out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from bot.domain.slack_text import CHANNEL_MENTION, SPECIAL_MENTION, USER_MENTION, visible

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
    out = USER_MENTION.sub(lambda m: f"@{m.group(1)}", out)
    out = CHANNEL_MENTION.sub(lambda m: f"#{m.group(1) or 'channel'}", out)
    out = SPECIAL_MENTION.sub(lambda m: f"@{m.group(1)}", out)
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
    # format characters are dropped (bot.domain.slack_text.visible); symbols and emoji separate words
    out = "".join(" " if unicodedata.category(ch) in {"So", "Sk"} and ch not in "→·" else ch for ch in visible(out))
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
_NUMBER_AFTER = re.compile(r"\s*\d")
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
                before = re.search(r"(\S+)$", line[max(0, m.start() - 40) : m.start()])  # bounded: linear overall
                word = before.group(1).lower().rstrip(".") if before else ""
                numbered = word != "no" or _NUMBER_AFTER.match(line, m.end())  # "No. 5", not "both no. Let's"
                initial = len(word) == 1 and word.isalpha()
                if (word in _ABBREVIATIONS and numbered) or initial or word.endswith("tl;dr"):
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
