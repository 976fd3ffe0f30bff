"""The pieces every surface is built from: action and view ids, Slack's limits, text helpers and
the basic blocks (section, context, button), and the modal fields' max lengths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.rounds import MAX_ROLE_LENGTH

ACTION_CONTACTED = "followup_contacted"
ACTION_SNOOZE = "followup_snooze"
ACTION_SKIP = "followup_skip"
ACTION_EMAIL = "followup_email_draft"
ACTION_EDIT_NOTE = "followup_edit_note"
ACTION_TONE = "followup_tone"
VIEW_NOTE = "followup_note_modal"
TONE_LABELS = (("warm", "Warm"), ("brief", "Brief"), ("formal", "Formal"))
ACTION_UNDO = "decision_undo"
ACTION_EDIT = "decision_edit"
ACTION_CONFIRM = "decision_confirm"
ACTION_EDIT_DRAFT = "decision_edit_draft"
ACTION_ADD_ROLE = "decision_add_role"
ACTION_PICK_MANAGER = "decision_pick_manager"
VIEW_ROLE = "decision_role_modal"
VIEW_SKIP = "followup_skip_modal"
VIEW_DECISION = "decision_modal"
SHORTCUT_RECORD = "record_decision"
ACTION_OPEN_ROUND = "round_modal_open"
ACTION_FORGET = "candidate_forget"
ACTION_FORGET_CANCEL = "candidate_forget_cancel"
VIEW_ROUND = "round_modal"
ACTION_REASSIGN = "followups_reassign"
ACTION_ATS_ASSIGN = "ats_assign_manager"  # an admin picks the manager of an ATS decision nobody matched
ACTION_ATS_CLAIM = "ats_claim_manager"  # "I'm the manager"; its value carries the decision (a draft)
REASSIGN_BLOCK = "reassign:"  # + the unreachable manager's user id
VALUE_LIMIT = 2000

SECTION_LIMIT = 3000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
BUTTON_TEXT = 75
SKIP_REASONS = (
    ("other_channel", "Already told them another way"),
    ("internal", "Internal candidate, handled in person"),
    ("agency", "The agency or recruiter is handling it"),
    ("other", "Other"),
)

Block = dict[str, Any]


@dataclass(frozen=True)
class Limit:
    """A modal text field's `max_length`, with the field's name for the error that enforces it."""

    label: str
    max_length: int


ROLE_LIMIT = Limit("Role", MAX_ROLE_LENGTH)
LINES_LIMIT = 3000  # a multi-line field (candidates, a note): Slack's largest max_length
# Every modal's text fields and their limits, by callback_id and block_id (= action_id): the builders set
# max_length from here, and a submission is checked against it again (`too_long`), since a submitted view
# is untrusted input.
FIELD_LIMITS: dict[str, dict[str, Limit]] = {
    VIEW_ROUND: {"role": ROLE_LIMIT, "candidates": Limit("Candidates", LINES_LIMIT),
                 "hired": Limit("Hired", LINES_LIMIT)},
    VIEW_DECISION: {"role": ROLE_LIMIT, "not_selected": Limit("Not selected", LINES_LIMIT),
                    "hired": Limit("Hired", LINES_LIMIT), "withdrawn": Limit("Withdrew", LINES_LIMIT)},
    VIEW_ROLE: {"role": ROLE_LIMIT},
    VIEW_NOTE: {"note": Limit("Note", LINES_LIMIT)},
    VIEW_SKIP: {"detail": Limit("Anything to add", 300)},
}


def too_long(callback_id: Any, values: Any) -> dict[str, str]:
    """The fields of a submitted modal that are longer than their max_length: block_id -> an error naming
    the field and its limit (for `response_action: errors`). Anything malformed is left to the listener."""
    limits = FIELD_LIMITS.get(callback_id) if isinstance(callback_id, str) else None
    if not limits or not isinstance(values, dict):
        return {}
    errors = {}
    for block_id, limit in limits.items():
        field = (values.get(block_id) or {}).get(block_id) if isinstance(values.get(block_id), dict) else None
        value = field.get("value") if isinstance(field, dict) else None
        if isinstance(value, str) and len(value) > limit.max_length:
            errors[block_id] = (f"{limit.label} can be up to {limit.max_length:,} characters; this is "
                                f"{len(value):,}. Shorten it and save again.")
    return errors


def about(name: str, role: str | None, stage: str | None = None) -> str:
    """Who, for which role: "Omar Haddad (Staff Data Engineer)", or "Omar Haddad (onsite)" with no role
    known, or the name alone. Plain text: escape it where it goes into mrkdwn."""
    detail = role or stage
    return f"{name} ({detail})" if detail else name


TOKEN_LENGTH = 80  # the longest of the bot's own <…> tokens (a date with its fallback)
_CUT_ENTITY = re.compile(r"&[a-z]{0,3}$")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, "…" marking a cut. A cut never splits an escaped character (`&am…`) or
    one of the bot's own `<…>` tokens (a mention, a date): it goes back to before it."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    opened = head.rfind("<", len(head) - TOKEN_LENGTH)
    if opened > head.rfind(">"):
        head = head[:opened]
    return _CUT_ENTITY.sub("", head).rstrip() + "…"


def plain(text: str, limit: int = BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}, **extra}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(text: str, action_id: str, value: str, style: str | None = None, **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    element.update(extra)
    return element


def slack_date(moment: datetime, fmt: str = "{date_short}") -> str:
    """A date Slack shows in the reader's own time zone, with a UTC fallback."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{moment.strftime('%b %d, %Y')}>"


def days_waiting(decided_at: datetime, now: datetime) -> str:
    days = max(0, (now - decided_at).days)
    if days == 0:
        return "decided today"
    return f"waiting {days} day{'s' if days != 1 else ''}"


def quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())
