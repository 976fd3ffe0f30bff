"""What replaces a message that named someone since erased, and the prompt before erasing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.rounds import COMMAND
from bot.domain.slack_text import escape
from bot.slack.blocks.common import ACTION_FORGET, ACTION_FORGET_CANCEL, Block, button, context, section


def erased_message() -> dict[str, Any]:
    text = "🗑️ This candidate's record was erased, so there's nothing more to follow up on here."
    return {"text": text, "blocks": [section(text)]}


def erased_note(count: int) -> str:
    people = "one person" if count == 1 else f"{count} people"
    return f"🗑️ The record of {people} named here was erased, so this can't be changed any more."


def erased_reply() -> dict[str, Any]:
    text = "🗑️ The records of the people in this decision were erased."
    return {"text": text, "blocks": [section(text)]}


def erased_list() -> dict[str, Any]:
    """A digest (or an escalation) that named someone since erased: taken down whole."""
    text = ("🗑️ This list named someone whose record has since been erased, so it was taken down. "
            f"`{COMMAND} digest` shows what is open now.")
    return {"text": text, "blocks": [context(text)]}


def erased_question() -> dict[str, Any]:
    text = "🗑️ Nobody answered this question, and the details it asked about were erased."
    return {"text": text, "blocks": [context(text)]}


def forget_prompt(matches: Sequence[Any]) -> dict[str, Any]:
    """Confirm before erasing: one Erase button per matching candidate (storage.views.CandidateMatch)."""
    blocks: list[Block] = [section(
        "🗑️ *Erase a candidate's record?* Their name, email, strengths and notes are deleted now and any "
        "open reminder stops. Counts stay, anonymous. This can't be undone."
    )]
    for m in matches[:10]:
        stage = f" ({escape(m.stage)})" if m.stage else ""
        role = f": {escape(m.role)}" if m.role else ""
        blocks.append(section(f"*{escape(m.name)}*{role}{stage}, {m.outcome.replace('_', ' ')}",
                              accessory=button("Erase", ACTION_FORGET, str(m.candidate_id), style="danger")))
    blocks.append({"type": "actions", "block_id": "forget_cancel",
                   "elements": [button("Cancel", ACTION_FORGET_CANCEL, "cancel")]})
    return {"text": "Erase a candidate's record?", "blocks": blocks}
