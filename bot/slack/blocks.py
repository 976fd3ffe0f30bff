"""Block Kit builders: pure functions from plain values to message and view dicts.

Every builder stays inside Slack's limits however long the input (50 blocks a message, 100 a view,
3,000 characters a section text, 75 a button label) and every message comes with a fallback `text`.
Every user-typed string (names, roles, stages, strengths, notes, reasons) goes into mrkdwn and into the
fallback `text` through `bot.domain.slack_text.escape`, once; plain_text fields (a modal's prefilled inputs) carry
it as typed. Only the bot's own `<@U…>`, `<#C…>` and `<!date…>` tokens are live.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.rounds import MAX_ROLE_LENGTH
from bot.domain.slack_text import escape
from bot.slack import delivery
from storage.views import FollowupView

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
SNOOZE_CHOICES = (("1d", "1 day"), ("3d", "3 days"), ("next_week", "Next week"))
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


# --- the nudge DM ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NudgeContent:
    followup: FollowupView
    note: str
    seq: int
    of: int
    now: datetime
    mailto: str | None = None
    tone: str = "warm"
    findings: Sequence[Any] = ()  # bot.domain.language.Finding: careful-language notes on the note


def careful_language(findings: Sequence[Any], limit: int = 3) -> Block | None:
    """Explains risky phrases next to the text, with a safer alternative. Never blocks anything."""
    if not findings:
        return None
    lines = [
        f"⚠️ *“{escape(f.phrase)}”* ({escape(f.category)}): {escape(f.why)} _Instead:_ {escape(f.instead)}"
        for f in findings[:limit]
    ]
    if len(findings) > limit:
        lines.append(f"…and {len(findings) - limit} more phrase{'s' if len(findings) - limit != 1 else ''} to check.")
    return context("\n".join(lines))


def note_tools(followup_id: int, tone: str) -> Block:
    value = str(followup_id)
    options = [{"text": plain(f"Tone: {label}"), "value": f"{key}:{value}"} for key, label in TONE_LABELS]
    current = next((o for o in options if o["value"].startswith(f"{tone}:")), options[0])
    return {
        "type": "actions",
        "block_id": f"note:{value}",
        "elements": [
            button("✏️ Edit note", ACTION_EDIT_NOTE, value),
            {"type": "static_select", "action_id": ACTION_TONE, "options": options, "initial_option": current},
        ],
    }


def followup_actions(followup_id: int, mailto: str | None = None, *, block_id: str | None = None) -> Block:
    value = str(followup_id)
    elements: list[dict[str, Any]] = [
        button("✅ Mark contacted", ACTION_CONTACTED, value, style="primary"),
        {
            "type": "static_select",
            "action_id": ACTION_SNOOZE,
            "placeholder": plain("⏰ Snooze"),
            "options": [{"text": plain(label), "value": f"{choice}:{value}"} for choice, label in SNOOZE_CHOICES],
        },
        button("Not needed", ACTION_SKIP, value),
    ]
    if mailto:
        elements.append(button("✉️ Email draft", ACTION_EMAIL, value, url=mailto))
    return {"type": "actions", "block_id": block_id or f"followup:{value}", "elements": elements}


def nudge_message(content: NudgeContent) -> dict[str, Any]:
    f = content.followup
    who = escape(f.candidate_name)
    detail = " · ".join(
        part
        for part in (escape(f.role) if f.role else None, escape(f.stage) if f.stage else None,
                     days_waiting(f.decided_at, content.now))
        if part
    )
    if content.seq <= 1:
        reminder = ""
    elif content.seq <= content.of:
        reminder = f" (reminder {content.seq} of {content.of})"
    else:  # reassigned after its scheduled reminders went to someone who could not get them
        reminder = " (one more reminder)"
    text = f"Time to close the loop with {escape(about(f.candidate_name, f.role, f.stage))}{reminder}"
    note_title = "*Your note*" if f.note else "*Suggested note* (edit it to make it yours)"
    careful = careful_language(content.findings)
    blocks = [
        section(f"*Time to close the loop with {who}*{reminder}\n{detail}"),
        section(f"{note_title}\n{quote(escape(content.note))}"),
        *([careful] if careful else []),
        followup_actions(f.id, content.mailto),
        note_tools(f.id, content.tone),
        context(
            f"{who} was not selected on {slack_date(f.decided_at)}. A short personal note from you means a lot."
            " Mark it contacted once you've sent it."
        ),
    ]
    return {"text": clip(text, 3000), "blocks": blocks}


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


def closed_message(f: FollowupView) -> dict[str, Any]:
    who = escape(f.candidate_name)
    when = slack_date(f.closed_at) if f.closed_at else "today"
    if f.status == "contacted":
        line = f"✅ You contacted {who} on {when}"
        text = f"You contacted {escape(about(f.candidate_name, f.role, f.stage))}"
    elif f.status == "skipped":
        reason = f" ({escape(f.skip_reason)})" if f.skip_reason else ""
        line = f"☑️ No personal note needed for {who}{reason}, marked on {when}"
        text = f"No personal note needed for {escape(about(f.candidate_name, f.role, f.stage))}"
    else:
        line = f"This follow-up with {who} was cancelled"
        text = line
    by = f" by <@{f.closed_by}>" if f.closed_by and f.closed_by != f.manager_id else ""
    detail = " · ".join(escape(part) for part in (f.role, f.stage) if part)
    blocks = [section(f"{line}{by}" + (f"\n{detail}" if detail else ""))]
    return {"text": clip(text, 3000), "blocks": blocks}


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
            "`/interview-round digest` shows what is open now.")
    return {"text": text, "blocks": [context(text)]}


def erased_question() -> dict[str, Any]:
    text = "🗑️ Nobody answered this question, and the details it asked about were erased."
    return {"text": text, "blocks": [context(text)]}


def question_refused(channel_id: str, error: str) -> dict[str, Any]:
    """A DM to whoever posted a decision the bot could not ask about in its thread. It names nobody."""
    text = (f"I read what looks like a hiring decision in <#{channel_id}>, but Slack wouldn't let me ask about it "
            f"in its thread (`{escape(error)}`), so nothing is recorded for it. Invite me to the channel, or use the "
            "*Record hiring decision* shortcut on the message.")
    return {"text": text, "blocks": [section(text)]}


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


def snoozed_message(content: NudgeContent, until: datetime) -> dict[str, Any]:
    message = nudge_message(content)
    message["blocks"] = [
        *message["blocks"][:-1],
        context(f"⏰ Snoozed until {slack_date(until, '{date_short_pretty} {time}')}. I'll remind you then."),
    ]
    return message


# --- decision thread reply ------------------------------------------------------------------------


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


def _people_lines(persons: Sequence[Any]) -> str:
    return "\n".join(p.name + (f" ({p.stage})" if p.stage else "") for p in persons)


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
                         _people_lines(reading.not_selected) if reading else "", hint),
            _lines_input("hired", "Hired", _people_lines(reading.hired) if reading else "", hint),
            _lines_input("withdrawn", "Withdrew", _people_lines(reading.withdrawn) if reading else "", hint),
        ],
    }


def undone_reply(actor: str) -> dict[str, Any]:
    text = f"Undone by <@{actor}>: nothing from this message is recorded."
    return {"text": text, "blocks": [context(f"↩️ {text}")]}


# --- lists: pending, digest, home -----------------------------------------------------------------


def followup_line(f: FollowupView, now: datetime, overdue_after: int, *, flag_undeliverable: bool = True) -> str:
    stage = f" ({escape(f.stage)})" if f.stage else ""
    role = f": {escape(f.role)}" if f.role else ""
    overdue = " ⚠️ *overdue*" if f.nudges_sent >= overdue_after else ""
    if f.undeliverable_at is not None and flag_undeliverable:
        overdue = " ⛔ *can't DM the manager*"
    return f"• *{escape(f.candidate_name)}*{role}{stage}, {days_waiting(f.decided_at, now)}{overdue}"


def _packed_sections(lines: Sequence[str]) -> list[Block]:
    """Pack lines into as few sections as fit 3,000 characters each."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, SECTION_LIMIT)
        if chunk and size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def pending_message(followups: Sequence[FollowupView], total: int, now: datetime, overdue_after: int) -> dict:
    if not followups:
        text = "🎉 You have no open candidate follow-ups. Every loop is closed."
        return {"text": text, "blocks": [section(text)]}
    header = f"*Your open candidate follow-ups ({total})*, oldest first:"
    lines = [followup_line(f, now, overdue_after) for f in followups]
    blocks = [section(header), *_packed_sections(lines)]
    more = total - len(followups)
    if more > 0:
        blocks.append(context(f"…and {more} more. Open the Persona Grata App Home to see them all."))
    blocks = blocks[:MESSAGE_BLOCKS]
    return {"text": f"You have {total} open candidate follow-ups.", "blocks": blocks}


@dataclass(frozen=True)
class DigestContent:
    """Everything a digest shows, gathered by bot.followups.digests from bounded queries."""

    total: int
    managers: Sequence[Any]  # storage.views.ManagerCount, the manager with the oldest open first
    oldest: Sequence[FollowupView]  # the oldest open follow-ups (bounded), oldest first
    overdue: int
    closed_count: int  # closed since the last digest in this channel
    closed_recent: Sequence[FollowupView]
    stats: Any  # storage.views.Stats over 30 days
    since: datetime | None  # when the last digest in this channel was posted
    channel_id: str | None = None  # whose follow-ups: this channel's (decided or logged there); None: everyone's


def stats_line(stats: Any, period: str = "last 30 days") -> str:
    parts = []
    if stats.closure_rate is not None:
        parts.append(f"closure rate {round(stats.closure_rate * 100)}% ({stats.closed} of {stats.decided})")
    if stats.median_days_to_contact is not None:
        parts.append(f"median {stats.median_days_to_contact:.1f} days from decision to a personal note")
    return f"📈 {period.capitalize()}: " + ", ".join(parts) if parts else ""


def digest_message(content: DigestContent, now: datetime, overdue_after: int, *, max_lines: int = 60
                   ) -> dict[str, Any]:
    """Open closures grouped by manager (oldest first), inside 50 blocks however many are open."""
    closed_line = ""
    if content.closed_count:
        names = names_list([f.candidate_name for f in content.closed_recent[:5]])
        more = content.closed_count - min(5, len(content.closed_recent))
        since = f" since {slack_date(content.since)}" if content.since else " recently"
        closed_line = f"✅ Closed{since}: {content.closed_count} ({names}{f' and {more} more' if more > 0 else ''})"
    stats = stats_line(content.stats)
    here = f"<#{content.channel_id}>" if content.channel_id else ""
    if content.total == 0:
        text = (f"✅ All loops closed in {here}: every candidate decided or logged here has heard back personally."
                if here else "✅ All loops closed: every candidate who was not selected has heard back personally.")
        extra = [context(line) for line in (closed_line, stats) if line]
        return {"text": text, "blocks": [section(text), *extra]}
    count = len(content.managers)
    summary = ((f"Decided or logged in {here} · " if here else "Everyone's · ")
               + f"{content.total} open across {count} manager{'s' if count != 1 else ''}"
               + (f" · ⚠️ {content.overdue} overdue (every reminder sent, still open)" if content.overdue else ""))
    blocks: list[Block] = [
        {"type": "header", "text": plain("Candidate follow-ups still open", 150)},
        context(summary),
    ]
    by_manager: dict[str, list[FollowupView]] = {}
    for f in content.oldest:
        by_manager.setdefault(f.manager_id, []).append(f)
    shown = 0
    managers_shown = 0
    tail_blocks = 1 + (1 if closed_line or stats else 0)
    for manager in content.managers:
        items = by_manager.get(manager.manager_id, [])
        room = max_lines - shown
        if room <= 0 or not items:
            break
        lines = [f"<@{manager.manager_id}> ({manager.open} open)"]
        lines += [followup_line(f, now, overdue_after) for f in items[:room]]
        listed = min(room, len(items))
        if manager.open > listed:
            lines.append(f"   …and {manager.open - listed} more for <@{manager.manager_id}>")
        new_blocks = _packed_sections(lines)
        if len(blocks) + len(new_blocks) > MESSAGE_BLOCKS - tail_blocks:
            break
        blocks.extend(new_blocks)
        shown += listed
        managers_shown += 1
    rest = content.total - shown
    if rest > 0:
        others = count - managers_shown
        tail = f" for {others} more manager{'s' if others != 1 else ''}" if others > 0 else ""
        blocks.append(context(f"…and {rest} more{tail}. Each manager sees their own list in the App Home."))
    footer = "\n".join(line for line in (closed_line, stats) if line)
    if footer:
        blocks.append(context(footer))
    text = f"{content.total} candidate follow-ups {f'from {here} ' if here else ''}are still open."
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


def escalation_message(items: Sequence[FollowupView], total: int, now: datetime, overdue_after: int
                       ) -> dict[str, Any]:
    lines = [followup_line(f, now, overdue_after) + f" (<@{f.manager_id}>)" for f in items]
    blocks: list[Block] = [
        section(f"⚠️ *{total} candidate follow-up{'s are' if total != 1 else ' is'} still open after every "
                "reminder.* A nudge from you may help the hiring managers close the loop:"),
        *_packed_sections(lines)[:40],
    ]
    if total > len(items):
        blocks.append(context(f"…and {total - len(items)} more."))
    return {"text": f"{total} candidate follow-ups are overdue.", "blocks": blocks[:MESSAGE_BLOCKS]}


def unreachable_notice(manager_id: str, items: Sequence[FollowupView], *, now: datetime, overdue_after: int,
                       shown: int = 30) -> dict[str, Any]:
    """Told once about follow-ups whose manager Slack will never deliver a DM to: who, which role, why,
    and a user picker to hand them all to someone else."""
    error = next((f.undeliverable_error for f in items if f.undeliverable_error), None) or "unknown_error"
    why = delivery.reason(error)
    count = len(items)
    them = "them" if count != 1 else "it"
    lines = [followup_line(f, now, overdue_after, flag_undeliverable=False) for f in items[:shown]]
    blocks: list[Block] = [
        section(f"⛔ *I can't DM <@{manager_id}>*, so {count} candidate follow-up{'s are' if count != 1 else ' is'} "
                f"stuck: {escape(why)} (Slack says `{escape(error)}`). Nobody is being reminded about "
                f"{'these candidates' if count != 1 else 'this candidate'}:"),
        *_packed_sections(lines)[:MESSAGE_BLOCKS - 4],
    ]
    if count > shown:
        blocks.append(context(f"…and {count - shown} more for <@{manager_id}>."))
    blocks.append({
        "type": "actions", "block_id": f"{REASSIGN_BLOCK}{manager_id}",
        "elements": [{"type": "users_select", "action_id": ACTION_REASSIGN,
                      "placeholder": plain("Reassign to…")}],
    })
    blocks.append(context(f"Pick who should follow up instead: I'll move {them} to them and remind them as usual. "
                          "I won't post about this again."))
    text = f"I can't DM <@{manager_id}>: {count} candidate follow-up{'s need' if count != 1 else ' needs'} a new owner."
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


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


def reassign_from(block_id: object) -> str | None:
    """The unreachable manager a notice's picker is about (its block id), or None if it is not one."""
    raw = str(block_id or "")
    if not raw.startswith(REASSIGN_BLOCK):
        return None
    user = raw[len(REASSIGN_BLOCK):]
    return user if user.isalnum() else None


def reassigned_message(*, from_manager: str, to_manager: str, actor: str, count: int) -> dict[str, Any]:
    text = (f"✅ <@{actor}> gave {count} candidate follow-up{'s' if count != 1 else ''} of <@{from_manager}>'s to "
            f"<@{to_manager}>. I'll remind <@{to_manager}> from now on.")
    return {"text": text, "blocks": [section(text)]}


def home_view(
    *, open_followups: Sequence[FollowupView], total_open: int, recent: Sequence[FollowupView], now: datetime,
    overdue_after: int, overdue: int = 0, stats: Any = None,
) -> dict[str, Any]:
    """A manager's App Home: their open follow-ups (oldest first) with the DM's buttons, recent closures,
    their own stats and a button to log a round. Inside 100 blocks however many are open."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("Your candidate follow-ups", 150)},
        {"type": "actions", "block_id": "home_actions",
         "elements": [button("📋 Log an interview round", ACTION_OPEN_ROUND, "home", style="primary")]},
    ]
    summary = f"{total_open} open, oldest first" + (f" · ⚠️ {overdue} overdue" if overdue else "")
    if stats is not None and stats_line(stats):
        summary += "\n" + stats_line(stats)
    if not open_followups:
        blocks.append(section("🎉 No open follow-ups. Every candidate you interviewed has heard back from you."))
        if stats is not None and stats_line(stats):
            blocks.append(context(stats_line(stats)))
    else:
        blocks.append(context(summary))
    recent_blocks: list[Block] = []
    if recent:
        recent_blocks = [{"type": "divider"}, section("*Recently closed*"), *_packed_sections([
            f"• {escape(f.candidate_name)}" + (f": {escape(f.role)}" if f.role else "") + ", "
            + ("contacted" if f.status == "contacted" else "no note needed")
            + f" on {slack_date(f.closed_at)}"
            for f in recent if f.closed_at
        ])[:3]]
    budget = VIEW_BLOCKS - len(recent_blocks) - 2
    shown = 0
    for f in open_followups:
        if len(blocks) + 2 > budget:
            break
        blocks.append(section(followup_line(f, now, overdue_after)))
        blocks.append(followup_actions(f.id, block_id=f"home:{f.id}"))
        shown += 1
    if total_open > shown:
        blocks.append(context(f"…and {total_open - shown} more, shown as you close these."))
    blocks.extend(recent_blocks)
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}


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
