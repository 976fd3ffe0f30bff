"""Thread replies to a decision or a round: what was recorded, the questions asked when the bot
is unsure or knows no manager, and the ATS's manager question."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.slack_text import escape
from bot.slack.blocks.common import (
    ACTION_ADD_ROLE,
    ACTION_ATS_ASSIGN,
    ACTION_ATS_CLAIM,
    ACTION_CONFIRM,
    ACTION_EDIT,
    ACTION_EDIT_DRAFT,
    ACTION_PICK_MANAGER,
    ACTION_UNDO,
    SECTION_LIMIT,
    button,
    clip,
    context,
    plain,
    section,
    slack_date,
)
from bot.slack.blocks.erased import erased_note, erased_reply
from bot.slack.blocks.nudges import careful_language


def question_refused(channel_id: str, error: str) -> dict[str, Any]:
    """A DM to whoever posted a decision the bot could not ask about in its thread. It names nobody."""
    text = (f"I read what looks like a hiring decision in <#{channel_id}>, but Slack wouldn't let me ask about it "
            f"in its thread (`{escape(error)}`), so nothing is recorded for it. Invite me to the channel, or use the "
            "*Record hiring decision* shortcut on the message.")
    return {"text": text, "blocks": [section(text)]}


def names_list(names: Sequence[str]) -> str:
    names = [escape(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def decision_reply(
    *, decision_id: int, manager_id: str, role: str | None, not_selected: Sequence[str], hired: Sequence[str],
    withdrawn: Sequence[str], first_due: datetime | None, erased: int = 0,
) -> dict[str, Any]:
    """The thread reply to a recorded decision. With no role known it asks for one ("Add the role").

    `erased`: how many of its people were erased (left out of the lists): the decision can't be changed any
    more, so it has no buttons; with nobody left it is `erased_reply()`."""
    if erased and not (not_selected or hired or withdrawn):
        return erased_reply()
    lines = []
    noted = f"📝 Noted for *{escape(role)}*" if role else "📝 Noted"
    if not_selected:
        when = f" from {slack_date(first_due, '{date_short_pretty}')}" if first_due else ""
        lines.append(
            f"{noted}: I'll remind <@{manager_id}>{when} to personally follow up with "
            f"{names_list(not_selected)}."
        )
    elif not role:
        lines.append(f"{noted}.")
    if hired:
        lines.append(f"🎉 Hired: {names_list(hired)}.")
    if withdrawn:
        lines.append(f"Withdrew: {names_list(withdrawn)} (no follow-up needed).")
    if role:
        text = f"Noted the decision for {escape(role)}."
    elif not_selected:
        text = clip(f"Noted: I'll remind <@{manager_id}> to follow up with {names_list(not_selected)}. "
                    "Which role was it for?", 3000)
    else:
        text = "Noted the decision. Which role was it for?"
    elements = [button("Undo", ACTION_UNDO, str(decision_id)), button("Edit", ACTION_EDIT, str(decision_id))]
    blocks = [section(clip("\n".join(lines), SECTION_LIMIT))]
    if erased:
        return {"text": text, "blocks": [*blocks, context(erased_note(erased))]}
    if not role:
        blocks.append(context("Which role was this for? The message didn't say; the reminder reads better with it."))
        elements.insert(0, button("Add the role", ACTION_ADD_ROLE, str(decision_id), style="primary"))
    blocks.append({"type": "actions", "block_id": f"decision:{decision_id}", "elements": elements})
    return {"text": text, "blocks": blocks}


def button_value(message_blocks: Any, action_id: str) -> str | None:
    """The value of a message's button with this action_id (a block_actions payload carries the message)."""
    for block in message_blocks if isinstance(message_blocks, list) else ():
        for element in (block.get("elements") or ()) if isinstance(block, dict) else ():
            if isinstance(element, dict) and element.get("action_id") == action_id and "value" in element:
                return str(element["value"])
    return None


def manager_question(reading: Any, value: str | None) -> dict[str, Any]:
    """Asked in the thread when nobody is known to own a decision (an app posted it): pick the manager.

    The choice records the reading, which travels in the Confirm button's value in the same message;
    Confirm alone makes the person who clicks the manager."""
    elements: list[dict[str, Any]] = []
    if value is not None:
        elements.append({"type": "users_select", "action_id": ACTION_PICK_MANAGER,
                         "placeholder": plain("Pick the hiring manager")})
        elements.append(button("I'm the manager", ACTION_CONFIRM, value, style="primary"))
    elements.append(button("Edit", ACTION_EDIT_DRAFT, value if value is not None else "{}"))
    names = names_list([p.name for p in reading.not_selected])
    whom = f" to follow up with {names}" if names else " to follow up"
    text = clip(f"Who is the hiring manager? I'll remind them{whom}.", 3000)
    return {
        "text": text,
        "blocks": [
            section(f"🙋 *Who is the hiring manager for this decision?* I'll remind them{whom}.\n"
                    f"{reading_summary(reading)}"),
            {"type": "actions", "block_id": "pick_manager", "elements": elements},
            context("Pick them and I'll record it. Nothing is recorded until someone answers."),
        ],
    }


def reading_summary(reading: Any) -> str:
    """One line per outcome of a reading (a bot.reader.Decision), for the confirm prompt."""

    def people(persons: Sequence[Any]) -> str:
        return names_list([p.name + (f" ({p.stage})" if p.stage else "") for p in persons])

    lines = [f"*Role:* {escape(reading.role)}" if reading.role else "*Role:* not named"]
    if reading.not_selected:
        lines.append(f"*Not selected:* {people(reading.not_selected)}")
    if reading.hired:
        lines.append(f"*Hired:* {people(reading.hired)}")
    if reading.withdrawn:
        lines.append(f"*Withdrew:* {people(reading.withdrawn)}")
    if reading.manager_id:
        lines.append(f"*Hiring manager:* <@{reading.manager_id}>")
    return "\n".join(lines)


def confirm_prompt(reading: Any, value: str | None) -> dict[str, Any]:
    """Asked in the thread when a reading is unsure: Confirm records it, Edit opens the modal."""
    elements = []
    if value is not None:
        elements.append(button("Confirm", ACTION_CONFIRM, value, style="primary"))
        elements.append(button("Edit", ACTION_EDIT_DRAFT, value))
    else:
        elements.append(button("Edit", ACTION_EDIT_DRAFT, "{}"))
    text = "Is this a hiring decision? Confirm it and I'll remind the manager to follow up."
    return {
        "text": text,
        "blocks": [
            section(f"🤔 Did you mean this hiring decision?\n{reading_summary(reading)}"),
            {"type": "actions", "block_id": "confirm", "elements": elements},
            context("Confirm and I'll remind the manager to follow up personally. Ignore this if it's no decision."),
        ],
    }


def cleared_reply() -> dict[str, Any]:
    text = "The message changed and no longer reads as a hiring decision, so nothing is recorded for it now."
    return {"text": text, "blocks": [context(f"↩️ {text}")]}


def people_lines(persons: Sequence[Any]) -> str:
    return "\n".join(p.name + (f" ({p.stage})" if p.stage else "") for p in persons)


def undone_reply(actor: str) -> dict[str, Any]:
    text = f"Undone by <@{actor}>: nothing from this message is recorded."
    return {"text": text, "blocks": [context(f"↩️ {text}")]}


def ats_manager_question(reading: Any, value: str, *, vendor: str, tried: int) -> dict[str, Any]:
    """To the ADMIN_USERS, by DM, when an ATS rejection names nobody who is in Slack: pick the hiring manager.
    The decision travels in the "I'm the manager" button's value (a draft, at most 2,000 characters)."""
    names = names_list([p.name for p in reading.not_selected])
    source = escape(vendor.capitalize())
    who = (f"none of the {tried} people {source} names as its owners (recruiter, coordinator, credited to) "
           "has a Slack account with their email") if tried else f"{source} names no recruiter or coordinator"
    text = clip(f"Who should follow up with {names}? {source} recorded a rejection, but {who}.", 3000)
    return {
        "text": text,
        "blocks": [
            section(f"🙋 *Who is the hiring manager?* {source} recorded a rejection after an interview, but {who}.\n"
                    f"{reading_summary(reading)}"),
            {"type": "actions", "block_id": "ats_pick_manager", "elements": [
                {"type": "users_select", "action_id": ACTION_ATS_ASSIGN,
                 "placeholder": plain("Pick the hiring manager")},
                button("I'm the manager", ACTION_ATS_CLAIM, value, style="primary"),
            ]},
            context("Pick them and I'll remind them to follow up personally, as for a decision posted in Slack."),
        ],
    }


def ats_assigned(*, manager_id: str, actor: str, names: Sequence[str], already: bool) -> dict[str, Any]:
    if already:
        text = "This one was already assigned: nothing changed."
    else:
        text = clip(f"✅ <@{actor}> made <@{manager_id}> the hiring manager: I'll remind them to follow up with "
                    f"{names_list(names)}.", 3000)
    return {"text": text, "blocks": [section(text)]}


def round_confirmation(role: str, names: Sequence[str], stages: Sequence[str | None], manager_id: str,
                       user_id: str, hired: Sequence[str] = (), findings: Sequence[Any] = (), erased: int = 0
                       ) -> dict[str, Any]:
    lines = [f"• {escape(name)}" + (f" ({escape(stage)})" if stage else "")
             for name, stage in zip(names, stages, strict=True)]
    whose = "you" if manager_id == user_id else f"<@{manager_id}>"
    then = (f"\n🎉 Hired: {names_list(hired)}. I'll remind {whose} to follow up personally with the others."
            if hired else
            f"\nWhen the decision is posted in a channel I'm in, I'll remind {whose} to follow up personally "
            "with everyone who isn't selected.")
    text = (f"📋 Logged *{escape(role)}* with {len(names)} candidate{'s' if len(names) != 1 else ''}:\n"
            + "\n".join(lines) + then)
    careful = careful_language(findings)
    notes = [*([careful] if careful else []), *([context(erased_note(erased))] if erased else [])]
    return {"text": f"Logged {escape(role)} with {len(names)} candidate{'s' if len(names) != 1 else ''}.",
            "blocks": [section(text), *notes]}
