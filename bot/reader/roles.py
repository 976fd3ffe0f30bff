"""The role a decision message is about ("Staff Data Engineer"), most explicit form first.

Pure: strings in, plain values out.
"""

from __future__ import annotations

import re

from bot.reader.stages import _STAGE_RE
from bot.reader.vocab import NON_NAMES, ROLE_HEADS, ROLE_WORDS

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
            role = _longest_role_prefix(" ".join(words[start : start + 8]), allow_lower=False)  # titles are short
            if role is not None:
                return role
    return None
