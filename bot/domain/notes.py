"""The suggested personal note to a candidate who was not selected, and its email draft link.

A note thanks the candidate for their time (more for later stages), tells them the decision plainly and
personally, mentions what stood out when the manager noted it, offers a short call after a late-stage
interview and to stay in touch, and signs off. It never gives a reason for the decision, never promises
future employment and never mentions anything about the person other than their work.
Pure functions: no Slack calls, no logging.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.reader.vocab import TITLES

TONES = ("warm", "brief", "formal")
STAGE_GROUPS = ("early", "middle", "late", "unknown")


def _keywords(text: str) -> re.Pattern[str]:
    """Comma-separated words, each matched at the start of a word ("screen" also finds "screening")."""
    words = (re.escape(w.strip()) for w in text.split(","))
    return re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE)


# The first group whose keywords appear wins: "final technical round" is late, "technical screen" middle.
_STAGE_KEYWORDS = (
    (
        "late",
        _keywords(
            "onsite, on-site, on site, final, panel, loop, superday, super day, last round, presentation, "
            "in person, in-person"
        ),
    ),
    (
        "middle",
        _keywords(
            "technical, tech, take-home, take home, takehome, hiring manager, coding, assignment, "
            "case study, exercise, second, 2nd, pairing, pair programming, system design, work sample, "
            "portfolio, assessment, challenge"
        ),
    ),
    ("early", _keywords("phone, screen, recruiter, intro, initial, first, 1st, call, chat")),
)


def stage_group(stage: str | None) -> str:
    """Which of STAGE_GROUPS a stage as written by the manager belongs to; None or unrecognised: "unknown"."""
    for group, pattern in _STAGE_KEYWORDS:
        if stage and pattern.search(stage):
            return group
    return "unknown"


# --- Building blocks -------------------------------------------------------------------------------

# A stage written as one of these nouns reads as is ("phone screen"); others get "interview" ("onsite").
_STAGE_NOUNS = frozenset(
    """interview interviews screen screening call round loop panel exercise assignment conversation
    conversations chat test challenge presentation session day review study assessment sample""".split()
)
# Strengths starting with one of these words are lower-cased to sit inside a sentence; anything else
# (Python, SQL, Kubernetes...) is kept as written.
_COMMON_FIRST_WORDS = frozenset(
    """clear strong great excellent thoughtful deep good solid careful creative detailed calm practical
    structured curious curiosity questions experience communication ownership leadership approach insightful
    thorough concise honest well sharp crisp incident system systems design product data technical your the
    how way examples stories answers work portfolio presentation collaborative collaboration mentoring
    feedback preparation attention ideas hands end problem debugging testing writing written verbal care
    energy enthusiasm knowledge understanding insight insights thinking analysis analytical user customer
    team people stakeholder code coding architecture research storytelling humility judgment judgement
    pragmatism pragmatic quick fast kind patient open candid genuine real impressive outstanding
    wonderful""".split()
)
_NO_POSSESSIVE = {"your", "the", "how", "that", "what", "this", "those", "these"}


def first_name(full_name: str) -> str:
    """The name to greet someone by: "Dana" for "Dana Whitfield", "Marta" for "Nowak, Marta"."""
    name = full_name.strip()
    if "," in name:
        surname, _, given = name.partition(",")
        name = given.strip() or surname.strip()
    words = [w.strip('.,;:!?"()') for w in name.split()]
    words = [w for w in words if w and w.lower().rstrip(".") not in TITLES]
    return words[0] if words else "there"


def _stage_phrase(stage: str) -> str:
    stage = " ".join(stage.split())
    if stage.replace("-", " ") in ("take home", "takehome"):
        return "take-home exercise"
    if stage.split()[-1].lower() in _STAGE_NOUNS:
        return stage
    return f"{stage} interview"


def _role_phrase(role: str | None, noun: str) -> str:
    role = " ".join((role or "").split())
    if not role:
        return f"the {noun}"
    if role.lower().split()[-1:] in (["role"], ["position"], ["opening"], ["job"]):
        return f"the {role}"
    return f"the {role} {noun}"


def _join_items(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _strengths_phrase(strengths: str) -> str:
    """The strengths as an object of "I especially appreciated ...", e.g. "your clear system design"."""
    text = " ".join(strengths.split()).strip(" .!;,")
    items = [item.strip(" .") for item in re.split(r"\s*[;,]\s*(?:and\s+)?", text) if item.strip(" .")]
    if not items:
        return ""
    first, _, rest = items[0].partition(" ")
    if first.lower().split("-")[0] in _COMMON_FIRST_WORDS or first.lower() in ("his", "her", "their"):
        first = first.lower()
    if first in ("his", "her", "their"):
        first = "your"
    items[0] = f"{first} {rest}".strip()
    phrase = _join_items(items)
    return phrase if first in _NO_POSSESSIVE else f"your {phrase}"


def _pick(options: Sequence[str], variant: int, slot: int) -> str:
    """One phrasing per slot. Consecutive variants differ in (nearly) every slot; 0..8 are all distinct."""
    return options[(variant + slot * (variant // 3)) % len(options)]


# --- Phrasings -------------------------------------------------------------------------------------
# Placeholders: {role} ("the Staff Data Engineer role"), {stage} ("onsite interview"), {us} ("us" or
# "us at Acme"). None of these may give a reason, judge the person or promise anything.


@dataclass(frozen=True)
class _Tone:
    greeting: str
    thanks: dict[str, tuple[str, ...]]
    decision: tuple[str, ...]
    strengths: tuple[str, ...]
    call: tuple[str, ...]
    stay: tuple[str, ...]
    closing: tuple[str, ...]


_WARM = _Tone(
    greeting="Hi {first},",
    thanks={
        "early": (
            "Thank you for making time for the {stage} for {role}.",
            "Thanks so much for the {stage} and for your interest in {role}.",
            "Thank you for taking the time to talk with {us} during the {stage} for {role}.",
        ),
        "middle": (
            "Thank you for the time and care you put into the {stage} for {role}. "
            "I know it asks a lot of your time, and I'm grateful you gave it.",
            "Thank you for your work on the {stage} for {role}. "
            "I know it takes real effort, and I appreciate the thought you put into it.",
            "Thanks so much for the {stage} for {role}. "
            "It takes real time and effort, and I'm grateful you invested it with us.",
        ),
        "late": (
            "Thank you for everything you put into the {stage} for {role}. "
            "Getting this far takes real preparation and a lot of your time, "
            "and I don't take that for granted.",
            "I want to start by thanking you for the {stage} for {role}. "
            "You gave us a great deal of your time and thought, and I'm grateful for it.",
            "Thank you for the time you gave us during the {stage} for {role}. "
            "I know how much preparation a process like this takes, "
            "and I appreciated the care you brought to every conversation.",
        ),
        "unknown": (
            "Thank you for the time you spent interviewing with {us} for {role}.",
            "Thank you for your interest in {role} and for the time you gave us during the process.",
            "Thanks so much for interviewing with {us} for {role}; I appreciate the time you invested.",
        ),
    },
    decision=(
        "I wanted to let you know personally that we won't be moving forward with your application.",
        "I'm writing to let you know myself that we've decided not to move forward with your application.",
        "It wasn't an easy decision, and I wanted you to hear it from me directly: "
        "we won't be moving forward with your application.",
    ),
    strengths=(
        "I especially appreciated {strengths}.",
        "I especially appreciated {strengths}, and I wanted you to know that.",
        "I especially appreciated {strengths}; thank you for sharing that with us.",
    ),
    call=(
        "If a short call would be helpful, I'd be happy to set one up.",
        "If you'd like to talk, I'm glad to make time for a short call.",
        "If it would help to speak, I'd be happy to find time for a quick call.",
    ),
    stay=(
        "I'd be glad to stay in touch, and I wish you all the best in your search.",
        "I hope we stay in touch, and I wish you every success in what comes next.",
        "Please feel free to keep in touch. I wish you the very best.",
    ),
    closing=("Best wishes,", "Warm regards,", "All the best,"),
)

_FORMAL = _Tone(
    greeting="Dear {first},",
    thanks={
        "early": (
            "Thank you for taking the time to speak with {us} during the {stage} for {role}.",
            "Thank you for your interest in {role} and for your time during the {stage}.",
            "I would like to thank you for participating in the {stage} for {role}.",
        ),
        "middle": (
            "Thank you for the time and effort you devoted to the {stage} for {role}.",
            "I would like to thank you for the considerable effort you invested in the {stage} for {role}.",
            "Thank you for completing the {stage} for {role}; I recognize the time and care it required.",
        ),
        "late": (
            "Thank you for the considerable time and preparation you devoted to the {stage} for {role}. "
            "I recognize the commitment involved in reaching this stage of our process.",
            "I would like to thank you sincerely for participating in the {stage} for {role}. "
            "I am aware of the time and preparation this stage requires, and I am grateful for both.",
            "Thank you for the time you dedicated to the {stage} for {role}. "
            "I appreciate the care and preparation you brought to each conversation.",
        ),
        "unknown": (
            "Thank you for the time you dedicated to interviewing for {role}.",
            "Thank you for your interest in {role} and for the time you gave us during our process.",
            "I would like to thank you for taking the time to interview with {us} for {role}.",
        ),
    },
    decision=(
        "I regret to inform you that we will not be proceeding with your application.",
        "After careful consideration, we have decided not to proceed with your application.",
        "I am writing to let you know personally that we will not be moving forward with your candidacy.",
    ),
    strengths=(
        "I especially appreciated {strengths}.",
        "I particularly appreciated {strengths}.",
        "I especially appreciated {strengths}, and I wanted to tell you so.",
    ),
    call=(
        "Should a brief call be helpful, I would be glad to arrange one.",
        "If you would find a brief conversation useful, I would be pleased to arrange one.",
        "Should you wish to speak, I would be happy to arrange a short call.",
    ),
    stay=(
        "I would welcome the opportunity to remain in contact, and I wish you every success in your search.",
        "I hope we may remain in touch, and I wish you the very best in your future endeavors.",
        "I would be glad to stay in contact, and I wish you every success.",
    ),
    closing=("Kind regards,", "Sincerely,", "With best regards,"),
)

_BRIEF_THANKS = {
    "early": (
        "Thank you for your time on the {stage} for {role}.",
        "Thanks for the {stage} and for your interest in {role}.",
        "Thank you for talking with {us} during the {stage} for {role}.",
    ),
    "middle": (
        "Thank you for the effort you put into the {stage} for {role}.",
        "Thanks for the time and care you gave the {stage} for {role}.",
        "Thank you for your work on the {stage} for {role}; I know it took real effort.",
    ),
    "late": (
        "Thank you for all the time you gave us during the {stage} for {role}.",
        "Thank you for everything you put into the {stage} for {role}; I know it took real preparation.",
        "Thanks for the time and preparation you brought to the {stage} for {role}.",
    ),
    "unknown": (
        "Thank you for interviewing with {us} for {role}.",
        "Thanks for your time and your interest in {role}.",
        "Thank you for the time you gave us for {role}.",
    ),
}
_BRIEF_DECISION = (
    "I wanted to let you know personally that we won't be moving forward with your application.",
    "We've decided not to move forward, and I wanted you to hear it from me.",
    "I'm writing to let you know that we won't be moving forward with your application.",
)
_BRIEF_CLOSING = ("Best,", "All the best,", "Kind regards,")


def _brief_last(group: str, strengths: str, variant: int) -> str:
    """The brief note's last sentence: strengths, a call offer (late stages) and staying in touch."""
    if group == "late":
        if strengths:
            return (
                f"I especially appreciated {strengths}, and I'd be glad to stay in touch "
                "or set up a short call if that would help."
            )
        call = (
            "I'm happy to set up a short call if that would help, and I'd be glad to stay in touch.",
            "If a short call would help, just let me know; either way, I hope we stay in touch.",
            "I'd be glad to make time for a short call if you'd like, and to stay in touch.",
        )
        return _pick(call, variant, 2)
    if strengths:
        return f"I especially appreciated {strengths}, and I'd be glad to stay in touch."
    stay = ("I'd be glad to stay in touch.", "I hope we stay in touch.", "I'd be glad to keep in touch.")
    return _pick(stay, variant, 2)


def _sign_off(closing: str, manager_name: str | None, company: str | None) -> str:
    lines = [closing]
    lines += [part.strip() for part in (manager_name, company) if part and part.strip()]
    return "\n".join(lines)


def suggest_note(
    *,
    candidate_name: str,
    role: str | None,
    stage: str | None = None,
    strengths: str | None = None,
    manager_name: str | None = None,
    company: str | None = None,
    tone: str = "warm",
    variant: int = 0,
) -> str:
    """A ready-to-send, plain-text personal note. `variant` (e.g. the candidate's id) varies the phrasing."""
    if tone not in TONES:
        raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone!r}")
    group = stage_group(stage)
    company = " ".join(company.split()) if company and company.strip() else None
    values = {
        "first": first_name(candidate_name),
        "stage": _stage_phrase(stage) if stage and stage.strip() else "interviews",
        "role": _role_phrase(role, "position" if tone == "formal" else "role"),
        "us": f"us at {company}" if company else "us",
    }
    strengths_text = _strengths_phrase(strengths) if strengths else ""

    if tone == "brief":
        body = " ".join(
            (
                _pick(_BRIEF_THANKS[group], variant, 0).format(**values),
                _pick(_BRIEF_DECISION, variant, 1),
                _brief_last(group, strengths_text, variant),
            )
        )
        paragraphs = [body]
        closing = _pick(_BRIEF_CLOSING, variant, 3)
        greeting = "Hi {first},".format(**values)
    else:
        t = _WARM if tone == "warm" else _FORMAL
        middle = []
        if strengths_text:
            middle.append(_pick(t.strengths, variant, 2).format(strengths=strengths_text))
        if group == "late":
            middle.append(_pick(t.call, variant, 3))
        paragraphs = [
            " ".join((_pick(t.thanks[group], variant, 0).format(**values), _pick(t.decision, variant, 1))),
            " ".join(middle),
            _pick(t.stay, variant, 4),
        ]
        closing = _pick(t.closing, variant, 5)
        greeting = t.greeting.format(**values)
    parts = [greeting, *(p for p in paragraphs if p), _sign_off(closing, manager_name, company)]
    return "\n\n".join(parts)


def email_subject(*, role: str | None, company: str | None = None) -> str:
    """A neutral subject line for the note sent by email ("Thank you for interviewing" with no role)."""
    role = " ".join((role or "").split())
    at = f" at {' '.join(company.split())}" if company and company.strip() else ""
    return f"Thank you for interviewing{f' for {role}' if role else ''}{at}"


# --- mailto: ---------------------------------------------------------------------------------------


def _encode(text: str) -> str:
    """RFC 6068: percent-encode everything, line breaks as %0D%0A."""
    return quote(text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n"), safe="")


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


def _shorten(text: str, budget: int) -> str:
    """The longest start of `text` whose encoding fits `budget`, cut at a sentence or word, with "…"."""
    if len(_encode(text)) <= budget:
        return text

    def fits(candidate: str) -> bool:
        return len(_encode(candidate)) <= budget

    low, high = 0, len(text)  # the longest raw prefix that still fits once "…" is added
    while low < high:
        mid = (low + high + 1) // 2
        if fits(text[:mid].rstrip() + "…"):
            low = mid
        else:
            high = mid - 1
    prefix = text[:low]
    if not prefix.strip():
        return ""
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= low]
    if sentence_ends and sentence_ends[-1] >= low * 3 // 4:
        cut = text[: sentence_ends[-1]].rstrip()
        return cut + " …" if fits(cut + " …") else cut + "…"
    if not text[low].isspace() and not prefix[-1].isspace():
        space = max(prefix.rfind(" "), prefix.rfind("\n"))
        if space > 0:
            prefix = prefix[:space]
    return prefix.rstrip(" ,;:-\n") + "…"


def mailto_url(*, email: str, subject: str, body: str, limit: int = 3000) -> str:
    """A mailto: URL of at most `limit` characters; the body (then the subject) is shortened to fit."""
    address = "mailto:" + quote(email.strip(), safe="@")
    if not email.strip() or len(address) > limit:
        raise ValueError("the email address does not fit in a mailto: link")
    subject_part = "?subject=" + _encode(subject) if subject else ""
    head = address + subject_part
    if len(head) > limit:
        budget = limit - len(address) - len("?subject=")
        short = _shorten(subject, budget)
        return address + ("?subject=" + _encode(short) if short else "")
    separator = "&body=" if subject_part else "?body="
    budget = limit - len(head) - len(separator)
    short_body = _shorten(body, budget) if budget > 0 else ""
    return head + (separator + _encode(short_body) if short_body else "")
