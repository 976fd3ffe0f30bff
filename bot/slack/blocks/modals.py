"""The modals: a decision, a round, a note, a role, a skip reason. Their fields' max lengths come
from common.FIELD_LIMITS, and a submission is checked against them again."""

from __future__ import annotations

from typing import Any

from bot.domain.slack_text import escape
from bot.slack.blocks.common import (
    FIELD_LIMITS,
    LINES_LIMIT,
    ROLE_LIMIT,
    SKIP_REASONS,
    VIEW_DECISION,
    VIEW_NOTE,
    VIEW_ROLE,
    VIEW_ROUND,
    VIEW_SKIP,
    Block,
    clip,
    plain,
    section,
)
from bot.slack.blocks.decisions import people_lines
from storage.views import FollowupView


def note_modal(*, candidate_name: str, note: str, private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": VIEW_NOTE,
        "private_metadata": private_metadata,
        "title": plain("Edit note", 24),
        "submit": plain("Save note", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"Your note to *{escape(candidate_name)}*. It's used from now on; empty it to go back to the "
                    "suggested one."),
            {"type": "input", "block_id": "note", "optional": True, "label": plain("Note", 2000),
             "hint": plain("Thank them, keep it personal, and leave out the reasons for the decision. "
                           "I'll point out phrases that can create legal risk.", 2000),
             "element": {"type": "plain_text_input", "action_id": "note", "multiline": True,
                         "max_length": LINES_LIMIT, "initial_value": clip(note, LINES_LIMIT)}},
        ],
    }


def role_modal(private_metadata: str) -> dict[str, Any]:
    """One field: the role of a decision recorded without one."""
    return {
        "type": "modal",
        "callback_id": VIEW_ROLE,
        "private_metadata": private_metadata,
        "title": plain("Add the role", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            role_input(),
        ],
    }


def _lines_input(block_id: str, label: str, initial: str, hint: str) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id, "multiline": True,
                               "max_length": LINES_LIMIT}
    if initial:
        element["initial_value"] = clip(initial, LINES_LIMIT)
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain(label, 2000),
            "element": element, "hint": plain(hint, 2000)}


def role_input(role: str | None = None) -> dict[str, Any]:
    """The role field of every modal that asks for one (block and action id "role")."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "role",
                               "max_length": ROLE_LIMIT.max_length, "placeholder": plain("Staff Data Engineer", 150)}
    if role:
        element["initial_value"] = clip(role, ROLE_LIMIT.max_length)
    return {"type": "input", "block_id": "role", "label": plain("Role", 2000), "element": element}


def decision_modal(reading: Any | None, private_metadata: str, *, default_manager: str | None = None
                   ) -> dict[str, Any]:
    """The decision as a form: role, hiring manager, and who was not selected, hired or withdrew."""
    role = reading.role if reading is not None and reading.role else ""
    manager = (reading.manager_id if reading is not None else None) or default_manager
    manager_element: dict[str, Any] = {"type": "users_select", "action_id": "manager"}
    if manager:
        manager_element["initial_user"] = manager
    hint = "One per line: Name (stage), e.g. Omar Haddad (final round)"
    return {
        "type": "modal",
        "callback_id": VIEW_DECISION,
        "private_metadata": private_metadata,
        "title": plain("Hiring decision", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            role_input(role),
            {"type": "input", "block_id": "manager", "label": plain("Hiring manager", 2000),
             "element": manager_element},
            _lines_input("not_selected", "Not selected (they get a personal follow-up)",
                         people_lines(reading.not_selected) if reading else "", hint),
            _lines_input("hired", "Hired", people_lines(reading.hired) if reading else "", hint),
            _lines_input("withdrawn", "Withdrew", people_lines(reading.withdrawn) if reading else "", hint),
        ],
    }


def round_modal(*, manager_id: str, private_metadata: str) -> dict[str, Any]:
    """Log a round: role, hiring manager, candidates (one per line, the command's grammar), who was hired."""
    return {
        "type": "modal",
        "callback_id": VIEW_ROUND,
        "private_metadata": private_metadata,
        "title": plain("Log interview round", 24),
        "submit": plain("Log round", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            role_input(),
            {"type": "input", "block_id": "manager", "label": plain("Hiring manager", 2000),
             "element": {"type": "users_select", "action_id": "manager", "initial_user": manager_id}},
            {"type": "input", "block_id": "candidates", "label": plain("Candidates", 2000),
             "hint": plain("One per line: Name (stage; strengths: ...) email", 2000),
             "element": {"type": "plain_text_input", "action_id": "candidates", "multiline": True,
                         "max_length": LINES_LIMIT,
                         "placeholder": plain("Dana Whitfield (onsite)\nOmar Haddad (final round)", 150)}},
            {"type": "input", "block_id": "hired", "optional": True, "label": plain("Hired (optional)", 2000),
             "hint": plain("If the decision is made: who was hired. Everyone else gets a personal follow-up.",
                           2000),
             "element": {"type": "plain_text_input", "action_id": "hired", "max_length": LINES_LIMIT,
                         "placeholder": plain("Dana Whitfield", 150)}},
        ],
    }


def skip_modal(followup: FollowupView, private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": VIEW_SKIP,
        "private_metadata": private_metadata,
        "title": plain("Not needed", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"Why does *{escape(followup.candidate_name)}* not need a personal note from you?"),
            {
                "type": "input",
                "block_id": "reason",
                "label": plain("Reason", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": "reason",
                    "options": [{"text": plain(label), "value": value} for value, label in SKIP_REASONS],
                },
            },
            {
                "type": "input",
                "block_id": "detail",
                "optional": True,
                "label": plain("Anything to add? (optional)", 2000),
                "element": {"type": "plain_text_input", "action_id": "detail",
                            "max_length": FIELD_LIMITS[VIEW_SKIP]["detail"].max_length},
            },
        ],
    }
