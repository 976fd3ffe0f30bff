"""What a message says besides verdicts: its hiring manager, and whether it hedges, asks, votes or supposes.

Pure: strings in, plain values out.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


# an ATS card names who owns the decision by name: "Hiring Manager: Claire Fontaine", "Rejected by Marguerite
# Delacroix"; the field that says hiring manager or owner first, then who acted on the candidate
_MANAGER_FIELD = re.compile(
    r"^\W*(?:hiring\s+manager|hm|owner|hiring\s+lead|hiring\s+contact)\W*:\s*\*?_?(?P<name>[^\n*_<>|·(]{3,60})",
    re.IGNORECASE | re.MULTILINE)
_MANAGER_ACTED = re.compile(
    r"\b(?:rejected|archived|disqualified|declined|dispositioned|moved|changed|marked|recorded|updated)\b"
    r"[^\n]{0,80}?\bby"
    r"[^\w\n]{0,3}(?P<name>(?-i:[A-ZÀ-ÖØ-Þ][\w'’-]+(?:[ \t]+(?:[a-z]{1,3}[ \t]+)?[A-ZÀ-ÖØ-Þ][\w'’-]+){1,3}))",
    re.IGNORECASE)


def find_manager_name(text: str) -> str | None:
    """The person an app's card names as the decision's owner, as written: for the bot to look up among the
    workspace's members when no one is mentioned by id."""
    for pattern in (_MANAGER_FIELD, _MANAGER_ACTED):
        m = pattern.search(text)
        if m:
            name = re.sub(r"\s+", " ", m.group("name")).strip(" .,;:-–—")
            if 2 <= len(name.split()) <= 4 and not any(ch.isdigit() for ch in name):
                return name
    return None


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
    r"\b(?:my|our)\s+vote\b|\bi(?:'d)?\s+vote\b|\bi'm\s+(?:a\s+)?(?:no|yes|pass)\b"
    # "no hire from me", "a hard pass from me"; not "gets a decline from me this week", which delivers it
    r"|\b(?:no|yes|nope|hire|no[\s-]hire|pass|a\s+no|a\s+yes|(?:strong|hard|soft)\s+(?:no|yes|pass|hire)|\+1|-1|"
    r"thumbs\s?(?:up|down)|lean(?:ing)?\s+(?:no|yes))\s+from\s+me\b(?!\s+and\b)"
    # "Mi feedback para Joaquín", "no hire de mi parte", "that's just mine", "my notes only"
    r"|\b(?:my|mi|meu|mon|mein)\s+(?:feedback|notes?|take|scorecard)\b|\bde\s+mi\s+parte\b|\bfrom\s+my\s+side\b"
    r"|\bthat's\s+just\s+mine\b|\bvotos?\s+do\b|\b(?:thought|thinks|felt|feels)\s+[^.\n]{1,40}\s+(?:was|is)\s+a\s+(?:\*?no)",
    re.IGNORECASE,
)
# ...unless the writer also settles it: says it is agreed/final, or that they will deliver the outcome
_SETTLED = re.compile(
    r"\b(?:consensus|unanimous(?:ly)?|final (?:call|answer|decision)|decided|we(?: all)? agreed|"
    r"(?:panel|team|everyone) (?:agrees|agreed)|as (?:the )?hiring manager|"
    r"(?:absage|rejection|regrets?|decline|no)\s+(?:today|now|tonight|sent|goes out|going out))\b"
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


@lru_cache(maxsize=256)  # asked once per finding of a sentence, which can be a 40,000-character line
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


def settled(text: str) -> bool:
    """True when the writer settles it: says it is agreed or final, or that they will deliver the outcome."""
    return bool(_SETTLED.search(text))


def only_a_vote(text: str) -> bool:
    """True for a message that casts a vote ("no hire from me on A") without settling the decision."""
    return bool(_VOTE.search(text)) and not _SETTLED.search(text)
