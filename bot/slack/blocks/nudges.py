"""The nudge DM: a candidate, their suggested note, and the buttons that close, snooze or skip it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.slack_text import escape
from bot.slack.blocks.common import (
    ACTION_CONTACTED,
    ACTION_EDIT_NOTE,
    ACTION_EMAIL,
    ACTION_SKIP,
    ACTION_SNOOZE,
    ACTION_TONE,
    SNOOZE_CHOICES,
    TONE_LABELS,
    Block,
    about,
    button,
    clip,
    context,
    days_waiting,
    plain,
    quote,
    section,
    slack_date,
)
from storage.views import FollowupView


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
    options: list[Block] = [{"text": plain(f"Tone: {label}"), "value": f"{key}:{value}"} for key, label in TONE_LABELS]
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


def snoozed_message(content: NudgeContent, until: datetime) -> dict[str, Any]:
    message = nudge_message(content)
    message["blocks"] = [
        *message["blocks"][:-1],
        context(f"⏰ Snoozed until {slack_date(until, '{date_short_pretty} {time}')}. I'll remind you then."),
    ]
    return message
