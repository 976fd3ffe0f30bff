"""The interview stage a text names ("onsite", "final round", "phone screen"), in canonical form.

Pure: strings in, plain values out.
"""

from __future__ import annotations

import re

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
