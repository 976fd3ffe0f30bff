"""`/interview-round`: log a round, show what is pending, post a digest, get help."""

from __future__ import annotations

import html
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import blocks, jobs, recording
from bot.deps import Deps
from bot.rounds import HELP_TEXT, RoundParseError, parse_round
from storage import repo

COMMAND = "/interview-round"
PENDING_SHOWN = 40


def confirmation(spec_role: str, names: list[str], stages: list[str | None], manager_id: str, user_id: str) -> dict:
    lines = [
        f"• {blocks.esc(name)}" + (f" ({blocks.esc(stage)})" if stage else "")
        for name, stage in zip(names, stages, strict=True)
    ]
    whose = "you" if manager_id == user_id else f"<@{manager_id}>"
    text = (
        f"📋 Logged *{blocks.esc(spec_role)}* with {len(names)} candidate{'s' if len(names) != 1 else ''}:\n"
        + "\n".join(lines)
        + f"\nWhen the decision is posted in a channel I'm in, I'll remind {whose} to follow up personally "
        "with everyone who isn't selected."
    )
    return {"text": f"Logged {spec_role} with {len(names)} candidates.", "blocks": [blocks.section(text)]}


def register(app: App, deps: Deps) -> None:
    def handle_interview_round(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        word = html.unescape(text).split(maxsplit=1)[0].lower() if text else "help"
        team_id = str(command.get("team_id"))
        user_id = str(command.get("user_id"))
        now = deps.clock()
        if word in ("help", "?"):
            ack(text=HELP_TEXT)
            return
        if word == "pending":
            with deps.sessions.begin() as session:
                items = repo.open_followups(session, team_id=team_id, manager_id=user_id, limit=PENDING_SHOWN)
                total = repo.count_open(session, team_id=team_id, manager_id=user_id)
            message = blocks.pending_message(items, total, now, jobs.overdue_after(deps))
            ack(text=message["text"], blocks=message["blocks"])
            return
        if word == "digest" and len(text.split()) == 1:
            ack()
            message = jobs.digest_message(deps, team_id=team_id, now=now)
            respond(text=message["text"], blocks=message["blocks"], response_type="in_channel")
            return
        try:
            spec = parse_round(text)
        except RoundParseError as error:
            ack(text=str(error))
            return
        recording.log_round(
            deps, spec, team_id=team_id, user_id=user_id, channel_id=command.get("channel_id"), now=now
        )
        message = confirmation(
            spec.role,
            [c.name for c in spec.candidates],
            [c.stage for c in spec.candidates],
            spec.manager_id or user_id,
            user_id,
        )
        ack(text=message["text"], blocks=message["blocks"])

    app.command(COMMAND)(handle_interview_round)
